// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/stores/disk_task_store.h"

#include <gtest/gtest.h>

#include "db/database.h"
#include "db/migrations.h"

namespace nimbus::db {
namespace {

class DiskTaskStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = OpenDatabase("sqlite::memory:", {});
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    auto n = Migrate(*db_, BuiltinMigrations("sqlite"));
    ASSERT_TRUE(n) << n.error().message;
  }

  template <class F>
  auto W(F&& f) {
    return db_->Write([&](Transaction& tx) { return f(DiskTaskStore(tx)); });
  }

  std::unique_ptr<Database> db_;
};

TEST_F(DiskTaskStoreTest, CreatesQueuedTasksAndFindsTheLatestPerDiskAndKind) {
  auto a = W([](DiskTaskStore s) { return s.Create("resilver", "a1", std::nullopt, 10); });
  auto b = W([](DiskTaskStore s) { return s.Create("resilver", "a1", std::nullopt, 20); });
  auto c = W([](DiskTaskStore s) { return s.Create("scrub", "a1", std::nullopt, 30); });
  ASSERT_TRUE(a && b && c);
  EXPECT_LT(*a, *b);
  auto latest = W([](DiskTaskStore s) { return s.LatestFor("a1", "resilver"); });
  ASSERT_TRUE(latest && *latest);
  EXPECT_EQ((*latest)->id, *b);
  EXPECT_EQ((*latest)->state, "queued");
  EXPECT_EQ((*latest)->created_at, 20);
  EXPECT_EQ((*latest)->lease_owner, "");
  EXPECT_FALSE((*latest)->finished_at);
  auto none = W([](DiskTaskStore s) { return s.LatestFor("b1", "resilver"); });
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  auto bad = W([](DiskTaskStore s) { return s.Create("defrag", "a1", std::nullopt, 1); });
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
  auto open = W([](DiskTaskStore s) { return s.ListUnfinished("resilver"); });
  ASSERT_TRUE(open);
  EXPECT_EQ(open->size(), 2u);
}

TEST_F(DiskTaskStoreTest, OnlyOneOwnerHoldsTheLeaseUntilItExpires) {
  auto id = W([](DiskTaskStore s) { return s.Create("resilver", "a1", std::nullopt, 0); });
  ASSERT_TRUE(id);
  const std::int64_t t = *id;
  ASSERT_TRUE(W([&](DiskTaskStore s) { return s.TryLease(t, "cli:1", 100, 1100); }));
  auto other = W([&](DiskTaskStore s) { return s.TryLease(t, "serve:2", 500, 1500); });
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, Errc::kConflict);
  EXPECT_NE(other.error().message.find("cli:1"), std::string::npos) << other.error().message;
  // The holder re-takes its own lease; progress extends it.
  ASSERT_TRUE(W([&](DiskTaskStore s) { return s.TryLease(t, "cli:1", 600, 1600); }));
  DiskTaskProgress p{10, 4, 1000, 400};
  ASSERT_TRUE(W([&](DiskTaskStore s) { return s.UpdateProgress(t, "cli:1", p, 700, 1700); }));
  auto lost = W([&](DiskTaskStore s) { return s.UpdateProgress(t, "serve:2", p, 700, 1700); });
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, Errc::kConflict);
  // Expired (the CLI was killed): another process takes over and the old holder is locked out.
  ASSERT_TRUE(W([&](DiskTaskStore s) { return s.TryLease(t, "serve:2", 1700, 2700); }));
  EXPECT_FALSE(W([&](DiskTaskStore s) { return s.UpdateProgress(t, "cli:1", p, 1800, 2800); }));
  auto row = W([&](DiskTaskStore s) { return s.Get(t); });
  ASSERT_TRUE(row && *row);
  EXPECT_EQ((*row)->state, "running");
  EXPECT_EQ((*row)->done_blobs, 4);
  EXPECT_EQ((*row)->total_bytes, 1000);
  EXPECT_EQ((*row)->lease_owner, "serve:2");
  // Released (the holder was stopped): anyone may take it at once; it is still running.
  ASSERT_TRUE(W([&](DiskTaskStore s) { return s.Release(t, "cli:1", 1900); }));  // Not the holder.
  EXPECT_FALSE(W([&](DiskTaskStore s) { return s.TryLease(t, "cli:3", 1900, 2900); }));
  ASSERT_TRUE(W([&](DiskTaskStore s) { return s.Release(t, "serve:2", 1900); }));
  ASSERT_TRUE(W([&](DiskTaskStore s) { return s.TryLease(t, "cli:3", 1900, 2900); }));
}

