// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/stores/billing_report_store.h"

#include <map>
#include <utility>

#include "util/clock.h"
#include "util/rfc3339.h"

namespace nimbus::db {

std::string MonthOf(std::int64_t unix_ms) {
  return FormatRfc3339(FromUnixMs(unix_ms)).substr(0, 7);  // "2026-11-25T…" → "2026-11".
}

Result<std::vector<MonthTotalsRow>> BillingReportStore::MonthTotals(Transaction& tx,
                                                                    std::string_view currency,
                                                                    int max_months) {
  // Invoices are few per user and month; one pass over them keeps the SQL portable (months of
  // epoch milliseconds need strftime in SQLite and to_char in PostgreSQL).
  std::map<std::string, MonthTotalsRow> months;
  auto at = [&months](std::int64_t ms) -> MonthTotalsRow& {
    std::string month = MonthOf(ms);
    MonthTotalsRow& m = months[month];
    m.month = std::move(month);
    return m;
  };
  const Value params[] = {Value(currency)};
  auto add = [&](const RowView& r) -> Result<void> {
    const std::int64_t total = r.Int(2);
    const std::string_view status = r.Text(3);
    if (status != "void") {
      MonthTotalsRow& issued = at(r.Int(0));
      issued.invoiced += total;
      issued.invoices += 1;
    }
    if (status == "paid" && !r.IsNull(1)) at(r.Int(1)).paid += total;
    return {};
  };
  auto scanned = tx.QueryEach(
      "SELECT issued_at, paid_at, total, status FROM invoices WHERE currency = ?", params, add);
  if (!scanned) return std::unexpected(std::move(scanned.error()));
  std::vector<MonthTotalsRow> out;
  for (auto it = months.rbegin(); it != months.rend() && static_cast<int>(out.size()) < max_months;
       ++it) {
    out.push_back(std::move(it->second));
  }
  return out;
}

Result<std::vector<CategoryUseRow>> BillingReportStore::CategoryUse(Transaction& tx) {
  std::map<std::string, CategoryUseRow> by_name;
  // An owner on the way to another category counts there with the new size already: their plan
  // and quota are the new ones from the moment the change was accepted.
  auto owners = tx.Query(
      "SELECT d.category, COUNT(*), SUM(COALESCE(m.target_bytes, a.bytes)) FROM allocations a"
      " LEFT JOIN allocation_moves m ON m.owner_id = a.owner_id"
      " JOIN disks d ON d.id = COALESCE(m.target_primary_id, a.primary_id)"
      " WHERE d.category IS NOT NULL GROUP BY d.category");
  if (!owners) return std::unexpected(std::move(owners.error()));
  for (Row& r : *owners) {
    CategoryUseRow& c = by_name[r.Text(0)];
    c.name = r.TakeText(0);
    c.users = r.Int(1);
    c.allocated_bytes = r.Int(2);
  }
  auto disks = tx.Query(
      "SELECT category, SUM(capacity_bytes) FROM disks"
      " WHERE role = 'primary' AND category IS NOT NULL GROUP BY category");
  if (!disks) return std::unexpected(std::move(disks.error()));
  for (Row& r : *disks) {
    CategoryUseRow& c = by_name[r.Text(0)];
    c.name = r.TakeText(0);
    c.capacity_bytes = r.Int(1);
  }
  std::vector<CategoryUseRow> out;
  for (auto& [name, row] : by_name) out.push_back(std::move(row));
  return out;
}

Result<StandingTotalsRow> BillingReportStore::StandingTotals(Transaction& tx,
                                                             std::string_view currency) {
  StandingTotalsRow out;
  auto past_due = tx.QueryOne("SELECT COUNT(*) FROM billing_accounts WHERE state = 'past_due'");
  if (!past_due) return std::unexpected(std::move(past_due.error()));
  out.past_due_users = (*past_due)->Int(0);
  auto open = tx.QueryOne(
      "SELECT COALESCE(SUM(total), 0) FROM invoices WHERE status = 'open' AND currency = ?",
      {currency});
  if (!open) return std::unexpected(std::move(open.error()));
  out.open_amount = (*open)->Int(0);
  return out;
}

}  // namespace nimbus::db
