// The embedded OpenAPI document (docs/openapi.json): valid JSON, OpenAPI 3.0.3, every $ref
// resolves, every {param} of a path is declared, operation ids are unique, it is the file in the
// source tree; and UndocumentedRoutes/AddOpenApiRoute on a Router.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "api/openapi_route.h"
#include "http/errors.h"

namespace nimbus::api {
namespace {

namespace json = boost::json;

json::object Document() {
  boost::system::error_code ec;
  json::value v = json::parse(OpenApiDocument().body, ec);
  EXPECT_FALSE(ec) << "docs/openapi.json is not JSON: " << ec.message();
  return v.is_object() ? v.as_object() : json::object();
}

// The value a local "#/a/b/c" reference points to, or nullptr.
const json::value* Resolve(const json::object& doc, std::string_view ref) {
  if (!ref.starts_with("#/")) return nullptr;
  const json::value* at = nullptr;
  const json::object* cur = &doc;
  std::string_view rest = ref.substr(2);
  while (true) {
    auto slash = rest.find('/');
    std::string_view key = rest.substr(0, slash);
    at = cur->if_contains(key);
    if (at == nullptr) return nullptr;
    if (slash == std::string_view::npos) return at;
    if (!at->is_object()) return nullptr;
    cur = &at->as_object();
    rest = rest.substr(slash + 1);
  }
}

void CollectRefs(const json::value& v, std::vector<std::string>& out) {
  if (v.is_object()) {
    for (const auto& [key, child] : v.as_object()) {
      if (key == "$ref" && child.is_string()) out.emplace_back(child.as_string());
      CollectRefs(child, out);
    }
  } else if (v.is_array()) {
    for (const auto& child : v.as_array()) CollectRefs(child, out);
  }
}

const std::set<std::string> kMethods = {"get", "head", "post", "put", "patch", "delete", "options"};

TEST(OpenApiDocumentTest, IsOpenApi303WithInfoAndPaths) {
  const http::StaticAsset& asset = OpenApiDocument();
  EXPECT_EQ(asset.path, "/api/v1/openapi.json");
  EXPECT_EQ(asset.content_type, "application/json");
  EXPECT_TRUE(asset.etag.size() == 18 && asset.etag.front() == '"' && asset.etag.back() == '"')
      << asset.etag;
  EXPECT_FALSE(asset.immutable);
  json::object doc = Document();
  EXPECT_EQ(doc["openapi"], "3.0.3");
  ASSERT_TRUE(doc["info"].is_object());
  EXPECT_TRUE(doc["info"].as_object().contains("title"));
  EXPECT_TRUE(doc["info"].as_object().contains("version"));
  ASSERT_TRUE(doc["paths"].is_object());
  EXPECT_GE(doc["paths"].as_object().size(), 30u);
}

// A client generated from the document must read every error the server sends (QA pass 17:
// precondition_failed, the 412 of a safe update, was not in the enum).
TEST(OpenApiDocumentTest, TheErrorCodeEnumHoldsEveryCodeTheServerSends) {
  json::object doc = Document();
  const json::value* codes =
      Resolve(doc, "#/components/schemas/Error/properties/error/properties/code/enum");
  ASSERT_NE(codes, nullptr);
  ASSERT_TRUE(codes->is_array());
  std::set<std::string> listed;
  for (const auto& c : codes->as_array()) listed.emplace(c.as_string());
  for (const http::ErrorMapping& m : http::ErrorTable()) {
    EXPECT_TRUE(listed.contains(std::string(m.code))) << m.code << " is sent but not listed";
  }
}

TEST(OpenApiDocumentTest, IsTheFileInTheSourceTree) {
  std::ifstream in(NIMBUS_SOURCE_DIR "/docs/openapi.json", std::ios::binary);
  ASSERT_TRUE(in) << "cannot read docs/openapi.json";
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_TRUE(text.str() == OpenApiDocument().body)
      << "the embedded document differs from docs/openapi.json: rebuild";
}

TEST(OpenApiDocumentTest, EveryReferenceResolves) {
  json::object doc = Document();
  std::vector<std::string> refs;
  CollectRefs(doc, refs);
  EXPECT_GT(refs.size(), 50u);
  for (const std::string& ref : refs) {
    EXPECT_NE(Resolve(doc, ref), nullptr) << "unresolved $ref " << ref;
  }
}

TEST(OpenApiDocumentTest, OperationsDeclareTheirPathParametersResponsesAndUniqueIds) {
  json::object doc = Document();
  std::set<std::string> ids;
  const std::regex param_re(R"(\{([A-Za-z_]+)\})");
  for (const auto& [path, item] : doc["paths"].as_object()) {
    ASSERT_TRUE(item.is_object()) << path;
    std::set<std::string> in_template;
    std::string p(path);
    for (std::sregex_iterator it(p.begin(), p.end(), param_re), end; it != end; ++it) {
      in_template.insert((*it)[1]);
    }
    for (const auto& [method, operation] : item.as_object()) {
      const std::string where = std::string(method) + " " + p;
      EXPECT_TRUE(kMethods.contains(std::string(method))) << where;
      ASSERT_TRUE(operation.is_object()) << where;
      const json::object& op = operation.as_object();
      ASSERT_TRUE(op.contains("operationId")) << where;
      EXPECT_TRUE(ids.insert(std::string(op.at("operationId").as_string())).second)
          << "duplicate operationId at " << where;
      ASSERT_TRUE(op.contains("responses")) << where;
      EXPECT_FALSE(op.at("responses").as_object().empty()) << where;
      EXPECT_TRUE(op.contains("security")) << where << ": say who may call it";
      std::set<std::string> declared;
      if (const json::value* params = op.if_contains("parameters")) {
        for (const json::value& raw : params->as_array()) {
          const json::value* prm = &raw;
          if (raw.is_object() && raw.as_object().contains("$ref")) {
            prm = Resolve(doc, raw.as_object().at("$ref").as_string());
            ASSERT_NE(prm, nullptr) << where;
          }
          const json::object& o = prm->as_object();
          if (o.at("in") == "path") {
            declared.insert(std::string(o.at("name").as_string()));
            EXPECT_EQ(o.at("required"), true) << where;
          }
        }
      }
      EXPECT_EQ(declared, in_template) << where << ": path parameters";
      // Every error answer has the Error shape (a $ref to it or to a shared response).
      for (const auto& [status, answer] : op.at("responses").as_object()) {
        if (status.starts_with("4") || status.starts_with("5")) {
          if (method == "head") continue;  // No body.
          const json::value* r = &answer;
          if (answer.as_object().contains("$ref")) r = Resolve(doc, answer.at("$ref").as_string());
          ASSERT_NE(r, nullptr) << where << " " << status;
          const json::value* schema =
              r->as_object().contains("content")
                  ? r->at("content").at("application/json").as_object().if_contains("schema")
                  : nullptr;
          ASSERT_NE(schema, nullptr) << where << " " << status << ": no JSON error body";
          EXPECT_EQ(schema->at("$ref"), "#/components/schemas/Error") << where << " " << status;
        }
      }
    }
  }
  EXPECT_GE(ids.size(), 45u);
}

TEST(OpenApiRouteTest, UndocumentedRoutesNamesWhatTheDocumentLacks) {
  http::Router router;
  auto handler = [](http::Request&) -> http::net::awaitable<http::Response> {
    co_return http::EmptyResponse(204);
  };
  router.Add(http::Method::kGet, "/api/v1/nodes/{id}", handler);
  router.Add(http::Method::kPut, "/api/v1/nodes/{id}/content", handler);
  router.Add(http::Method::kHead, "/api/v1/uploads/{id}", handler);
  router.Add(http::Method::kPropfind, "/dav/{*rest}", handler);  // Exempt.
  EXPECT_TRUE(UndocumentedRoutes(router).empty());
  router.Add(http::Method::kGet, "/api/v1/not-described", handler);
  router.Add(http::Method::kPut, "/api/v1/nodes/{id}", handler);  // Path known, method not.
  EXPECT_EQ(UndocumentedRoutes(router),
            (std::vector<std::string>{"GET /api/v1/not-described", "PUT /api/v1/nodes/{id}"}));
}

TEST(OpenApiRouteTest, AddOpenApiRouteRegistersAPublicGet) {
  http::Router router;
  AddOpenApiRoute(router);
  http::RouteMatch m = router.Match(http::Method::kGet, "/api/v1/openapi.json");
  ASSERT_EQ(m.kind, http::RouteMatch::Kind::kMatched);
  ASSERT_NE(m.route, nullptr);
  EXPECT_TRUE(m.route->options.public_access);
  EXPECT_TRUE(UndocumentedRoutes(router).empty()) << "the document describes itself";
}

}  // namespace
}  // namespace nimbus::api
