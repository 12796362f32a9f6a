// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/blob_id.h"

#include <gtest/gtest.h>

#include <set>

namespace nimbus::storage {
namespace {

TEST(BlobId, RandomIdsAre32HexCharsAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = BlobId::Random();
    ASSERT_EQ(id.str().size(), 32u);
    ASSERT_TRUE(BlobId::Parse(id.str()).has_value());
    seen.insert(id.str());
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(BlobId, ParseRejectsWhatIsNotAnId) {
  EXPECT_FALSE(BlobId::Parse("").has_value());
  EXPECT_FALSE(BlobId::Parse("0123456789abcdef0123456789abcdeF").has_value());
  EXPECT_FALSE(BlobId::Parse("../../etc/passwd0123456789abcdef").has_value());
  EXPECT_FALSE(BlobId::Parse("0123456789abcdef0123456789abcde").has_value());
  auto ok = BlobId::Parse("0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->str(), "0123456789abcdef0123456789abcdef");
}

}  // namespace
}  // namespace nimbus::storage
