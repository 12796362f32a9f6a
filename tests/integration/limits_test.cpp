// Limits under abuse, set small through NIMBUS_SERVER_* variables: 431, 400 and close, the
// header deadline against slow clients, idle keep-alive close, 503 past max_connections. In
// each case other clients keep getting answers.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "integration/nimbus_fixture.h"

namespace nimbus::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class LimitsTest : public NimbusTest {
 protected:
  // Expects a fresh connection to get 200 from /healthz: the server still serves others.
  void ExpectServesOthers(const std::string& when) {
    auto resp = HttpGet(port(), "/healthz");
    ASSERT_TRUE(resp) << when << ": " << resp.error().message;
    EXPECT_EQ(resp->status, 200) << when;
  }
};

TEST_F(LimitsTest, OversizedHeaderGets431AndSmallerOnesPass) {
  auto port = StartServer({{"NIMBUS_SERVER_MAX_HEADER_BYTES", "2048"}});
  ASSERT_TRUE(port) << port.error().message;

  auto ok = HttpGet(*port, "/healthz", {{"X-Filler", std::string(1000, 'a')}});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->status, 200);

  auto client = HttpClient::Connect(*port);
  ASSERT_TRUE(client) << client.error().message;
  auto big = client->Get("/healthz", {{"X-Filler", std::string(8192, 'b')}});
  ASSERT_TRUE(big) << big.error().message;
  EXPECT_EQ(big->status, 431);
  ExpectSecurityHeaders(*big, "431");
  EXPECT_TRUE(client->WaitForPeerClose(milliseconds(2000))) << "connection kept open after 431";
  ExpectServesOthers("after 431");
}

TEST_F(LimitsTest, ManyHeaderLinesCountTowardsTheLimit) {
  auto port = StartServer({{"NIMBUS_SERVER_MAX_HEADER_BYTES", "2048"}});
  ASSERT_TRUE(port) << port.error().message;
  Headers many;
  for (int i = 0; i < 200; ++i) many.emplace_back("X-H" + std::to_string(i), "0123456789");
  auto resp = HttpGet(*port, "/healthz", many);
  ASSERT_TRUE(resp) << resp.error().message;
  EXPECT_EQ(resp->status, 431);
}

TEST_F(LimitsTest, MalformedRequestLineGets400AndTheConnectionCloses) {
  auto port = StartServer();
  ASSERT_TRUE(port) << port.error().message;
  for (const char* garbage :
       {"this is not http\r\n\r\n", "GET /healthz HTTP/9\r\n\r\n", "GET  HTTP/1.1\r\n\r\n"}) {
    SCOPED_TRACE(garbage);
    auto client = HttpClient::Connect(*port);
    ASSERT_TRUE(client) << client.error().message;
    ASSERT_TRUE(client->SendRaw(garbage));
    auto resp = client->ReadResponse(milliseconds(3000));
    ASSERT_TRUE(resp) << resp.error().message;
    EXPECT_EQ(resp->status, 400);
    ExpectSecurityHeaders(*resp, "400");
    EXPECT_TRUE(client->WaitForPeerClose(milliseconds(2000))) << "connection kept open after 400";
  }
  ExpectServesOthers("after 400s");
}

TEST_F(LimitsTest, MalformedHeaderLineGets400) {
  auto port = StartServer();
  ASSERT_TRUE(port) << port.error().message;
  auto client = HttpClient::Connect(*port);
  ASSERT_TRUE(client) << client.error().message;
  ASSERT_TRUE(client->SendRaw("GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"));
  auto resp = client->ReadResponse(milliseconds(3000));
  ASSERT_TRUE(resp) << resp.error().message;
  EXPECT_EQ(resp->status, 400);
  EXPECT_TRUE(client->WaitForPeerClose(milliseconds(2000)));
}

// Reads whatever the server does with a stalled client: a 408 response and/or a close.
// Returns the time from `start` to the close, or -1 if the connection is still open after
// `limit`.
std::int64_t WaitForCutOff(HttpClient& client, Clock::time_point start, milliseconds limit,
                           int* status) {
  *status = 0;
  auto resp = client.ReadResponse(limit);
  if (resp) *status = resp->status;
  auto left = limit - std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  if (!client.WaitForPeerClose(std::max(left, milliseconds(1)))) return -1;
  return MsSince(start);
}

