// The "Plans and billing" endpoints of api.md: GET /api/v1/plans, GET /api/v1/plan,
// GET /api/v1/plan/quote?size_gb=N, PUT /api/v1/plan {size_gb}, GET /api/v1/invoices and
// GET /api/v1/invoices/{id}. Money is integer minor units with a currency code. Add after
// AddAccountRoutes (its auth middleware answers 401 first).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/json/object.hpp>

#include "api/account_routes.h"
#include "core/billing/billing_service.h"
#include "core/billing/ledger.h"
#include "http/router.h"
#include "util/worker_pool.h"

namespace nimbus::api {

struct BillingApi {
  core::billing::BillingService& billing;
  core::billing::Ledger& ledger;  // Payments (the webhook) and standing; blocking: use workers.
  WorkerPool& workers;
};

// An invoice as GET /api/v1/invoices/{id} shows it (also `nimbus admin invoice list --json`).
boost::json::object InvoiceJson(const core::billing::Invoice& invoice);
// One invoice of the admin's list (GET /api/v1/admin/invoices, `nimbus admin invoice list
// --json`): InvoiceJson without the lines, with user_id and email.
boost::json::object AdminInvoiceJson(const core::billing::AdminInvoice& invoice);
// A plan as GET /api/v1/plan shows it.
boost::json::object PlanJson(const core::billing::Plan& plan);
// The plan size in `body[field]`: a whole JSON number; kInvalidPlanSize (saying which sizes are
// plans) for anything else. PUT /api/v1/plan {size_gb}, PATCH /api/v1/admin/users/{id} {plan_gb}.
Result<std::int64_t> PlanSizeField(const core::billing::BillingService& billing,
                                   const boost::json::object& body, std::string_view field);

// `api` must outlive `router`.
void AddBillingRoutes(http::Router& router, const BillingApi& api);
// POST /api/v1/billing/webhook (billing_webhook.cpp): public and CSRF-exempt, authenticated by
// its Nimbus-Signature. AddBillingRoutes registers it.
void AddBillingWebhookRoute(http::Router& router, const BillingApi& api);
// GET /api/v1/admin/billing (admin_billing_handlers.cpp; 404 for non-admins). AddBillingRoutes
// registers it.
void AddAdminBillingRoutes(http::Router& router, const BillingApi& api);
// The hook behind PATCH /api/v1/admin/users/{id} {plan_gb} (AccountApi::set_plan): sets the plan
// without charging (BillingService::SetPlanByAdmin) and answers the plan's JSON. `api` must
// outlive the hook.
AdminPlanSetter AdminPlanSetterFor(const BillingApi& api);

}  // namespace nimbus::api
