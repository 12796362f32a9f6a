// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/stores/disk_store.h"

#include <gtest/gtest.h>

#include "db/database.h"
#include "db/migrations.h"

namespace nimbus::db {
namespace {

class DiskStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = OpenDatabase("sqlite::memory:", {});
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    auto n = Migrate(*db_, BuiltinMigrations("sqlite"));
    ASSERT_TRUE(n) << n.error().message;
  }

  static DiskRow Disk(std::string id, std::string role, std::string uri) {
    DiskRow d;
    d.id = std::move(id);
    d.role = role;
    d.uri = std::move(uri);
    d.capacity_bytes = 1000;
    d.state = role == "spare" ? "spare" : "healthy";
    if (role != "spare") d.category = "B";
    d.created_at = d.updated_at = 5;
    return d;
  }

  Result<void> Insert(const DiskRow& d) {
    return db_->Write([&](Transaction& tx) { return DiskStore(tx).InsertDisk(d); });
  }

  DiskRow Get(std::string_view id) {
    auto row = db_->Read([&](Transaction& tx) { return DiskStore(tx).GetDisk(id); });
    EXPECT_TRUE(row && *row) << id;
    return row && *row ? **row : DiskRow{};
  }

  std::unique_ptr<Database> db_;
};

TEST_F(DiskStoreTest, InsertedDisksReadBackOrderedById) {
  DiskRow b1 = Disk("b1", "primary", "file:/d/b1");
  b1.mirror_id = "b1m";
  ASSERT_TRUE(Insert(b1));
  ASSERT_TRUE(Insert(Disk("a-spare", "spare", "file:/d/s")));
  auto all = db_->Read([](Transaction& tx) { return DiskStore(tx).ListDisks(); });
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "a-spare");
  EXPECT_EQ((*all)[0].category, std::nullopt);
  EXPECT_EQ((*all)[0].state, "spare");
  EXPECT_EQ((*all)[1].id, "b1");
  EXPECT_EQ((*all)[1].mirror_id, "b1m");
  EXPECT_EQ((*all)[1].category, "B");
  EXPECT_EQ((*all)[1].capacity_bytes, 1000);
  EXPECT_EQ((*all)[1].created_at, 5);
}

TEST_F(DiskStoreTest, DuplicateIdOrUriIsAConflictAndBadWordsAreRefused) {
  ASSERT_TRUE(Insert(Disk("b1", "primary", "file:/d/b1")));
  auto same_id = Insert(Disk("b1", "primary", "file:/d/other"));
  ASSERT_FALSE(same_id);
  EXPECT_EQ(same_id.error().code, Errc::kConflict);
  auto same_uri = Insert(Disk("b2", "primary", "file:/d/b1"));
  ASSERT_FALSE(same_uri);
  EXPECT_EQ(same_uri.error().code, Errc::kConflict);
  DiskRow bad = Disk("b3", "primary", "file:/d/b3");
  bad.state = "sleepy";
  EXPECT_FALSE(Insert(bad));
}

