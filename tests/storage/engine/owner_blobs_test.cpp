// SPDX-License-Identifier: AGPL-3.0-or-later
// OwnerBlobs: write, record, read, forget, erase with exact counters; plan changes in place.
#include "storage/engine/owner_blobs.h"

#include <filesystem>

#include "storage/engine/owner_blobs_fixture.h"
#include "storage/local/local_volume.h"
#include "util/worker_pool.h"

namespace nimbus::storage::testing {
namespace {

using nimbus::testing::RunCo;

TEST_F(OwnerBlobsTest, WriteRecordReadForgetEraseKeepTheCountersExact) {
  Open();
  Allocate(7, 1 * G);
  const std::string data = TestBytes(2 * kBlockSize + 777, 3);  // Three blocks.
  StringSource source(data);
  auto stored = RunCo(ioc_, blobs_->Write(7, source, data.size()));
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(stored->primary_id, "a1");
  EXPECT_EQ(stored->info.size, data.size());
  EXPECT_EQ(stored->info.sha256_hex, Sha256Hex(data));
  // Durable on both disks, but not recorded yet: nothing counted.
  EXPECT_TRUE(volumes_["a1"]->Contains(stored->info.id));
  EXPECT_TRUE(volumes_["a1m"]->Contains(stored->info.id));
  EXPECT_EQ(Used("a1"), 0);
  const std::string id = stored->info.id.str();
  EXPECT_EQ(RunCo(ioc_, blobs_->Stat(id)).error().code, Errc::kNotFound);

  auto recorded = db_->Write([&](db::Transaction& tx) { return blobs_->Record(tx, 7, *stored); });
  ASSERT_TRUE(recorded) << recorded.error().message;
  const auto size = static_cast<std::int64_t>(data.size());
  EXPECT_EQ(Used("a1"), size);
  EXPECT_EQ(Used("a1m"), size);
  EXPECT_EQ(engine_->pool().Locate(7)->used_bytes, data.size());
  db::BlobRow row = Row(id);
  EXPECT_EQ(row.owner_id, 7);
  EXPECT_EQ(row.primary_id, "a1");
  EXPECT_EQ(row.size, size);
  EXPECT_EQ(row.sha256, Sha256Hex(data));

  // Recording it twice is refused and changes nothing.
  auto twice = db_->Write([&](db::Transaction& tx) { return blobs_->Record(tx, 7, *stored); });
  EXPECT_FALSE(twice);
  EXPECT_EQ(Used("a1"), size);

  auto all = Get(id);
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(*all, data);
  auto part = Get(id, ByteRange{kBlockSize - 10, 30});
  ASSERT_TRUE(part) << part.error().message;
  EXPECT_EQ(*part, data.substr(kBlockSize - 10, 30));
  EXPECT_EQ(Get(BlobId::Random().str()).error().code, Errc::kNotFound);
  EXPECT_EQ(Get("not-a-blob-id").error().code, Errc::kInvalidArgument);

  // A rolled-back Forget changes nothing.
  auto rolled = db_->Write([&](db::Transaction& tx) -> Result<void> {
    auto r = blobs_->Forget(tx, id);
    if (!r) return Fail(r.error());
    return Fail(Errc::kConflict, "the caller's node change failed");
  });
  EXPECT_FALSE(rolled);
  EXPECT_EQ(Used("a1"), size);
  EXPECT_TRUE(Get(id));

  auto forgotten = db_->Write([&](db::Transaction& tx) { return blobs_->Forget(tx, id); });
  ASSERT_TRUE(forgotten) << forgotten.error().message;
  EXPECT_EQ(forgotten->id, id);
  EXPECT_EQ(Used("a1"), 0);
  EXPECT_EQ(Used("a1m"), 0);
  EXPECT_EQ(Get(id).error().code, Errc::kNotFound);
  EXPECT_TRUE(volumes_["a1"]->Contains(stored->info.id));  // Until Erase.
  auto erased = RunCo(ioc_, blobs_->Erase(*forgotten));
  ASSERT_TRUE(erased) << erased.error().message;
  EXPECT_FALSE(volumes_["a1"]->Contains(stored->info.id));
  EXPECT_FALSE(volumes_["a1m"]->Contains(stored->info.id));
  EXPECT_TRUE(RunCo(ioc_, blobs_->Erase(*forgotten)));  // Already gone: fine.
  auto again = db_->Write([&](db::Transaction& tx) { return blobs_->Forget(tx, id); });
  EXPECT_EQ(again.error().code, Errc::kNotFound);
}

// A Forget queues the blob's bytes for removal in its own transaction: a process killed before
// EraseForgotten leaves the queue (not orphans), and the next EraseLeftovers finishes it; a
// removal that fails now stays queued.
TEST_F(OwnerBlobsTest, AForgottenBlobStaysQueuedUntilItsBytesAreGone) {
  Open();
  Allocate(7, 1 * G);
  auto queued = [&] {
    auto n = db_->Read([](db::Transaction& tx) -> Result<std::int64_t> {
      auto row = tx.QueryOne("SELECT COUNT(*) FROM blob_erasures");
      if (!row) return std::unexpected(row.error());
      return (**row).Int(0);
    });
    return n.value_or(-1);
  };
  const std::string id = Put(7, "the bytes of a deleted file");
  const BlobId blob = *BlobId::Parse(id);
  auto forgotten = db_->Write([&](db::Transaction& tx) { return blobs_->Forget(tx, id); });
  ASSERT_TRUE(forgotten) << forgotten.error().message;
  EXPECT_EQ(queued(), 1);
  // Killed here: a new process finds the queue and removes the bytes.
  NewOwnerBlobs({});
  auto left = RunCo(ioc_, blobs_->EraseLeftovers());
  ASSERT_TRUE(left) << left.error().message;
  EXPECT_EQ(*left, 1u);
  EXPECT_FALSE(volumes_["a1"]->Contains(blob));
  EXPECT_FALSE(volumes_["a1m"]->Contains(blob));
  EXPECT_EQ(queued(), 0);

  // Both disks offline: the removal fails, the blob stays queued until they are back.
  const std::string other = Put(7, "another one");
  auto second = db_->Write([&](db::Transaction& tx) { return blobs_->Forget(tx, other); });
  ASSERT_TRUE(second);
  volumes_["a1"]->SetOffline(true);
  volumes_["a1m"]->SetOffline(true);
  EXPECT_EQ(RunCo(ioc_, blobs_->EraseForgotten({*second})), 0u);
  EXPECT_EQ(queued(), 1);
  volumes_["a1"]->SetOffline(false);
  volumes_["a1m"]->SetOffline(false);
  auto later = RunCo(ioc_, blobs_->EraseLeftovers());
  ASSERT_TRUE(later);
  EXPECT_EQ(*later, 1u);
  EXPECT_FALSE(volumes_["a1"]->Contains(*BlobId::Parse(other)));
  EXPECT_EQ(queued(), 0);
}

TEST_F(OwnerBlobsTest, WriteErrorsSayWhatIsWrong) {
  Open();
  StringSource source("abc");
  auto none = RunCo(ioc_, blobs_->Write(99, source, 3));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::kNotFound);
  EXPECT_NE(none.error().message.find("99"), std::string::npos) << none.error().message;

