// Process lifecycle: SIGTERM/SIGINT exit 0 within the grace period, in-flight requests finish,
// nothing listens afterwards, and a second server on a taken port fails clearly.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

#include "integration/nimbus_fixture.h"

namespace nimbus::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

using LifecycleTest = NimbusTest;

void ExpectCleanExitOn(ServerProcess& server, std::uint16_t port, int sig) {
  auto start = Clock::now();
  bool killed = false;
  ExitStatus st = server.Terminate(milliseconds(5000), sig, &killed);
  EXPECT_FALSE(killed) << "did not exit within 5 s of signal " << sig;
  EXPECT_EQ(st.signal, 0) << st.Describe();
  EXPECT_EQ(st.code, 0) << st.Describe();
  EXPECT_LT(MsSince(start), 5000);
  EXPECT_FALSE(PortAcceptsConnections(port)) << "something still listens on " << port;
}

TEST_F(LifecycleTest, SigtermExitsZeroAndFreesThePort) {
  auto port = StartServer();
  ASSERT_TRUE(port) << port.error().message;
  ASSERT_EQ(HttpGet(*port, "/healthz").value_or(HttpResponse{}).status, 200);
  ExpectCleanExitOn(server(), *port, SIGTERM);
}

TEST_F(LifecycleTest, SigintExitsZeroAndFreesThePort) {
  auto port = StartServer();
  ASSERT_TRUE(port) << port.error().message;
  ASSERT_EQ(HttpGet(*port, "/healthz").value_or(HttpResponse{}).status, 200);
  ExpectCleanExitOn(server(), *port, SIGINT);
}

TEST_F(LifecycleTest, IdleKeepAliveConnectionsDoNotHoldUpShutdown) {
  // idle_timeout_s and shutdown_grace_s are both long: only closing idle connections at once
  // lets the server exit quickly.
  auto port = StartServer(
      {{"NIMBUS_SERVER_IDLE_TIMEOUT_S", "60"}, {"NIMBUS_SERVER_SHUTDOWN_GRACE_S", "10"}});
  ASSERT_TRUE(port) << port.error().message;
  auto idle = HttpClient::Connect(*port);
  ASSERT_TRUE(idle) << idle.error().message;
  auto resp = idle->Get("/healthz");
  ASSERT_TRUE(resp) << resp.error().message;
  auto start = Clock::now();
  ASSERT_TRUE(server().Signal(SIGTERM));
  auto st = server().WaitForExit(milliseconds(3000));
  ASSERT_TRUE(st.has_value()) << "an idle keep-alive connection kept the server up for 3 s";
  EXPECT_EQ(st->code, 0) << st->Describe();
  EXPECT_LT(MsSince(start), 3000);
  EXPECT_TRUE(idle->WaitForPeerClose(milliseconds(500)));
}

