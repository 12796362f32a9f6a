// Tests of the test HTTP client against a canned-bytes server in a thread, so integration
// failures can be trusted to be the server's.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "support/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "support/server_process.h"

namespace nimbus::test {
namespace {

using std::chrono::milliseconds;

// Accepts one connection on 127.0.0.1:0, reads once, writes `reply`, then either closes or
// holds the connection open for `hold`.
class CannedServer {
 public:
  CannedServer(std::string reply, milliseconds hold = milliseconds(0)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 4);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, reply = std::move(reply), hold] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      auto n = ::recv(c, buf, sizeof buf, 0);
      if (n > 0) received_.assign(buf, static_cast<std::size_t>(n));
      [[maybe_unused]] auto w = ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      std::this_thread::sleep_for(hold);
      ::close(c);
    });
  }
  ~CannedServer() {
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  // What the client sent (valid after the server thread has replied).
  const std::string& received() const { return received_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::string received_;
  std::thread thread_;
};

TEST(HttpClient, ParsesContentLengthBodyAndHeadersCaseInsensitively) {
  CannedServer server(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Thing:  a b \r\n"
      "Content-Length: 5\r\n\r\nhello");
  auto client = HttpClient::Connect(server.port());
  ASSERT_TRUE(client) << client.error().message;
  auto resp = client->Get("/x", {{"X-Test", "1"}});
  ASSERT_TRUE(resp) << resp.error().message;
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->reason, "OK");
  EXPECT_EQ(resp->body, "hello");
  EXPECT_EQ(resp->HeaderOr("content-type"), "text/plain");
  EXPECT_EQ(resp->HeaderOr("x-THING"), "a b");
  EXPECT_FALSE(resp->HasHeader("X-Missing"));
  client->Close();
  EXPECT_TRUE(server.received().starts_with("GET /x HTTP/1.1\r\n"));
  EXPECT_NE(server.received().find("X-Test: 1\r\n"), std::string::npos);
  EXPECT_NE(server.received().find("Host: 127.0.0.1:"), std::string::npos);
}

TEST(HttpClient, DecodesChunkedBodyAndKeepsPipelinedResponse) {
  CannedServer server(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n"
      "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno");
  auto client = HttpClient::Connect(server.port());
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->SendRaw("GET / HTTP/1.1\r\n\r\n"));
  auto first = client->ReadResponse();
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->chunked);
  EXPECT_EQ(first->body, "abc0123456789");
  auto second = client->ReadResponse();
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->status, 404);
  EXPECT_EQ(second->body, "no");
}

TEST(HttpClient, ReportsPeerCloseBeforeAResponse) {
  CannedServer server("");
  auto client = HttpClient::Connect(server.port());
  ASSERT_TRUE(client);
  auto resp = client->Get("/");
  ASSERT_FALSE(resp);
  EXPECT_EQ(resp.error().code, Errc::kUnavailable);
  EXPECT_TRUE(client->peer_closed());
}

TEST(HttpClient, ReadsBodyToCloseWithoutFraming) {
  CannedServer server("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\nbad request");
  auto client = HttpClient::Connect(server.port());
  ASSERT_TRUE(client);
  auto resp = client->Get("/");
  ASSERT_TRUE(resp) << resp.error().message;
  EXPECT_EQ(resp->status, 400);
  EXPECT_EQ(resp->body, "bad request");
  EXPECT_TRUE(client->peer_closed());
}

TEST(HttpClient, TimesOutWhenTheServerStalls) {
  CannedServer server("HTTP/1.1 200 OK\r\nContent-Le", milliseconds(400));
  auto client = HttpClient::Connect(server.port());
  ASSERT_TRUE(client);
  auto start = std::chrono::steady_clock::now();
  auto resp = client->Get("/", {}, milliseconds(150));
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(resp);
  EXPECT_EQ(resp.error().code, Errc::kTimeout);
  EXPECT_LT(took, milliseconds(350));
  EXPECT_TRUE(client->WaitForPeerClose(milliseconds(2000)));
}

TEST(HttpClient, ConnectToAClosedPortFails) {
  std::uint16_t port;
  {
    CannedServer server("");
    port = server.port();
    auto c = HttpClient::Connect(port);  // Lets the server thread finish.
    ASSERT_TRUE(c);
  }
  EXPECT_FALSE(PortAcceptsConnections(port));
}

TEST(ServerProcess, ParsesTheListeningLine) {
  EXPECT_EQ(ParseListeningPort("x\nlistening on http://127.0.0.1:43127\n"), 43127);
  EXPECT_EQ(ParseListeningPort("listening on http://[::1]:8080 (pid 3)\n"), 8080);
  EXPECT_EQ(ParseListeningPort("listening on http://127.0.0.1:4312"), std::nullopt);  // No EOL yet.
  EXPECT_EQ(ParseListeningPort("listening on https://127.0.0.1:8443\n"), 8443);
  EXPECT_EQ(ParseListeningPort("listening on 127.0.0.1:80\n"), std::nullopt);
  EXPECT_EQ(ParseListeningPort("listening on httpx://127.0.0.1:80\n"), std::nullopt);
}

TEST(ServerProcess, RunToCompletionCapturesOutputAndExitCode) {
  auto r = RunToCompletion({.args = {"-c", "echo out; echo err >&2; echo $FOO; exit 3"},
                            .env = {{"FOO", "bar"}},
                            .binary = "/bin/sh"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code(), 3);
  EXPECT_EQ(r->out, "out\nbar\n");
  EXPECT_EQ(r->err, "err\n");
}

TEST(ServerProcess, TerminateKillsAProcessThatIgnoresSigterm) {
  auto p = ServerProcess::Start(
      {.args = {"-c", "trap '' TERM; echo ready; sleep 30"}, .binary = "/bin/sh"});
  ASSERT_TRUE(p) << p.error().message;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while ((*p)->Stdout().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  bool killed = false;
  auto st = (*p)->Terminate(milliseconds(200), SIGTERM, &killed);
  EXPECT_TRUE(killed);
  EXPECT_EQ(st.signal, SIGKILL);
}

}  // namespace
}  // namespace nimbus::test
