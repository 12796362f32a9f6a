// Router: maps (method, path) to a handler by route template ("/api/v1/nodes/{id}/content",
// "/dav/{*rest}"), and holds the extra middleware (auth, CSRF, rate limits) later issues add.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "http/request.h"
#include "http/response.h"

namespace nimbus::http {

using Handler = std::function<net::awaitable<Response>(Request&)>;
// A middleware gets the request and the rest of the chain; it may answer itself or call next.
using Middleware = std::function<net::awaitable<Response>(Request&, const Handler& next)>;

// Per-route facts that middleware reads through Request::route_options().
struct RouteOptions {
  bool public_access = false;  // No session needed (login, healthz); read by auth middleware.
  bool csrf_exempt = false;    // E.g. the billing webhook; read by the CSRF middleware.
  std::string rate_limit;      // Bucket name for the rate-limit middleware; "" = none.
};

struct Route {
  Method method;
  std::string pattern;  // The template, also the metrics label.
  Handler handler;
  RouteOptions options;
  std::vector<std::string> segments;  // Split template: "api", "{id}", "{*rest}".
};

struct RouteMatch {
  enum class Kind { kMatched, kMethodNotAllowed, kNotFound };
  Kind kind = Kind::kNotFound;
  const Route* route = nullptr;  // kMatched: the route (for HEAD: the GET route).
  std::vector<std::pair<std::string, std::string>> params;  // Decoded path parameters.
  std::string allow;  // kMethodNotAllowed (and OPTIONS): "GET, HEAD, OPTIONS".
  std::string pattern;  // The best matching template (also for kMethodNotAllowed).
};

// Built once at start-up, then read concurrently by every connection (Match is const).
class Router {
 public:
  // Registers `handler` for `method` on `pattern`. Segments are literals, "{name}" (one
  // segment) or a final "{*name}" (the rest of the path, possibly empty). A HEAD request is
  // served by the GET route with the body dropped. Registering the same (method, pattern)
  // twice is a programmer error (assert).
  void Add(Method method, std::string_view pattern, Handler handler, RouteOptions options = {});
  // Appends a middleware that runs for every request after the built-in chain (request id,
  // access log, metrics, security headers, error mapping) and before the handler.
  void Use(Middleware middleware) { middleware_.push_back(std::move(middleware)); }

  // Matches `path` (the raw, still percent-encoded path without the query). Literal segments
  // win over parameters, parameters over wildcards. kNotFound also for a bad escape.
  RouteMatch Match(Method method, std::string_view encoded_path) const;

  const std::vector<Route>& routes() const { return routes_; }
  const std::vector<Middleware>& middleware() const { return middleware_; }

 private:
  std::vector<Route> routes_;
  std::vector<Middleware> middleware_;
};

}  // namespace nimbus::http
