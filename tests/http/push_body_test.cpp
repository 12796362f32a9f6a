// SPDX-License-Identifier: AGPL-3.0-or-later
// PushBody responses (a producer writes into the socket): with and without a known length, HEAD
// without calling the producer, a producer error before the first byte (500) and after it (the
// connection closes, the body is short).
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <memory>
#include <string>

#include "http/test_server.h"
#include "support/http_client.h"

namespace nimbus::http::test {
namespace {

using nimbus::test::HttpClient;

std::string Letters(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

// GET /push?n=N[&known=1][&fail=K][&down=1]: N letters written 10,000 at a time (plus an empty
// write); with fail=K the producer fails after K bytes (kIoError, or kStorageUnavailable with
// down=1). Counts producer calls in `calls`.
void AddPushRoutes(Router& r, std::shared_ptr<std::atomic<int>> calls) {
  auto handler = [calls](Request& req) -> net::awaitable<Response> {
    std::uint64_t n = std::stoull(req.query("n").value_or("0"));
    std::int64_t fail_at = std::stoll(req.query("fail").value_or("-1"));
    const Errc failure = req.query("down") == "1" ? Errc::kStorageUnavailable : Errc::kIoError;
    PushBody body;
    body.produce = [calls, n, fail_at, failure](BodyWriter& w) -> net::awaitable<Result<void>> {
      ++*calls;
      std::string all = Letters(n);
      std::uint64_t sent = 0;
      if (auto e = co_await w.Write({}); !e) co_return e;
      while (sent < n) {
        if (fail_at >= 0 && sent >= static_cast<std::uint64_t>(fail_at)) {
          co_return Fail(failure, "disk gone at {}", sent);
        }
        std::size_t k = std::min<std::uint64_t>(10000, n - sent);
        if (auto e = co_await w.Write(std::span<const char>(all.data() + sent, k)); !e) {
          co_return e;
        }
        sent += k;
      }
      co_return Result<void>{};
    };
    if (req.query("known") == "1") body.content_length = n;
    Response res;
    res.body = std::move(body);
    res.SetHeader("Content-Type", "application/octet-stream");
    co_return res;
  };
  r.Add(Method::kGet, "/push", handler);
}

TEST(PushBody, StreamsChunkedOrWithLengthAndHeadSkipsTheProducer) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  TestServer server({}, [calls](Router& r) { AddPushRoutes(r, calls); });
  auto c = HttpClient::Connect(server.port());
  ASSERT_TRUE(c);
  auto chunked = c->Get("/push?n=123457");
  ASSERT_TRUE(chunked);
  EXPECT_EQ(chunked->status, 200);
  EXPECT_TRUE(chunked->chunked);
  EXPECT_EQ(chunked->body, Letters(123457));
  auto known = c->Get("/push?n=250000&known=1");  // Same connection: keep-alive works.
  ASSERT_TRUE(known);
  EXPECT_FALSE(known->chunked);
  EXPECT_EQ(known->HeaderOr("Content-Length"), "250000");
  EXPECT_EQ(known->body, Letters(250000));
  auto empty = c->Get("/push?n=0&known=1");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 200);
  EXPECT_EQ(empty->body, "");
  EXPECT_EQ(calls->load(), 3);
  ASSERT_TRUE(c->SendRaw("HEAD /push?n=5000&known=1 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto head = c->ReadResponse(HttpClient::kDefaultTimeout, true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->HeaderOr("Content-Length"), "5000");
  EXPECT_EQ(calls->load(), 3) << "HEAD must not run the producer";
}

TEST(PushBody, ErrorBeforeTheFirstByteIsItsErrorResponseAndAfterItClosesTheConnection) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  TestServer server({}, [calls](Router& r) { AddPushRoutes(r, calls); });
  auto c = HttpClient::Connect(server.port());
  ASSERT_TRUE(c);
  auto early = c->Get("/push?n=50000&known=1&fail=0");
  ASSERT_TRUE(early);
  EXPECT_EQ(early->status, 500);
  const auto error = boost::json::parse(early->body).at("error");
  EXPECT_EQ(error.at("code").as_string(), "io_error");
  // The message is the generic one with the request id of the log line, never "disk gone".
  const std::string id = early->HeaderOr("X-Request-Id");
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(error.at("message").as_string(), "internal error (request id " + id + ")");
  EXPECT_TRUE(c->WaitForPeerClose(std::chrono::milliseconds(3000)));

  // The disks holding the bytes are out of service: a 503 with the sentence for the user.
  auto cd = HttpClient::Connect(server.port());
  ASSERT_TRUE(cd);
  auto down = cd->Get("/push?n=50000&known=1&fail=0&down=1");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->status, 503);
  const auto said = boost::json::parse(down->body).at("error");
  EXPECT_EQ(said.at("code").as_string(), "storage_unavailable");
  EXPECT_NE(std::string(said.at("message").as_string())
                .find("the disks that hold them are out of "
                      "service"),
            std::string::npos)
      << down->body;

  auto c2 = HttpClient::Connect(server.port());
  ASSERT_TRUE(c2);
  auto late = c2->Get("/push?n=50000&known=1&fail=20000");
  // The header said 50000 bytes; the client gets 20000 and then the connection closes.
  if (late) {
    EXPECT_EQ(late->status, 200);
    EXPECT_LT(late->body.size(), 50000u);
  }
  EXPECT_TRUE(c2->WaitForPeerClose(std::chrono::milliseconds(3000)));
}

}  // namespace
}  // namespace nimbus::http::test
