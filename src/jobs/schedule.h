// Schedule: when a job runs, either every N seconds or daily at HH:MM UTC. Next-run computation
// is a pure function of the current time, so it is tested without waiting.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "util/clock.h"
#include "util/result.h"

namespace nimbus::jobs {

class Schedule {
 public:
  enum class Kind { kEvery, kDaily };

  Schedule() = default;  // Every hour.
  // Every `interval` (at least one second; smaller values are raised to one second).
  static Schedule Every(std::chrono::seconds interval);
  // Daily at hour:minute UTC; hour in [0, 23], minute in [0, 59] (out-of-range values are clamped).
  static Schedule DailyAt(int hour, int minute);
  // Parses "every 10s" / "every 5m" / "every 2h" / "every 1d" or "daily 03:30" (also
  // "daily at 03:30"). kInvalidArgument naming the accepted forms otherwise.
  static Result<Schedule> Parse(std::string_view text);

  // The first run time strictly after `now`: now + interval, or the next HH:MM UTC.
  Clock::TimePoint NextAfter(Clock::TimePoint now) const;
  // The canonical text ("every 10m", "daily 03:30"); Parse(ToString()) gives the same schedule.
  std::string ToString() const;

  Kind kind() const { return kind_; }
  std::chrono::seconds interval() const { return interval_; }
  int hour() const { return hour_; }
  int minute() const { return minute_; }
  friend bool operator==(const Schedule&, const Schedule&) = default;

 private:
  Kind kind_ = Kind::kEvery;
  std::chrono::seconds interval_{3600};
  int hour_ = 0;
  int minute_ = 0;
};

}  // namespace nimbus::jobs
