// Ledger: the money that moves without a plan change. The billing job (the next invoice at each
// period end; past_due once an invoice is unpaid billing.grace_days after its due date), payments
// (the provider's webhook, `nimbus admin invoice mark-paid`), failed payments, and the account's
// standing (active / past_due), which uploads, copies and restores check.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/billing.h"
#include "core/billing/billing_types.h"
#include "db/database.h"
#include "mail/templates.h"
#include "util/clock.h"
#include "util/result.h"

namespace nimbus::core::billing {

// Queues mail `t` to `user_id` with their name and `vars` (inside the caller's transaction);
// returns their email, "" (and nothing queued) when the user is gone.
Result<std::string> MailUser(db::Transaction& tx, std::int64_t user_id, mail::Template t,
                             mail::Vars vars, std::int64_t now);

// What changed in one account's standing.
enum class StandingChange { kUnchanged, kBecamePastDue, kLifted };

// An account's standing, for /me, the banner and the 402 checks.
struct Standing {
  std::string state = "active";                // "active" | "past_due".
  std::optional<std::int64_t> past_due_since;  // Set while past_due.
  std::int64_t amount_due = 0;                 // Sum of the open invoices' totals.
  std::string currency;                        // Of amount_due ("" with nothing due).
  std::optional<std::int64_t> oldest_due_at;   // The oldest open invoice's due date.
};

// How a payment came in.
inline constexpr std::string_view kPaidViaProvider = "provider";  // POST /billing/webhook.
inline constexpr std::string_view kPaidViaManual = "manual";      // nimbus admin invoice mark-paid.

struct PaymentOutcome {
  std::int64_t user_id = 0;   // Whose invoice it is.
  Invoice invoice;            // As it is now.
  bool already_paid = false;  // It was paid before: nothing changed.
  bool lifted = false;        // The account was past due and no longer is.
  std::string email;          // The user's ("" when the user is gone).
};

// One invoice in the admin's list (`nimbus admin invoice list`).
struct AdminInvoice {
  Invoice invoice;  // Without lines.
  std::int64_t user_id = 0;
  std::string email;  // "" when the user is gone.
};

// One run of the billing job.
struct BillingRun {
  int invoices_issued = 0;           // Period-end invoices issued.
  std::int64_t amount_invoiced = 0;  // Their totals (minor units; currencies as configured).
  std::string currency;              // billing.currency, for the summary.
  int accounts_billed = 0;           // Accounts whose period ended (invoiced and advanced).
  int became_past_due = 0;
  int lifted = 0;
  // "2 invoice(s) issued (40.00 USD) for 2 account(s); 1 account(s) became past due, 0 lifted".
  std::string Summary() const;
};

// Accounts per write transaction in the billing job: short transactions, so a server with many
// users never waits long for the write lock while the job runs.
inline constexpr int kBillingBatch = 200;

// --- Inside a write transaction (shared with the webhook, which records its event id in the
// same transaction, so a replay changes nothing). `now` in ms since the epoch.

// Invoices every period of `user_id` that ended by `now` (one invoice per period, a full month at
// the plan's price, the balance applied) and advances the period past `now`; counts into `run`.
// The billing job calls it, and so does a plan change before it prorates (a change made between a
// period's end and the next job run must not prorate against the ended period).
Result<void> BillPeriods(db::Transaction& tx, const config::BillingConfig& config,
                         std::int64_t user_id, std::int64_t now, std::string_view public_url,
                         BillingRun& run);

// Recomputes `user_id`'s standing: past_due when an open invoice is unpaid grace_days after its
// due date, else active. Becoming past due mails the user (kPastDue). No billing account: nothing.
Result<StandingChange> RefreshStanding(db::Transaction& tx, const config::BillingConfig& config,
                                       std::int64_t user_id, std::int64_t now,
                                       std::string_view public_url);
// The standing as stored (the job or a payment last set it) and what is due.
Result<Standing> StandingOf(db::Transaction& tx, std::int64_t user_id);
// Marks an open invoice paid (`via`, the provider's or admin's `ref`), mails a receipt
// (kPaymentReceived) and lifts past_due at once when nothing else is overdue. An invoice paid
// already: already_paid, nothing changes. kNotFound for an unknown id; kConflict for a void one.
Result<PaymentOutcome> MarkPaidIn(db::Transaction& tx, const config::BillingConfig& config,
                                  std::string_view invoice_id, std::string_view via,
                                  std::string_view ref, std::int64_t now,
                                  std::string_view public_url);
// Records a failed payment attempt on an open invoice and mails the user (kPaymentFailed); the
// invoice stays open (past_due still comes only after the grace period). kNotFound; a paid or
// void invoice: recorded nowhere, returned as it is.
Result<Invoice> RecordPaymentFailedIn(db::Transaction& tx, std::string_view invoice_id,
                                      std::string_view ref, std::int64_t now,
                                      std::string_view public_url);

struct LedgerDeps {
  db::Database& db;
  const Clock& clock;
  const config::BillingConfig& config;
  const std::string& public_url;  // For the links in mails.
  // Called after a user's standing changed (e.g. to drop a cached profile). May be empty.
  std::function<void(std::int64_t user_id)> standing_changed;
};

// Thread-safe; every method blocks on the database (call it from a worker, a job body or the CLI,
// never an io thread). Deps must outlive it.
class Ledger {
 public:
  explicit Ledger(LedgerDeps deps) : deps_(std::move(deps)) {}

  const config::BillingConfig& config() const { return deps_.config; }
  std::int64_t NowMs() const;

  // The billing job: for every paid account whose period ended, the next period's invoice (a
  // full month at the plan's price, the balance applied; several if several periods passed) and
  // the period advanced; then every account's standing refreshed. Idempotent within a period.
  Result<BillingRun> RunBilling();
  // MarkPaidIn in its own transaction, now. `invoice` is an invoice id or its number
  // ("INV-000003"); kNotFound with a sentence naming it when there is no such invoice.
  Result<PaymentOutcome> MarkPaid(std::string_view invoice, std::string_view via,
                                  std::string_view ref);
  // Every invoice, oldest first; only those of the user with `email` and of `status` ("open",
  // "paid" or "void") when given. kNotFound for an unknown email, kInvalidArgument for another
  // status.
  Result<std::vector<AdminInvoice>> ListInvoices(std::optional<std::string> email,
                                                 std::optional<std::string> status);
  Result<Standing> StandingOf(std::int64_t user_id);

  db::Database& db() { return deps_.db; }
  const std::string& public_url() const { return deps_.public_url; }
  // Tells `standing_changed` (if set).
  void NotifyStanding(std::int64_t user_id) const;

 private:
  LedgerDeps deps_;
};

}  // namespace nimbus::core::billing
