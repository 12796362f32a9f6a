// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/rfc3339.h"

#include <gtest/gtest.h>

namespace nimbus {
namespace {

TEST(Rfc3339, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(FormatRfc3339(FromUnixMs(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(FromUnixMs(1795620000123)), "2026-11-25T15:20:00.123Z");
  EXPECT_EQ(FormatRfc3339(FromUnixMs(-1)), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace nimbus
