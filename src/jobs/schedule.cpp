// SPDX-License-Identifier: AGPL-3.0-or-later
#include "jobs/schedule.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>

namespace nimbus::jobs {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parses all of `s` as a non-negative decimal number.
bool ParseNumber(std::string_view s, long long& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out >= 0;
}

Result<Schedule> ParseEvery(std::string_view text, std::string_view spec) {
  spec = Trim(spec);
  if (spec.empty()) return Fail(Errc::kInvalidArgument, "schedule '{}': missing interval", text);
  const char unit = spec.back();
  long long mult = 0;
  switch (unit) {
    case 's':
      mult = 1;
      break;
    case 'm':
      mult = 60;
      break;
    case 'h':
      mult = 3600;
      break;
    case 'd':
      mult = 86400;
      break;
    default:
      return Fail(Errc::kInvalidArgument,
                  "schedule '{}': the interval needs a unit s, m, h or d (\"every 10m\")", text);
  }
  long long n = 0;
  // Bound: ten years of seconds, far below any overflow when turned into time points.
  if (!ParseNumber(Trim(spec.substr(0, spec.size() - 1)), n) || n == 0 || n > 315'360'000 / mult) {
    return Fail(Errc::kInvalidArgument, "schedule '{}': the interval must be a positive number",
                text);
  }
  return Schedule::Every(std::chrono::seconds(n * mult));
}

Result<Schedule> ParseDaily(std::string_view text, std::string_view spec) {
  spec = Trim(spec);
  if (spec.starts_with("at ")) spec = Trim(spec.substr(3));
  auto colon = spec.find(':');
  long long h = -1, m = -1;
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || spec.size() - colon != 3 ||
      !ParseNumber(spec.substr(0, colon), h) || !ParseNumber(spec.substr(colon + 1), m) || h > 23 ||
      m > 59) {
    return Fail(Errc::kInvalidArgument, "schedule '{}': expected daily HH:MM (UTC, 00:00-23:59)",
                text);
  }
  return Schedule::DailyAt(static_cast<int>(h), static_cast<int>(m));
}

}  // namespace

Schedule Schedule::Every(std::chrono::seconds interval) {
  Schedule s;
  s.kind_ = Kind::kEvery;
  s.interval_ = std::max(interval, std::chrono::seconds(1));
  return s;
}

Schedule Schedule::DailyAt(int hour, int minute) {
  Schedule s;
  s.kind_ = Kind::kDaily;
  s.interval_ = std::chrono::hours(24);
  s.hour_ = std::clamp(hour, 0, 23);
  s.minute_ = std::clamp(minute, 0, 59);
  return s;
}

Result<Schedule> Schedule::Parse(std::string_view text) {
  std::string_view t = Trim(text);
  if (t.starts_with("every ")) return ParseEvery(text, t.substr(6));
  if (t.starts_with("daily ")) return ParseDaily(text, t.substr(6));
  return Fail(Errc::kInvalidArgument,
              "schedule '{}': expected \"every <N>s|m|h|d\" or \"daily HH:MM\" (UTC)", text);
}

Clock::TimePoint Schedule::NextAfter(Clock::TimePoint now) const {
  if (kind_ == Kind::kEvery) return now + interval_;
  // system_clock counts from the Unix epoch in UTC without leap seconds, so flooring to whole
  // days gives UTC midnight.
  auto midnight = std::chrono::floor<std::chrono::days>(now);
  auto at = midnight + std::chrono::hours(hour_) + std::chrono::minutes(minute_);
  if (at <= now) at += std::chrono::days(1);
  return at;
}

std::string Schedule::ToString() const {
  if (kind_ == Kind::kDaily) return fmt::format("daily {:02}:{:02}", hour_, minute_);
  const long long s = interval_.count();
  if (s % 86400 == 0) return fmt::format("every {}d", s / 86400);
  if (s % 3600 == 0) return fmt::format("every {}h", s / 3600);
  if (s % 60 == 0) return fmt::format("every {}m", s / 60);
  return fmt::format("every {}s", s);
}

}  // namespace nimbus::jobs
