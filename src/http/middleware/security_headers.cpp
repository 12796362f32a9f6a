// SPDX-License-Identifier: AGPL-3.0-or-later
#include <array>
#include <string_view>
#include <utility>

#include "http/middleware/middleware.h"

namespace nimbus::http {

namespace {

// The web app has no inline scripts or styles (style.md §10), so this strict policy holds.
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kSecurityHeaders = {{
    {"Content-Security-Policy",
     "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "same-origin"},
    {"X-Frame-Options", "DENY"},
}};

}  // namespace

void ApplySecurityHeaders(Response& res) {
  for (const auto& [name, value] : kSecurityHeaders) {
    if (!res.has_header(name)) res.AddHeader(name, value);
  }
}

net::awaitable<Response> SecurityHeadersMiddleware(Request& req, const Handler& next) {
  Response res = co_await next(req);
  ApplySecurityHeaders(res);
  co_return res;
}

}  // namespace nimbus::http
