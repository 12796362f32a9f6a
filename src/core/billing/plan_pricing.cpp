// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/billing/plan_pricing.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>

#include "storage/pool/disk_pool.h"

namespace nimbus::core::billing {

namespace chr = std::chrono;

std::string PlanSizeRule(const config::BillingConfig& c) {
  std::string step =
      c.step_gb == 1 ? "whole number of GB" : fmt::format("multiple of {} GB", c.step_gb);
  return fmt::format("A plan is {} GB (free) or a {} from {} to {} GB.", c.free_gb, step, c.min_gb,
                     c.max_gb);
}

bool IsFree(const config::BillingConfig& c, std::int64_t size_gb) { return size_gb == c.free_gb; }

Result<void> CheckPlanSize(const config::BillingConfig& c, std::int64_t size_gb) {
  if (IsFree(c, size_gb)) return {};
  if (size_gb >= c.min_gb && size_gb <= c.max_gb && (size_gb - c.min_gb) % c.step_gb == 0) {
    return {};
  }
  return Fail(Errc::kInvalidPlanSize, "{} {} GB is not one.", PlanSizeRule(c), size_gb);
}

Result<std::string> CategoryOf(std::span<const config::Category> categories, std::int64_t size_gb) {
  if (size_gb <= 0) return Fail(Errc::kInvalidPlanSize, "A plan has at least 1 GB.");
  auto category =
      storage::CategoryForBytes(categories, static_cast<std::uint64_t>(size_gb) * storage::kGiB);
  if (!category) return Fail(Errc::kInvalidPlanSize, "{}", category.error().message);
  return category;
}

std::int64_t MonthlyPrice(const config::BillingConfig& c, std::int64_t size_gb) {
  return IsFree(c, size_gb) ? 0 : size_gb * c.price_per_gb_month;
}

std::int64_t AddMonths(std::int64_t anchor_ms, int months) {
  const chr::sys_time<chr::milliseconds> t{chr::milliseconds(anchor_ms)};
  const chr::sys_days day = chr::floor<chr::days>(t);
  const chr::milliseconds time_of_day = t - day;
  const chr::year_month_day ymd{day};
  const chr::year_month ym = chr::year_month(ymd.year(), ymd.month()) + chr::months(months);
  const chr::day last = chr::year_month_day_last(ym.year(), chr::month_day_last(ym.month())).day();
  const chr::year_month_day target{ym.year(), ym.month(), std::min(ymd.day(), last)};
  return (chr::sys_days(target) + time_of_day).time_since_epoch().count();
}

Period PeriodAt(std::int64_t anchor_ms, std::int64_t at_ms) {
  // Months from the anchor to `at_ms`: a close guess from the average month, then exact steps.
  int k = at_ms <= anchor_ms ? 0 : static_cast<int>((at_ms - anchor_ms) / (31LL * 86'400'000));
  while (AddMonths(anchor_ms, k + 1) <= at_ms) ++k;
  return Period{anchor_ms, AddMonths(anchor_ms, k), AddMonths(anchor_ms, k + 1)};
}

std::int64_t Prorate(std::int64_t monthly_amount, std::int64_t remaining_s, std::int64_t period_s) {
  if (period_s <= 0 || remaining_s <= 0 || monthly_amount == 0) return 0;
  remaining_s = std::min(remaining_s, period_s);
  // Exact without overflow (a price × GB × seconds can pass 2^63): with a = q·p + rem,
  // a·r/p = q·r + rem·r/p, where rem·r < p·r stays small. Rounded half up on the absolute value:
  // floor((2·rem·r + p) / (2·p)).
  const bool negative = monthly_amount < 0;
  const std::int64_t a = negative ? -monthly_amount : monthly_amount;
  const std::int64_t q = a / period_s;
  const std::int64_t rem = a % period_s;
  const std::int64_t out = q * remaining_s + (2 * rem * remaining_s + period_s) / (2 * period_s);
  return negative ? -out : out;
}

namespace {

std::string Day(std::int64_t ms) {
  const chr::year_month_day ymd{
      chr::floor<chr::days>(chr::sys_time<chr::milliseconds>(chr::milliseconds(ms)))};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

MoneyLine ProratedLine(const config::BillingConfig& c, const Period& p, std::int64_t old_gb,
                       std::int64_t new_gb, std::int64_t now_ms) {
  const std::int64_t diff = MonthlyPrice(c, new_gb) - MonthlyPrice(c, old_gb);
  const std::int64_t remaining_s = (p.end_ms - now_ms) / 1000;
  const std::int64_t period_s = (p.end_ms - p.start_ms) / 1000;
  MoneyLine line;
  line.description =
      fmt::format("{} from {} GB to {} GB, {} to {} (prorated)",
                  diff >= 0 ? "Upgrade" : "Downgrade", old_gb, new_gb, Day(now_ms), Day(p.end_ms));
  line.size_gb = new_gb;
  line.from_ms = std::min(now_ms, p.end_ms);
  line.to_ms = p.end_ms;
  line.amount = Prorate(diff, remaining_s, period_s);
  return line;
}

}  // namespace

PlanChangeMoney PlanChange(const config::BillingConfig& c, const AccountMoney& account,
                           std::int64_t new_size_gb, std::int64_t now_ms) {
  PlanChangeMoney out;
  out.new_size_gb = new_size_gb;
  out.period = account.period;
  const bool was_paid = !IsFree(c, account.size_gb) && account.period.has_value();
  if (new_size_gb == account.size_gb) return out;
  if (!was_paid) {
    if (IsFree(c, new_size_gb)) {
      out.period.reset();
      return out;
    }
    // The first paid day: a new period, the whole month invoiced.
    Period p{now_ms, now_ms, AddMonths(now_ms, 1)};
    MoneyLine line;
    line.description =
        fmt::format("{} GB plan, {} to {}", new_size_gb, Day(p.start_ms), Day(p.end_ms));
    line.size_gb = new_size_gb;
    line.from_ms = p.start_ms;
    line.to_ms = p.end_ms;
    line.amount = MonthlyPrice(c, new_size_gb);
    out.period = p;
    out.prorated_amount = line.amount;
    out.lines.push_back(std::move(line));
    return out;
  }
  MoneyLine line = ProratedLine(c, *account.period, account.size_gb, new_size_gb, now_ms);
  out.prorated_amount = line.amount;
  out.lines.push_back(std::move(line));
  if (IsFree(c, new_size_gb)) out.period.reset();
  return out;
}

InvoiceTotals ApplyCredit(std::int64_t subtotal, std::int64_t balance) {
  InvoiceTotals t;
  t.subtotal = subtotal;
  t.credit_applied = std::clamp<std::int64_t>(balance, 0, std::max<std::int64_t>(subtotal, 0));
  t.total = subtotal - t.credit_applied;
  t.balance_after = balance - t.credit_applied;
  return t;
}

std::string FormatMoney(std::int64_t minor, const std::string& currency) {
  const std::int64_t a = minor < 0 ? -minor : minor;
  return fmt::format("{}{}.{:02} {}", minor < 0 ? "-" : "", a / 100, a % 100, currency);
}

}  // namespace nimbus::core::billing