// A holder known to be gone (a process of this host killed with kill -9) loses its unexpired
// lease to the next process that asks; one not known to be gone keeps it (QA pass 17b: a replace
// run again right after its own process was killed waited for the lease to expire).
TEST_F(DiskTaskStoreTest, AnUnexpiredLeaseOfAProcessThatIsGoneIsTakenOver) {
  auto id = W([](DiskTaskStore s) { return s.Create("resilver", "a1", std::nullopt, 0); });
  ASSERT_TRUE(id);
  const std::int64_t t = *id;
  ASSERT_TRUE(W([&](DiskTaskStore s) { return s.TryLease(t, "killed", 100, 20100); }));
  auto alive = [](std::string_view) { return false; };
  auto gone = [](std::string_view holder) { return holder == "killed"; };
  EXPECT_FALSE(W([&](DiskTaskStore s) { return s.TryLease(t, "cli:2", 200, 20200, alive); }));
  ASSERT_TRUE(W([&](DiskTaskStore s) { return s.TryLease(t, "cli:2", 300, 20300, gone); }));
  auto row = W([&](DiskTaskStore s) { return s.Get(t); });
  ASSERT_TRUE(row && *row);
  EXPECT_EQ((*row)->lease_owner, "cli:2");
  EXPECT_EQ((*row)->lease_until, 20300);
  // The new holder is alive: the same predicate does not take it from it.
  auto third = W([&](DiskTaskStore s) { return s.TryLease(t, "serve:3", 400, 20400, gone); });
  ASSERT_FALSE(third);
  EXPECT_NE(third.error().message.find("cli:2"), std::string::npos) << third.error().message;
}

TEST_F(DiskTaskStoreTest, FinishRecordsTheOutcomeAndFreesTheLease) {
  auto id = W([](DiskTaskStore s) { return s.Create("scrub", "b1", std::nullopt, 0); });
  ASSERT_TRUE(id);
  const std::int64_t t = *id;
  EXPECT_FALSE(W([&](DiskTaskStore s) { return s.Finish(t, "x", "done", "{}", "", 5); }));
  ASSERT_TRUE(W([&](DiskTaskStore s) { return s.TryLease(t, "x", 1, 100); }));
  EXPECT_FALSE(W([&](DiskTaskStore s) { return s.Finish(t, "x", "running", "{}", "", 5); }));
  ASSERT_TRUE(W([&](DiskTaskStore s) {
    return s.Finish(t, "x", "failed", R"({"copied":1})", "disk b1m: EIO", 9);
  }));
  auto row = W([&](DiskTaskStore s) { return s.Get(t); });
  ASSERT_TRUE(row && *row);
  EXPECT_EQ((*row)->state, "failed");
  EXPECT_EQ((*row)->result, R"({"copied":1})");
  EXPECT_EQ((*row)->error, "disk b1m: EIO");
  EXPECT_EQ((*row)->finished_at, 9);
  EXPECT_EQ((*row)->lease_owner, "");
  auto again = W([&](DiskTaskStore s) { return s.TryLease(t, "y", 10, 100); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kConflict);
  auto open = W([](DiskTaskStore s) { return s.ListUnfinished("scrub"); });
  ASSERT_TRUE(open);
  EXPECT_TRUE(open->empty());
}

}  // namespace
}  // namespace nimbus::db
