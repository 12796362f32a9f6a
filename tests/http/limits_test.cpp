// SPDX-License-Identifier: AGPL-3.0-or-later
// Limits that must hold under abuse, and graceful shutdown. Timeouts are 1 s here so the suite
// stays fast; each test also checks that other clients are served meanwhile.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "http/test_server.h"
#include "support/http_client.h"

namespace nimbus::http::test {
namespace {

using nimbus::test::HttpClient;
using nimbus::test::HttpResponse;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

long long MsSince(Clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t).count();
}

void ExpectJsonError(const HttpResponse& r, int status, std::string_view code) {
  EXPECT_EQ(r.status, status);
  EXPECT_EQ(r.HeaderOr("Content-Type"), "application/json; charset=utf-8");
  auto j = boost::json::parse(r.body);
  EXPECT_EQ(j.at("error").at("code").as_string(), code) << r.body;
  EXPECT_EQ(r.HeaderOr("X-Content-Type-Options"), "nosniff");
  EXPECT_TRUE(r.HasHeader("Content-Security-Policy"));
  EXPECT_EQ(r.HeaderOr("X-Frame-Options"), "DENY");
  EXPECT_EQ(r.HeaderOr("Referrer-Policy"), "same-origin");
}

void ExpectServed(std::uint16_t port) {
  auto r = nimbus::test::HttpGet(port, "/api/v1/hello");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
}

ServerOptions Short() {
  ServerOptions o;
  o.header_timeout_s = 1;
  o.idle_timeout_s = 1;
  o.body_timeout_s = 1;
  o.shutdown_grace_s = 2;
  return o;
}

TEST(HttpLimits, OversizedHeaderIs431AndClose) {
  ServerOptions o;
  o.max_header_bytes = 4096;
  TestServer server(o);
  auto c = HttpClient::Connect(server.port());
  ASSERT_TRUE(c);
  std::string big(8000, 'x');
  ASSERT_TRUE(c->SendRaw("GET /api/v1/hello HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n"));
  auto r = c->ReadResponse();
  ASSERT_TRUE(r) << r.error().message;
  ExpectJsonError(*r, 431, "header_too_large");
  // It says the limit and what to do about a deep path (QA pass 21b).
  EXPECT_NE(r->body.find("longer than this server takes (4 KiB)"), std::string::npos) << r->body;
  EXPECT_EQ(r->HeaderOr("Connection"), "close");
  EXPECT_TRUE(c->WaitForPeerClose(milliseconds(2000)));
  EXPECT_NE(server.metrics().RenderPrometheus().find(
                "nimbus_http_transport_errors_total{status=\"431\"} 1"),
            std::string::npos);
  // Just under the limit is fine.
  auto ok =
      nimbus::test::HttpGet(server.port(), "/api/v1/hello", {{"X-Big", std::string(3000, 'y')}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST(HttpLimits, JsonBodiesAreLimitedByMaxJsonBodyBytes) {
  ServerOptions o;
  o.max_json_body_bytes = 100;
  TestServer server(o);
  auto c = HttpClient::Connect(server.port());
  ASSERT_TRUE(c);
  auto ok = c->Request("POST", "/json-default", {}, std::string(100, 'x'));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  auto big = c->Request("POST", "/json-default", {}, std::string(101, 'x'));
  ASSERT_TRUE(big);
  ExpectJsonError(*big, 413, "too_large");
  // Chunked (no Content-Length): cut while reading.
  ASSERT_TRUE(
      c->SendRaw("POST /json-default HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "c8\r\n" +
                 std::string(200, 'y') + "\r\n0\r\n\r\n"));
  auto chunked = c->ReadResponse();
  ASSERT_TRUE(chunked);
  EXPECT_EQ(chunked->status, 413);
}

TEST(HttpLimits, MalformedRequestIs400AndClose) {
  TestServer server;
  for (std::string bad :
       {"GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", "GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n"}) {
    auto c = HttpClient::Connect(server.port());
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->SendRaw(bad));
    auto r = c->ReadResponse();
    ASSERT_TRUE(r) << bad << ": " << r.error().message;
    // A bad escape in the address is the request's mistake, not its HTTP's: invalid_request,
    // as every other bad query, saying how to write a '%'.
    const bool escape = bad.find("%zz") != std::string::npos;
    ExpectJsonError(*r, 400, escape ? "invalid_request" : "bad_request");
    if (escape) {
      EXPECT_NE(r->body.find("%25"), std::string::npos) << r->body;
    }
    EXPECT_TRUE(c->WaitForPeerClose(milliseconds(2000))) << bad;
  }
  // Both a length and chunked (a smuggling attempt, or a client's bug): refused, saying why.
  auto c = HttpClient::Connect(server.port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->SendRaw(
      "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n"));
  auto r = c->ReadResponse();
  ASSERT_TRUE(r) << r.error().message;
  ExpectJsonError(*r, 400, "bad_request");
  EXPECT_NE(r->body.find("The request is not valid HTTP/1.1 ("), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("nothing was done"), std::string::npos) << r->body;
  ExpectServed(server.port());
}

TEST(HttpLimits, SlowHeaderIsCutAfterHeaderTimeout) {
  TestServer server(Short());
  auto start = Clock::now();
  auto silent = HttpClient::Connect(server.port());  // Sends nothing at all.
  auto slow = HttpClient::Connect(server.port());    // Dribbles an incomplete header.
  ASSERT_TRUE(silent && slow);
  ASSERT_TRUE(slow->SendRaw("GET /api/v1/hello HTTP/1.1\r\n"));
  std::this_thread::sleep_for(milliseconds(500));
  ASSERT_TRUE(slow->SendRaw("Host: x\r\n"));
  ExpectServed(server.port());  // Others are served meanwhile.
  EXPECT_TRUE(slow->WaitForPeerClose(milliseconds(3000)));
  // Cut at the header deadline (1 s after connecting), not 1 s after the last byte.
  EXPECT_LT(MsSince(start), 1900);
  EXPECT_GE(MsSince(start), 900);
  EXPECT_TRUE(silent->WaitForPeerClose(milliseconds(1000)));
}

TEST(HttpLimits, IdleKeepAliveClosesAfterIdleTimeout) {
  ServerOptions o = Short();
  o.header_timeout_s = 5;
  TestServer server(o);
  auto c = HttpClient::Connect(server.port());
  ASSERT_TRUE(c);
  auto r = c->Get("/api/v1/hello");
  ASSERT_TRUE(r);
  auto after = Clock::now();
  EXPECT_TRUE(c->WaitForPeerClose(milliseconds(3000)));
  EXPECT_GE(MsSince(after), 900);
  EXPECT_LT(MsSince(after), 2500);
}

TEST(HttpLimits, BodyWithoutProgressIsCut) {
  TestServer server(Short());
  auto c = HttpClient::Connect(server.port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(
      c->SendRaw("PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n0123456789"));
  auto start = Clock::now();
  ExpectServed(server.port());
  EXPECT_TRUE(c->WaitForPeerClose(milliseconds(3000)));
  EXPECT_GE(MsSince(start), 800);
  EXPECT_LT(MsSince(start), 2500);
}

TEST(HttpLimits, PastMaxConnectionsNewOnesGet503WhileOthersWork) {
  ServerOptions o;
  o.max_connections = 2;
  TestServer server(o);
  auto c1 = HttpClient::Connect(server.port());
  auto c2 = HttpClient::Connect(server.port());
  ASSERT_TRUE(c1 && c2);
  ASSERT_TRUE(c1->Get("/api/v1/hello"));
  ASSERT_TRUE(c2->Get("/api/v1/hello"));
  auto c3 = HttpClient::Connect(server.port());
  ASSERT_TRUE(c3);
  auto r = c3->Get("/api/v1/hello");
  ASSERT_TRUE(r) << r.error().message;
  ExpectJsonError(*r, 503, "unavailable");
  EXPECT_TRUE(c3->WaitForPeerClose(milliseconds(2000)));
  EXPECT_NE(server.metrics().RenderPrometheus().find(
                "nimbus_http_transport_errors_total{status=\"503\"} 1"),
            std::string::npos);
  for (auto* c : {&*c1, &*c2}) {
    auto again = c->Get("/api/v1/hello");
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->status, 200);
  }
  // Once one leaves, a new connection is served again.
  c1->Close();
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    auto n = nimbus::test::HttpGet(server.port(), "/api/v1/hello");
    served = n && n->status == 200;
    if (!served) std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(served);
}

TEST(HttpLimits, ShutdownLetsInFlightRequestsFinishAndClosesIdleOnes) {
  TestServer server(Short());
  auto busy = HttpClient::Connect(server.port());
  auto idle = HttpClient::Connect(server.port());
  ASSERT_TRUE(busy && idle);
  ASSERT_TRUE(idle->Get("/api/v1/hello"));
  ASSERT_TRUE(busy->SendRaw("GET /slow?ms=600 HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::this_thread::sleep_for(milliseconds(100));
  auto shutdown = std::async(std::launch::async, [&] { return server.ShutdownAndWait(); });
  EXPECT_TRUE(idle->WaitForPeerClose(milliseconds(400))) << "idle connection closes at once";
  auto r = busy->ReadResponse();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "slow done");
  EXPECT_EQ(r->HeaderOr("Connection"), "close");
  auto took = shutdown.get();
  EXPECT_GE(took.count(), 350);
  EXPECT_LT(took.count(), 1900);
  // No longer accepting.
  auto late = nimbus::test::HttpGet(server.port(), "/api/v1/hello");
  EXPECT_FALSE(late && late->status == 200);
}

TEST(HttpLimits, ShutdownClosesWhatIsLeftAfterTheGracePeriod) {
  ServerOptions o = Short();
  o.shutdown_grace_s = 1;
  TestServer server(o);
  auto busy = HttpClient::Connect(server.port());
  ASSERT_TRUE(busy);
  ASSERT_TRUE(busy->SendRaw("GET /slow?ms=5000 HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::this_thread::sleep_for(milliseconds(100));
  auto took = server.ShutdownAndWait();
  EXPECT_GE(took.count(), 900);
  EXPECT_LT(took.count(), 3000);
  EXPECT_TRUE(busy->WaitForPeerClose(milliseconds(1000)));
}

}  // namespace
}  // namespace nimbus::http::test
