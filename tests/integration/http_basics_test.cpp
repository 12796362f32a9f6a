// The HTTP surface of a freshly started server: health and readiness, metrics, JSON errors,
// 405 with Allow, the SPA fallback, hashed assets with ETag, and headers on every response.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <set>
#include <string>
#include <thread>

#include "integration/nimbus_fixture.h"
#include "support/prometheus_text.h"

namespace nimbus::test {
namespace {

namespace json = boost::json;

class HttpBasicsTest : public NimbusTest {
 protected:
  void SetUp() override {
    NimbusTest::SetUp();
    auto port = StartServer();
    ASSERT_TRUE(port) << port.error().message;
  }

  HttpResponse MustGet(const std::string& target, const Headers& headers = {}) {
    auto resp = HttpGet(port(), target, headers);
    EXPECT_TRUE(resp) << target << ": " << resp.error().message;
    return resp ? *resp : HttpResponse{};
  }
};

// Pulls the first "/assets/..." URL out of an HTML document ("" when there is none).
std::string FirstAssetUrl(const std::string& html) {
  std::size_t at = html.find("\"/assets/");
  if (at == std::string::npos) return "";
  std::size_t end = html.find('"', at + 1);
  return html.substr(at + 1, end - at - 1);
}

TEST_F(HttpBasicsTest, HealthzAnswers200) {
  HttpResponse resp = MustGet("/healthz");
  EXPECT_EQ(resp.status, 200);
  ExpectCommonHeaders(resp, "/healthz");
}

TEST_F(HttpBasicsTest, ReadyzAnswers200WhenTheDatabaseAnswers) {
  HttpResponse resp = MustGet("/readyz");
  EXPECT_EQ(resp.status, 200) << resp.body;
  ExpectCommonHeaders(resp, "/readyz");
}

TEST_F(HttpBasicsTest, UnknownApiPathIs404WithJsonError) {
  HttpResponse resp = MustGet("/api/v1/whatever");
  EXPECT_EQ(resp.status, 404);
  EXPECT_TRUE(resp.HeaderOr("Content-Type").starts_with("application/json"))
      << resp.HeaderOr("Content-Type");
  boost::system::error_code ec;
  json::value body = json::parse(resp.body, ec);
  ASSERT_FALSE(ec) << "not JSON: " << resp.body;
  const json::value* code = body.find_pointer("/error/code", ec);
  const json::value* message = body.find_pointer("/error/message", ec);
  ASSERT_TRUE(code != nullptr && code->is_string()) << resp.body;
  EXPECT_EQ(code->as_string(), "not_found");
  ASSERT_TRUE(message != nullptr && message->is_string()) << resp.body;
  EXPECT_FALSE(message->as_string().empty());
  ExpectCommonHeaders(resp, "404");
}

TEST_F(HttpBasicsTest, WrongMethodOnAKnownPathIs405WithAllow) {
  auto client = HttpClient::Connect(port());
  ASSERT_TRUE(client) << client.error().message;
  auto resp = client->Request("POST", "/healthz", {}, "");
  ASSERT_TRUE(resp) << resp.error().message;
  EXPECT_EQ(resp->status, 405);
  std::string allow = resp->HeaderOr("Allow");
  EXPECT_NE(allow.find("GET"), std::string::npos) << "Allow: '" << allow << "'";
  ExpectCommonHeaders(*resp, "405");
  // The connection is still usable after an error response.
  auto again = client->Get("/healthz");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->status, 200);
}

TEST_F(HttpBasicsTest, RootAndDeepLinksServeTheSpaIndex) {
  HttpResponse root = MustGet("/");
  EXPECT_EQ(root.status, 200);
  EXPECT_TRUE(root.HeaderOr("Content-Type").starts_with("text/html"))
      << root.HeaderOr("Content-Type");
  EXPECT_TRUE(ContainsIgnoreCase(root.body, "<html")) << root.body.substr(0, 200);
  ExpectCommonHeaders(root, "/");

  HttpResponse deep = MustGet("/files/a/b");
  EXPECT_EQ(deep.status, 200);
  EXPECT_TRUE(deep.HeaderOr("Content-Type").starts_with("text/html"));
  EXPECT_EQ(deep.body, root.body);
  ExpectCommonHeaders(deep, "/files/a/b");
}

TEST_F(HttpBasicsTest, HashedAssetsHaveAnEtagAnImmutableCacheAndAnswer304) {
  HttpResponse index = MustGet("/");
  std::string url = FirstAssetUrl(index.body);
  ASSERT_FALSE(url.empty()) << "index.html links no /assets/ URL:\n" << index.body;
  HttpResponse asset = MustGet(url);
  ASSERT_EQ(asset.status, 200) << url;
  EXPECT_FALSE(asset.body.empty());
  std::string etag = asset.HeaderOr("ETag");
  ASSERT_FALSE(etag.empty()) << url << " has no ETag";
  EXPECT_NE(asset.HeaderOr("Cache-Control").find("immutable"), std::string::npos)
      << asset.HeaderOr("Cache-Control");
  EXPECT_FALSE(asset.HeaderOr("Content-Type").empty());
  ExpectCommonHeaders(asset, url);

  HttpResponse cached = MustGet(url, {{"If-None-Match", etag}});
  EXPECT_EQ(cached.status, 304);
  EXPECT_TRUE(cached.body.empty());
  EXPECT_EQ(cached.HeaderOr("ETag"), etag);
  ExpectCommonHeaders(cached, "304");

  HttpResponse stale = MustGet(url, {{"If-None-Match", "\"not-the-etag\""}});
  EXPECT_EQ(stale.status, 200);
  EXPECT_EQ(stale.body, asset.body);
}

TEST_F(HttpBasicsTest, UnknownAssetIs404NotTheSpaIndex) {
  HttpResponse resp = MustGet("/assets/0000000000/no-such-file.js");
  EXPECT_EQ(resp.status, 404);
}

TEST_F(HttpBasicsTest, EveryResponseHasItsOwnRequestId) {
  HttpResponse a = MustGet("/healthz");
  HttpResponse b = MustGet("/healthz");
  ASSERT_FALSE(a.HeaderOr("X-Request-Id").empty());
  EXPECT_NE(a.HeaderOr("X-Request-Id"), b.HeaderOr("X-Request-Id"));
}

TEST_F(HttpBasicsTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto client = HttpClient::Connect(port());
  ASSERT_TRUE(client) << client.error().message;
  for (int i = 0; i < 3; ++i) {
    auto resp = client->Get(i == 1 ? "/readyz" : "/healthz");
    ASSERT_TRUE(resp) << "request " << i << ": " << resp.error().message;
    EXPECT_EQ(resp->status, 200);
  }
  EXPECT_FALSE(client->peer_closed());
}

TEST_F(HttpBasicsTest, PipelinedRequestsAreAnsweredInOrder) {
  auto client = HttpClient::Connect(port());
  ASSERT_TRUE(client) << client.error().message;
  ASSERT_TRUE(
      client->SendRaw("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
                      "GET /api/v1/nope HTTP/1.1\r\nHost: a\r\n\r\n"
                      "GET /readyz HTTP/1.1\r\nHost: a\r\n\r\n"));
  for (int want : {200, 404, 200}) {
    auto resp = client->ReadResponse();
    ASSERT_TRUE(resp) << resp.error().message;
    EXPECT_EQ(resp->status, want);
  }
}

TEST_F(HttpBasicsTest, ExpectContinueGetsTheFinalAnswerWithoutSendingTheBody) {
  auto client = HttpClient::Connect(port());
  ASSERT_TRUE(client) << client.error().message;
  ASSERT_TRUE(
      client->SendRaw("PUT /api/v1/nope HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
                      "Content-Length: 1000000000\r\n\r\n"));
  auto resp = client->ReadResponse(std::chrono::milliseconds(3000));
  ASSERT_TRUE(resp) << resp.error().message;
  EXPECT_EQ(resp->status, 404) << "expected the final answer, not " << resp->status;
  ExpectCommonHeaders(*resp, "404 after Expect");
}

TEST_F(HttpBasicsTest, TheAccessLogNamesMethodRouteStatusAndRequestId) {
  HttpResponse resp = MustGet("/healthz");
  std::string id = resp.HeaderOr("X-Request-Id");
  ASSERT_FALSE(id.empty());
  // The line is written once the response is; give it a moment (bounded).
  std::string line;
  for (int i = 0; i < 40 && line.empty(); ++i) {
    std::string err = server().Stderr();
    std::size_t at = err.find(id);
    if (at != std::string::npos) {
      std::size_t begin = err.rfind('\n', at);
      begin = begin == std::string::npos ? 0 : begin + 1;
      line = err.substr(begin, err.find('\n', at) - begin);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  ASSERT_FALSE(line.empty()) << "no log line with request id " << id << ":\n" << server().Stderr();
  EXPECT_NE(line.find("GET"), std::string::npos) << line;
  EXPECT_NE(line.find("/healthz"), std::string::npos) << line;
  EXPECT_NE(line.find("200"), std::string::npos) << line;
}

// Every sample of `family` whose labels have some value equal to `value`.
double SumWhereSomeLabelIs(const PromText& text, const std::string& name,
                           const std::string& value) {
  double sum = 0;
  for (const auto& s : text.Named(name)) {
    for (const auto& [k, v] : s.labels) {
      if (v == value) {
        sum += s.value;
        break;
      }
    }
  }
  return sum;
}

TEST_F(HttpBasicsTest, MetricsExposeRequestsLatencyBytesConnectionsAndBuildInfo) {
  constexpr int kHealthz = 3;
  for (int i = 0; i < kHealthz; ++i) ASSERT_EQ(MustGet("/healthz").status, 200);
  ASSERT_EQ(MustGet("/files/x/y/z").status, 200);
  {  // A request with a body, so bytes in are more than zero.
    auto c = HttpClient::Connect(port());
    ASSERT_TRUE(c) << c.error().message;
    auto posted = c->Request("POST", "/api/v1/whatever", {}, "twelve bytes");
    ASSERT_TRUE(posted) << posted.error().message;
  }

  auto client = HttpClient::Connect(port());  // Stays open: at least one open connection.
  ASSERT_TRUE(client) << client.error().message;
  // A request is counted once its response is written, which may be just after the client
  // has read it: scrape until the requests above show up (bounded).
  Result<HttpResponse> resp;
  Result<PromText> text;
  for (int i = 0; i < 40; ++i) {
    resp = client->Get("/metrics");
    ASSERT_TRUE(resp) << resp.error().message;
    ASSERT_EQ(resp->status, 200);
    text = ParsePrometheusText(resp->body);
    ASSERT_TRUE(text) << text.error().message << "\n" << resp->body;
    if (SumWhereSomeLabelIs(*text, "nimbus_http_requests_total", "/healthz") >= kHealthz &&
        SumWhereSomeLabelIs(*text, "nimbus_http_requests_total", "404") >= 1) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_TRUE(resp->HeaderOr("Content-Type").starts_with("text/plain"))
      << resp->HeaderOr("Content-Type");
  ExpectCommonHeaders(*resp, "/metrics");

  // Requests by route template and status.
  EXPECT_GE(SumWhereSomeLabelIs(*text, "nimbus_http_requests_total", "/healthz"), kHealthz)
      << resp->body;
  EXPECT_GE(SumWhereSomeLabelIs(*text, "nimbus_http_requests_total", "200"), kHealthz + 1);
  for (const auto& s : text->samples) {
    for (const auto& [k, v] : s.labels) {
      EXPECT_EQ(v.find("/files/x/y"), std::string::npos)
          << s.name << " has a raw path as label " << k << ": cardinality is unbounded";
    }
  }

  // A latency histogram: some nimbus_http_* family with _bucket{le}, _sum and _count.
  std::string hist;
  for (const auto& [name, type] : text->types) {
    if (type == "histogram" && name.starts_with("nimbus_http")) hist = name;
  }
  ASSERT_FALSE(hist.empty()) << "no nimbus_http_* histogram declared:\n" << resp->body;
  auto buckets = text->Named(hist + "_bucket");
  ASSERT_FALSE(buckets.empty()) << hist;
  std::set<std::string> les;
  for (const auto& b : buckets) les.insert(b.labels.count("le") ? b.labels.at("le") : "");
  EXPECT_TRUE(les.count("+Inf")) << hist << "_bucket has no le=\"+Inf\"";
  EXPECT_FALSE(les.count("")) << hist << "_bucket sample without le";
  EXPECT_FALSE(text->Named(hist + "_sum").empty());
  EXPECT_GE(SumWhereSomeLabelIs(*text, hist + "_count", "/healthz"), kHealthz);

  // Bytes in and out, open connections, build info.
  double bytes_in = 0, bytes_out = 0, open_connections = -1;
  for (const auto& s : text->samples) {
    if (!s.name.starts_with("nimbus_http")) continue;
    std::string where = s.name;
    for (const auto& [k, v] : s.labels) where += " " + v;
    if (s.name.find("bytes") != std::string::npos) {
      bool in =
          where.find("_in") != std::string::npos || where.find("received") != std::string::npos ||
          where.find("request") != std::string::npos || where.find(" in") != std::string::npos;
      (in ? bytes_in : bytes_out) += s.value;
    }
    if (s.name.find("connections") != std::string::npos && text->types.count(s.name) &&
        text->types.at(s.name) == "gauge") {
      open_connections = s.value;
    }
  }
  EXPECT_GT(bytes_in, 0) << "no nimbus_http_*bytes* (in) metric counted anything";
  EXPECT_GT(bytes_out, 0) << "no nimbus_http_*bytes* (out) metric counted anything";
  EXPECT_GE(open_connections, 1) << "no nimbus_http_*connections* gauge >= 1";
  auto build = text->Named("nimbus_build_info");
  ASSERT_EQ(build.size(), 1u) << resp->body;
  EXPECT_EQ(build[0].value, 1);
  EXPECT_EQ(build[0].labels["version"], NIMBUS_PROJECT_VERSION);
}

}  // namespace
}  // namespace nimbus::test
