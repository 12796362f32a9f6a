// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/rfc3339.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <random>

namespace nimbus {
namespace {

TEST(Rfc3339, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(FormatRfc3339(FromUnixMs(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(FromUnixMs(1795620000123)), "2026-11-25T15:20:00.123Z");
  EXPECT_EQ(FormatRfc3339(FromUnixMs(-1)), "1969-12-31T23:59:59.999Z");
}

// The hand-written date arithmetic agrees with gmtime_r: day, month and year boundaries, leap
// days (2000, 2024, not 1900/2100) and random instants from 1900 to 2400.
TEST(Rfc3339, MatchesGmtime) {
  auto expected = [](std::int64_t ms) {
    std::int64_t secs = ms / 1000, frac = ms % 1000;
    if (frac < 0) frac += 1000, secs -= 1;
    const std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(frac));
    return std::string(buf);
  };
  std::vector<std::int64_t> cases{0,
                                  -1,
                                  999,
                                  1000,
                                  -1000,
                                  -1001,
                                  86399999,
                                  86400000,
                                  951782400000,    // 2000-02-29
                                  951868800000,    // 2000-03-01
                                  1709164800000,   // 2024-02-29
                                  -2203891200000,  // 1900-03-01
                                  4107542400000,   // 2100-03-01
                                  253402300799999,
                                  -62167219200000};
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> dist(-2208988800000, 13569465600000);
  for (int i = 0; i < 20000; ++i) cases.push_back(dist(rng));
  for (std::int64_t ms : cases) {
    std::string out = "x";
    AppendRfc3339(out, ms);
    ASSERT_EQ(out, "x" + expected(ms)) << ms;
    // A system_clock time point (nanoseconds) reaches only the years 1678..2261.
    if (ms > -9'000'000'000'000 && ms < 9'000'000'000'000) {
      ASSERT_EQ(FormatRfc3339(FromUnixMs(ms)), expected(ms)) << ms;
    }
  }
}

}  // namespace
}  // namespace nimbus
