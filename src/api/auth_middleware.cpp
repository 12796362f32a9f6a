// SPDX-License-Identifier: AGPL-3.0-or-later
#include "api/auth_middleware.h"

#include <strings.h>

#include <cctype>
#include <utility>

#include "core/secrets.h"
#include "http/response.h"

namespace nimbus::api {

namespace net = boost::asio;
namespace {

bool Unsafe(http::Method m) {
  return m == http::Method::kPost || m == http::Method::kPut || m == http::Method::kPatch ||
         m == http::Method::kDelete;
}

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The token of "Authorization: Bearer <token>", "" when the header is absent or another scheme.
std::string_view BearerToken(const http::Request& req) {
  std::string_view h = TrimView(req.header("Authorization"));
  constexpr std::string_view kScheme = "bearer ";
  if (h.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(h[i])) != kScheme[i]) return {};
  }
  return TrimView(h.substr(kScheme.size()));
}

// "host[:port]" of a URL or an Origin ("http://127.0.0.1:8080/x" -> "127.0.0.1:8080").
std::string_view HostPart(std::string_view url) {
  if (auto scheme = url.find("://"); scheme != std::string_view::npos)
    url.remove_prefix(scheme + 3);
  return url.substr(0, url.find('/'));
}

bool SameHost(std::string_view a, std::string_view b) {
  return !a.empty() && a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// A browser request that another page made (a form elsewhere that posts to us): its
// Sec-Fetch-Site says cross-site, or its Origin is neither this server as the browser addressed
// it (Host, or X-Forwarded-Host behind a proxy) nor public_url. Another port of the same host
// is another origin. Browsers send Origin with every POST, PUT, PATCH and DELETE; other clients
// (curl, tus, WebDAV, the billing provider) usually send neither header and are not affected.
// Such a request cannot carry our CSRF token, but the public routes (sign-in, sign-up, password
// reset) need none: this keeps a page elsewhere from signing a visitor in to another account.
bool CrossSite(const http::Request& req, const std::string& public_url) {
  if (strcasecmp(std::string(TrimView(req.header("Sec-Fetch-Site"))).c_str(), "cross-site") == 0) {
    return true;
  }
  const std::string_view origin = TrimView(req.header("Origin"));
  if (origin.empty()) return false;
  const std::string_view host = HostPart(origin);
  return !SameHost(host, TrimView(req.header("Host"))) &&
         !SameHost(host, TrimView(req.header("X-Forwarded-Host"))) &&
         !SameHost(host, HostPart(public_url));
}

net::awaitable<http::Response> Authenticate(core::SessionService& sessions,
                                            const std::string& public_url, http::Request& req,
                                            const http::Handler& next) {
  const http::RouteOptions* options = req.route_options();
  const bool is_public = options == nullptr || options->public_access;
  if (Unsafe(req.method()) && !(options && options->csrf_exempt) && CrossSite(req, public_url)) {
    co_return http::ErrorResponse(
        Error{Errc::kCsrfFailed,
              "This request came from another website, so Nimbus refused it. Open Nimbus "
              "itself and try again there."},
        req.request_id());
  }
  Result<std::optional<core::Principal>> found = std::optional<core::Principal>();
  const std::string_view bearer = BearerToken(req);
  if (!bearer.empty()) {
    found = co_await sessions.ResolveToken(std::string(bearer));
    // A disabled account's token: 403 on the routes that need a user, ignored on public ones.
    if (!found && found.error().code == Errc::kForbidden && is_public) {
      found = std::optional<core::Principal>();
    }
    if (found && !*found && !is_public) {
      co_return http::ErrorResponse(
          Error{Errc::kUnauthenticated, "This API token is invalid or has been revoked."});
    }
  } else if (std::string cookie = CookieValue(req, kSessionCookie); !cookie.empty()) {
    found = co_await sessions.Resolve(std::move(cookie));
  }
  if (!found) co_return http::ErrorResponse(found.error(), req.request_id());
  if (*found) {
    req.set_log_user((*found)->user.id);
    req.Set(std::move(**found));
  }
  const core::Principal* p = CurrentPrincipal(req);
  if (!is_public) {
    if (p == nullptr) {
      co_return http::ErrorResponse(
          Error{Errc::kUnauthenticated, "You are not signed in, or your session has ended."});
    }
    if (!(options && options->csrf_exempt) && Unsafe(req.method()) && !CsrfOk(req, *p)) {
      co_return http::ErrorResponse(
          Error{Errc::kCsrfFailed,
                req.header("X-CSRF-Token").empty()
                    ? "The request lacks the X-CSRF-Token of your session. Reload the page and try "
                      "again."
                    : "The request's X-CSRF-Token is not that of your session (it may be from an "
                      "earlier sign-in). Reload the page and try again."});
    }
  }
  co_return co_await next(req);
}

}  // namespace

http::Middleware AuthMiddleware(core::SessionService& sessions, const std::string& public_url) {
  return [&sessions, &public_url](http::Request& req, const http::Handler& next) {
    return Authenticate(sessions, public_url, req, next);
  };
}

const core::Principal* CurrentPrincipal(const http::Request& req) {
  return req.Get<core::Principal>();
}

bool CsrfOk(const http::Request& req, const core::Principal& p) {
  if (!p.via_cookie()) return true;
  return core::SecretEquals(req.header("X-CSRF-Token"), p.csrf_token);
}

std::string CookieValue(const http::Request& req, std::string_view name) {
  for (const auto& [key, value] : req.headers()) {
    if (key.size() != 6 || strncasecmp(key.c_str(), "cookie", 6) != 0) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      auto semi = rest.find(';');
      std::string_view pair = TrimView(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      auto eq = pair.find('=');
      if (eq != std::string_view::npos && TrimView(pair.substr(0, eq)) == name) {
        std::string_view v = TrimView(pair.substr(eq + 1));
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
        return std::string(v);
      }
    }
  }
  return {};
}

}  // namespace nimbus::api
