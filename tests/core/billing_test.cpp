// SPDX-License-Identifier: AGPL-3.0-or-later
// The money rules of core/billing/plan_pricing: plan sizes, categories, periods, proration to
// the second and the rounding rule, exact to the cent.
#include <gtest/gtest.h>

#include <chrono>

#include "core/billing/plan_pricing.h"

namespace nimbus::core::billing {
namespace {

namespace chr = std::chrono;

// Milliseconds of a UTC date and time.
std::int64_t At(int y, unsigned m, unsigned d, int h = 0, int min = 0) {
  const chr::sys_days day{chr::year(y) / chr::month(m) / chr::day(d)};
  return chr::duration_cast<chr::milliseconds>(day.time_since_epoch() + chr::hours(h) +
                                               chr::minutes(min))
      .count();
}

config::BillingConfig Config() { return config::BillingConfig{}; }  // 10 cents per GB-month.

AccountMoney Paid(std::int64_t gb, std::int64_t anchor, std::int64_t now,
                  std::int64_t balance = 0) {
  return AccountMoney{gb, PeriodAt(anchor, now), balance};
}

TEST(PlanPricing, SizesAreTheFreePlanOrWholeGbFromMinToMax) {
  const auto c = Config();
  for (int ok : {1, 10, 11, 24, 25, 99, 100}) EXPECT_TRUE(CheckPlanSize(c, ok)) << ok;
  for (int bad : {0, 2, 9, 101, -10}) {
    auto r = CheckPlanSize(c, bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::kInvalidPlanSize);
    EXPECT_NE(r.error().message.find("1 GB (free) or a whole number of GB from 10 to 100"),
              std::string::npos)
        << r.error().message;
  }
}

TEST(PlanPricing, CategoryComesFromTheDiskCategories) {
  const auto cats = config::DefaultCategories();
  EXPECT_EQ(*CategoryOf(cats, 1), "A");
  EXPECT_EQ(*CategoryOf(cats, 10), "B");
  EXPECT_EQ(*CategoryOf(cats, 24), "B");
  EXPECT_EQ(*CategoryOf(cats, 25), "C");
  EXPECT_EQ(*CategoryOf(cats, 74), "D");
  EXPECT_EQ(*CategoryOf(cats, 100), "E");
  EXPECT_EQ(CategoryOf(cats, 5).error().code, Errc::kInvalidPlanSize);
}

TEST(PlanPricing, MonthlyPriceIsSizeTimesPriceAndTheFreePlanIsFree) {
  const auto c = Config();
  EXPECT_EQ(MonthlyPrice(c, 1), 0);
  EXPECT_EQ(MonthlyPrice(c, 10), 100);
  EXPECT_EQ(MonthlyPrice(c, 37), 370);
}

TEST(PlanPricing, PeriodsKeepTheDayOfMonthClampedToShortMonths) {
  EXPECT_EQ(AddMonths(At(2026, 1, 10, 9, 30), 1), At(2026, 2, 10, 9, 30));
  EXPECT_EQ(AddMonths(At(2026, 1, 31), 1), At(2026, 2, 28));
  EXPECT_EQ(AddMonths(At(2028, 1, 31), 1), At(2028, 2, 29));  // Leap year.
  EXPECT_EQ(AddMonths(At(2028, 1, 31), 2), At(2028, 3, 31));  // Back to the 31st.
  EXPECT_EQ(AddMonths(At(2026, 8, 31), 1), At(2026, 9, 30));
  EXPECT_EQ(AddMonths(At(2026, 12, 31), 2), At(2027, 2, 28));
  const Period p = PeriodAt(At(2026, 1, 31), At(2026, 3, 15));
  EXPECT_EQ(p.start_ms, At(2026, 2, 28));
  EXPECT_EQ(p.end_ms, At(2026, 3, 31));
  EXPECT_EQ(PeriodAt(At(2026, 1, 31), At(2026, 1, 31)).end_ms, At(2026, 2, 28));
}

TEST(PlanPricing, RoundingIsHalfUpOnEachLineForChargesAndCredits) {
  // 31-day period, 10 cents a month, 1.55 days left: exactly 0.5 cent.
  const std::int64_t period = 31 * 86400, left = 133920;
  EXPECT_EQ(Prorate(10, left, period), 1);
  EXPECT_EQ(Prorate(-10, left, period), -1);
  EXPECT_EQ(Prorate(10, left - 1, period), 0);       // Just under half a cent.
  EXPECT_EQ(Prorate(150, 21 * 86400, period), 102);  // 101.61 cents.
  EXPECT_EQ(Prorate(150, 0, period), 0);
  EXPECT_EQ(Prorate(150, period + 5, period), 150);  // Never more than the month.
  // No overflow at the largest prices: 1e9 cents per GB × 1,048,576 GB.
  EXPECT_EQ(Prorate(1'000'000'000LL * 1'048'576, period / 2, period), 524'288'000'000'000LL);
}

TEST(PlanPricing, UpgradeMidPeriodChargesTheDifferenceForTheRestOfThePeriod) {
  const auto c = Config();
  const std::int64_t anchor = At(2026, 1, 10), now = At(2026, 1, 20);  // 21 of 31 days left.
  PlanChangeMoney m = PlanChange(c, Paid(10, anchor, now), 25, now);
  EXPECT_EQ(m.prorated_amount, 102);  // 150 × 21/31 = 101.61.
  ASSERT_EQ(m.lines.size(), 1u);
  EXPECT_EQ(m.lines[0].amount, 102);
  EXPECT_EQ(m.lines[0].size_gb, 25);
  EXPECT_EQ(m.lines[0].from_ms, now);
  EXPECT_EQ(m.lines[0].to_ms, At(2026, 2, 10));
  EXPECT_EQ(m.lines[0].description,
            "Upgrade from 10 GB to 25 GB, 2026-01-20 to 2026-02-10 (prorated)");
  ASSERT_TRUE(m.period);
  EXPECT_EQ(m.period->start_ms, anchor);  // The period does not move.
}

TEST(PlanPricing, DowngradeMidPeriodCreditsTheUnusedDifference) {
  const auto c = Config();
  const std::int64_t anchor = At(2026, 1, 10), now = At(2026, 1, 25, 12);  // 15.5 days left.
  PlanChangeMoney m = PlanChange(c, Paid(25, anchor, now), 12, now);
  EXPECT_EQ(m.prorated_amount, -65);  // 130 × 15.5/31 = 65.00.
  EXPECT_EQ(m.lines.at(0).description,
            "Downgrade from 25 GB to 12 GB, 2026-01-25 to 2026-02-10 (prorated)");
}

TEST(PlanPricing, SeveralChangesInOnePeriodAreEachProratedAndRounded) {
  const auto c = Config();
  const std::int64_t anchor = At(2026, 1, 10);
  AccountMoney a = Paid(10, anchor, anchor);
  std::int64_t t = At(2026, 1, 15);  // 26 days left.
  PlanChangeMoney m1 = PlanChange(c, a, 20, t);
  EXPECT_EQ(m1.prorated_amount, 84);  // 100 × 26/31 = 83.87.
  a.size_gb = 20;
  t = At(2026, 1, 25, 12);  // 15.5 days left.
  PlanChangeMoney m2 = PlanChange(c, a, 30, t);
  EXPECT_EQ(m2.prorated_amount, 50);  // 100 × 15.5/31 = 50.00.
  a.size_gb = 30;
  t = At(2026, 2, 9);  // 1 day left.
  PlanChangeMoney m3 = PlanChange(c, a, 15, t);
  EXPECT_EQ(m3.prorated_amount, -5);  // 150 × 1/31 = 4.84.
  EXPECT_EQ(m1.prorated_amount + m2.prorated_amount + m3.prorated_amount, 129);
}

TEST(PlanPricing, FreeToPaidStartsAPeriodAndInvoicesTheFullMonth) {
  const auto c = Config();
  const std::int64_t now = At(2026, 1, 31, 10);
  PlanChangeMoney m = PlanChange(c, AccountMoney{1, std::nullopt, 0}, 20, now);
  EXPECT_EQ(m.prorated_amount, 200);
  ASSERT_TRUE(m.period);
  EXPECT_EQ(m.period->anchor_ms, now);
  EXPECT_EQ(m.period->start_ms, now);
  EXPECT_EQ(m.period->end_ms, At(2026, 2, 28, 10));  // The 31st clamped to February.
  EXPECT_EQ(m.lines.at(0).description, "20 GB plan, 2026-01-31 to 2026-02-28");
  EXPECT_EQ(m.lines.at(0).amount, 200);
}

TEST(PlanPricing, PaidToFreeCreditsTheUnusedPartAndEndsThePeriod) {
  const auto c = Config();
  const std::int64_t anchor = At(2026, 2, 1), now = At(2026, 2, 8);  // 21 of 28 days left.
  PlanChangeMoney m = PlanChange(c, Paid(50, anchor, now), 1, now);
  EXPECT_EQ(m.prorated_amount, -375);  // 500 × 21/28.
  EXPECT_FALSE(m.period);
}

TEST(PlanPricing, LeapFebruaryHas29DaysInTheProration) {
  const auto c = Config();
  const std::int64_t anchor = At(2028, 2, 1), now = At(2028, 2, 15);  // 15 of 29 days left.
  PlanChangeMoney m = PlanChange(c, Paid(10, anchor, now), 20, now);
  EXPECT_EQ(m.prorated_amount, 52);  // 100 × 15/29 = 51.72.
  EXPECT_EQ(m.lines.at(0).to_ms, At(2028, 3, 1));
}

TEST(PlanPricing, ThirtyFirstOfTheMonthPeriodsProrateOverTheClampedMonth) {
  const auto c = Config();
  // Anchored on Aug 31: the period of Sep 15 runs Aug 31 → Sep 30 (30 days).
  const std::int64_t anchor = At(2026, 8, 31), now = At(2026, 9, 15);  // 15 of 30 days left.
  AccountMoney a = Paid(40, anchor, now);
  EXPECT_EQ(a.period->end_ms, At(2026, 9, 30));
  EXPECT_EQ(PlanChange(c, a, 41, now).prorated_amount, 5);  // 10 × 15/30 = 5.00.
  EXPECT_EQ(PlanChange(c, a, 43, now).prorated_amount, 15);
  EXPECT_EQ(PlanChange(c, a, 10, now).prorated_amount, -150);
}

TEST(PlanPricing, SameSizeOrFreeToFreeCostsNothing) {
  const auto c = Config();
  const std::int64_t now = At(2026, 3, 3);
  EXPECT_EQ(PlanChange(c, AccountMoney{1, std::nullopt, 0}, 1, now).prorated_amount, 0);
  EXPECT_TRUE(PlanChange(c, Paid(30, now, now), 30, now).lines.empty());
}

TEST(PlanPricing, CreditsAreCarriedIntoTheNextInvoices) {
  // A downgrade's credit of 375 pays the next invoices until it is used up.
  InvoiceTotals a = ApplyCredit(200, 375);
  EXPECT_EQ(a.credit_applied, 200);
  EXPECT_EQ(a.total, 0);
  EXPECT_EQ(a.balance_after, 175);
  InvoiceTotals b = ApplyCredit(500, a.balance_after);
  EXPECT_EQ(b.credit_applied, 175);
  EXPECT_EQ(b.total, 325);
  EXPECT_EQ(b.balance_after, 0);
  InvoiceTotals c = ApplyCredit(84, 0);
  EXPECT_EQ(c.total, 84);
  EXPECT_EQ(c.credit_applied, 0);
}

TEST(PlanPricing, MoneyIsFormattedFromMinorUnits) {
  EXPECT_EQ(FormatMoney(102, "USD"), "1.02 USD");
  EXPECT_EQ(FormatMoney(-375, "EUR"), "-3.75 EUR");
  EXPECT_EQ(FormatMoney(5, "USD"), "0.05 USD");
}

}  // namespace
}  // namespace nimbus::core::billing
