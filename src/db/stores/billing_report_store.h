// BillingReportStore: the SQL of the admin billing report (GET /api/v1/admin/billing): invoice
// totals per calendar month (UTC), users and allocated bytes per disk category, and what is owed.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "util/result.h"

namespace nimbus::db {

// One calendar month (UTC) of invoices in one currency. Money in minor units.
struct MonthTotalsRow {
  std::string month;          // "2026-11".
  std::int64_t invoiced = 0;  // Totals of the invoices issued in the month (void ones left out).
  std::int64_t paid = 0;      // Totals of the invoices paid in the month (by paid_at).
  std::int64_t invoices = 0;  // How many were issued in the month (void ones left out).
};

// One disk category as the storage pool holds it.
struct CategoryUseRow {
  std::string name;
  std::int64_t users = 0;            // Owners whose plan is in the category (a move: its target).
  std::int64_t allocated_bytes = 0;  // Their plan sizes (a move: the new size).
  std::int64_t capacity_bytes = 0;   // The primaries' capacity (each pair stores a copy twice).
};

struct StandingTotalsRow {
  std::int64_t past_due_users = 0;  // billing_accounts in state past_due.
  std::int64_t open_amount = 0;     // Totals of the open invoices in the currency.
};

// Stateless: every method takes the transaction to run in. SQL errors as Transaction documents.
class BillingReportStore {
 public:
  // The `max_months` most recent months with an invoice issued or paid in `currency`, newest
  // first. The months are counted in C++ from the times (UTC), so the SQL has no date functions
  // of one dialect.
  static Result<std::vector<MonthTotalsRow>> MonthTotals(Transaction& tx, std::string_view currency,
                                                         int max_months);
  // Every category that has disks or owners, ordered by name.
  static Result<std::vector<CategoryUseRow>> CategoryUse(Transaction& tx);
  static Result<StandingTotalsRow> StandingTotals(Transaction& tx, std::string_view currency);
};

// "2026-11": the calendar month (UTC) of `unix_ms`.
std::string MonthOf(std::int64_t unix_ms);

}  // namespace nimbus::db
