// The admin billing report (GET /api/v1/admin/billing): revenue per month, users and allocated GB
// per disk category, and what is owed. Built by BillingService::Report.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nimbus::core::billing {

// One calendar month (UTC) with invoices issued or paid. Money in minor units of the currency.
struct MonthRevenue {
  std::string month;          // "2026-11".
  std::int64_t invoiced = 0;  // Totals of the invoices issued that month (what was due).
  std::int64_t paid = 0;      // Totals of the invoices paid that month.
  std::int64_t invoices = 0;  // How many were issued that month.
};

struct CategoryUsage {
  std::string name;
  std::int64_t users = 0;
  std::int64_t allocated_gb = 0;  // The plans of its users.
  std::int64_t capacity_gb = 0;   // What its pairs can hold (one copy), whole GB rounded down.
};

struct BillingReport {
  std::string currency;
  std::vector<MonthRevenue> months;       // The last 12 months with activity, newest first.
  std::vector<CategoryUsage> categories;  // In the order of disks.toml, then any other.
  std::int64_t past_due_users = 0;
  std::int64_t open_amount = 0;  // Totals of the open invoices.
};

}  // namespace nimbus::core::billing
