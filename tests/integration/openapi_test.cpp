// GET /api/v1/openapi.json on the real server, and the document against the real router: every
// route `nimbus serve` registers (listed by its debug log, "route METHOD /template") is in the
// document's paths with its method, and every documented operation answers as a route (not 404
// or 405), so adding a route without describing it (or the reverse) fails here.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cctype>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "integration/nimbus_fixture.h"

namespace nimbus::test {
namespace {

namespace json = boost::json;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

class OpenApiTest : public NimbusTest {
 protected:
  void SetUp() override {
    NimbusTest::SetUp();
    // JSON log lines at debug level: AddOpenApiRoute logs every registered route.
    auto port =
        StartServer({{"NIMBUS_SERVER_LOG_LEVEL", "debug"}, {"NIMBUS_SERVER_LOG_FORMAT", "json"}});
    ASSERT_TRUE(port) << port.error().message;
  }

  HttpResponse Send(const std::string& method, const std::string& target, Headers headers = {}) {
    auto client = HttpClient::Connect(port());
    EXPECT_TRUE(client) << client.error().message;
    if (!client) return {};
    auto resp = client->Request(method, target, headers);
    EXPECT_TRUE(resp) << method << " " << target << ": " << resp.error().message;
    return resp ? *resp : HttpResponse{};
  }

  // The routes the server registered, as "METHOD /template", from its log.
  std::set<std::string> LoggedRoutes() {
    std::set<std::string> routes;
    std::istringstream lines(server().Stderr());
    for (std::string line; std::getline(lines, line);) {
      boost::system::error_code ec;
      json::value v = json::parse(line, ec);
      if (ec || !v.is_object()) continue;
      const json::value* msg = v.as_object().if_contains("msg");
      if (msg == nullptr || !msg->is_string()) continue;
      std::string_view text = msg->as_string();
      if (text.starts_with("route ") && !text.contains(" is not in ")) {
        routes.emplace(text.substr(6));
      }
    }
    return routes;
  }

  json::object Document() {
    HttpResponse resp = Send("GET", "/api/v1/openapi.json");
    boost::system::error_code ec;
    json::value v = json::parse(resp.body, ec);
    EXPECT_FALSE(ec) << "not JSON: " << ec.message();
    return v.is_object() ? v.as_object() : json::object();
  }
};

TEST_F(OpenApiTest, ServedPubliclyAsJsonWithAnETagAndIsTheProjectFile) {
  HttpResponse resp = Send("GET", "/api/v1/openapi.json");  // No session.
  ASSERT_EQ(resp.status, 200) << resp.body.substr(0, 300);
  EXPECT_TRUE(resp.HeaderOr("Content-Type").starts_with("application/json"))
      << resp.HeaderOr("Content-Type");
  EXPECT_EQ(resp.HeaderOr("Cache-Control"), "no-cache");
  const std::string etag = resp.HeaderOr("ETag");
  ASSERT_FALSE(etag.empty());
  ExpectCommonHeaders(resp, "/api/v1/openapi.json");
  boost::system::error_code ec;
  json::value doc = json::parse(resp.body, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(doc.at("openapi"), "3.0.3");

  std::ifstream in(NIMBUS_SOURCE_DIR "/docs/openapi.json", std::ios::binary);
  std::stringstream file;
  file << in.rdbuf();
  EXPECT_TRUE(file.str() == resp.body) << "the server does not serve docs/openapi.json as it is";

  HttpResponse again = Send("GET", "/api/v1/openapi.json", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(again.HeaderOr("ETag"), etag);
  HttpResponse stale = Send("GET", "/api/v1/openapi.json", {{"If-None-Match", "\"0\""}});
  EXPECT_EQ(stale.status, 200);
}

TEST_F(OpenApiTest, EveryRegisteredRouteIsDocumented) {
  std::set<std::string> routes = LoggedRoutes();
  // The log really lists the router (a broken listing must not pass as "nothing missing").
  EXPECT_GE(routes.size(), 45u);
  for (const char* known :
       {"GET /healthz", "GET /api/v1/me", "PUT /api/v1/nodes/{id}/content",
        "PATCH /api/v1/uploads/{id}", "GET /api/v1/admin/jobs", "GET /api/v1/openapi.json"}) {
    EXPECT_TRUE(routes.contains(known)) << known << " is not in the route log";
  }
  json::object doc = Document();
  const json::object& paths = doc.at("paths").as_object();
  std::vector<std::string> missing;
  for (const std::string& route : routes) {
    auto space = route.find(' ');
    const std::string method = Lower(route.substr(0, space));
    const std::string pattern = route.substr(space + 1);
    if (pattern == "/dav" || pattern.starts_with("/dav/") || pattern.starts_with("/{*")) continue;
    const json::value* item = paths.if_contains(pattern);
    if (item == nullptr || !item->as_object().contains(method)) missing.push_back(route);
  }
  EXPECT_TRUE(missing.empty()) << "routes missing from docs/openapi.json: "
                               << ::testing::PrintToString(missing);
  EXPECT_FALSE(server().Stderr().contains("is not in docs/openapi.json"));
}

TEST_F(OpenApiTest, EveryDocumentedOperationIsARoute) {
  std::set<std::string> routes = LoggedRoutes();
  json::object doc = Document();
  const std::regex param(R"(\{[A-Za-z_]+\})");
  int checked = 0;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    const std::string pattern(path);
    // A concrete URL for the template: every parameter "x" (unknown ids are fine: no 404 from
    // the router is what counts, and without a session the API answers 401 before looking).
    const std::string target = std::regex_replace(pattern, param, "x");
    for (const auto& entry : item.as_object()) {
      const std::string method = Upper(std::string(entry.key()));
      const std::string op = method + " " + pattern;
      // HEAD is served by the GET route when there is no HEAD route of its own.
      const bool registered =
          routes.contains(op) || (method == "HEAD" && routes.contains("GET " + pattern));
      EXPECT_TRUE(registered) << op << " is documented but not registered";
      HttpResponse resp = Send(method, target);
      EXPECT_NE(resp.status, 405) << op << ": " << resp.body;
      if (resp.status == 404) {
        // Only an answer of a handler may be 404 (e.g. an unknown tus upload), never the router's.
        EXPECT_FALSE(resp.body.contains("There is nothing at this address."))
            << op << ": " << resp.body;
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 45);
}

}  // namespace
}  // namespace nimbus::test
