// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/rfc3339.h"

#include <fmt/chrono.h>

#include <chrono>
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

std::string FormatHttpDate(std::int64_t unix_ms) {
  const auto t = std::chrono::floor<std::chrono::seconds>(
      std::chrono::system_clock::time_point(std::chrono::milliseconds(unix_ms)));
  return fmt::format("{:%a, %d %b %Y %H:%M:%S} GMT", t);
}

std::string FormatRfc3339(Clock::TimePoint t) {
  std::string out;
  out.reserve(24);
  AppendRfc3339(out, ToUnixMs(t));
  return out;
}

namespace {

// `len` decimal digits of `s` at `pos`.
bool Digits(std::string_view s, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

// An RFC 3339 date-time ("2026-12-01T18:00:00Z", "…:00.250+01:00") as ms since the epoch.
std::optional<std::int64_t> ParseRfc3339(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!Digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !Digits(s, 5, 2, mo) || s[7] != '-' ||
      !Digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !Digits(s, 11, 2, h) ||
      s[13] != ':' || !Digits(s, 14, 2, mi) || s[16] != ':' || !Digits(s, 17, 2, sec)) {
    return std::nullopt;
  }
  std::size_t i = 19;
  int ms = 0;
  if (s[i] == '.') {
    int digits = 0;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
      if (digits < 3) ms = ms * 10 + (s[i] - '0');
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) ms *= 10;
  }
  int offset_min = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh = 0, om = 0;
    if (!Digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !Digits(s, i + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_min = (s[i] == '-' ? -1 : 1) * (oh * 60 + om);
    i += 6;
  } else {
    return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day date{year(y), month(static_cast<unsigned>(mo)),
                            day(static_cast<unsigned>(d))};
  if (i != s.size() || !date.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  const std::int64_t days = sys_days(date).time_since_epoch().count();
  const std::int64_t secs = days * 86400 + (h * 60 + mi) * 60 + std::min(sec, 59);  // 60: leap.
  return (secs - offset_min * 60) * 1000 + ms;
}

}  // namespace nimbus
