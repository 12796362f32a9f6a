// SPDX-License-Identifier: AGPL-3.0-or-later
// POST /api/v1/auth/*: sign-up, email verification, login, logout, forgot and reset password.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <chrono>
#include <string>

#include "api/auth_middleware.h"
#include "api/handler_util.h"
#include "api/json_codec.h"

namespace nimbus::api {

namespace json = boost::json;
using http::Request;
using http::Response;

std::string SessionCookie(std::string_view value, std::int64_t max_age_s, bool secure) {
  return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}", kSessionCookie,
                     value, max_age_s, secure ? "; Secure" : "");
}

bool WantsSecureCookie(const Request& req, const AccountApi& api) {
  return req.tls() || api.public_url.starts_with("https://");
}

net::awaitable<Response> Signup(const AccountApi& api, Request& req) {
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto email = RequiredString(*body, "email");
  if (!email) co_return Err(email.error(), req);
  auto password = RequiredString(*body, "password");
  if (!password) co_return Err(password.error(), req);
  auto name = StringField(*body, "name", true);
  if (!name) co_return Err(name.error(), req);
  auto user =
      co_await api.accounts.Signup(std::move(*email), std::move(*password), name->value_or(""));
  if (!user) {
    if (user.error().code == Errc::kNoCapacity) {
      // No disk has room for a new free account (the admins are alerted by the pool). Not the
      // visitor's doing, and it passes: a 503 that says so, the pool's message to the log.
      spdlog::error("http POST /api/v1/auth/signup id={}: {}", req.request_id(),
                    user.error().message);
      co_return http::ErrorResponse(
          503, "unavailable",
          fmt::format("Sign-up is closed for the moment: this server has no room for new "
                      "accounts. Nothing was created; please try again later (request id {}).",
                      req.request_id()));
    }
    co_return Err(user.error(), req);
  }
  co_return http::JsonResponse(201, json::object{{"user", UserJson(*user)}});
}

net::awaitable<Response> VerifyEmail(const AccountApi& api, Request& req) {
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto token = RequiredString(*body, "token");
  if (!token) co_return Err(token.error(), req);
  auto done = co_await api.accounts.VerifyEmail(std::move(*token));
  if (!done) co_return Err(done.error(), req);
  co_return http::EmptyResponse(204);
}

net::awaitable<Response> ResendVerification(const AccountApi& api, Request& req) {
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto email = RequiredString(*body, "email");
  if (!email) co_return Err(email.error(), req);
  int retry_after_s = 0;
  auto done =
      co_await api.accounts.ResendVerification(std::move(*email), ClientOf(req), &retry_after_s);
  if (!done) co_return RateLimitedErr(done.error(), retry_after_s, req);
  co_return http::EmptyResponse(202);
}

net::awaitable<Response> Login(const AccountApi& api, Request& req) {
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto email = RequiredString(*body, "email");
  if (!email) co_return Err(email.error(), req);
  auto password = RequiredString(*body, "password");
  if (!password) co_return Err(password.error(), req);
  core::LoginOutcome out =
      co_await api.passwords.Login(std::move(*email), std::move(*password), ClientOf(req));
  if (!out.session) co_return RateLimitedErr(out.session.error(), out.retry_after_s, req);
  const core::NewSession& s = *out.session;
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  Response res = http::JsonResponse(
      200, json::object{{"user", UserJson(s.user)}, {"csrf_token", s.csrf_token}});
  res.AddHeader(
      "Set-Cookie",
      SessionCookie(s.cookie_value, std::max<std::int64_t>((s.expires_at - now_ms) / 1000, 1),
                    WantsSecureCookie(req, api)));
  res.SetHeader("Cache-Control", "no-store");
  co_return res;
}

net::awaitable<Response> Logout(const AccountApi& api, Request& req) {
  // A public route (an expired session can still "log out"), so CSRF is checked here.
  const core::Principal* p = CurrentPrincipal(req);
  if (p != nullptr && p->via_cookie()) {
    if (!CsrfOk(req, *p)) {
      co_return Err(Error{Errc::kCsrfFailed,
                          "The request lacks the X-CSRF-Token of your "
                          "session. Reload the page and try again."},
                    req);
    }
    auto done = co_await api.sessions.Logout(p->session_id);
    if (!done) co_return Err(done.error(), req);
  }
  Response res = http::EmptyResponse(204);
  res.AddHeader("Set-Cookie", SessionCookie("", 0, WantsSecureCookie(req, api)));
  co_return res;
}

net::awaitable<Response> ForgotPassword(const AccountApi& api, Request& req) {
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto email = RequiredString(*body, "email");
  if (!email) co_return Err(email.error(), req);
  int retry_after_s = 0;
  auto done =
      co_await api.passwords.ForgotPassword(std::move(*email), ClientOf(req), &retry_after_s);
  if (!done) co_return RateLimitedErr(done.error(), retry_after_s, req);
  co_return http::EmptyResponse(202);
}

net::awaitable<Response> ResetPassword(const AccountApi& api, Request& req) {
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto token = RequiredString(*body, "token");
  if (!token) co_return Err(token.error(), req);
  auto password = RequiredString(*body, "password");
  if (!password) co_return Err(password.error(), req);
  auto done = co_await api.passwords.ResetPassword(std::move(*token), std::move(*password));
  if (!done) co_return Err(done.error(), req);
  co_return http::EmptyResponse(204);
}

// POST /api/v1/auth/reset-password/check {token}: 204 while the link works, 400 invalid_token
// otherwise; nothing is used up. (A POST, so that the token stays out of URLs and logs.)
net::awaitable<Response> CheckResetToken(const AccountApi& api, Request& req) {
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto token = RequiredString(*body, "token");
  if (!token) co_return Err(token.error(), req);
  auto ok = co_await api.passwords.CheckResetToken(std::move(*token));
  if (!ok) co_return Err(ok.error(), req);
  co_return http::EmptyResponse(204);
}

}  // namespace nimbus::api