TEST_F(DiskStoreTest, CountersNeverGoBelowZero) {
  ASSERT_TRUE(Insert(Disk("b1", "primary", "file:/d/b1")));
  auto add = db_->Write([](Transaction& tx) -> Result<void> {
    DiskStore s(tx);
    if (auto r = s.AddAllocated("b1", 300, 9); !r) return r;
    return s.AddUsed("b1", 120, 9);
  });
  ASSERT_TRUE(add) << add.error().message;
  auto under = db_->Write([](Transaction& tx) { return DiskStore(tx).AddUsed("b1", -121, 10); });
  ASSERT_FALSE(under);
  EXPECT_EQ(under.error().code, Errc::kConflict);
  EXPECT_NE(under.error().message.find("used_bytes"), std::string::npos);
  auto missing = db_->Write([](Transaction& tx) { return DiskStore(tx).AddUsed("zz", 1, 10); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
  DiskRow b1 = Get("b1");
  EXPECT_EQ(b1.allocated_bytes, 300);
  EXPECT_EQ(b1.used_bytes, 120);
  EXPECT_EQ(b1.updated_at, 9);
}

TEST_F(DiskStoreTest, PlacementStateAndCapacityChange) {
  ASSERT_TRUE(Insert(Disk("s1", "spare", "file:/d/s1")));
  auto r = db_->Write([](Transaction& tx) -> Result<void> {
    DiskStore s(tx);
    if (auto u =
            s.UpdatePlacement("s1", "primary", std::string("C"), std::string("s2"), "healthy", 7);
        !u)
      return u;
    if (auto u = s.SetCapacity("s1", 4096, 8); !u) return u;
    return s.SetState("s1", "failed", 9);
  });
  ASSERT_TRUE(r) << r.error().message;
  DiskRow s1 = Get("s1");
  EXPECT_EQ(s1.role, "primary");
  EXPECT_EQ(s1.category, "C");
  EXPECT_EQ(s1.mirror_id, "s2");
  EXPECT_EQ(s1.state, "failed");
  EXPECT_EQ(s1.capacity_bytes, 4096);
  auto none =
      db_->Write([](Transaction& tx) { return DiskStore(tx).SetState("nope", "failed", 1); });
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::kNotFound);
}

TEST_F(DiskStoreTest, AllocationsAreKeyedByOwnerAndCountedPerPrimary) {
  ASSERT_TRUE(Insert(Disk("b1", "primary", "file:/d/b1")));
  ASSERT_TRUE(Insert(Disk("b2", "primary", "file:/d/b2")));
  auto r = db_->Write([](Transaction& tx) -> Result<void> {
    DiskStore s(tx);
    for (std::int64_t owner : {1, 2}) {
      if (auto i = s.InsertAllocation({owner, "b1", 100, 0, 1, 1}); !i) return i;
    }
    if (auto i = s.InsertAllocation({3, "b2", 50, 0, 1, 1}); !i) return i;
    if (auto i = s.SetAllocationBytes(2, 70, 2); !i) return i;
    return s.AddAllocationUsed(2, 40, 3);
  });
  ASSERT_TRUE(r) << r.error().message;
  auto dup = db_->Write([](Transaction& tx) {
    return DiskStore(tx).InsertAllocation({1, "b2", 1, 0, 1, 1});
  });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::kConflict);
  auto a2 = db_->Read([](Transaction& tx) { return DiskStore(tx).GetAllocation(2); });
  ASSERT_TRUE(a2 && *a2);
  EXPECT_EQ((*a2)->bytes, 70);
  EXPECT_EQ((*a2)->used_bytes, 40);
  EXPECT_EQ((*a2)->updated_at, 3);
  auto under =
      db_->Write([](Transaction& tx) { return DiskStore(tx).AddAllocationUsed(2, -41, 4); });
  ASSERT_FALSE(under);
  EXPECT_EQ(under.error().code, Errc::kConflict);
  auto owners = db_->Read([](Transaction& tx) { return DiskStore(tx).OwnersByPrimary(); });
  ASSERT_TRUE(owners);
  EXPECT_EQ(*owners, (std::map<std::string, std::int64_t>{{"b1", 2}, {"b2", 1}}));
  ASSERT_TRUE(db_->Write([](Transaction& tx) { return DiskStore(tx).DeleteAllocation(1); }));
  auto again = db_->Write([](Transaction& tx) { return DiskStore(tx).DeleteAllocation(1); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kNotFound);
  auto gone = db_->Read([](Transaction& tx) { return DiskStore(tx).GetAllocation(1); });
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
}

TEST_F(DiskStoreTest, MovePrimaryRepointsEveryAllocationAndSetCountersOverwrites) {
  ASSERT_TRUE(Insert(Disk("b1", "primary", "file:/d/b1")));
  ASSERT_TRUE(Insert(Disk("s1", "spare", "file:/d/s1")));
  auto r = db_->Write([](Transaction& tx) -> Result<std::int64_t> {
    DiskStore s(tx);
    for (std::int64_t owner : {1, 2, 3}) {
      if (auto i = s.InsertAllocation({owner, "b1", 10, 0, 1, 1}); !i) return Fail(i.error());
    }
    if (auto c = s.SetCounters("s1", 30, 4, 6); !c) return Fail(c.error());
    return s.MovePrimary("b1", "s1", 6);
  });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, 3);
  auto owners = db_->Read([](Transaction& tx) { return DiskStore(tx).OwnersByPrimary(); });
  ASSERT_TRUE(owners);
  EXPECT_EQ(*owners, (std::map<std::string, std::int64_t>{{"s1", 3}}));
  DiskRow s1 = Get("s1");
  EXPECT_EQ(s1.allocated_bytes, 30);
  EXPECT_EQ(s1.used_bytes, 4);
  auto none = db_->Write([](Transaction& tx) { return DiskStore(tx).SetCounters("zz", 1, 1, 1); });
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::kNotFound);
}

