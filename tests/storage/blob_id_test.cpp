// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/blob_id.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

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

TEST(BlobId, NextIdsShareTheirDirectoryInRunsAndAreOtherwiseRandom) {
  // 4 runs' worth of ids, from a random start: at most 5 distinct first-four-hex prefixes (one
  // local directory each), each used by at most kRun ids, consecutive ids in the same or the
  // next directory; the 28 other hex digits differ.
  constexpr unsigned kCount = 4 * BlobId::kRun;
  std::map<std::string, unsigned> per_dir;
  std::set<std::string> rest;
  std::string previous;
  for (unsigned i = 0; i < kCount; ++i) {
    auto id = BlobId::Next();
    ASSERT_TRUE(BlobId::Parse(id.str()).has_value()) << id.str();
    std::string dir = id.str().substr(0, 4);
    if (!previous.empty() && dir != previous) {
      unsigned before = std::stoul(previous, nullptr, 16);
      EXPECT_EQ(std::stoul(dir, nullptr, 16), (before + 1) & 0xffff) << previous << " -> " << dir;
    }
    previous = dir;
    ++per_dir[dir];
    rest.insert(id.str().substr(4));
  }
  EXPECT_LE(per_dir.size(), 5u);
  EXPECT_GE(per_dir.size(), 4u);
  for (const auto& [dir, n] : per_dir) EXPECT_LE(n, BlobId::kRun) << dir;
  EXPECT_EQ(rest.size(), kCount);
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
