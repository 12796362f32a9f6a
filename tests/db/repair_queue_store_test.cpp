// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/stores/repair_queue_store.h"

#include <gtest/gtest.h>

#include "db/database.h"
#include "db/migrations.h"

namespace nimbus::db {
namespace {

TEST(RepairQueueStore, KeepsOneEntryPerBlobAndSideAndMovesWithThePair) {
  auto opened = OpenDatabase("sqlite::memory:", {});
  ASSERT_TRUE(opened) << opened.error().message;
  auto& db = **opened;
  ASSERT_TRUE(Migrate(db, BuiltinMigrations("sqlite")));
  auto w = [&](auto f) {
    return db.Write([&](Transaction& tx) { return f(RepairQueueStore(tx)); });
  };
  ASSERT_TRUE(w([](RepairQueueStore s) { return s.Upsert({"a1", "b2", "mirror", "EIO", 2}); }));
  ASSERT_TRUE(w([](RepairQueueStore s) { return s.Upsert({"a1", "b1", "mirror", "EIO", 1}); }));
  ASSERT_TRUE(w([](RepairQueueStore s) { return s.Upsert({"a1", "b1", "mirror", "again", 5}); }));
  ASSERT_TRUE(w([](RepairQueueStore s) { return s.Upsert({"a1", "b1", "primary", "crc", 3}); }));
  auto rows = w([](RepairQueueStore s) { return s.ListByPair("a1"); });
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].blob_id, "b1");
  EXPECT_EQ((*rows)[0].reason, "EIO");  // The first reason is kept.
  EXPECT_EQ((*rows)[2].target, "primary");
  ASSERT_TRUE(w([](RepairQueueStore s) { return s.Remove("a1", "b2", "mirror"); }));
  auto moved = w([](RepairQueueStore s) { return s.MovePair("a1", "s1"); });
  ASSERT_TRUE(moved);
  EXPECT_EQ(*moved, 2);
  auto gone = w([](RepairQueueStore s) { return s.RemoveTarget("s1", "mirror"); });
  ASSERT_TRUE(gone);
  EXPECT_EQ(*gone, 1);
  auto left = w([](RepairQueueStore s) { return s.ListByPair("s1"); });
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].target, "primary");
}

}  // namespace
}  // namespace nimbus::db
