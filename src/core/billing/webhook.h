// The payment provider's webhook: checks `Nimbus-Signature` over the exact body bytes, then applies
// the event (invoice.paid, invoice.payment_failed) in one write transaction together with its
// replay record, so a replayed or failed event changes nothing.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/billing.h"
#include "core/billing/ledger.h"
#include "db/database.h"
#include "util/result.h"

namespace nimbus::core::billing {

inline constexpr std::string_view kSignatureHeader = "Nimbus-Signature";
inline constexpr std::string_view kEventInvoicePaid = "invoice.paid";
inline constexpr std::string_view kEventPaymentFailed = "invoice.payment_failed";
// The sentence of the 503 when no secret is configured.
inline constexpr std::string_view kWebhookNotConfigured =
    "Payment webhook not configured: this server has no billing webhook_secret, so it cannot "
    "check payment events.";

// "t=<unix seconds>,v1=<hex>[,v1=<hex>…]" parsed.
struct SignatureHeader {
  std::int64_t timestamp = 0;   // t=, seconds since the epoch.
  std::string timestamp_text;   // t= as sent: what was signed.
  std::vector<std::string> v1;  // Each v1= entry as sent: 64 hex digits (an HMAC-SHA256).
};

// Parses a Nimbus-Signature header. Entries are comma-separated `key=value` pairs in any order,
// blanks around them allowed; keys other than t and v1 (e.g. a future v2) are ignored. Several v1
// entries may come (one per secret while a secret is rotated). kBadSignature, with a sentence
// naming what is wrong: an empty header, an entry without '=', no t or two, a t that is not a
// whole number of seconds, no v1, a v1 that is not 64 hex digits.
Result<SignatureHeader> ParseSignatureHeader(std::string_view header);

// Checks `header` against the raw `body`: some v1 must be the hex HMAC-SHA256, keyed with the
// bytes of `secret`, of "<t>.<body>" (compared in constant time), and t must be at most
// `tolerance_s` seconds before `now_s` and at most as much after it (clock skew). kBadSignature
// saying which check failed (no match, too old, in the future). Pure; thread-safe.
Result<void> VerifySignature(std::string_view header, std::string_view body,
                             std::string_view secret, std::int64_t tolerance_s, std::int64_t now_s);

// The fields of an event the server reads; others are ignored.
struct WebhookEvent {
  std::string id;          // The provider's event id (the replay key).
  std::string type;        // "invoice.paid", "invoice.payment_failed", or another (ignored).
  std::string invoice_id;  // Required for the two invoice types; "" when absent otherwise.
};

// Parses the event JSON: an object with string `id` (1–255 characters) and `type`, and a string
// `invoice_id` for the invoice types. kInvalidArgument with a sentence otherwise.
Result<WebhookEvent> ParseWebhookEvent(std::string_view body);

struct WebhookResult {
  WebhookEvent event;
  bool applied = false;      // A known type; false: recorded and ignored.
  std::int64_t user_id = 0;  // The paid invoice's owner (invoice.paid; 0 otherwise).
  bool lifted = false;       // A payment ended the account's past_due.
};

// Inside a write transaction: records event.id (kReplayed when it was seen before) and applies
// it: invoice.paid marks the invoice paid via the provider with the event id as reference (one
// paid already stays as it is), invoice.payment_failed records the failure and mails the user;
// other types are only recorded. An unknown invoice is kInvalidArgument; a void invoice paid,
// kConflict. On any error the caller's transaction must be rolled back (Database::Write does).
Result<WebhookResult> ApplyWebhookEventIn(db::Transaction& tx, const config::BillingConfig& config,
                                          const WebhookEvent& event, std::int64_t now_ms,
                                          std::string_view public_url);

// Whether a webhook secret is configured (without one every webhook is refused).
bool WebhookConfigured(const config::BillingConfig& config);

// The whole webhook, blocking (call it from a worker): kUnavailable when no secret is configured;
// VerifySignature at the ledger's clock; ParseWebhookEvent; ApplyWebhookEventIn in one write
// transaction. The caller tells the ledger (NotifyStanding) when the result says lifted.
Result<WebhookResult> HandleWebhook(Ledger& ledger, std::string_view signature_header,
                                    std::string_view body);

}  // namespace nimbus::core::billing
