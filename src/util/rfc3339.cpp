// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/rfc3339.h"

#include <ctime>

#include <fmt/chrono.h>

namespace nimbus {

std::string FormatRfc3339(Clock::TimePoint t) {
  const std::int64_t ms = ToUnixMs(t);
  std::int64_t secs = ms / 1000;
  std::int64_t frac = ms % 1000;
  if (frac < 0) {  // Before 1970: floor, so the fraction stays positive.
    frac += 1000;
    secs -= 1;
  }
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", tm, frac);
}

}  // namespace nimbus
