// SPDX-License-Identifier: AGPL-3.0-or-later
// POST /api/v1/billing/webhook: the payment provider's events (invoice.paid,
// invoice.payment_failed), signed with Nimbus-Signature over the exact body bytes. It needs no
// session and no CSRF token: the signature is what authenticates the sender.
#include <spdlog/spdlog.h>

#include <string>

#include "api/billing_routes.h"
#include "api/handler_util.h"
#include "core/billing/webhook.h"
#include "util/run_blocking.h"

namespace nimbus::api {

namespace billing = core::billing;

namespace {

net::awaitable<http::Response> ReceiveWebhook(const BillingApi& api, http::Request& req) {
  // Unconfigured: refused before a byte of the body is read. The sentence is for the operator
  // who set up the provider, so it is passed on (a 5xx's message is otherwise hidden).
  if (!billing::WebhookConfigured(api.ledger.config())) {
    co_return http::ErrorResponse(503, "unavailable", billing::kWebhookNotConfigured);
  }
  // The raw bytes, exactly as signed (never re-serialized), up to max_json_body_bytes.
  auto body = co_await req.ReadAll();
  if (!body) co_return Err(body.error(), req);
  const std::string signature(req.header(billing::kSignatureHeader));
  auto handle = [&api, &signature, &body] {
    return billing::HandleWebhook(api.ledger, signature, *body);
  };
  auto handled = co_await RunBlocking(api.workers, std::move(handle));
  if (!handled) {
    if (handled.error().code == Errc::kUnavailable) {
      co_return http::ErrorResponse(503, "unavailable", billing::kWebhookNotConfigured);
    }
    co_return Err(handled.error(), req);
  }
  if (handled->lifted) {
    spdlog::info("webhook event {} paid invoice {}: account no longer past due", handled->event.id,
                 handled->event.invoice_id);
    api.ledger.NotifyStanding(handled->user_id);
  }
  co_return http::EmptyResponse(204);
}

}  // namespace

void AddBillingWebhookRoute(http::Router& router, const BillingApi& api) {
  http::RouteOptions options;
  options.public_access = true;  // The provider has no session; the signature authenticates.
  options.csrf_exempt = true;    // A server-to-server POST carries no CSRF token.
  router.Add(
      http::Method::kPost, "/api/v1/billing/webhook",
      [&api](http::Request& req) { return ReceiveWebhook(api, req); }, options);
}

}  // namespace nimbus::api