  Allocate(8, 1 * G);
  StringSource shorter("abc");
  auto wrong = RunCo(ioc_, blobs_->Write(8, shorter, 4));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(volumes_["a1"]->BlobCount(), 0u);

  // Both disks of the pair failed: storage unavailable (a 503 with a sentence), nothing written.
  ASSERT_TRUE(engine_->FailDisk("a1", "test"));
  ASSERT_TRUE(engine_->FailDisk("a1m", "test"));
  StringSource third("abc");
  auto down = RunCo(ioc_, blobs_->Write(8, third, 3));
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, Errc::kStorageUnavailable);
  EXPECT_NE(down.error().message.find("a1m"), std::string::npos) << down.error().message;
}

TEST_F(OwnerBlobsTest, ReadFailsOverToTheMirrorWhenThePrimaryCopyIsCorrupt) {
  Open();
  Allocate(7, 1 * G);
  const std::string data = TestBytes(kBlockSize + 5000, 9);
  const std::string id = Put(7, data);
  ASSERT_TRUE(volumes_["a1"]->Corrupt(*BlobId::Parse(id), kBlockSize + 10));
  auto got = Get(id);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, data);
}

TEST_F(OwnerBlobsTest, ChangePlanWithinACategoryResizesInPlace) {
  Open();
  Allocate(7, 10 * G);
  const std::string id = Put(7, "hello");
  auto change = RunCo(ioc_, blobs_->ChangePlan(7, 20 * G));
  ASSERT_TRUE(change) << change.error().message;
  EXPECT_FALSE(change->moving);
  EXPECT_EQ(change->pair.primary_id, "b1");
  EXPECT_EQ(Allocated("b1"), static_cast<std::int64_t>(20 * G));
  EXPECT_EQ(Used("b1"), 5);
  EXPECT_EQ(Row(id).primary_id, "b1");

  auto gap = RunCo(ioc_, blobs_->ChangePlan(7, 5 * G));  // 2-9 GB is no plan.
  ASSERT_FALSE(gap);
  EXPECT_EQ(gap.error().code, Errc::kInvalidArgument);
  auto nobody = RunCo(ioc_, blobs_->ChangePlan(1234, 20 * G));
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code, Errc::kNotFound);
}

