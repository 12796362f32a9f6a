// SPDX-License-Identifier: AGPL-3.0-or-later
#include "http/pipeline.h"

#include <fmt/core.h>

#include <vector>

#include "http/middleware/middleware.h"

namespace nimbus::http {

namespace {

// The result of matching, carried from Handle() to Endpoint() through the attribute slot.
struct MatchedRoute {
  RouteMatch match;
};

// Wraps `endpoint` in `chain` so that chain[0] runs first. The wrappers are plain lambdas (not
// coroutines) that return the middleware's awaitable: `inner` lives in the wrapper object,
// which lives as long as the Pipeline, so the reference the middleware gets stays valid.
Handler Compose(const std::vector<Middleware>& chain, Handler endpoint) {
  Handler next = std::move(endpoint);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    next = [mw = *it, inner = std::move(next)](Request& req) { return mw(req, inner); };
  }
  return next;
}

bool IsApiPath(std::string_view path) { return path == "/api" || path.starts_with("/api/"); }

}  // namespace

Pipeline::Pipeline(const Router& router, util::Metrics& metrics,
                   std::span<const StaticAsset> assets)
    : router_(router), static_files_(assets) {
  // The one place the chain is put together. Outermost first.
  std::vector<Middleware> chain = {
      &RequestIdMiddleware,       AccessLogMiddleware(), MetricsMiddleware(metrics),
      &SecurityHeadersMiddleware, &ErrorMiddleware,
  };
  for (const Middleware& m : router.middleware()) chain.push_back(m);
  chain_ = Compose(chain, [this](Request& req) { return Endpoint(req); });
}

net::awaitable<Response> Pipeline::Handle(Request& req) const {
  std::string_view target = req.target();
  RouteMatch match = router_.Match(req.method(), target.substr(0, target.find('?')));
  if (match.kind == RouteMatch::Kind::kMatched) {
    req.set_route(match.route->pattern, &match.route->options);
    req.set_path_params(match.params);
  } else if (match.kind == RouteMatch::Kind::kMethodNotAllowed) {
    req.set_route(match.pattern, nullptr);
  }
  req.Set(MatchedRoute{std::move(match)});
  return chain_(req);
}

net::awaitable<Response> Pipeline::Endpoint(Request& req) const {
  const RouteMatch& match = req.Get<MatchedRoute>()->match;
  if (match.kind == RouteMatch::Kind::kMatched) {
    Response res = co_await match.route->handler(req);
    co_return res;
  }
  if (match.kind == RouteMatch::Kind::kMethodNotAllowed) {
    if (req.method() == Method::kOptions) {
      Response res = EmptyResponse(204);
      res.SetHeader("Allow", match.allow);
      co_return res;
    }
    Response res = ErrorResponse(405, "method_not_allowed",
                                 fmt::format("This address does not take {}; it takes {}.",
                                             req.method_string(), match.allow));
    res.SetHeader("Allow", match.allow);
    co_return res;
  }
  const std::string& path = req.path();
  bool get = req.method() == Method::kGet || req.method() == Method::kHead;
  if (get && !IsApiPath(path)) {
    if (const StaticAsset* asset = static_files_.Find(path)) {
      req.set_route("static", nullptr);
      co_return StaticFiles::Serve(*asset, req);
    }
    // A stale hashed URL must not get HTML (the browser would run it as a script).
    const StaticAsset* index = static_files_.Find("/index.html");
    if (index != nullptr && !path.starts_with("/assets/")) {
      req.set_route("spa", nullptr);
      co_return StaticFiles::Serve(*index, req);
    }
  }
  req.set_route("none", nullptr);
  co_return ErrorResponse(404, "not_found", "There is nothing at this address.");
}

}  // namespace nimbus::http
