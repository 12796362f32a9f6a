// SPDX-License-Identifier: AGPL-3.0-or-later
// Scrub over MemoryVolumes (with their fault knobs) and a real SQLite file: clean pair, one copy
// corrupt / missing / of the wrong size (repaired byte-exact), both bad (lost + alert), orphans
// (reported, deleted only when old and asked), counters, a failed side, the disk_tasks row.
#include "storage/engine/scrub.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "db/database.h"
#include "db/migrations.h"
#include "db/stores/blob_store.h"
#include "db/stores/disk_store.h"
#include "db/stores/disk_task_store.h"
#include "fakes/fake_clock.h"
#include "storage/conformance/test_streams.h"
#include "storage/memory/memory_volume.h"
#include "storage/mirror/mirror_test_util.h"
#include "storage/run_co.h"
#include "support/migrated_db.h"
#include "support/temp_dir.h"

namespace nimbus::storage {
namespace {

namespace json = boost::json;
using nimbus::testing::RunCo;
using testing::ReadBlob;
using testing::RecordingAlerts;
using testing::Sha256Hex;
using testing::TestBytes;
using testing::WriteBlob;

class ScrubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = nimbus::testing::MigratedSqlite(dir_.File("nimbus.db"));
    ASSERT_TRUE(db_);
    auto ok = db_->Write([](db::Transaction& tx) -> Result<void> {
      db::DiskStore disks(tx);
      for (auto [id, role, mirror] :
           {std::tuple{"a1", "primary", "a1m"}, std::tuple{"a1m", "mirror", "a1"}}) {
        db::DiskRow row{.id = id,
                        .category = "A",
                        .role = role,
                        .uri = std::string("memory:") + id,
                        .capacity_bytes = 1 << 30,
                        .mirror_id = mirror,
                        .state = "healthy"};
        if (auto r = disks.InsertDisk(row); !r) return r;
      }
      return {};
    });
    ASSERT_TRUE(ok) << ok.error().message;
    MirrorOptions options;
    options.state = std::make_shared<PairState>("a1", "a1m", alerts_, 0);
    pair_ = std::make_shared<MirroredVolume>(primary_, mirror_, options);
  }

  // Writes `data` on the chosen sides and records it in the catalog (and the used counters).
  BlobId Put(const std::string& data, bool on_primary = true, bool on_mirror = true,
             bool in_catalog = true, std::optional<BlobId> given = std::nullopt) {
    BlobId id = given ? *given : BlobId::Random();
    if (on_primary) {
      EXPECT_TRUE(RunCo(ioc_, WriteBlob(*primary_, id, data)));
    }
    if (on_mirror) {
      EXPECT_TRUE(RunCo(ioc_, WriteBlob(*mirror_, id, data)));
    }
    if (in_catalog) Record(id, data);
    return id;
  }
  void Record(const BlobId& id, const std::string& data) {
    auto ok = db_->Write([&](db::Transaction& tx) -> Result<void> {
      const auto size = static_cast<std::int64_t>(data.size());
      db::BlobRow row{.id = id.str(),
                      .owner_id = 7,
                      .primary_id = "a1",
                      .size = size,
                      .sha256 = Sha256Hex(data),
                      .created_at = 1};
      if (auto r = db::BlobStore(tx).Insert(row); !r) return r;
      db::DiskStore disks(tx);
      if (auto r = disks.AddUsed("a1", size, 1); !r) return r;
      return disks.AddUsed("a1m", size, 1);
    });
    EXPECT_TRUE(ok) << ok.error().message;
  }

  Result<ScrubReport> Scrub(ScrubOptions options = {}) {
    ScrubDeps deps{
        .db = *db_, .workers = workers_, .alerts = *alerts_, .clock = clock_, .metrics = &metrics_};
    return RunCo(ioc_, ScrubPair(*pair_, deps, std::move(options)));
  }

