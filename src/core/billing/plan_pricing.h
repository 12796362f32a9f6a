// Plan pricing: the money rules of "Plans and billing" as pure functions on integers (no HTTP, no
// SQL, no clock): valid plan sizes, a size's disk category and monthly price, monthly periods
// and the prorated amount of a plan change. SPDX-License-Identifier: AGPL-3.0-or-later
//
// Money is integer minor units (cents) of BillingConfig::currency. Times are milliseconds since
// the Unix epoch (UTC); proration counts whole seconds.
//
// The one rounding rule: each prorated line is
//   amount = monthly difference × remaining seconds / period seconds,
// computed exactly (no floating point, no overflow) and rounded half up to the cent on its absolute
// value, the sign applied afterwards (so 0.5 cent → 1 cent charged, −0.5 cent → 1 cent credited).
// Whole-month lines are never rounded (they are whole cents already). docs/billing.md says the
// same.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/billing.h"
#include "config/disks.h"
#include "util/result.h"

namespace nimbus::core::billing {

// "A plan is 1 GB (free) or a whole number of GB from 10 to 100." from the config.
std::string PlanSizeRule(const config::BillingConfig& config);
// kInvalidPlanSize (with PlanSizeRule) unless `size_gb` is free_gb or min_gb..max_gb on a step.
Result<void> CheckPlanSize(const config::BillingConfig& config, std::int64_t size_gb);
bool IsFree(const config::BillingConfig& config, std::int64_t size_gb);
// The disk category holding a plan of `size_gb` (the storage pool's categories, A..E).
// kInvalidPlanSize when none does.
Result<std::string> CategoryOf(std::span<const config::Category> categories, std::int64_t size_gb);
// size × price_per_gb_month; 0 for the free plan.
std::int64_t MonthlyPrice(const config::BillingConfig& config, std::int64_t size_gb);

// `anchor_ms` plus `months` calendar months: the same day of the month and time of day, clamped
// to the last day of a shorter month (Jan 31 + 1 = Feb 28 or 29; Jan 31 + 2 = Mar 31).
std::int64_t AddMonths(std::int64_t anchor_ms, int months);

// A billing period [start_ms, end_ms) counted from the first paid day (`anchor_ms`).
struct Period {
  std::int64_t anchor_ms = 0;
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
};
// The period of `anchor_ms` that holds `at_ms` (the first one when `at_ms` is before it).
Period PeriodAt(std::int64_t anchor_ms, std::int64_t at_ms);

// `monthly_amount` × remaining / period (seconds), rounded as the header says.
std::int64_t Prorate(std::int64_t monthly_amount, std::int64_t remaining_s, std::int64_t period_s);

// What a billing account holds, as far as money goes.
struct AccountMoney {
  std::int64_t size_gb = 1;
  std::optional<Period> period;  // nullopt on the free plan.
  std::int64_t balance = 0;      // Credit to use on the next invoices (minor units, >= 0).
};

struct MoneyLine {
  std::string description;
  std::int64_t size_gb = 0;
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  std::int64_t amount = 0;  // Minor units; negative for a credit.
};

// The money side of changing the plan to `new_size_gb` at `now_ms` (the size already checked).
struct PlanChangeMoney {
  std::int64_t new_size_gb = 0;
  std::optional<Period> period;  // The period after the change (nullopt: free plan).
  // Due now (> 0: invoiced at once) or credited to the balance (< 0); the sum of `lines`.
  std::int64_t prorated_amount = 0;
  std::vector<MoneyLine> lines;
};
// free → paid: a new period starts at `now_ms` and its full month is charged. paid → paid:
// the difference for the rest of the period (charge for an upgrade, credit for a downgrade).
// paid → free: the unused part of the period is credited and the period ends. Same size: 0.
PlanChangeMoney PlanChange(const config::BillingConfig& config, const AccountMoney& account,
                           std::int64_t new_size_gb, std::int64_t now_ms);

// An invoice's totals once the account's credit is applied.
struct InvoiceTotals {
  std::int64_t subtotal = 0;        // Sum of the lines.
  std::int64_t credit_applied = 0;  // Taken from the balance (<= subtotal).
  std::int64_t total = 0;           // subtotal - credit_applied, what is due.
  std::int64_t balance_after = 0;   // The balance left.
};
InvoiceTotals ApplyCredit(std::int64_t subtotal, std::int64_t balance);

// "12.34 USD" for descriptions and messages.
std::string FormatMoney(std::int64_t minor, const std::string& currency);

}  // namespace nimbus::core::billing