TEST_F(DiskStoreTest, AMoveBelongsToAnAllocationAndFollowsAReplacedTarget) {
  ASSERT_TRUE(Insert(Disk("b1", "primary", "file:/d/b1")));
  ASSERT_TRUE(Insert(Disk("c1", "primary", "file:/d/c1")));
  ASSERT_TRUE(Insert(Disk("s1", "spare", "file:/d/s1")));
  auto orphan = db_->Write([](Transaction& tx) {
    return DiskStore(tx).InsertMove({7, "c1", 30, 1});
  });
  ASSERT_FALSE(orphan);  // No allocation for owner 7.
  EXPECT_EQ(orphan.error().code, Errc::kConflict);
  auto r = db_->Write([](Transaction& tx) -> Result<std::int64_t> {
    DiskStore s(tx);
    if (auto i = s.InsertAllocation({7, "b1", 10, 0, 1, 1}); !i) return Fail(i.error());
    if (auto i = s.InsertMove({7, "c1", 30, 2}); !i) return Fail(i.error());
    return s.MovePrimary("c1", "s1", 3);  // c1 replaced by s1: the move follows.
  });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, 0);  // No allocation lived on c1.
  auto m = db_->Read([](Transaction& tx) { return DiskStore(tx).GetMove(7); });
  ASSERT_TRUE(m && *m);
  EXPECT_EQ((*m)->target_primary_id, "s1");
  EXPECT_EQ((*m)->target_bytes, 30);
  auto busy = db_->Write([](Transaction& tx) { return DiskStore(tx).DeleteAllocation(7); });
  ASSERT_FALSE(busy);  // The move references it.
  auto done = db_->Write([](Transaction& tx) -> Result<void> {
    DiskStore s(tx);
    if (auto d = s.DeleteMove(7); !d) return d;
    return s.SetAllocationPlacement(7, "s1", 30, 4);
  });
  ASSERT_TRUE(done) << done.error().message;
  auto a = db_->Read([](Transaction& tx) { return DiskStore(tx).GetAllocation(7); });
  ASSERT_TRUE(a && *a);
  EXPECT_EQ((*a)->primary_id, "s1");
  EXPECT_EQ((*a)->bytes, 30);
  auto again = db_->Write([](Transaction& tx) { return DiskStore(tx).DeleteMove(7); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kNotFound);
}

TEST_F(DiskStoreTest, AnAllocationMustNameAKnownDiskAndReserveSomething) {
  ASSERT_TRUE(Insert(Disk("b1", "primary", "file:/d/b1")));
  auto unknown = db_->Write([](Transaction& tx) {
    return DiskStore(tx).InsertAllocation({9, "zz", 10, 0, 1, 1});
  });
  ASSERT_FALSE(unknown);  // REFERENCES disks (id), with foreign_keys=ON.
  EXPECT_EQ(unknown.error().code, Errc::kConflict);
  auto zero = db_->Write([](Transaction& tx) {
    return DiskStore(tx).InsertAllocation({9, "b1", 0, 0, 1, 1});
  });
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().code, Errc::kConflict);
}

}  // namespace
}  // namespace nimbus::db
