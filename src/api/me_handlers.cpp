// SPDX-License-Identifier: AGPL-3.0-or-later
// /api/v1/me, /me/password, /me/sessions and /me/tokens: the signed-in user's own account.
// Every route here is authenticated, so CurrentPrincipal() is set (the middleware answered 401
// otherwise).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>

#include "api/auth_middleware.h"
#include "api/handler_util.h"
#include "api/json_codec.h"

namespace nimbus::api {

namespace json = boost::json;
using http::Request;
using http::Response;

net::awaitable<Response> GetMe(const AccountApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto profile = co_await api.accounts.GetProfile(p.user.id);
  if (!profile) co_return Err(profile.error(), req);
  Response res = http::JsonResponse(200, ProfileJson(*profile, p));
  res.SetHeader("Cache-Control", "no-store");
  co_return res;
}

net::awaitable<Response> PatchMe(const AccountApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto name = RequiredString(*body, "name");
  if (!name) co_return Err(name.error(), req);
  auto user = co_await api.accounts.UpdateName(p.user.id, std::move(*name));
  if (!user) co_return Err(user.error(), req);
  co_return http::JsonResponse(200, json::object{{"user", UserJson(*user)}});
}

// DELETE /api/v1/me {password}: the account and its files, for good. Signed in with a session
// (not an API token) and the password again, as for a password change.
net::awaitable<Response> DeleteMe(const AccountApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  if (!p.via_cookie()) {
    co_return Err(Error{Errc::kForbidden,
                        "An account cannot be deleted with an API token: sign in and delete it "
                        "in Settings."},
                  req);
  }
  if (api.close_account == nullptr || !*api.close_account) {
    co_return Err(Error{Errc::kUnavailable, "Deleting accounts is not available right now."}, req);
  }
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto password = RequiredString(*body, "password");
  if (!password) co_return Err(password.error(), req);
  int retry_after_s = 0;
  auto user =
      co_await api.passwords.CheckCurrentPassword(p, *password, ClientOf(req), &retry_after_s);
  if (!user) co_return RateLimitedErr(user.error(), retry_after_s, req);
  auto closed = co_await (*api.close_account)(p.user.id, false);
  if (!closed) co_return Err(closed.error(), req);
  Response res = http::EmptyResponse(204);
  res.AddHeader("Set-Cookie", SessionCookie("", 0, WantsSecureCookie(req, api)));
  co_return res;
}

net::awaitable<Response> ChangePassword(const AccountApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto current = RequiredString(*body, "current_password");
  if (!current) co_return Err(current.error(), req);
  auto next = RequiredString(*body, "new_password");
  if (!next) co_return Err(next.error(), req);
  int retry_after_s = 0;
  auto done = co_await api.passwords.ChangePassword(p, std::move(*current), std::move(*next),
                                                    ClientOf(req), &retry_after_s);
  if (!done) co_return RateLimitedErr(done.error(), retry_after_s, req);
  co_return http::EmptyResponse(204);
}

namespace {

// {pending_email, expires_at} of a change waiting for its link; both null without one.
json::object EmailChangeJson(const core::EmailChange* change) {
  if (change == nullptr) return {{"pending_email", nullptr}, {"expires_at", nullptr}};
  return {{"pending_email", change->new_email}, {"expires_at", Timestamp(change->expires_at_ms)}};
}

}  // namespace

net::awaitable<Response> RequestEmailChange(const AccountApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto email = RequiredString(*body, "email");
  if (!email) co_return Err(email.error(), req);
  auto password = RequiredString(*body, "password");
  if (!password) co_return Err(password.error(), req);
  int retry_after_s = 0;
  auto change = co_await api.passwords.RequestEmailChange(
      p, std::move(*email), std::move(*password), ClientOf(req), &retry_after_s);
  if (!change) co_return RateLimitedErr(change.error(), retry_after_s, req);
  co_return http::JsonResponse(202, EmailChangeJson(&*change));
}

net::awaitable<Response> GetEmailChange(const AccountApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto pending = co_await api.passwords.PendingEmailChange(p.user.id);
  if (!pending) co_return Err(pending.error(), req);
  co_return http::JsonResponse(200, EmailChangeJson(*pending ? &**pending : nullptr));
}

net::awaitable<Response> CancelEmailChange(const AccountApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto done = co_await api.passwords.CancelEmailChange(p.user.id);
  if (!done) co_return Err(done.error(), req);
  co_return http::EmptyResponse(204);
}

// Public: the link may be opened in another browser, signed in or not.
net::awaitable<Response> ConfirmEmailChange(const AccountApi& api, Request& req) {
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto token = RequiredString(*body, "token");
  if (!token) co_return Err(token.error(), req);
  auto changed = co_await api.passwords.ConfirmEmailChange(std::move(*token));
  if (!changed) co_return Err(changed.error(), req);
  api.accounts.ForgetProfile(changed->user_id);
  co_return http::JsonResponse(200, json::object{{"email", changed->email}});
}

net::awaitable<Response> ListSessions(const AccountApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto sessions = co_await api.sessions.List(p.user.id, p.session_id);
  if (!sessions) co_return Err(sessions.error(), req);
  json::array out;
  for (const auto& s : *sessions) out.push_back(SessionJson(s));
  co_return http::JsonResponse(200, json::object{{"sessions", std::move(out)}});
}

net::awaitable<Response> EndOtherSessions(const AccountApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto ended = co_await api.sessions.EndAll(p.user.id, p.session_id);
  if (!ended) co_return Err(ended.error(), req);
  co_return http::EmptyResponse(204);
}

net::awaitable<Response> EndSession(const AccountApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto done = co_await api.sessions.End(p.user.id, std::string(req.path_param("id")));
  if (!done) co_return Err(done.error(), req);
  co_return http::EmptyResponse(204);
}

net::awaitable<Response> ListTokens(const AccountApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto tokens = co_await api.sessions.ListTokens(p.user.id);
  if (!tokens) co_return Err(tokens.error(), req);
  json::array out;
  for (const auto& t : *tokens) out.push_back(TokenJson(t));
  co_return http::JsonResponse(200, json::object{{"tokens", std::move(out)}});
}

net::awaitable<Response> CreateToken(const AccountApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  // A leaked token must not be able to mint its own replacement before it is revoked.
  if (!p.via_cookie()) {
    co_return Err(Error{Errc::kForbidden,
                        "An API token cannot create API tokens. Sign in and create one in "
                        "Settings."},
                  req);
  }
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto name = RequiredString(*body, "name");
  if (!name) co_return Err(name.error(), req);
  auto token = co_await api.sessions.CreateToken(p.user.id, std::move(*name));
  if (!token) co_return Err(token.error(), req);
  Response res = http::JsonResponse(201, TokenJson(*token));
  res.SetHeader("Cache-Control", "no-store");
  co_return res;
}

net::awaitable<Response> RevokeToken(const AccountApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto done = co_await api.sessions.RevokeToken(p.user.id, std::string(req.path_param("id")));
  if (!done) co_return Err(done.error(), req);
  co_return http::EmptyResponse(204);
}

}  // namespace nimbus::api
