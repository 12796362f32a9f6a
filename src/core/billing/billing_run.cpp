// SPDX-License-Identifier: AGPL-3.0-or-later
// The billing job (Ledger::RunBilling): the invoice of each new period, then every standing.
// Accounts are handled in batches of kBillingBatch per write transaction, and an account's
// invoices and its advanced period are written in the same transaction, so a crash or a second
// run can never invoice one period twice.
#include <fmt/core.h>

#include <utility>
#include <vector>

#include "core/billing/invoices.h"
#include "core/billing/ledger.h"
#include "core/billing/plan_pricing.h"
#include "db/stores/billing_store.h"
#include "util/rfc3339.h"

namespace nimbus::core::billing {
namespace {

using db::BillingAccountRow;
using db::BillingStore;
using db::Transaction;

// "2026-02-28" (UTC), as the other invoice lines print their days.
std::string Day(std::int64_t ms) {
  std::string out;
  AppendRfc3339(out, ms);
  out.resize(10);
  return out;
}

// What one batch did; added to the run only once its transaction committed.
struct BatchResult {
  std::vector<std::int64_t> ids;  // The accounts looked at, ascending (the next batch's cursor).
  BillingRun run;
  std::vector<std::int64_t> standing_changed;
};

}  // namespace

Result<void> BillPeriods(Transaction& tx, const config::BillingConfig& c, std::int64_t user_id,
                         std::int64_t now, std::string_view public_url, BillingRun& run) {
  auto found = BillingStore::FindAccount(tx, user_id);
  if (!found) return std::unexpected(std::move(found.error()));
  // Re-checked inside the transaction: a plan change since the batch was picked wins.
  if (!*found || IsFree(c, (*found)->plan_gb) || !(*found)->period_end) return {};
  BillingAccountRow row = std::move(**found);
  if (*row.period_end > now) return {};
  const std::int64_t anchor = row.anchor_at.value_or(*row.period_end);
  const std::int64_t price = MonthlyPrice(c, row.plan_gb);
  while (*row.period_end <= now) {
    // The next period starts where the last one ended and ends on the anchor's day of a month.
    const std::int64_t start = *row.period_end;
    const std::int64_t end = PeriodAt(anchor, start).end_ms;
    // A price of 0 (billing.price_per_gb_month = 0) has nothing to invoice, nor has a plan an
    // admin gives without charge (complimentary).
    if (price > 0 && !row.complimentary) {
      const std::vector<MoneyLine> lines = {
          {fmt::format("Plan {} GB, {} – {}", row.plan_gb, Day(start), Day(end)), row.plan_gb,
           start, end, price}};
      auto issued = IssueInvoice(tx, c, row, lines, now, public_url);
      if (!issued) return std::unexpected(std::move(issued.error()));
      ++run.invoices_issued;
      run.amount_invoiced += issued->total;
    }
    row.period_start = start;
    row.period_end = end;
    row.uncharged_gb = row.complimentary ? row.plan_gb : 0;  // Invoiced in full, or not at all.
  }
  row.updated_at = now;
  if (auto put = BillingStore::PutAccount(tx, row); !put) return std::unexpected(put.error());
  ++run.accounts_billed;
  return {};
}

std::string BillingRun::Summary() const {
  return fmt::format(
      "{} invoice(s) issued ({}) for {} account(s); {} account(s) became past due, {} lifted",
      invoices_issued, FormatMoney(amount_invoiced, currency), accounts_billed, became_past_due,
      lifted);
}

Result<BillingRun> Ledger::RunBilling() {
  const std::int64_t now = NowMs();
  const config::BillingConfig& c = deps_.config;
  BillingRun run;
  run.currency = c.currency;
  // 1. The invoices of the periods that ended.
  for (std::int64_t after = 0;;) {
    auto batch = deps_.db.Write([&](Transaction& tx) -> Result<BatchResult> {
      BatchResult b;
      auto ids = BillingStore::AccountsDue(tx, now, c.free_gb, after, kBillingBatch);
      if (!ids) return std::unexpected(std::move(ids.error()));
      b.ids = std::move(*ids);
      for (std::int64_t id : b.ids) {
        auto billed = BillPeriods(tx, c, id, now, deps_.public_url, b.run);
        if (!billed) return std::unexpected(std::move(billed.error()));
      }
      return b;
    });
    if (!batch) return std::unexpected(std::move(batch.error()));
    run.invoices_issued += batch->run.invoices_issued;
    run.amount_invoiced += batch->run.amount_invoiced;
    run.accounts_billed += batch->run.accounts_billed;
    if (batch->ids.size() < static_cast<std::size_t>(kBillingBatch)) break;
    after = batch->ids.back();
  }
  // 2. Every standing that may change: accounts with open invoices (new ones too) or past due.
  for (std::int64_t after = 0;;) {
    auto batch = deps_.db.Write([&](Transaction& tx) -> Result<BatchResult> {
      BatchResult b;
      auto ids = BillingStore::AccountsToRefresh(tx, after, kBillingBatch);
      if (!ids) return std::unexpected(std::move(ids.error()));
      b.ids = std::move(*ids);
      for (std::int64_t id : b.ids) {
        auto change = RefreshStanding(tx, c, id, now, deps_.public_url);
        if (!change) return std::unexpected(std::move(change.error()));
        if (*change == StandingChange::kUnchanged) continue;
        if (*change == StandingChange::kBecamePastDue) {
          ++b.run.became_past_due;
        } else {
          ++b.run.lifted;
        }
        b.standing_changed.push_back(id);
      }
      return b;
    });
    if (!batch) return std::unexpected(std::move(batch.error()));
    run.became_past_due += batch->run.became_past_due;
    run.lifted += batch->run.lifted;
    for (std::int64_t id : batch->standing_changed) NotifyStanding(id);
    if (batch->ids.size() < static_cast<std::size_t>(kBillingBatch)) break;
    after = batch->ids.back();
  }
  return run;  // The job runner records and logs the summary.
}

}  // namespace nimbus::core::billing
