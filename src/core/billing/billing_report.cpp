// SPDX-License-Identifier: AGPL-3.0-or-later
// BillingService::Report: the admin billing report from BillingReportStore, in one read snapshot,
// with the categories in the order of disks.toml.
#include <algorithm>
#include <utility>

#include "core/billing/billing_service.h"
#include "db/stores/billing_report_store.h"
#include "util/run_blocking.h"

namespace nimbus::core::billing {
namespace {

constexpr int kReportMonths = 12;

std::int64_t WholeGb(std::int64_t bytes) {
  return bytes / static_cast<std::int64_t>(storage::kGiB);
}

// The configured categories first, in their order (those without disks too), then any other
// category the disks table names.
std::vector<CategoryUsage> OrderCategories(const std::vector<config::Category>& configured,
                                           std::vector<db::CategoryUseRow> rows) {
  std::vector<CategoryUsage> out;
  auto take = [&rows](const std::string& name) {
    CategoryUsage c{name};
    auto it = std::find_if(rows.begin(), rows.end(),
                           [&name](const db::CategoryUseRow& r) { return r.name == name; });
    if (it != rows.end()) {
      // Plans are whole GB; a partial GB (never expected) counts as a whole one.
      c.users = it->users;
      c.allocated_gb = WholeGb(it->allocated_bytes + static_cast<std::int64_t>(storage::kGiB) - 1);
      c.capacity_gb = WholeGb(it->capacity_bytes);
      rows.erase(it);
    }
    return c;
  };
  for (const config::Category& c : configured) out.push_back(take(c.name));
  while (!rows.empty()) out.push_back(take(rows.front().name));
  return out;
}

}  // namespace

net::awaitable<Result<BillingReport>> BillingService::Report() {
  const std::string currency = deps_.config.currency;
  auto read = [this, &currency] {
    return deps_.db.Read([&](db::Transaction& tx) -> Result<BillingReport> {
      BillingReport report;
      report.currency = currency;
      auto months = db::BillingReportStore::MonthTotals(tx, currency, kReportMonths);
      if (!months) return std::unexpected(std::move(months.error()));
      for (db::MonthTotalsRow& m : *months) {
        report.months.push_back({std::move(m.month), m.invoiced, m.paid, m.invoices});
      }
      auto categories = db::BillingReportStore::CategoryUse(tx);
      if (!categories) return std::unexpected(std::move(categories.error()));
      report.categories = OrderCategories(deps_.pool.categories(), std::move(*categories));
      auto standing = db::BillingReportStore::StandingTotals(tx, currency);
      if (!standing) return std::unexpected(std::move(standing.error()));
      report.past_due_users = standing->past_due_users;
      report.open_amount = standing->open_amount;
      return report;
    });
  };
  co_return co_await RunBlocking(deps_.workers, std::move(read));
}

}  // namespace nimbus::core::billing
