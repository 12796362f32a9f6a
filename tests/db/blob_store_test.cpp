// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/stores/blob_store.h"

#include <gtest/gtest.h>

#include "db/database.h"
#include "db/migrations.h"
#include "db/stores/disk_store.h"

namespace nimbus::db {
namespace {

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = OpenDatabase("sqlite::memory:", {});
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    auto n = Migrate(*db_, BuiltinMigrations("sqlite"));
    ASSERT_TRUE(n) << n.error().message;
    for (const char* id : {"a1", "b1"}) {
      DiskRow d;
      d.id = id;
      d.role = "primary";
      d.uri = std::string("file:/d/") + id;
      d.capacity_bytes = 1000;
      d.state = "healthy";
      d.category = "A";
      ASSERT_TRUE(db_->Write([&](Transaction& tx) { return DiskStore(tx).InsertDisk(d); }));
    }
  }

  Result<void> Insert(std::string id, std::int64_t owner, std::string primary, std::int64_t size) {
    BlobRow b{std::move(id), owner, std::move(primary), size, std::string(64, 'a'), 7};
    return db_->Write([&](Transaction& tx) { return BlobStore(tx).Insert(b); });
  }

  std::unique_ptr<Database> db_;
};

TEST_F(BlobStoreTest, RecordsPagesAndTotalsByOwnerAndPair) {
  ASSERT_TRUE(Insert("b3", 1, "a1", 30));
  ASSERT_TRUE(Insert("b1", 1, "a1", 10));
  ASSERT_TRUE(Insert("b2", 2, "a1", 20));
  ASSERT_TRUE(Insert("b4", 1, "b1", 40));

  auto page = db_->Read([](Transaction& tx) { return BlobStore(tx).ListByOwner(1, "", 2); });
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, "b1");
  EXPECT_EQ((*page)[1].id, "b3");
  auto rest = db_->Read([](Transaction& tx) { return BlobStore(tx).ListByOwner(1, "b3", 2); });
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].id, "b4");

  auto on_a1 = db_->Read([](Transaction& tx) { return BlobStore(tx).TotalsByPrimary("a1"); });
  ASSERT_TRUE(on_a1);
  EXPECT_EQ(on_a1->blobs, 3);
  EXPECT_EQ(on_a1->bytes, 60);
  auto none = db_->Read([](Transaction& tx) { return BlobStore(tx).TotalsByOwner(9); });
  ASSERT_TRUE(none);
  EXPECT_EQ(none->blobs, 0);
  EXPECT_EQ(none->bytes, 0);
}

TEST_F(BlobStoreTest, DuplicateIdIsAConflictAndUnknownPairIsRefused) {
  ASSERT_TRUE(Insert("b1", 1, "a1", 10));
  auto again = Insert("b1", 2, "a1", 10);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kConflict);
  EXPECT_FALSE(Insert("b2", 1, "nope", 10));  // Foreign key to disks.
}

TEST_F(BlobStoreTest, MovesBetweenPairsAndDeletes) {
  ASSERT_TRUE(Insert("b1", 1, "a1", 10));
  ASSERT_TRUE(Insert("b2", 1, "a1", 20));
  ASSERT_TRUE(db_->Write([](Transaction& tx) { return BlobStore(tx).SetPrimary("b1", "b1"); }));
  auto got = db_->Read([](Transaction& tx) { return BlobStore(tx).Get("b1"); });
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->primary_id, "b1");
  auto moved = db_->Write([](Transaction& tx) { return BlobStore(tx).MovePrimary("a1", "b1"); });
  ASSERT_TRUE(moved);
  EXPECT_EQ(*moved, 1);
  ASSERT_TRUE(db_->Write([](Transaction& tx) { return BlobStore(tx).Delete("b2"); }));
  auto gone = db_->Write([](Transaction& tx) { return BlobStore(tx).Delete("b2"); });
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Errc::kNotFound);
}

}  // namespace
}  // namespace nimbus::db
