// FakeClock: a Clock that stands still until a test sets or advances it.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <mutex>

#include "util/clock.h"

namespace nimbus {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint(std::chrono::seconds(1'700'000'000)))
      : now_(start) {}
  TimePoint Now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void Set(TimePoint t) {
    std::lock_guard lock(mu_);
    now_ = t;
  }
  void Advance(Clock::TimePoint::duration d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_;  // Guarded by mu_.
};

}  // namespace nimbus