  double Metric(const std::string& line) {
    const std::string text = "\n" + metrics_.RenderPrometheus();
    auto at = text.find("\n" + line + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + line.size() + 2));
  }

  nimbus::testing::TempDir dir_;
  std::unique_ptr<db::Database> db_;
  WorkerPool workers_{2};
  FakeClock clock_;
  util::Metrics metrics_;
  std::shared_ptr<RecordingAlerts> alerts_ = std::make_shared<RecordingAlerts>();
  std::shared_ptr<MemoryVolume> primary_ = std::make_shared<MemoryVolume>("a1");
  std::shared_ptr<MemoryVolume> mirror_ = std::make_shared<MemoryVolume>("a1m");
  std::shared_ptr<MirroredVolume> pair_;
  boost::asio::io_context ioc_;
};

TEST_F(ScrubTest, ACleanPairIsReportedCleanAndRecordedInItsTask) {
  Put(TestBytes(3 * kBlockSize + 17, 1));
  Put(TestBytes(1000, 2));
  Put("");
  auto r = Scrub();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->blobs_checked, 3);
  EXPECT_EQ(r->ok, 3);
  EXPECT_EQ(r->bytes_read, 2 * (3 * kBlockSize + 17 + 1000));
  EXPECT_TRUE(r->clean()) << ScrubReportText(*r);
  EXPECT_FALSE(r->needs_attention());
  EXPECT_TRUE(r->counters.checked);
  EXPECT_FALSE(r->counters.mismatch);
  EXPECT_TRUE(r->primary.listed && r->mirror.listed);
  EXPECT_TRUE(alerts_->alerts().empty());
  EXPECT_EQ(Metric("nimbus_scrub_blobs_total{result=\"ok\"}"), 3);
  EXPECT_GT(Metric("nimbus_scrub_last_run_timestamp_seconds"), 0);

  auto task = db_->Read([&](db::Transaction& tx) { return db::DiskTaskStore(tx).Get(r->task_id); });
  ASSERT_TRUE(task && *task);
  EXPECT_EQ((*task)->kind, "scrub");
  EXPECT_EQ((*task)->disk_id, "a1");
  EXPECT_EQ((*task)->state, "done");
  EXPECT_EQ((*task)->total_blobs, 3);
  EXPECT_EQ((*task)->lease_owner, "");
  json::value result = json::parse((*task)->result);
  EXPECT_EQ(result.at("ok").to_number<int>(), 3);
  EXPECT_EQ(result.at("clean"), true);
  EXPECT_EQ(result.at("mirror").at("disk"), "a1m");

  auto last = LastScrubOf(*db_, "a1m");  // Either disk names the pair.
  ASSERT_TRUE(last && *last) << (last ? "none" : last.error().message);
  EXPECT_EQ((*last)->state, "done");
  EXPECT_EQ((*last)->summary,
            "3 blobs checked: 3 ok, 0 repaired, 0 not repaired, 0 lost; 0 orphan(s)");
}

TEST_F(ScrubTest, ACorruptCopyIsRepairedByteExactFromTheGoodOne) {
  const std::string data = TestBytes(2 * kBlockSize + 5, 3);
  BlobId id = Put(data);
  Put(TestBytes(100, 4));
  ASSERT_TRUE(mirror_->Corrupt(id, kBlockSize + 1));
  auto r = Scrub();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->ok, 1);
  EXPECT_EQ(r->repaired, 1);
  EXPECT_EQ(r->mirror.corrupt, 1);
  EXPECT_EQ(r->mirror.repaired, 1);
  EXPECT_EQ(r->primary.corrupt, 0);
  EXPECT_FALSE(r->clean());
  EXPECT_FALSE(r->needs_attention());
  auto back = RunCo(ioc_, ReadBlob(*mirror_, id));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(*back == data);
  EXPECT_EQ(Metric("nimbus_scrub_blobs_total{result=\"repaired\"}"), 1);
  EXPECT_EQ(alerts_->Count(AlertKind::kScrubFindings, "a1"), 1);
  // A second scrub finds nothing.
  auto again = Scrub();
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->clean()) << ScrubReportText(*again);
}

