// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/log_throttle.h"

#include <gtest/gtest.h>

#include <thread>

namespace nimbus {
namespace {

TEST(LogThrottle, TheFirstOfAWindowAreLoggedTheRestCountedAndSaidWithTheNextWindow) {
  LogThrottle throttle(3, std::chrono::milliseconds(200));
  int logged = 0;
  for (int i = 0; i < 10; ++i) {
    LogThrottle::Verdict v = throttle.Take("a1");
    EXPECT_EQ(v.held, 0u);
    logged += v.log ? 1 : 0;
  }
  EXPECT_EQ(logged, 3);
  // Another kind has its own count.
  EXPECT_TRUE(throttle.Take("a1m").log);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  LogThrottle::Verdict next = throttle.Take("a1");
  EXPECT_TRUE(next.log);
  EXPECT_EQ(next.held, 7u);
  EXPECT_EQ(throttle.Take("a1").held, 0u);  // Said once.
}

}  // namespace
}  // namespace nimbus
