// Small helpers the account handlers share (internal to api/): the client's address and agent,
// error responses with the request id, and the session cookie.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/account_routes.h"
#include "core/account_types.h"
#include "http/request.h"
#include "http/response.h"

namespace nimbus::api {

namespace net = boost::asio;

inline core::ClientInfo ClientOf(const http::Request& req) {
  return core::ClientInfo{req.remote_address(), std::string(req.header("User-Agent"))};
}

inline http::Response Err(const Error& e, const http::Request& req) {
  return http::ErrorResponse(e, req.request_id());
}

// The error response, with Retry-After when the error is a rate limit.
inline http::Response RateLimitedErr(const Error& e, int retry_after_s, const http::Request& req) {
  http::Response res = Err(e, req);
  if (retry_after_s > 0) res.SetHeader("Retry-After", std::to_string(retry_after_s));
  return res;
}

// Set-Cookie for the session: HttpOnly, SameSite=Strict, Path=/, Secure behind TLS. `max_age_s`
// 0 deletes the cookie.
std::string SessionCookie(std::string_view value, std::int64_t max_age_s, bool secure);
// Whether cookies must be Secure for this request (TLS here, or an https public URL).
bool WantsSecureCookie(const http::Request& req, const AccountApi& api);

// Handlers, one per route (auth_handlers.cpp, me_handlers.cpp, admin_user_handlers.cpp).
net::awaitable<http::Response> Signup(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> VerifyEmail(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> ResendVerification(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> Login(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> Logout(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> ForgotPassword(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> ResetPassword(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> CheckResetToken(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> GetMe(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> PatchMe(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> DeleteMe(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> ChangePassword(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> RequestEmailChange(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> ConfirmEmailChange(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> GetEmailChange(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> CancelEmailChange(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> ListSessions(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> EndOtherSessions(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> EndSession(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> ListTokens(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> CreateToken(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> RevokeToken(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> ListUsers(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> DeleteUser(const AccountApi& api, http::Request& req);
net::awaitable<http::Response> PatchUser(const AccountApi& api, http::Request& req);

}  // namespace nimbus::api
