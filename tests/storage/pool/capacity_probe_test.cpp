// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/pool/capacity_probe.h"

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sys/statvfs.h>

#include "db/database.h"
#include "db/migrations.h"
#include "fakes/fake_clock.h"
#include "storage/memory/memory_volume.h"
#include "support/temp_dir.h"

namespace nimbus::storage {
namespace {

class NoAlerts : public AlertSink {
 public:
  void Raise(const Alert&) override {}
};

std::uint64_t FreeBytes(const std::string& path) {
  struct statvfs vfs {};
  EXPECT_EQ(::statvfs(path.c_str(), &vfs), 0);
  return static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
}

TEST(FreeSpaceShare, SplitsTheFreeSpaceAmongUnsizedDisksOfTheFileSystem) {
  testing::TempDir dir;
  config::DisksConfig c;
  const std::string base = "file:" + dir.path().string();
  c.disks.push_back({"a1", "A", base + "/disks/a1", 0, "a1m", "primary"});
  c.disks.push_back({"a1m", "A", base + "/disks/a1m", 0, "a1", "mirror"});
  c.disks.push_back({"b1", "B", base + "/disks/b1", 5 << 20, "b1m", "primary"});  // Sized.
  c.spares.push_back({"s1", base + "/disks/s1", 0});
  c.spares.push_back({"s3", "s3://bucket/x", 0});  // Elsewhere: not counted.
  CapacityProbe probe = FreeSpaceShare(c);
  const std::uint64_t free = FreeBytes(dir.path().string());
  auto share = probe(base + "/disks/a1");  // Does not exist yet: its parent's file system.
  ASSERT_TRUE(share) << share.error().message;
  const std::uint64_t expected = free / 3;
  const std::uint64_t slack = 64 << 20;  // Other processes write meanwhile.
  EXPECT_LE(*share, expected + slack);
  EXPECT_GE(*share + slack, expected);
  // A disk attached later (not in disks.toml) shares the file system too: a fourth.
  auto attached = probe(base + "/extra/s9");
  ASSERT_TRUE(attached) << attached.error().message;
  EXPECT_LE(*attached, free / 4 + slack);
  EXPECT_GE(*attached + slack, free / 4);
  auto s3 = probe("s3://bucket/x");
  ASSERT_FALSE(s3);
  EXPECT_EQ(s3.error().code, Errc::kInvalidArgument);
}

TEST(FreeSpaceShare, NeverLessThanTheLargestPlanSoEveryCategoryCanPlaceAUser) {
  testing::TempDir dir;
  config::DisksConfig c;
  c.categories = config::DefaultCategories();  // The largest plan is E's 100 GB.
  const std::string base = "file:" + dir.path().string();
  for (int i = 0; i < 4; ++i) {
    c.disks.push_back({fmt::format("e{}", i), "E", fmt::format("{}/disks/e{}", base, i), 0,
                       fmt::format("e{}m", i), "primary"});
  }
  CapacityProbe probe = FreeSpaceShare(c);
  auto got = probe(base + "/disks/e0");
  ASSERT_TRUE(got) << got.error().message;
  const std::uint64_t share = FreeBytes(dir.path().string()) / 4;
  const std::uint64_t floor = 100ull << 30;
  if (share + (64 << 20) < floor) {
    EXPECT_EQ(*got, floor);  // Thin-provisioned on a small file system.
  } else {
    EXPECT_GE(*got + (64 << 20), share);
  }
}

TEST(FreeSpaceShare, AProbedCapacityIsRecordedOnceAndKeptAcrossRestarts) {
  testing::TempDir dir;
  auto db = db::OpenDatabase("sqlite:" + dir.File("n.db"), {});
  ASSERT_TRUE(db) << db.error().message;
  ASSERT_TRUE(db::Migrate(**db, db::BuiltinMigrations("sqlite")));
  config::DisksConfig c;
  c.categories = config::DefaultCategories();
  c.disks.push_back({"a1", "A", "file:/x/a1", 0, "a1m", "primary"});
  c.disks.push_back({"a1m", "A", "file:/x/a1m", 0, "a1", "mirror"});
  NoAlerts alerts;
  FakeClock clock;
  int calls = 0;
  std::uint64_t answer = 40ull << 30;
  CapacityProbe probe = [&](std::string_view) -> Result<std::uint64_t> {
    ++calls;
    return answer;
  };
  VolumeFactory factory = [](const DiskInfo& d) -> Result<std::unique_ptr<Volume>> {
    return std::make_unique<MemoryVolume>(d.id);
  };
  {
    auto pool = DiskPool::Open(c, DiskPoolDeps{**db, factory, alerts, clock, probe});
    ASSERT_TRUE(pool) << pool.error().message;
    EXPECT_EQ(calls, 2);
    EXPECT_EQ((*pool)->Show("a1")->capacity_bytes, 40ull << 30);
  }
  answer = 1ull << 30;  // The disk filled up meanwhile: its capacity must not shrink.
  auto pool = DiskPool::Open(c, DiskPoolDeps{**db, factory, alerts, clock, probe});
  ASSERT_TRUE(pool) << pool.error().message;
  EXPECT_EQ(calls, 2);
  EXPECT_EQ((*pool)->Show("a1m")->capacity_bytes, 40ull << 30);
  // Without a probe, a new unsized disk is refused with its name.
  c.spares.push_back({"s1", "file:/x/s1", 0});
  auto refused = DiskPool::Open(c, DiskPoolDeps{**db, factory, alerts, clock});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("'s1'"), std::string::npos) << refused.error().message;
}

}  // namespace
}  // namespace nimbus::storage
