// SPDX-License-Identifier: AGPL-3.0-or-later
#include "api/account_routes.h"

#include <memory>

#include "api/auth_middleware.h"
#include "api/handler_util.h"

namespace nimbus::api {

using http::Method;
using HandlerFn = net::awaitable<http::Response> (*)(const AccountApi&, http::Request&);

void AddAccountRoutes(http::Router& router, const AccountApi& api) {
  router.Use(AuthMiddleware(api.sessions, api.public_url));
  auto shared = std::make_shared<AccountApi>(api);
  auto add = [&router, shared](Method m, std::string_view path, HandlerFn fn, bool is_public) {
    http::RouteOptions options;
    options.public_access = is_public;
    router.Add(
        m, path, [shared, fn](http::Request& req) { return fn(*shared, req); }, options);
  };
  add(Method::kPost, "/api/v1/auth/signup", &Signup, true);
  add(Method::kPost, "/api/v1/auth/verify-email", &VerifyEmail, true);
  add(Method::kPost, "/api/v1/auth/resend-verification", &ResendVerification, true);
  add(Method::kPost, "/api/v1/auth/login", &Login, true);
  add(Method::kPost, "/api/v1/auth/logout", &Logout, true);
  add(Method::kPost, "/api/v1/auth/forgot-password", &ForgotPassword, true);
  add(Method::kPost, "/api/v1/auth/reset-password", &ResetPassword, true);
  add(Method::kPost, "/api/v1/auth/reset-password/check", &CheckResetToken, true);
  add(Method::kPost, "/api/v1/auth/confirm-email", &ConfirmEmailChange, true);
  add(Method::kGet, "/api/v1/me", &GetMe, false);
  add(Method::kPatch, "/api/v1/me", &PatchMe, false);
  add(Method::kDelete, "/api/v1/me", &DeleteMe, false);
  add(Method::kPost, "/api/v1/me/password", &ChangePassword, false);
  add(Method::kGet, "/api/v1/me/email", &GetEmailChange, false);
  add(Method::kPost, "/api/v1/me/email", &RequestEmailChange, false);
  add(Method::kDelete, "/api/v1/me/email", &CancelEmailChange, false);
  add(Method::kGet, "/api/v1/me/sessions", &ListSessions, false);
  add(Method::kDelete, "/api/v1/me/sessions", &EndOtherSessions, false);
  add(Method::kDelete, "/api/v1/me/sessions/{id}", &EndSession, false);
  add(Method::kGet, "/api/v1/me/tokens", &ListTokens, false);
  add(Method::kPost, "/api/v1/me/tokens", &CreateToken, false);
  add(Method::kDelete, "/api/v1/me/tokens/{id}", &RevokeToken, false);
  add(Method::kGet, "/api/v1/admin/users", &ListUsers, false);
  add(Method::kPatch, "/api/v1/admin/users/{id}", &PatchUser, false);
  add(Method::kDelete, "/api/v1/admin/users/{id}", &DeleteUser, false);
}

}  // namespace nimbus::api
