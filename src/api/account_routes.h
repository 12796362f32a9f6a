// The account endpoints of api.md (auth, /me, /me/sessions, /me/tokens, /admin/users) and the
// auth middleware (session cookie or Bearer token, CSRF), registered on a Router in one call.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <string>

#include "core/account_service.h"
#include "core/disk_admin.h"
#include "core/password_service.h"
#include "core/session_service.h"
#include "http/router.h"

namespace nimbus::api {

// Sets the plan of user `user_id` to `body`'s "plan_gb" without charging, for admin `admin_id`,
// and answers the new plan's JSON (AdminPlanSetterFor in billing_routes.h builds it). Errors:
// kInvalidPlanSize and those of BillingService::SetPlanByAdmin.
using AdminPlanSetter = std::function<boost::asio::awaitable<Result<boost::json::object>>(
    std::int64_t user_id, const boost::json::object& body, std::int64_t admin_id)>;

// DELETE /api/v1/me (after the password check) and PATCH-free admin deletes: deletes account
// `user_id` for good (core::CloseAccount). Errors as CloseAccount's.
using AccountCloser =
    std::function<boost::asio::awaitable<Result<void>>(std::int64_t user_id, bool by_admin)>;

struct AccountApi {
  core::AccountService& accounts;
  core::PasswordService& passwords;
  core::SessionService& sessions;
  // Secure cookies also when the server itself is plain HTTP behind a TLS proxy
  // (public_url https://…). Read per request.
  const std::string& public_url;
  // PATCH /api/v1/admin/users/{id} {plan_gb}; may be assigned after AddAccountRoutes (billing
  // is built later). Null or empty: plan_gb is refused (503).
  const AdminPlanSetter* set_plan = nullptr;
  // DELETE /api/v1/me; may be assigned after AddAccountRoutes. Null or empty: 503.
  const AccountCloser* close_account = nullptr;
};

// Adds the auth middleware (Router::Use) and every account route. `api` must outlive `router`.
void AddAccountRoutes(http::Router& router, const AccountApi& api);

// The admin disk and job routes (admin_disk_handlers.cpp); add after AddAccountRoutes (its auth
// middleware answers 401/403 first). Non-admins get 404. `admin` must outlive `router`.
void AddAdminDiskRoutes(http::Router& router, core::DiskAdmin& admin);

}  // namespace nimbus::api
