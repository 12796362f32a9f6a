// SPDX-License-Identifier: AGPL-3.0-or-later
// In-process server tests: routing, bodies (streamed in and out), static assets, headers.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include <boost/json.hpp>
#include <fmt/core.h>

#include "http/curl_client.h"
#include "http/test_server.h"
#include "support/http_client.h"

namespace nimbus::http::test {
namespace {

using nimbus::test::HttpClient;
using nimbus::test::HttpResponse;

std::string Url(const TestServer& s, std::string_view path) {
  return fmt::format("http://127.0.0.1:{}{}", const_cast<TestServer&>(s).port(), path);
}

std::string RandomBytes(std::size_t n) {
  std::mt19937_64 rng(42);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

boost::json::value Json(const std::string& s) { return boost::json::parse(s); }

void ExpectSecurityHeaders(const HttpResponse& r) {
  EXPECT_EQ(r.HeaderOr("Content-Security-Policy"),
            "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
      << "status " << r.status;
  EXPECT_EQ(r.HeaderOr("X-Content-Type-Options"), "nosniff") << "status " << r.status;
  EXPECT_EQ(r.HeaderOr("Referrer-Policy"), "same-origin") << "status " << r.status;
  EXPECT_EQ(r.HeaderOr("X-Frame-Options"), "DENY") << "status " << r.status;
}

TEST(HttpServer, StreamedFiveMegabytePutHashMatches) {
  TestServer server;
  std::string body = RandomBytes(5 * 1024 * 1024 + 17);
  CurlClient curl;
  CurlResponse r = curl.Perform({.method = "PUT", .url = Url(server, "/upload"), .upload = &body});
  ASSERT_EQ(r.curl_code, 0) << r.error;
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = Json(r.body);
  EXPECT_EQ(j.at("size").to_number<std::uint64_t>(), body.size());
  EXPECT_EQ(j.at("sha256").as_string(), Sha256Hex(body));
  // Streamed: many reads of at most 64 KiB, never the whole body at once.
  EXPECT_GE(j.at("chunks").to_number<std::uint64_t>(), body.size() / (64 * 1024));
  // curl sent Expect: 100-continue and got the 100 at once (no 1 s curl wait).
  EXPECT_LT(r.seconds, 0.9);
}

TEST(HttpServer, ChunkedRequestBodyIsDecoded) {
  TestServer server;
  std::string body = RandomBytes(300 * 1024);
  CurlClient curl;
  CurlResponse r = curl.Perform(
      {.method = "PUT", .url = Url(server, "/upload"), .upload = &body, .chunked_upload = true});
  ASSERT_EQ(r.curl_code, 0) << r.error;
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = Json(r.body);
  EXPECT_EQ(j.at("size").to_number<std::uint64_t>(), body.size());
  EXPECT_EQ(j.at("sha256").as_string(), Sha256Hex(body));

  // The same by hand, with tiny chunks and a chunk extension.
  auto c = HttpClient::Connect(server.port());
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE(c->SendRaw("PUT /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n"));
  auto resp = c->ReadResponse();
  ASSERT_TRUE(resp) << resp.error().message;
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(Json(resp->body).at("sha256").as_string(), Sha256Hex("abcde"));
}

TEST(HttpServer, KeepAliveReusesTheConnection) {
  TestServer server;
  CurlClient curl;
  CurlResponse a = curl.Perform({.url = Url(server, "/api/v1/hello")});
  CurlResponse b = curl.Perform({.url = Url(server, "/api/v1/hello")});
  ASSERT_EQ(a.status, 200);
  ASSERT_EQ(b.status, 200);
  EXPECT_EQ(a.new_connects, 1);
  EXPECT_EQ(b.new_connects, 0);

  auto c = HttpClient::Connect(server.port());
  ASSERT_TRUE(c);
  for (int i = 0; i < 3; ++i) {
    auto r = c->Get("/api/v1/hello");
    ASSERT_TRUE(r) << i << ": " << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, R"({"hello":"world"})");
  }
  EXPECT_FALSE(c->peer_closed());
}

TEST(HttpServer, PipelinedLargeBodiesEndWhereTheirLengthSays) {
  // Two 3 MiB PUTs and a GET written at once: each body is read up to its Content-Length and
  // not a byte further (the server reads large bodies straight from the socket), so the next
  // request is parsed intact and every hash matches.
  TestServer server;
  std::string one = RandomBytes(3 * 1024 * 1024 + 5);
  std::string two = one.substr(7) + "tail";
  std::string wire;
  for (const std::string* body : {&one, &two}) {
    wire += fmt::format("PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n", body->size());
    wire += *body;
  }
  wire += "GET /api/v1/hello HTTP/1.1\r\nHost: x\r\n\r\n";
  auto c = HttpClient::Connect(server.port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->SendRaw(wire));
  for (const std::string* body : {&one, &two}) {
    auto r = c->ReadResponse();
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->status, 200) << r->body;
    auto j = Json(r->body);
    EXPECT_EQ(j.at("size").to_number<std::uint64_t>(), body->size());
    EXPECT_EQ(j.at("sha256").as_string(), Sha256Hex(*body));
  }
  auto hello = c->ReadResponse();
  ASSERT_TRUE(hello) << hello.error().message;
  EXPECT_EQ(hello->status, 200);
  EXPECT_EQ(hello->body, R"({"hello":"world"})");
  EXPECT_FALSE(c->peer_closed());
}

TEST(HttpServer, ExpectContinueGetsAnEarly413WithoutTheBody) {
  TestServer server;
  std::string body = RandomBytes(5 * 1024 * 1024);
  CurlClient curl;
  CurlResponse r = curl.Perform({.method = "PUT",
                                 .url = Url(server, "/reject"),
                                 .headers = {"Expect: 100-continue"},
                                 .upload = &body});
  ASSERT_EQ(r.curl_code, 0) << r.error;
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(Json(r.body).at("error").at("code").as_string(), "too_large");
  EXPECT_EQ(r.uploaded, 0) << "curl must not have sent the body";
  EXPECT_LT(r.seconds, 0.9);

  // By hand: no "100 Continue" line before the final answer, and the connection closes.
  auto c = HttpClient::Connect(server.port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->SendRaw("PUT /reject HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n"
                         "Expect: 100-continue\r\n\r\n"));
  auto resp = c->ReadResponse();
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->status, 413);
  EXPECT_TRUE(c->WaitForPeerClose(std::chrono::milliseconds(3000)));
}

TEST(HttpServer, UnreadSmallBodyIsDiscardedAndTheConnectionKept) {
  TestServer server;
  auto c = HttpClient::Connect(server.port());
  ASSERT_TRUE(c);
  auto r = c->Request("PUT", "/reject", {}, std::string(1000, 'x'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  auto again = c->Get("/api/v1/hello");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->status, 200);
}

TEST(HttpServer, ReadAllEnforcesItsLimit) {
  TestServer server;
  auto ok = HttpClient::Connect(server.port());
  ASSERT_TRUE(ok);
  auto small = ok->Request("POST", "/json", {{"Content-Type", "application/json"}}, "{\"a\":1}");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->status, 200);
  EXPECT_EQ(Json(small->body).at("length").as_int64(), 7);
  auto big = ok->Request("POST", "/json", {}, std::string(5000, 'x'));
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
}

TEST(HttpServer, HeadHasTheHeadersOfGetAndNoBody) {
  TestServer server;
  auto c = HttpClient::Connect(server.port());
  ASSERT_TRUE(c);
  auto get = c->Get("/api/v1/hello");
  ASSERT_TRUE(get);
  ASSERT_TRUE(c->SendRaw("HEAD /api/v1/hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto head = c->ReadResponse(HttpClient::kDefaultTimeout, /*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
  EXPECT_EQ(head->HeaderOr("Content-Length"), std::to_string(get->body.size()));
  EXPECT_EQ(head->HeaderOr("Content-Type"), "application/json; charset=utf-8");
  // Nothing stray followed the HEAD answer: the next request parses.
  auto next = c->Get("/api/v1/hello");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, get->body);
}

TEST(HttpServer, WrongMethodIs405WithAllowAndOptionsAnswers) {
  TestServer server;
  auto c = HttpClient::Connect(server.port());
  ASSERT_TRUE(c);
  auto r = c->Request("DELETE", "/api/v1/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->HeaderOr("Allow"), "GET, HEAD, OPTIONS");
  EXPECT_EQ(Json(r->body).at("error").at("code").as_string(), "method_not_allowed");
  ExpectSecurityHeaders(*r);
  auto o = c->Request("OPTIONS", "/upload");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->status, 204);
  EXPECT_EQ(o->HeaderOr("Allow"), "PUT, OPTIONS");
}

TEST(HttpServer, UnknownApiPathIs404Json) {
  TestServer server;
  for (const char* path : {"/api/v1/nope", "/api", "/api/"}) {
    auto r = nimbus::test::HttpGet(server.port(), path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
    EXPECT_EQ(r->HeaderOr("Content-Type"), "application/json; charset=utf-8");
    EXPECT_EQ(Json(r->body).at("error").at("code").as_string(), "not_found");
    ExpectSecurityHeaders(*r);
  }
}

TEST(HttpServer, PathParamsQueryAndRequestId) {
  TestServer server;
  auto r = nimbus::test::HttpGet(server.port(), "/echo/a%20b/x/y%2Fz?q=hello+world",
                                 {{"X-Request-Id", "test-id-1"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  auto j = Json(r->body);
  EXPECT_EQ(j.at("id").as_string(), "a b");
  EXPECT_EQ(j.at("rest").as_string(), "x/y/z");
  EXPECT_EQ(j.at("q").as_string(), "hello world");
  EXPECT_EQ(j.at("route").as_string(), "/echo/{id}/{*rest}");
  EXPECT_EQ(j.at("request_id").as_string(), "test-id-1");
  EXPECT_EQ(r->HeaderOr("X-Request-Id"), "test-id-1");
  // A generated id when none (or an unsafe one) is sent.
  auto g = nimbus::test::HttpGet(server.port(), "/api/v1/hello", {{"X-Request-Id", "bad id with spaces"}});
  ASSERT_TRUE(g);
  EXPECT_EQ(g->HeaderOr("X-Request-Id").size(), 16u);
}

TEST(HttpServer, HandlerExceptionIs500JsonWithRequestIdAndNoDetail) {
  TestServer server;
  auto r = nimbus::test::HttpGet(server.port(), "/throw", {{"X-Request-Id", "boom-1"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  auto j = Json(r->body);
  EXPECT_EQ(j.at("error").at("code").as_string(), "internal");
  std::string msg(j.at("error").at("message").as_string());
  EXPECT_NE(msg.find("boom-1"), std::string::npos);
  EXPECT_EQ(msg.find("secret"), std::string::npos);
  ExpectSecurityHeaders(*r);
  // The server is fine afterwards.
  auto ok = nimbus::test::HttpGet(server.port(), "/api/v1/hello");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST(HttpServer, GeneratorResponsesStreamChunkedOrWithLength) {
  TestServer server;
  std::string expected;
  for (std::size_t i = 0; i < 200000; ++i) expected += static_cast<char>('a' + i % 26);
  auto c = HttpClient::Connect(server.port());
  ASSERT_TRUE(c);
  auto chunked = c->Get("/gen?n=200000");
  ASSERT_TRUE(chunked);
  EXPECT_TRUE(chunked->chunked);
  EXPECT_FALSE(chunked->HasHeader("Content-Length"));
  EXPECT_EQ(chunked->body, expected);
  auto known = c->Get("/gen?n=200000&known=1");
  ASSERT_TRUE(known);
  EXPECT_FALSE(known->chunked);
  EXPECT_EQ(known->HeaderOr("Content-Length"), "200000");
  EXPECT_EQ(known->body, expected);
  auto empty = c->Get("/gen?n=0");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->body, "");
}

TEST(HttpServer, FileResponsesUseTheRangeAndHeadGivesTheLength) {
  TestServer server;
  TempDir dir;
  std::string data = RandomBytes(3 * 1024 * 1024 + 5);
  auto path = (dir.path() / "blob").string();
  std::ofstream(path, std::ios::binary) << data;
  auto c = HttpClient::Connect(server.port());
  ASSERT_TRUE(c);
  auto whole = c->Get("/file?path=" + path);
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->status, 200);
  EXPECT_EQ(whole->HeaderOr("Content-Length"), std::to_string(data.size()));
  EXPECT_EQ(Sha256Hex(whole->body), Sha256Hex(data));
  auto part = c->Get(fmt::format("/file?path={}&offset=1000&length=70000", path));
  ASSERT_TRUE(part);
  EXPECT_EQ(part->body, data.substr(1000, 70000));
  ASSERT_TRUE(c->SendRaw("HEAD /file?path=" + path + " HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto head = c->ReadResponse(HttpClient::kDefaultTimeout, true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->HeaderOr("Content-Length"), std::to_string(data.size()));
  auto missing = c->Get("/file?path=" + path + ".nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST(HttpServer, StaticAssetsHaveEtagsCacheHeadersAnd304) {
  TestServer server;
  auto c = HttpClient::Connect(server.port());
  ASSERT_TRUE(c);
  auto js = c->Get("/assets/abc123/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->body, "export {};");
  EXPECT_EQ(js->HeaderOr("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(js->HeaderOr("ETag"), "\"js1\"");
  EXPECT_EQ(js->HeaderOr("Cache-Control"), "public, max-age=31536000, immutable");
  ExpectSecurityHeaders(*js);
  auto css = c->Get("/app.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->HeaderOr("Cache-Control"), "no-cache");
  auto not_modified = c->Get("/app.css", {{"If-None-Match", "\"other\", \"css1\""}});
  ASSERT_TRUE(not_modified);
  EXPECT_EQ(not_modified->status, 304);
  EXPECT_EQ(not_modified->body, "");
  EXPECT_EQ(not_modified->HeaderOr("ETag"), "\"css1\"");
  ExpectSecurityHeaders(*not_modified);
  auto changed = c->Get("/app.css", {{"If-None-Match", "\"old\""}});
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->status, 200);
}

TEST(HttpServer, SpaFallbackServesIndexButNotForApiOrAssets) {
  TestServer server;
  auto c = HttpClient::Connect(server.port());
  ASSERT_TRUE(c);
  for (const char* path : {"/", "/files/some/deep/link", "/trash?x=1"}) {
    auto r = c->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->HeaderOr("Content-Type"), "text/html; charset=utf-8") << path;
    EXPECT_EQ(r->body, "<!doctype html><title>Nimbus</title>") << path;
    EXPECT_EQ(r->HeaderOr("Cache-Control"), "no-cache") << path;
    ExpectSecurityHeaders(*r);
  }
  auto stale = c->Get("/assets/old999/app.js");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 404);
  EXPECT_EQ(stale->body.find("<!doctype"), std::string::npos);
  auto api = c->Get("/api/v2/whatever");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 404);
  auto post = c->Request("POST", "/files/x", {}, "a");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 404);
}

TEST(HttpServer, SystemRoutesAndMetrics) {
  TestServer server;
  auto c = HttpClient::Connect(server.port());
  ASSERT_TRUE(c);
  auto health = c->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, R"({"status":"ok"})");
  auto ready = c->Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  server.set_ready(false);
  auto not_ready = c->Get("/readyz");
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->status, 503);
  EXPECT_EQ(Json(not_ready->body).at("error").at("message").as_string(), "database: not answering");
  ASSERT_TRUE(c->Get("/echo/1/2"));
  ASSERT_TRUE(c->Get("/echo/3/4"));
  ASSERT_TRUE(c->Get("/api/v1/nope"));
  auto m = c->Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_EQ(m->HeaderOr("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = m->body;
  EXPECT_NE(text.find(R"(nimbus_http_requests_total{route="/echo/{id}/{*rest}",method="GET",status="200"} 2)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(nimbus_http_requests_total{route="/readyz",method="GET",status="503"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(nimbus_http_requests_total{route="none",method="GET",status="404"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE nimbus_http_request_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(text.find(R"(nimbus_http_request_duration_seconds_count{route="/healthz"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find("nimbus_http_bytes_sent_total "), std::string::npos);
  EXPECT_NE(text.find("nimbus_http_bytes_received_total "), std::string::npos);
  EXPECT_NE(text.find("nimbus_http_open_connections 1"), std::string::npos);
  EXPECT_EQ(text.find("/echo/1/2"), std::string::npos) << "raw paths must not be labels";
}

}  // namespace
}  // namespace nimbus::http::test
