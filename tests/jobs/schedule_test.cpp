// SPDX-License-Identifier: AGPL-3.0-or-later
#include "jobs/schedule.h"

#include <gtest/gtest.h>

#include <chrono>

namespace nimbus::jobs {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_days;

Clock::TimePoint Utc(int y, unsigned mo, unsigned d, int h, int mi, int s = 0) {
  return sys_days(std::chrono::year(y) / mo / d) + std::chrono::hours(h) +
         std::chrono::minutes(mi) + std::chrono::seconds(s);
}

TEST(Schedule, ParsesIntervalsInEveryUnit) {
  EXPECT_EQ(Schedule::Parse("every 10s").value().interval(), 10s);
  EXPECT_EQ(Schedule::Parse("every 5m").value().interval(), 300s);
  EXPECT_EQ(Schedule::Parse("every 2h").value().interval(), 7200s);
  EXPECT_EQ(Schedule::Parse("  every 1d ").value().interval(), 86400s);
  EXPECT_EQ(Schedule::Parse("every 90 s").value().interval(), 90s);
  EXPECT_EQ(Schedule::Parse("every 10s").value().kind(), Schedule::Kind::kEvery);
}

TEST(Schedule, ParsesDailyTimes) {
  auto s = Schedule::Parse("daily 03:30");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->kind(), Schedule::Kind::kDaily);
  EXPECT_EQ(s->hour(), 3);
  EXPECT_EQ(s->minute(), 30);
  EXPECT_EQ(Schedule::Parse("daily at 23:59").value(), Schedule::DailyAt(23, 59));
  EXPECT_EQ(Schedule::Parse("daily 0:05").value(), Schedule::DailyAt(0, 5));
}

TEST(Schedule, RejectsMalformedTextWithAMessageNamingTheForms) {
  for (const char* bad : {"", "every", "every 10", "every 0s", "every -5s", "every 10x", "every s",
                          "daily", "daily 24:00", "daily 12:60", "daily 3", "daily 1:2",
                          "daily 12:30:00", "hourly", "every 99999999999999999999s"}) {
    auto s = Schedule::Parse(bad);
    EXPECT_FALSE(s) << "accepted '" << bad << "'";
    if (!s) {
      EXPECT_EQ(s.error().code, Errc::kInvalidArgument);
    }
  }
  auto s = Schedule::Parse("weekly");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("daily HH:MM"), std::string::npos) << s.error().message;
}

TEST(Schedule, ToStringRoundTripsThroughParse) {
  for (const Schedule& s : {Schedule::Every(10s), Schedule::Every(120s), Schedule::Every(7200s),
                            Schedule::Every(86400s), Schedule::Every(61s), Schedule::DailyAt(3, 30),
                            Schedule::DailyAt(0, 0)}) {
    auto back = Schedule::Parse(s.ToString());
    ASSERT_TRUE(back) << s.ToString();
    EXPECT_EQ(*back, s) << s.ToString();
  }
  EXPECT_EQ(Schedule::Every(120s).ToString(), "every 2m");
  EXPECT_EQ(Schedule::DailyAt(3, 5).ToString(), "daily 03:05");
}

TEST(Schedule, IntervalRunsAfterTheInterval) {
  auto now = Utc(2026, 11, 25, 15, 0);
  EXPECT_EQ(Schedule::Every(10s).NextAfter(now), now + 10s);
  EXPECT_EQ(Schedule::Every(0s).interval(), 1s);  // Raised to one second.
}

TEST(Schedule, DailyRunsLaterTodayWhenTheTimeIsStillAhead) {
  auto s = Schedule::DailyAt(3, 30);
  EXPECT_EQ(s.NextAfter(Utc(2026, 11, 25, 1, 0)), Utc(2026, 11, 25, 3, 30));
  EXPECT_EQ(s.NextAfter(Utc(2026, 11, 25, 3, 29, 59)), Utc(2026, 11, 25, 3, 30));
}

TEST(Schedule, DailyRunsTomorrowOnceTheTimeHasPassedOrIsNow) {
  auto s = Schedule::DailyAt(3, 30);
  EXPECT_EQ(s.NextAfter(Utc(2026, 11, 25, 3, 30)), Utc(2026, 11, 26, 3, 30));
  EXPECT_EQ(s.NextAfter(Utc(2026, 11, 25, 15, 0)), Utc(2026, 11, 26, 3, 30));
}

TEST(Schedule, DailyCrossesMidnightMonthAndYearEnds) {
  EXPECT_EQ(Schedule::DailyAt(0, 10).NextAfter(Utc(2026, 12, 31, 23, 59, 59)),
            Utc(2027, 1, 1, 0, 10));
  EXPECT_EQ(Schedule::DailyAt(0, 0).NextAfter(Utc(2026, 12, 31, 23, 59, 59)),
            Utc(2027, 1, 1, 0, 0));
  EXPECT_EQ(Schedule::DailyAt(23, 59).NextAfter(Utc(2028, 2, 28, 23, 59)),
            Utc(2028, 2, 29, 23, 59));  // Leap day.
  EXPECT_EQ(Schedule::DailyAt(12, 0).NextAfter(Utc(2026, 11, 30, 12, 0, 1)),
            Utc(2026, 12, 1, 12, 0));
  // Just after midnight, a time later that day is still today.
  EXPECT_EQ(Schedule::DailyAt(3, 30).NextAfter(Utc(2026, 11, 26, 0, 0, 1)),
            Utc(2026, 11, 26, 3, 30));
}

TEST(Schedule, DailyIgnoresSubSecondPrecision) {
  auto almost = Utc(2026, 11, 25, 3, 30) - std::chrono::microseconds(1);
  EXPECT_EQ(Schedule::DailyAt(3, 30).NextAfter(almost), Utc(2026, 11, 25, 3, 30));
}

}  // namespace
}  // namespace nimbus::jobs
