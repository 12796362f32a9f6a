// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/load.h"
#include "config_test_util.h"

namespace nimbus::config {
namespace {

using testing::ErrorFor;
using testing::LoadFrom;
using testing::TempConfigDir;

constexpr uint64_t kGiB = uint64_t{1} << 30;

// Two pairs for categories A and B..E squeezed into the defaults' bounds.
constexpr const char* kTwoPairs = R"(
[[disk]]
id = "a1"
category = "A"
uri = "file:/mnt/a1"
capacity = "200GiB"
mirror = "a1m"

[[disk]]
id = "a1m"
role = "mirror"
uri = "file:mirrors/a1m"
capacity = 1000

[[disk]]
id = "b1"
category = "B"
uri = "s3://bucket/b1"
mirror = "b1m"

[[disk]]
id = "b1m"
category = "B"
role = "mirror"
mirror = "b1"
uri = "s3://bucket2"

[[spare]]
id = "s1"
uri = "file:///mnt/s1"
capacity = "1TiB"
)";

TEST(DisksConfig, DefaultLayout) {
  LoadOptions options;
  options.data_dir = "/data";
  auto c = LoadConfig(options);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  const auto& d = c->disks;
  ASSERT_EQ(d.categories.size(), 5u);
  EXPECT_EQ(d.categories[0].name, "A");
  EXPECT_EQ(d.categories[0].min_gb, 1);
  EXPECT_EQ(d.categories[0].max_gb, 1);
  EXPECT_EQ(d.categories[1].min_gb, 10);
  EXPECT_EQ(d.categories[1].max_gb, 24);
  EXPECT_EQ(d.categories[4].name, "E");
  EXPECT_EQ(d.categories[4].max_gb, 100);
  ASSERT_EQ(d.disks.size(), 10u);
  std::vector<std::string> ids;
  for (const auto& disk : d.disks) ids.push_back(disk.id);
  EXPECT_THAT(
      ids, ::testing::ElementsAre("a1", "a1m", "b1", "b1m", "c1", "c1m", "d1", "d1m", "e1", "e1m"));
  EXPECT_EQ(d.disks[2].category, "B");
  EXPECT_EQ(d.disks[2].role, "primary");
  EXPECT_EQ(d.disks[2].mirror, "b1m");
  EXPECT_EQ(d.disks[2].uri, "file:/data/disks/b1");
  EXPECT_EQ(d.disks[3].role, "mirror");
  EXPECT_EQ(d.disks[3].mirror, "b1");
  EXPECT_EQ(d.disks[3].uri, "file:/data/disks/b1m");
  EXPECT_EQ(d.disks[3].capacity_bytes, 0u);  // Unset: storage picks a share of the free space.
  ASSERT_EQ(d.spares.size(), 2u);
  EXPECT_EQ(d.spares[1].id, "spare2");
  EXPECT_EQ(d.spares[1].uri, "file:/data/disks/spare2");
}

TEST(DisksConfig, ReadsDisksSparesAndSettings) {
  TempConfigDir dir;
  dir.Write("disks.toml", std::string(R"(
near_full_ratio = 0.9
health_interval_s = 5
fail_after = 2
scrub_at = "02:00"
[s3]
endpoint = "http://127.0.0.1:9000"
access_key = "AK"
secret_key = "SK"
)") + kTwoPairs);
  LoadOptions options;
  options.config_dir = dir.path();
  options.data_dir = "/data";
  auto c = LoadConfig(options);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  const auto& d = c->disks;
  EXPECT_DOUBLE_EQ(d.near_full_ratio, 0.9);
  EXPECT_EQ(d.health_interval_s, 5);
  EXPECT_EQ(d.fail_after, 2);
  EXPECT_EQ(d.scrub_at, "02:00");
  EXPECT_EQ(d.s3.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(d.s3.secret_key, "SK");
  ASSERT_EQ(d.disks.size(), 4u);
  EXPECT_EQ(d.disks[0].uri, "file:/mnt/a1");
  EXPECT_EQ(d.disks[0].capacity_bytes, 200 * kGiB);
  EXPECT_EQ(d.disks[1].uri, "file:/data/mirrors/a1m");  // Relative: inside data_dir.
  EXPECT_EQ(d.disks[1].category, "A");                  // Taken from its primary.
  EXPECT_EQ(d.disks[1].mirror, "a1");
  EXPECT_EQ(d.disks[1].capacity_bytes, 1000u);
  EXPECT_EQ(d.disks[2].uri, "s3://bucket/b1");
  EXPECT_EQ(d.disks[2].capacity_bytes, 0u);
  ASSERT_EQ(d.spares.size(), 1u);  // Configured spares replace the default ones.
  EXPECT_EQ(d.spares[0].uri, "file:/mnt/s1");
  EXPECT_EQ(d.spares[0].capacity_bytes, 1024 * kGiB);
}

TEST(DisksConfig, MirrorMissing) {
  EXPECT_EQ(ErrorFor("disks.toml", R"(
[[disk]]
id = "a1"
category = "A"
uri = "file:/a1"
mirror = "a9"
)"),
            "disks.toml: disk[0].mirror: \"a9\" is not the id of any [[disk]]");
  EXPECT_EQ(ErrorFor("disks.toml", "[[disk]]\nid = \"a1\"\ncategory = \"A\"\nuri = \"file:/a1\"\n"),
            "disks.toml: disk[0].mirror: primary disk \"a1\" needs a mirror");
}

TEST(DisksConfig, MirrorIsItself) {
  EXPECT_EQ(ErrorFor("disks.toml", R"(
[[disk]]
id = "a1"
category = "A"
uri = "file:/a1"
mirror = "a1"
)"),
            "disks.toml: disk[0].mirror: disk \"a1\" cannot be its own mirror");
}

TEST(DisksConfig, StructuralErrors) {
  std::string e = ErrorFor("disks.toml", R"(
[[disk]]
id = "a1"
category = "Z"
uri = "file:/a1"
mirror = "a1m"
[[disk]]
id = "a1m"
role = "mirror"
uri = "file:/a1"
[[disk]]
id = "a1m"
role = "mirror"
uri = "ftp://x"
[[disk]]
id = "lonely"
role = "mirror"
uri = "file:/lonely"
[[spare]]
id = "a1"
uri = "file:/spare"
)");
  EXPECT_EQ(e,
            "disks.toml: disk[2].uri: must be \"file:<path>\" or \"s3://bucket[/prefix]\", got "
            "\"ftp://x\"\n"
            "disks.toml: disk[1].uri: \"file:/a1\" is also disk \"a1\"\n"
            "disks.toml: disk[2].id: \"a1m\" is used twice\n"
            "disks.toml: spare[0].id: \"a1\" is also a [[disk]] id\n"
            "disks.toml: disk[0].category: \"Z\" is not a configured category\n"
            "disks.toml: disk[3].role: mirror disk \"lonely\" is not the mirror of any primary");
}

TEST(DisksConfig, DiskMustBeAnArrayOfTables) {
  EXPECT_EQ(ErrorFor("disks.toml", "disk = \"a1\"\n"),
            "disks.toml: disk: expected an array of tables ([[disk]] sections), got the string "
            "\"a1\"");
}

TEST(DisksConfig, UnknownKeyInDiskEntry) {
  EXPECT_EQ(ErrorFor("disks.toml", "[[spare]]\nid = \"s\"\nuri = \"file:/s\"\ncapacty = 5\n"),
            "disks.toml: spare[0].capacty: unknown key (did you mean \"capacity\"?)");
}

TEST(DisksConfig, CategoriesNotContiguous) {
  std::string e = ErrorFor("disks.toml", R"(
[[category]]
name = "A"
min_gb = 1
max_gb = 1
[[category]]
name = "B"
min_gb = 10
max_gb = 24
[[category]]
name = "C"
min_gb = 26
max_gb = 100
)");
  EXPECT_EQ(e,
            "disks.toml: category[2].min_gb: categories must be contiguous: \"C\" must start at "
            "25 to follow \"B\" (10-24 GB), got 26");
}

TEST(DisksConfig, CategoriesMustMatchBillingBounds) {
  TempConfigDir dir;
  dir.Write("billing.toml", "max_gb = 200\n");
  dir.Write("disks.toml", R"(
[[category]]
name = "A"
min_gb = 1
max_gb = 2
[[category]]
name = "B"
min_gb = 11
max_gb = 100
)");
  auto c = LoadFrom(dir);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().message,
            "disks.toml: category[0].min_gb: the first category \"A\" is the free plan and must be "
            "1-1 GB (billing.toml free_gb), got 1-2\n"
            "disks.toml: category[1].min_gb: the first paid category \"B\" must start at "
            "billing.toml min_gb (10), got 11\n"
            "disks.toml: category[1].max_gb: the last category \"B\" must end at billing.toml "
            "max_gb (200), got 100");
}

TEST(DisksConfig, CustomCategoriesGetDefaultDisks) {
  TempConfigDir dir;
  dir.Write("disks.toml", R"(
[[category]]
name = "Free"
min_gb = 1
max_gb = 1
[[category]]
name = "Paid"
min_gb = 10
max_gb = 100
)");
  auto c = LoadFrom(dir);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  ASSERT_EQ(c->disks.disks.size(), 4u);
  EXPECT_EQ(c->disks.disks[2].id, "paid1");
  EXPECT_EQ(c->disks.disks[2].category, "Paid");
}

}  // namespace
}  // namespace nimbus::config
