// The "Plans and billing" endpoints of api.md: GET /api/v1/plans, GET /api/v1/plan,
// GET /api/v1/plan/quote?size_gb=N, PUT /api/v1/plan {size_gb}, GET /api/v1/invoices and
// GET /api/v1/invoices/{id}. Money is integer minor units with a currency code. Add after
// AddAccountRoutes (its auth middleware answers 401 first).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

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

// `api` must outlive `router`.
void AddBillingRoutes(http::Router& router, const BillingApi& api);
// POST /api/v1/billing/webhook (billing_webhook.cpp): public and CSRF-exempt, authenticated by
// its Nimbus-Signature. AddBillingRoutes registers it.
void AddBillingWebhookRoute(http::Router& router, const BillingApi& api);

}  // namespace nimbus::api
