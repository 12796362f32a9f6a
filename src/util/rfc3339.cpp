// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/rfc3339.h"

#include <fmt/chrono.h>

#include <ctime>

namespace nimbus {
namespace {

// Years 0..9999 are formatted by hand; anything else (never a real timestamp here) by fmt.
constexpr std::int64_t kMinFastSecs = -62167219200;  // 0000-01-01T00:00:00Z
constexpr std::int64_t kMaxFastSecs = 253402300799;  // 9999-12-31T23:59:59Z

void SlowAppend(std::string& out, std::int64_t secs, std::int64_t frac) {
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  out += fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", tm, frac);
}

// Writes `v` as exactly `width` decimal digits at `p`.
void Digits(char* p, unsigned v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

}  // namespace

void AppendRfc3339(std::string& out, std::int64_t ms) {
  std::int64_t secs = ms / 1000;
  std::int64_t frac = ms % 1000;
  if (frac < 0) {  // Before 1970: floor, so the fraction stays positive.
    frac += 1000;
    secs -= 1;
  }
  if (secs < kMinFastSecs || secs > kMaxFastSecs) return SlowAppend(out, secs, frac);
  std::int64_t days = secs / 86400;
  std::int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    days -= 1;
  }
  // Civil date from days since 1970-01-01 (H. Hinnant's days_from_civil, inverted).
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const auto year =
      static_cast<unsigned>(static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0));
  char buf[] = "0000-00-00T00:00:00.000Z";  // 24 characters and a NUL.
  Digits(buf, year, 4);
  Digits(buf + 5, month, 2);
  Digits(buf + 8, day, 2);
  Digits(buf + 11, static_cast<unsigned>(sod / 3600), 2);
  Digits(buf + 14, static_cast<unsigned>(sod / 60 % 60), 2);
  Digits(buf + 17, static_cast<unsigned>(sod % 60), 2);
  Digits(buf + 20, static_cast<unsigned>(frac), 3);
  out.append(buf, sizeof buf - 1);
}

std::string FormatRfc3339(Clock::TimePoint t) {
  std::string out;
  out.reserve(24);
  AppendRfc3339(out, ToUnixMs(t));
  return out;
}

}  // namespace nimbus
