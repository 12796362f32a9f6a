// SPDX-License-Identifier: AGPL-3.0-or-later
#include "api/openapi_route.h"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>

#include "http/static_files.h"

namespace nimbus::api {

namespace net = boost::asio;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool Exempt(std::string_view pattern) { return pattern == "/dav" || pattern.starts_with("/dav/"); }

}  // namespace

std::vector<std::string> UndocumentedRoutes(const http::Router& router) {
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(OpenApiDocument().body, ec);
  const boost::json::object* paths = nullptr;
  if (!ec && doc.is_object()) {
    if (const boost::json::value* p = doc.as_object().if_contains("paths"); p && p->is_object()) {
      paths = &p->as_object();
    }
  }
  std::vector<std::string> missing;
  for (const http::Route& route : router.routes()) {
    if (Exempt(route.pattern)) continue;
    const boost::json::value* item = paths ? paths->if_contains(route.pattern) : nullptr;
    const std::string method = Lower(http::MethodName(route.method));
    if (item == nullptr || !item->is_object() || !item->as_object().contains(method)) {
      missing.push_back(std::string(http::MethodName(route.method)) + " " + route.pattern);
    }
  }
  return missing;
}

void AddOpenApiRoute(http::Router& router) {
  http::RouteOptions pub;
  pub.public_access = true;
  router.Add(
      http::Method::kGet, "/api/v1/openapi.json",
      [](http::Request& req) -> net::awaitable<http::Response> {
        co_return http::StaticFiles::Serve(OpenApiDocument(), req);
      },
      pub);
  for (const http::Route& route : router.routes()) {
    spdlog::debug("route {} {}", http::MethodName(route.method), route.pattern);
  }
  for (const std::string& route : UndocumentedRoutes(router)) {
    spdlog::warn("route {} is not in docs/openapi.json (GET /api/v1/openapi.json): describe it",
                 route);
  }
}

}  // namespace nimbus::api