TEST_F(ScrubTest, AMissingCopyIsRewritten) {
  const std::string data = TestBytes(kBlockSize, 5);
  BlobId id = Put(data, /*on_primary=*/false);
  auto r = Scrub();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->primary.missing, 1);
  EXPECT_EQ(r->primary.repaired, 1);
  EXPECT_EQ(r->repaired, 1);
  auto back = RunCo(ioc_, ReadBlob(*primary_, id));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(*back == data);
}

TEST_F(ScrubTest, ACopyOfTheWrongSizeIsRepairedFromTheOneMatchingTheCatalog) {
  const std::string data = TestBytes(4000, 6);
  BlobId id = Put(data, true, /*on_mirror=*/false);
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(*mirror_, id, data + "tail")));
  auto r = Scrub();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->mirror.corrupt, 1);
  EXPECT_EQ(r->mirror.repaired, 1);
  ASSERT_FALSE(r->problems.empty());
  EXPECT_NE(r->problems.front().find("size 4004 bytes, the catalog says 4000"), std::string::npos)
      << r->problems.front();
  auto back = RunCo(ioc_, ReadBlob(*mirror_, id));
  ASSERT_TRUE(back);
  EXPECT_TRUE(*back == data);
}

TEST_F(ScrubTest, BothCopiesBadIsLostAlertedAndNothingRemoved) {
  const std::string data = TestBytes(3000, 7);
  BlobId id = Put(data);
  ASSERT_TRUE(primary_->Corrupt(id, 10));
  ASSERT_TRUE(mirror_->Corrupt(id, 20));
  auto r = Scrub();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->lost, 1);
  ASSERT_EQ(r->lost_blobs.size(), 1u);
  EXPECT_EQ(r->lost_blobs[0], id.str());
  EXPECT_TRUE(r->needs_attention());
  EXPECT_EQ(alerts_->Count(AlertKind::kRepairFailed, "a1"), 1);
  EXPECT_TRUE(primary_->Contains(id));
  EXPECT_TRUE(mirror_->Contains(id));
  EXPECT_EQ(Metric("nimbus_scrub_blobs_total{result=\"lost\"}"), 1);
}

TEST_F(ScrubTest, OrphansAreReportedAndKeptByDefault) {
  Put(TestBytes(100, 8));
  BlobId orphan = Put(TestBytes(777, 9), true, false, /*in_catalog=*/false);
  ScrubOptions options;
  options.blob_age = [](Volume&, const BlobId&) { return std::chrono::seconds(7200); };
  auto r = Scrub(options);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->primary.orphans, 1);
  EXPECT_EQ(r->primary.orphan_bytes, 777u);
  EXPECT_EQ(r->primary.orphans_deleted, 0);
  EXPECT_EQ(r->mirror.orphans, 0);
  EXPECT_FALSE(r->needs_attention());
  EXPECT_TRUE(primary_->Contains(orphan));
  EXPECT_EQ(Metric("nimbus_scrub_orphans{disk=\"a1\"}"), 1);
}

TEST_F(ScrubTest, DeleteOrphansRemovesOnlyThoseOlderThanAnHour) {
  BlobId old_one = Put(TestBytes(10, 10), true, false, false);
  BlobId young = Put(TestBytes(20, 11), true, false, false);
  ScrubOptions options;
  options.delete_orphans = true;
  options.blob_age = [old_one](Volume&, const BlobId& id) {
    return id == old_one ? std::chrono::seconds(3601) : std::chrono::seconds(60);
  };
  auto r = Scrub(options);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->primary.orphans, 2);
  EXPECT_EQ(r->primary.orphans_deleted, 1);
  EXPECT_FALSE(primary_->Contains(old_one));
  EXPECT_TRUE(primary_->Contains(young));
}