// The same flow on real files: a move between LocalVolume pairs removes the old files.
TEST_F(OwnerBlobsTest, MoveBetweenLocalVolumesInATempDir) {
  Open({}, /*local=*/true);
  Allocate(7, 1 * G);
  std::map<std::string, std::string> blobs;
  for (std::uint32_t i = 0; i < 4; ++i) {
    const std::string data = TestBytes(i == 0 ? 3 * kBlockSize + 1 : 1000 * (i + 1), 40 + i);
    blobs[Put(7, data)] = data;
  }
  std::int64_t total = 0;
  for (const auto& [id, data] : blobs) total += static_cast<std::int64_t>(data.size());
  EXPECT_EQ(Used("a1"), total);
  // Whether disk `disk` holds blob `id`, seen as another process would (a file, or a row of
  // small.sqlite for the three small ones).
  WorkerPool pool(1);
  auto on_disk = [this, &pool](const std::string& disk, const std::string& id) {
    LocalVolumeOptions o{
        .id = disk, .root = dir_.File(disk), .create_if_missing = false, .sweep_tmp = false};
    auto v = LocalVolume::Open(o, pool);
    EXPECT_TRUE(v) << v.error().message;
    return v && RunCo(ioc_, (*v)->Stat(*BlobId::Parse(id))).has_value();
  };
  for (const auto& [id, data] : blobs) ASSERT_TRUE(on_disk("a1", id)) << id;

  auto change = RunCo(ioc_, blobs_->ChangePlan(7, 30 * G));  // Category C.
  ASSERT_TRUE(change) << change.error().message;
  EXPECT_TRUE(change->moving);
  EXPECT_EQ(change->pair.primary_id, "c1");
  Drain();
  EXPECT_FALSE(MoveRecorded(7));
  EXPECT_EQ(engine_->pool().Locate(7)->pair.primary_id, "c1");
  for (const auto& [id, data] : blobs) {
    EXPECT_EQ(Row(id).primary_id, "c1");
    auto got = Get(id);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, data);
    for (std::string disk : {"a1", "a1m"}) {
      EXPECT_FALSE(on_disk(disk, id)) << disk << " " << id;
    }
    for (std::string disk : {"c1", "c1m"}) {
      EXPECT_TRUE(on_disk(disk, id)) << disk << " " << id;
    }
  }
  EXPECT_EQ(Used("a1"), 0);
  EXPECT_EQ(Used("a1m"), 0);
  EXPECT_EQ(Allocated("a1"), 0);
  EXPECT_EQ(Used("c1"), total);
  EXPECT_EQ(Used("c1m"), total);
  EXPECT_EQ(Allocated("c1"), static_cast<std::int64_t>(30 * G));
  auto progress = blobs_->MoveProgressOf(7);
  ASSERT_TRUE(progress);
  EXPECT_EQ(progress->state, "done");
  EXPECT_EQ(progress->copied_blobs, 4);
  EXPECT_EQ(progress->copied_bytes, total);
  EXPECT_EQ(progress->removed_old, 4);
}

}  // namespace
}  // namespace nimbus::storage::testing