TEST_F(LimitsTest, HalfAHeaderThenSilenceIsCutAfterTheHeaderTimeout) {
  auto port = StartServer({{"NIMBUS_SERVER_HEADER_TIMEOUT_S", "1"}});
  ASSERT_TRUE(port) << port.error().message;
  auto slow = HttpClient::Connect(*port);
  ASSERT_TRUE(slow) << slow.error().message;
  auto start = Clock::now();
  ASSERT_TRUE(slow->SendRaw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
  std::this_thread::sleep_for(milliseconds(300));
  ExpectServesOthers("while a client stalls");
  int status = 0;
  std::int64_t cut_ms = WaitForCutOff(*slow, start, milliseconds(4000), &status);
  ASSERT_GE(cut_ms, 0) << "a stalled header was not cut within 4 s (header_timeout_s=1)";
  EXPECT_GE(cut_ms, 800) << "cut too early";
  EXPECT_LE(cut_ms, 2500) << "cut too late";
  EXPECT_TRUE(status == 0 || status == 408) << "status " << status;
  ExpectServesOthers("after the cut");
}

TEST_F(LimitsTest, AHeaderTrickledByteByByteIsCutAtTheHeaderDeadline) {
  auto port = StartServer({{"NIMBUS_SERVER_HEADER_TIMEOUT_S", "1"}});
  ASSERT_TRUE(port) << port.error().message;
  auto slow = HttpClient::Connect(*port);
  ASSERT_TRUE(slow) << slow.error().message;
  // Slowloris: one byte every 100 ms keeps each read short but never finishes the header.
  std::string header = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  header += std::string(100, 'z');
  auto start = Clock::now();
  std::int64_t cut_ms = -1;
  for (char c : header) {
    if (!slow->SendRaw(std::string_view(&c, 1)) || MsSince(start) > 4000) break;
    if (slow->WaitForPeerClose(milliseconds(100))) break;
  }
  if (slow->peer_closed() || slow->WaitForPeerClose(milliseconds(100))) cut_ms = MsSince(start);
  ASSERT_GE(cut_ms, 0) << "a trickled header was not cut within 4 s (header_timeout_s=1)";
  EXPECT_GE(cut_ms, 800);
  EXPECT_LE(cut_ms, 2500) << "the deadline seems to restart with every byte";
  ExpectServesOthers("after a slowloris client");
}

TEST_F(LimitsTest, AConnectionThatSendsNothingIsCutAfterTheHeaderTimeout) {
  auto port = StartServer({{"NIMBUS_SERVER_HEADER_TIMEOUT_S", "1"}});
  ASSERT_TRUE(port) << port.error().message;
  auto silent = HttpClient::Connect(*port);
  ASSERT_TRUE(silent) << silent.error().message;
  auto start = Clock::now();
  ASSERT_TRUE(silent->WaitForPeerClose(milliseconds(4000)))
      << "a silent connection was not cut within 4 s (header_timeout_s=1)";
  EXPECT_GE(MsSince(start), 800);
  EXPECT_LE(MsSince(start), 2500);
  ExpectServesOthers("after a silent connection");
}

TEST_F(LimitsTest, AStalledBodyIsCutAfterTheBodyTimeout) {
  auto port = StartServer({{"NIMBUS_SERVER_BODY_TIMEOUT_S", "1"}});
  ASSERT_TRUE(port) << port.error().message;
  auto slow = HttpClient::Connect(*port);
  ASSERT_TRUE(slow) << slow.error().message;
  auto start = Clock::now();
  // 10 of the 1000 announced bytes, then silence.
  ASSERT_TRUE(slow->SendRaw(
      "POST /api/v1/whatever HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n"
      "0123456789"));
  std::this_thread::sleep_for(milliseconds(300));
  ExpectServesOthers("while a body stalls");
  ASSERT_TRUE(slow->WaitForPeerClose(milliseconds(4000)))
      << "a stalled body was not cut within 4 s (body_timeout_s=1)";
  EXPECT_GE(MsSince(start), 800);
  EXPECT_LE(MsSince(start), 2500);
  ExpectServesOthers("after the stalled body");
}

TEST_F(LimitsTest, AnIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  auto port =
      StartServer({{"NIMBUS_SERVER_IDLE_TIMEOUT_S", "1"}, {"NIMBUS_SERVER_HEADER_TIMEOUT_S", "5"}});
  ASSERT_TRUE(port) << port.error().message;
  auto client = HttpClient::Connect(*port);
  ASSERT_TRUE(client) << client.error().message;
  auto resp = client->Get("/healthz");
  ASSERT_TRUE(resp) << resp.error().message;
  ASSERT_EQ(resp->status, 200);
  auto start = Clock::now();
  ASSERT_TRUE(client->WaitForPeerClose(milliseconds(4000)))
      << "idle keep-alive connection still open after 4 s (idle_timeout_s=1)";
  EXPECT_GE(MsSince(start), 800);
  EXPECT_LE(MsSince(start), 2500);
  EXPECT_TRUE(client->TakeBuffered().empty()) << "the server sent bytes on an idle connection";
}

TEST_F(LimitsTest, AnActiveKeepAliveConnectionOutlivesTheIdleTimeout) {
  auto port = StartServer({{"NIMBUS_SERVER_IDLE_TIMEOUT_S", "1"}});
  ASSERT_TRUE(port) << port.error().message;
  auto client = HttpClient::Connect(*port);
  ASSERT_TRUE(client) << client.error().message;
  for (int i = 0; i < 5; ++i) {  // 5 x 400 ms = 2 s > idle_timeout_s, but never idle 1 s.
    auto resp = client->Get("/healthz");
    ASSERT_TRUE(resp) << "request " << i << ": " << resp.error().message;
    EXPECT_EQ(resp->status, 200);
    std::this_thread::sleep_for(milliseconds(400));
  }
}

TEST_F(LimitsTest, PastMaxConnectionsANewConnectionGets503AndOthersStillWork) {
  auto port = StartServer({{"NIMBUS_SERVER_MAX_CONNECTIONS", "2"}});
  ASSERT_TRUE(port) << port.error().message;
  std::vector<HttpClient> held;
  for (int i = 0; i < 2; ++i) {
    auto c = HttpClient::Connect(*port);
    ASSERT_TRUE(c) << c.error().message;
    auto resp = c->Get("/healthz");  // The server has surely accepted and counted it.
    ASSERT_TRUE(resp) << "connection " << i << ": " << resp.error().message;
    ASSERT_EQ(resp->status, 200);
    held.push_back(std::move(*c));
  }
  auto third = HttpClient::Connect(*port);
  ASSERT_TRUE(third) << third.error().message;
  auto rejected = third->Get("/healthz");
  ASSERT_TRUE(rejected) << "third connection: " << rejected.error().message;
  EXPECT_EQ(rejected->status, 503);
  ExpectSecurityHeaders(*rejected, "503");
  EXPECT_TRUE(third->WaitForPeerClose(milliseconds(2000)));

  for (auto& c : held) {
    auto resp = c.Get("/healthz");
    ASSERT_TRUE(resp) << "held connection after the 503: " << resp.error().message;
    EXPECT_EQ(resp->status, 200);
  }

  // Freeing a slot lets a new client in again.
  held.pop_back();
  bool admitted = false;
  auto deadline = Clock::now() + milliseconds(3000);
  while (!admitted && Clock::now() < deadline) {
    auto resp = HttpGet(*port, "/healthz");
    admitted = resp && resp->status == 200;
    if (!admitted) std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_TRUE(admitted) << "no new connection admitted after one of two closed";
}

// "Every response has X-Request-Id", also those the transport writes before routing (400, 431,
// 503), so a client can quote the id of a rejected request.
TEST_F(LimitsTest, TransportErrorResponsesCarryARequestId) {
  auto port = StartServer(
      {{"NIMBUS_SERVER_MAX_HEADER_BYTES", "2048"}, {"NIMBUS_SERVER_MAX_CONNECTIONS", "1"}});
  ASSERT_TRUE(port) << port.error().message;
  // With one slot, each rejected connection must be gone before the next gets in: retry
  // (bounded) while the answer is the 503 of a slot still taken.
  auto send = [&](const std::string& raw) -> Result<HttpResponse> {
    auto deadline = Clock::now() + milliseconds(3000);
    while (true) {
      auto c = HttpClient::Connect(*port);
      if (!c) return std::unexpected(c.error());
      if (auto sent = c->SendRaw(raw); !sent) return std::unexpected(sent.error());
      auto resp = c->ReadResponse();
      if (!resp || resp->status != 503 || Clock::now() > deadline) return resp;
      std::this_thread::sleep_for(milliseconds(20));
    }
  };
  auto bad = send("this is not http\r\n\r\n");
  ASSERT_TRUE(bad) << bad.error().message;
  EXPECT_EQ(bad->status, 400);
  EXPECT_FALSE(bad->HeaderOr("X-Request-Id").empty()) << "400 without X-Request-Id";

  auto big = send("GET /healthz HTTP/1.1\r\nX-Filler: " + std::string(4096, 'c') + "\r\n\r\n");
  ASSERT_TRUE(big) << big.error().message;
  EXPECT_EQ(big->status, 431);
  EXPECT_FALSE(big->HeaderOr("X-Request-Id").empty()) << "431 without X-Request-Id";

  auto held = send("GET /healthz HTTP/1.1\r\n\r\n");  // Its connection closes afterwards.
  ASSERT_TRUE(held) << held.error().message;
  ASSERT_EQ(held->status, 200);
  auto holder = HttpClient::Connect(*port);
  ASSERT_TRUE(holder) << holder.error().message;
  auto mine = holder->Get("/healthz");  // Takes the only slot (retrying until it is free).
  for (int i = 0; i < 100 && mine && mine->status == 503; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
    holder = HttpClient::Connect(*port);
    ASSERT_TRUE(holder) << holder.error().message;
    mine = holder->Get("/healthz");
  }
  ASSERT_TRUE(mine && mine->status == 200);
  auto c = HttpClient::Connect(*port);
  ASSERT_TRUE(c) << c.error().message;
  auto resp = c->Get("/healthz");
  ASSERT_TRUE(resp) << resp.error().message;
  EXPECT_EQ(resp->status, 503);
  EXPECT_FALSE(resp->HeaderOr("X-Request-Id").empty()) << "503 without X-Request-Id";
}

}  // namespace
}  // namespace nimbus::test