TEST_F(LifecycleTest, ARequestSentJustBeforeSigtermIsAnswered) {
  auto port = StartServer();
  ASSERT_TRUE(port) << port.error().message;
  auto client = HttpClient::Connect(*port);
  ASSERT_TRUE(client) << client.error().message;
  auto warm = client->Get("/healthz");  // The connection is accepted and served.
  ASSERT_TRUE(warm) << warm.error().message;
  ASSERT_TRUE(client->SendRaw("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  ASSERT_TRUE(server().Signal(SIGTERM));
  auto resp = client->ReadResponse(milliseconds(5000));
  ASSERT_TRUE(resp) << "in-flight request lost: " << resp.error().message;
  EXPECT_EQ(resp->status, 200);
  EXPECT_NE(resp->body.find("nimbus_build_info"), std::string::npos);
  auto st = server().WaitForExit(milliseconds(5000));
  ASSERT_TRUE(st.has_value()) << "no exit within 5 s of SIGTERM";
  EXPECT_EQ(st->code, 0) << st->Describe();
}

TEST_F(LifecycleTest, ARequestHalfSentAtSigtermStillCompletesWithinTheGrace) {
  auto port = StartServer({{"NIMBUS_SERVER_SHUTDOWN_GRACE_S", "5"}});
  ASSERT_TRUE(port) << port.error().message;
  auto client = HttpClient::Connect(*port);
  ASSERT_TRUE(client) << client.error().message;
  ASSERT_TRUE(client->SendRaw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  std::this_thread::sleep_for(milliseconds(200));  // The server is reading our header.
  ASSERT_TRUE(server().Signal(SIGTERM));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_TRUE(server().Running()) << "exited while a request was in flight";
  EXPECT_FALSE(PortAcceptsConnections(*port)) << "still accepting new connections after SIGTERM";
  ASSERT_TRUE(client->SendRaw("\r\n"));
  auto resp = client->ReadResponse(milliseconds(3000));
  ASSERT_TRUE(resp) << "half-sent request dropped at shutdown: " << resp.error().message;
  EXPECT_EQ(resp->status, 200);
  auto st = server().WaitForExit(milliseconds(5000));
  ASSERT_TRUE(st.has_value()) << "no exit within 5 s of the last response";
  EXPECT_EQ(st->code, 0) << st->Describe();
}

TEST_F(LifecycleTest, AStalledClientCannotHoldUpShutdownPastTheGrace) {
  auto port = StartServer(
      {{"NIMBUS_SERVER_SHUTDOWN_GRACE_S", "1"}, {"NIMBUS_SERVER_HEADER_TIMEOUT_S", "30"}});
  ASSERT_TRUE(port) << port.error().message;
  auto client = HttpClient::Connect(*port);
  ASSERT_TRUE(client) << client.error().message;
  ASSERT_TRUE(client->SendRaw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  std::this_thread::sleep_for(milliseconds(100));
  auto start = Clock::now();
  ASSERT_TRUE(server().Signal(SIGTERM));
  auto st = server().WaitForExit(milliseconds(4000));
  ASSERT_TRUE(st.has_value()) << "a stalled client kept the server up past grace + 3 s";
  EXPECT_EQ(st->code, 0) << st->Describe();
  EXPECT_LT(MsSince(start), 3000);
}

// Optional HTTPS: with tls_cert and tls_key set, curl gets 200 over TLS and plain HTTP does
// not get an answer. Needs the openssl and curl command-line tools.
TEST_F(LifecycleTest, ServesHttpsWhenACertificateAndKeyAreSet) {
  std::string cert = tmp().File("cert.pem"), key = tmp().File("key.pem");
  auto gen = RunToCompletion({.args = {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                                       key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"},
                              .binary = "/usr/bin/openssl"});
  if (!gen || gen->exit_code() != 0) GTEST_SKIP() << "openssl could not make a certificate";
  auto port = StartServer({{"NIMBUS_SERVER_TLS_CERT", cert}, {"NIMBUS_SERVER_TLS_KEY", key}});
  ASSERT_TRUE(port) << port.error().message;
  std::string url = "https://127.0.0.1:" + std::to_string(*port) + "/healthz";
  auto curl = RunToCompletion({.args = {"-sS", "--max-time", "5", "--cacert", cert, "-o",
                                        "/dev/null", "-w", "%{http_code}", url},
                               .binary = "/usr/bin/curl"},
                              std::chrono::seconds(10));
  ASSERT_TRUE(curl) << curl.error().message;
  EXPECT_EQ(curl->out, "200") << curl->err;
  auto plain = HttpGet(*port, "/healthz");
  EXPECT_FALSE(plain && plain->status == 200) << "plain HTTP answered on the TLS port";
  ExitStatus st = server().Terminate();
  EXPECT_EQ(st.code, 0) << st.Describe();
}

TEST_F(LifecycleTest, ASecondServerOnTheSamePortFailsClearly) {
  auto port = StartServer();
  ASSERT_TRUE(port) << port.error().message;
  std::string other_data = tmp().File("data2");
  auto r =
      RunNimbus({"serve", "--listen", "127.0.0.1:" + std::to_string(*port), "--data", other_data},
                {}, std::chrono::seconds(10));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->timed_out) << "the second server did not exit";
  EXPECT_NE(r->exit_code(), 0) << r->out;
  EXPECT_EQ(r->out.find("listening on"), std::string::npos) << r->out;
  EXPECT_NE(r->err.find(std::to_string(*port)), std::string::npos)
      << "the message does not name the address: " << r->err;
  EXPECT_TRUE(ContainsIgnoreCase(r->err, "in use")) << r->err;
  auto resp = HttpGet(*port, "/healthz");
  ASSERT_TRUE(resp) << "the first server stopped answering: " << resp.error().message;
  EXPECT_EQ(resp->status, 200);
}

}  // namespace
}  // namespace nimbus::test
