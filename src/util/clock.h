// Clock: where the time comes from, so code that schedules or expires things can be tested with
// a FakeClock (tests/fakes/fake_clock.h) instead of sleeping.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <chrono>
#include <cstdint>

namespace nimbus {

class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  // The current wall-clock time (UTC). Thread-safe.
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

// Milliseconds since the Unix epoch: how times are stored in the database.
inline std::int64_t ToUnixMs(Clock::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline Clock::TimePoint FromUnixMs(std::int64_t ms) {
  return Clock::TimePoint(
      std::chrono::duration_cast<Clock::TimePoint::duration>(std::chrono::milliseconds(ms)));
}

}  // namespace nimbus