// A copy on this pair of a blob the catalog puts on another pair is a stray: left by a finished
// move that could not delete it (QA pass 19), or a copy of a move still running. With
// delete_orphans it goes once old enough and only when no move of its owner is recorded or
// running.
TEST_F(ScrubTest, AStrayIsDeletedOnlyWhenOldAndItsOwnerIsNotBeingMoved) {
  auto ok = db_->Write([](db::Transaction& tx) -> Result<void> {
    return db::DiskStore(tx).InsertDisk(db::DiskRow{
        .id = "b1", .category = "B", .role = "primary", .uri = "memory:b1", .state = "healthy"});
  });
  ASSERT_TRUE(ok) << ok.error().message;
  BlobId id = Put(TestBytes(50, 12), true, true, false);
  ok = db_->Write([&](db::Transaction& tx) -> Result<void> {
    return db::BlobStore(tx).Insert(db::BlobRow{.id = id.str(),
                                                .owner_id = 8,
                                                .primary_id = "b1",
                                                .size = 50,
                                                .sha256 = "x",
                                                .created_at = 1});
  });
  ASSERT_TRUE(ok) << ok.error().message;
  // A move task of owner 8 is running: the copy stays, however old.
  ok = db_->Write([](db::Transaction& tx) -> Result<void> {
    auto r = tx.Exec(
        "INSERT INTO disk_tasks (kind, disk_id, owner_id, state, created_at, updated_at) "
        "VALUES ('move', 'b1', 8, 'running', 1, 1)",
        {});
    if (!r) return std::unexpected(r.error());
    return {};
  });
  ASSERT_TRUE(ok) << ok.error().message;
  ScrubOptions options;
  options.delete_orphans = true;
  options.blob_age = [](Volume&, const BlobId&) { return std::chrono::seconds(99999); };
  auto r = Scrub(options);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->primary.strays, 1);
  EXPECT_EQ(r->primary.strays_deleted, 0);
  EXPECT_EQ(r->primary.orphans, 0);
  EXPECT_TRUE(primary_->Contains(id));
  // The move ended: without delete_orphans, or while young, it stays; then it goes.
  ok = db_->Write([](db::Transaction& tx) -> Result<void> {
    auto r = tx.Exec("UPDATE disk_tasks SET state = 'done'", {});
    if (!r) return std::unexpected(r.error());
    return {};
  });
  ASSERT_TRUE(ok) << ok.error().message;
  r = Scrub();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->primary.strays_deleted, 0);
  EXPECT_TRUE(primary_->Contains(id));
  ScrubOptions young = options;
  young.blob_age = [](Volume&, const BlobId&) { return std::chrono::seconds(60); };
  r = Scrub(young);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->primary.strays_deleted, 0);
  EXPECT_TRUE(primary_->Contains(id));
  r = Scrub(options);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->primary.strays, 1);
  EXPECT_EQ(r->primary.strays_deleted, 1);
  EXPECT_FALSE(primary_->Contains(id));
  EXPECT_EQ(r->mirror.strays_deleted, 1);
  EXPECT_FALSE(mirror_->Contains(id));
}

TEST_F(ScrubTest, UsedBytesThatDifferFromTheCatalogAreReported) {
  Put(TestBytes(100, 13));
  auto ok = db_->Write([](db::Transaction& tx) { return db::DiskStore(tx).AddUsed("a1m", 5, 1); });
  ASSERT_TRUE(ok);
  auto r = Scrub();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->counters.mismatch);
  EXPECT_EQ(r->counters.catalog_bytes, 100);
  EXPECT_EQ(r->counters.primary_used, 100);
  EXPECT_EQ(r->counters.mirror_used, 105);
  EXPECT_FALSE(r->clean());
}

