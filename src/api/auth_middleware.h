// The auth middleware: resolves the `nimbus_session` cookie or an `Authorization: Bearer` token
// to a core::Principal stored on the request, answers 401 unauthenticated on routes that are not
// public_access, and 403 csrf_failed for a cookie-authenticated POST/PUT/PATCH/DELETE whose
// X-CSRF-Token does not match the session's token (Bearer requests need none).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>

#include "core/account_types.h"
#include "core/session_service.h"
#include "http/request.h"
#include "http/router.h"

namespace nimbus::api {

inline constexpr std::string_view kSessionCookie = "nimbus_session";

// The middleware for Router::Use. `sessions` must outlive the router.
// `public_url` (read per request) names the address browsers use: an unsafe request whose
// Origin is neither it nor the Host it was sent to is refused (a page elsewhere posting to us).
http::Middleware AuthMiddleware(core::SessionService& sessions, const std::string& public_url);
// The principal the middleware stored, or nullptr (public route, nobody signed in).
const core::Principal* CurrentPrincipal(const http::Request& req);
// The value of cookie `name` in the request's Cookie headers, "" when absent.
std::string CookieValue(const http::Request& req, std::string_view name);
// True when X-CSRF-Token matches the principal's session (always true for a Bearer principal).
bool CsrfOk(const http::Request& req, const core::Principal& p);

}  // namespace nimbus::api