TEST_F(ScrubTest, AFailedSideIsSkippedAndReported) {
  Put(TestBytes(100, 14));
  pair_->state()->MarkFailed(Side::kMirror, "test");
  auto r = Scrub();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->mirror.skipped);
  EXPECT_EQ(r->mirror.bytes_read, 0u);
  EXPECT_EQ(r->primary.bytes_read, 100u);
  EXPECT_EQ(r->ok, 1);
  EXPECT_TRUE(r->needs_attention());
}

TEST_F(ScrubTest, ASideThatStopsAnsweringIsSkippedAfterFiveErrors) {
  for (std::uint32_t i = 0; i < 7; ++i) Put(TestBytes(10, 20 + i));
  mirror_->FailNext(MemoryVolume::Op::kGet, Errc::kIoError, 100);
  mirror_->FailNext(MemoryVolume::Op::kRemove, Errc::kIoError, 100);
  mirror_->FailNext(MemoryVolume::Op::kForEach, Errc::kIoError, 100);
  auto r = Scrub();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->mirror.skipped);
  EXPECT_EQ(r->mirror.corrupt, 5);
  EXPECT_GE(r->unrepaired, 5);
  EXPECT_TRUE(r->needs_attention());
}

TEST_F(ScrubTest, AScrubRunningElsewhereIsAConflictAndAnAbandonedOneIsClosed) {
  Put(TestBytes(10, 30));
  const std::int64_t now = ToUnixMs(clock_.Now());
  auto held = db_->Write([&](db::Transaction& tx) -> Result<std::int64_t> {
    db::DiskTaskStore tasks(tx);
    auto id = tasks.Create("scrub", "a1", std::nullopt, now);
    if (!id) return id;
    if (auto l = tasks.TryLease(*id, "other-host:1", now, now + 60'000); !l) return Fail(l.error());
    return id;
  });
  ASSERT_TRUE(held) << held.error().message;
  auto r = Scrub();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kConflict);
  EXPECT_NE(r.error().message.find("already running"), std::string::npos) << r.error().message;

  clock_.Advance(std::chrono::minutes(2));  // The other process died: its lease ran out.
  r = Scrub();
  ASSERT_TRUE(r) << r.error().message;
  auto old = db_->Read([&](db::Transaction& tx) { return db::DiskTaskStore(tx).Get(*held); });
  ASSERT_TRUE(old && *old);
  EXPECT_EQ((*old)->state, "failed");
  EXPECT_NE((*old)->error.find("abandoned"), std::string::npos);
}

TEST_F(ScrubTest, ABlobDeletedWhileTheScrubRunsIsNotReportedLost) {
  // The catalog is walked in id order: `first` is checked before `second`.
  auto first = BlobId::Parse(std::string(32, '0'));
  auto second = BlobId::Parse(std::string(32, 'f'));
  ASSERT_TRUE(first && second);
  Put(TestBytes(10, 31), true, true, true, *first);
  Put(TestBytes(10, 32), true, true, true, *second);
  ScrubOptions options;
  options.progress_interval = std::chrono::milliseconds(0);
  bool deleted = false;
  options.on_progress = [&](const ScrubProgress& p) {
    if (p.phase != "blobs" || p.done_blobs != 1 || deleted) return;
    // A user deletes the second file now: its row goes, then its bytes.
    deleted = true;
    auto ok =
        db_->Write([&](db::Transaction& tx) { return db::BlobStore(tx).Delete(second->str()); });
    EXPECT_TRUE(ok);
    boost::asio::io_context nested;  // ioc_ is running this callback.
    EXPECT_TRUE(RunCo(nested, primary_->Remove(*second)));
    EXPECT_TRUE(RunCo(nested, mirror_->Remove(*second)));
  };
  auto r = Scrub(options);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(deleted);
  EXPECT_EQ(r->lost, 0);
  EXPECT_EQ(r->vanished, 1);
  EXPECT_EQ(r->ok, 1);
}

}  // namespace
}  // namespace nimbus::storage
