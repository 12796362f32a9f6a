// SPDX-License-Identifier: AGPL-3.0-or-later
// Replace + resilver, live topology, the persisted repair queue: StorageEngine over MemoryVolumes
// and a SQLite file.
#include "storage/engine/resilver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <map>
#include <thread>

#include "db/database.h"
#include "db/migrations.h"
#include "db/stores/blob_store.h"
#include "db/stores/disk_store.h"
#include "db/stores/disk_task_store.h"
#include "fakes/fake_clock.h"
#include "jobs/disk_health_job.h"
#include "storage/conformance/test_streams.h"
#include "storage/engine/storage_engine.h"
#include "storage/memory/memory_volume.h"
#include "storage/mirror/mirror_test_util.h"
#include "storage/run_co.h"
#include "support/migrated_db.h"
#include "support/temp_dir.h"

namespace nimbus::storage {
namespace {

using nimbus::testing::RunCo;
using testing::ReadBlob;
using testing::RecordingAlerts;
using testing::Sha256Hex;
using testing::WriteBlob;

constexpr std::uint64_t G = kGiB;

config::DisksConfig TestConfig() {
  config::DisksConfig c;
  c.categories = config::DefaultCategories();
  c.fail_after = 3;
  for (std::string id : {"a1", "b1", "c1", "d1", "e1"}) {
    std::string category(1, static_cast<char>(std::toupper(id[0])));
    c.disks.push_back({id, category, "memory:" + id, 100 * G, id + "m", "primary"});
    c.disks.push_back({id + "m", category, "memory:" + id + "m", 100 * G, id, "mirror"});
  }
  c.spares.push_back({"spare1", "memory:spare1", 200 * G});
  c.spares.push_back({"spare2", "memory:spare2", 200 * G});
  return c;
}

std::string Bytes(int i) { return std::string(1000 + 37 * i, static_cast<char>('a' + i % 26)); }

class ResilverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = nimbus::testing::MigratedSqlite(dir_.File("nimbus.db"));
    ASSERT_TRUE(db_);
    io_thread_ = std::jthread([this] { bg_.run(); });
    Open();
  }
  void TearDown() override {
    engine_.reset();
    guard_.reset();
    io_thread_.join();
  }

  // (Re)opens the engine; MemoryVolumes keep their blobs across reopenings.
  void Open() {
    engine_.reset();
    VolumeFactory factory = [this](const DiskInfo& d) -> Result<std::unique_ptr<Volume>> {
      auto& keep = volumes_[d.id];
      if (keep == nullptr) keep = std::make_shared<MemoryVolume>(d.id, d.capacity_bytes);
      return std::make_unique<Shared>(keep);
    };
    auto e = StorageEngine::Open(config_, EngineDeps{.db = *db_,
                                                     .workers = workers_,
                                                     .metrics = metrics_,
                                                     .clock = clock_,
                                                     .open_volume = factory,
                                                     .alerts = alerts_});
    ASSERT_TRUE(e) << e.error().message;
    engine_ = std::move(*e);
  }

  // A Volume forwarding to a MemoryVolume kept by the test (so blobs survive a reopen).
  class Shared final : public Volume {
   public:
    explicit Shared(std::shared_ptr<MemoryVolume> v) : v_(std::move(v)) {}
    const std::string& id() const override { return v_->id(); }
    using Volume::Create;
    net::awaitable<Result<std::unique_ptr<BlobWriter>>> Create(const BlobId& id,
                                                               WriteCaching caching) override {
      return v_->Create(id, caching);
    }
    net::awaitable<Result<void>> Get(const BlobId& id, ByteRange r, ByteSink& s) override {
      return v_->Get(id, r, s);
    }
    net::awaitable<Result<BlobStat>> Stat(const BlobId& id) override { return v_->Stat(id); }
    net::awaitable<Result<void>> Remove(const BlobId& id) override { return v_->Remove(id); }
    net::awaitable<Result<void>> ForEach(BlobVisitor visit) override {
      return v_->ForEach(std::move(visit));
    }
    net::awaitable<Result<void>> Probe() override { return v_->Probe(); }
    net::awaitable<Result<VolumeSpace>> Space() override { return v_->Space(); }

   private:
    std::shared_ptr<MemoryVolume> v_;
  };

  // Writes `n` blobs through the pair of `primary`, recording them in the blob catalog.
  std::vector<BlobId> WriteMany(const std::string& primary, int n, int first = 0) {
    auto pair = engine_->VolumeForPair(primary);
    EXPECT_NE(pair, nullptr);
    std::vector<BlobId> ids;
    for (int i = first; i < first + n; ++i) {
      const BlobId id = BlobId::Random();
      auto w = RunCo(ioc_, WriteBlob(*pair, id, Bytes(i)));
      EXPECT_TRUE(w) << w.error().message;
      db::BlobRow row{
          id.str(), 7, primary, static_cast<std::int64_t>(Bytes(i).size()), Sha256Hex(Bytes(i)), 1};
      EXPECT_TRUE(db_->Write([&](db::Transaction& tx) { return db::BlobStore(tx).Insert(row); }));
      ids.push_back(id);
      contents_[id.str()] = Bytes(i);
    }
    return ids;
  }

  void ExpectAllOn(const std::string& disk, const std::vector<BlobId>& ids) {
    for (const BlobId& id : ids) {
      auto got = RunCo(ioc_, ReadBlob(*volumes_[disk], id));
      ASSERT_TRUE(got) << disk << " " << id.str() << ": " << got.error().message;
      EXPECT_EQ(*got, contents_[id.str()]) << disk << " " << id.str();
    }
  }

  Result<ResilverReport> Resilver(const std::string& disk, ResilverOptions options = {}) {
    if (options.owner.empty()) options.owner = "test";
    return RunCo(ioc_, engine_->Resilver(disk, std::move(options)));
  }

  std::optional<db::DiskTaskRow> Task(const std::string& disk) {
    auto t = db_->Read(
        [&](db::Transaction& tx) { return db::DiskTaskStore(tx).LatestFor(disk, "resilver"); });
    EXPECT_TRUE(t) << t.error().message;
    return t ? *t : std::nullopt;
  }

  DiskInfo Disk(const std::string& id) {
    auto d = engine_->pool().Show(id);
    EXPECT_TRUE(d) << d.error().message;
    return d.value_or(DiskInfo{});
  }

  nimbus::testing::TempDir dir_;
  std::unique_ptr<db::Database> db_;
  WorkerPool workers_{2};
  util::Metrics metrics_;
  FakeClock clock_;
  std::shared_ptr<RecordingAlerts> alerts_ = std::make_shared<RecordingAlerts>();
  config::DisksConfig config_ = TestConfig();
  std::map<std::string, std::shared_ptr<MemoryVolume>> volumes_;
  std::map<std::string, std::string> contents_;
  net::io_context ioc_;  // Test coroutines (RunCo).
  net::io_context bg_;   // The server's io thread (health probes, background resilvers).
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard_{
      bg_.get_executor()};
  std::jthread io_thread_;
  std::unique_ptr<StorageEngine> engine_;
};

TEST_F(ResilverTest, AReplacedMirrorGetsEveryBlobAndThePairIsHealthyAgain) {
  auto before = WriteMany("a1", 20);
  ASSERT_TRUE(engine_->FailDisk("a1m", "test drill"));
  EXPECT_EQ(alerts_->Count(AlertKind::kDiskFailed, "a1m"), 1);  // One alert per failed disk.
  auto during = WriteMany("a1", 3, 20);  // Only on a1 now; queued for the mirror.
  auto replaced = engine_->pool().Replace("a1m", "spare1");
  ASSERT_TRUE(replaced) << replaced.error().message;
  EXPECT_EQ(replaced->primary_id, "a1");
  EXPECT_EQ(replaced->mirror_id, "spare1");
  EXPECT_EQ(Disk("spare1").state, DiskState::kResilvering);
  auto queued = Task("spare1");
  ASSERT_TRUE(queued);
  EXPECT_EQ(queued->state, "queued");

  std::vector<ResilverProgress> seen;
  ResilverOptions options;
  options.progress_every = std::chrono::milliseconds(0);
  options.on_progress = [&seen](const ResilverProgress& p) { seen.push_back(p); };
  auto report = Resilver("spare1", options);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->complete);
  EXPECT_EQ(report->progress.source_id, "a1");
  EXPECT_EQ(report->progress.total_blobs, 23u);
  EXPECT_EQ(report->progress.copied, 23u);
  EXPECT_EQ(report->progress.failed, 0u);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().done_blobs, 23u);
  EXPECT_DOUBLE_EQ(seen.back().ratio(), 1.0);
  ExpectAllOn("spare1", before);
  ExpectAllOn("spare1", during);

  EXPECT_EQ(Disk("spare1").state, DiskState::kHealthy);
  EXPECT_EQ(Disk("spare1").role, DiskRole::kMirror);
  EXPECT_EQ(Disk("a1").mirror_id, "spare1");
  EXPECT_EQ(Disk("a1m").state, DiskState::kFailed);
  EXPECT_EQ(Disk("a1m").role, DiskRole::kSpare);
  auto pair = engine_->VolumeForPair("a1");
  ASSERT_NE(pair, nullptr);
  EXPECT_EQ(pair->side(Side::kMirror)->id(), "spare1");
  EXPECT_EQ(pair->state()->disk_id(Side::kMirror), "spare1");
  EXPECT_TRUE(pair->state()->Readable(Side::kMirror));
  auto task = Task("spare1");
  ASSERT_TRUE(task);
  EXPECT_EQ(task->state, "done");
  EXPECT_EQ(task->done_blobs, 23);
  EXPECT_NE(task->result.find("\"copied\":23"), std::string::npos) << task->result;
  EXPECT_EQ(task->lease_owner, "");
  EXPECT_NE(
      metrics_.RenderPrometheus().find("nimbus_disk_resilver_progress_ratio{disk=\"spare1\"} 1"),
      std::string::npos);
  EXPECT_EQ(alerts_->Count(AlertKind::kSpareAttached, "spare1"), 1);
  EXPECT_EQ(alerts_->Count(AlertKind::kDiskRecovered, "spare1"), 1);  // Once, from the pool.

  // The new disk serves reads: with the primary gone, every blob still reads back.
  volumes_["a1"]->SetOffline(true);
  for (const BlobId& id : before) {
    auto got = RunCo(ioc_, ReadBlob(*pair, id));
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, contents_[id.str()]);
  }
}

TEST_F(ResilverTest, AReplacedPrimaryRenamesThePairAndItsCatalogAndAllocations) {
  auto placed = engine_->pool().Allocate(7, 1 * G);
  ASSERT_TRUE(placed) << placed.error().message;
  ASSERT_EQ(placed->primary_id, "a1");
  auto ids = WriteMany("a1", 12);
  auto old_pair = engine_->VolumeForPair("a1");
  ASSERT_TRUE(engine_->FailDisk("a1", "test drill"));
  auto replaced = engine_->pool().Replace("a1", "spare2");
  ASSERT_TRUE(replaced) << replaced.error().message;
  EXPECT_EQ(replaced->primary_id, "spare2");
  EXPECT_EQ(replaced->mirror_id, "a1m");
  auto where = engine_->pool().Locate(7);
  ASSERT_TRUE(where) << where.error().message;
  EXPECT_EQ(where->pair.primary_id, "spare2");
  auto catalog =
      db_->Read([](db::Transaction& tx) { return db::BlobStore(tx).TotalsByPrimary("spare2"); });
  ASSERT_TRUE(catalog);
  EXPECT_EQ(catalog->blobs, 12);

  auto report = Resilver("spare2");
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->complete);
  EXPECT_EQ(report->progress.source_id, "a1m");
  EXPECT_EQ(report->progress.copied, 12u);
  ExpectAllOn("spare2", ids);
  // The same pair object, now known by its new primary.
  EXPECT_EQ(engine_->VolumeForPair("spare2"), old_pair);
  EXPECT_EQ(engine_->VolumeForPair("a1"), nullptr);
  EXPECT_EQ(old_pair->id(), "spare2");
  EXPECT_EQ(engine_->PairIds(), (std::vector<std::string>{"b1", "c1", "d1", "e1", "spare2"}));
  EXPECT_EQ(Disk("spare2").state, DiskState::kHealthy);
  EXPECT_EQ(Disk("spare2").owner_count, 1);
  EXPECT_TRUE(old_pair->state()->Readable(Side::kPrimary));
}

TEST_F(ResilverTest, WritesDuringTheResilverReachTheNewDiskAndReadsStayOnTheGoodSide) {
  auto ids = WriteMany("b1", 5);
  ASSERT_TRUE(engine_->FailDisk("b1m", "drill"));
  ASSERT_TRUE(engine_->pool().Replace("b1m", "spare1"));
  auto synced = engine_->SyncStatesFromDb();  // What the server's next health round does.
  ASSERT_TRUE(synced) << synced.error().message;
  auto pair = engine_->VolumeForPair("b1");
  EXPECT_TRUE(pair->state()->Resilvering(Side::kMirror));
  EXPECT_FALSE(pair->state()->Readable(Side::kMirror));
  EXPECT_TRUE(pair->state()->Usable(Side::kMirror));

  auto fresh = WriteMany("b1", 2, 5);
  for (const BlobId& id : fresh) {
    EXPECT_TRUE(volumes_["spare1"]->Contains(id)) << "a new write must reach the new disk";
    EXPECT_TRUE(volumes_["b1"]->Contains(id));
  }
  // Old blobs are not on spare1 yet: reads come from b1 without failing over to it.
  auto got = RunCo(ioc_, ReadBlob(*pair, ids[0]));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, contents_[ids[0].str()]);
  EXPECT_EQ(pair->failovers(), 0u);
  EXPECT_TRUE(engine_->CheckWritable());

  auto report = Resilver("spare1");
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->complete);
  EXPECT_EQ(report->progress.copied, 5u);
  EXPECT_EQ(report->progress.present, 2u);
  ExpectAllOn("spare1", ids);
  ExpectAllOn("spare1", fresh);
  EXPECT_FALSE(pair->state()->Resilvering(Side::kMirror));
}

TEST_F(ResilverTest, AnInterruptedResilverResumesWhereItsCopiesAre) {
  auto ids = WriteMany("c1", 10);
  ASSERT_TRUE(engine_->FailDisk("c1", "drill"));
  ASSERT_TRUE(engine_->pool().Replace("c1", "spare1"));

  // Ctrl-C after 4 blobs: the run stops, releases its lease, the disk stays resilvering.
  std::atomic<bool> stop{false};
  ResilverOptions options;
  options.progress_every = std::chrono::milliseconds(0);
  options.stop = &stop;
  options.on_progress = [&stop](const ResilverProgress& p) {
    if (p.done_blobs >= 4) stop = true;
  };
  auto first = Resilver("spare1", options);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->stopped);
  EXPECT_FALSE(first->complete);
  EXPECT_EQ(first->progress.copied, 4u);
  EXPECT_EQ(Disk("spare1").state, DiskState::kResilvering);
  auto task = Task("spare1");
  ASSERT_TRUE(task);
  EXPECT_EQ(task->state, "running");
  EXPECT_EQ(task->done_blobs, 4);
  EXPECT_EQ(task->total_blobs, 10);
  EXPECT_EQ(task->lease_owner, "");

  // kill -9 of the next run: its lease stays until it expires.
  const std::int64_t now = ToUnixMs(clock_.Now());
  ASSERT_TRUE(db_->Write([&](db::Transaction& tx) {
    return db::DiskTaskStore(tx).TryLease(task->id, "dead cli", now, now + 20000);
  }));
  auto refused = Resilver("spare1");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kConflict);
  EXPECT_NE(refused.error().message.find("dead cli"), std::string::npos) << refused.error().message;

  clock_.Advance(std::chrono::seconds(21));
  auto second = Resilver("spare1");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE(second->complete);
  EXPECT_EQ(second->progress.present, 4u);
  EXPECT_EQ(second->progress.copied, 6u);
  ExpectAllOn("spare1", ids);
  EXPECT_EQ(Task("spare1")->id, task->id);  // The same task, finished.
  EXPECT_EQ(Task("spare1")->state, "done");
  EXPECT_EQ(Disk("spare1").state, DiskState::kHealthy);
}

TEST_F(ResilverTest, TheHealthRoundResumesAResilverWhoseLeaseExpired) {
  auto ids = WriteMany("d1", 6);
  ASSERT_TRUE(engine_->FailDisk("d1m", "drill"));
  ASSERT_TRUE(engine_->pool().Replace("d1m", "spare2"));
  engine_->StartRepairLoops(bg_.get_executor());
  jobs::DiskHealth health(*engine_, bg_.get_executor(), 3);
  // The replace just queued the task: its own process starts it; the server waits.
  auto round = health.RunRound();
  ASSERT_TRUE(round) << round.error().message;
  EXPECT_EQ(round->find("resumed"), std::string::npos) << *round;
  EXPECT_TRUE(engine_->VolumeForPair("d1")->state()->Resilvering(Side::kMirror));

  clock_.Advance(std::chrono::seconds(30));  // The CLI died before it took the lease.
  round = health.RunRound();
  ASSERT_TRUE(round) << round.error().message;
  EXPECT_NE(round->find("1 resilver(s) resumed"), std::string::npos) << *round;
  DiskState state = DiskState::kResilvering;
  for (int i = 0; i < 200 && state != DiskState::kHealthy; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    state = Disk("spare2").state;
  }
  EXPECT_EQ(state, DiskState::kHealthy);
  ExpectAllOn("spare2", ids);
  engine_->StopRepairLoops();
}

// The only copy left is damaged: a block that fails its checksum, or bytes that do not match the
// catalog's SHA-256. Nothing can rebuild those blobs, so the resilver skips them, names them as
// lost and finishes: the pair is healthy again for every other blob, and running it again
// (which could not help) is not needed (QA pass 10, finding 5: the replace never finished).
TEST_F(ResilverTest, BlobsWhoseOnlyCopyIsDamagedAreReportedLostAndThePairBecomesHealthy) {
  auto ids = WriteMany("e1", 4);
  ASSERT_TRUE(db_->Write([&](db::Transaction& tx) {
    return tx.Exec("UPDATE blobs SET sha256 = ? WHERE id = ?",
                   {std::string(64, '0'), ids[1].str()});
  }));
  ASSERT_TRUE(volumes_["e1"]->Corrupt(ids[3], 10));
  ASSERT_TRUE(engine_->FailDisk("e1m", "drill"));
  ASSERT_TRUE(engine_->pool().Replace("e1m", "spare1"));
  auto report = Resilver("spare1");
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->complete);
  EXPECT_EQ(report->progress.lost, 2u);
  EXPECT_EQ(report->progress.failed, 0u);
  EXPECT_EQ(report->progress.copied, 2u);
  std::vector<std::string> lost = report->lost_blobs;  // In the order the source lists them.
  std::vector<std::string> expected{ids[1].str(), ids[3].str()};
  std::sort(lost.begin(), lost.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(lost, expected);
  EXPECT_FALSE(volumes_["spare1"]->Contains(ids[1]));
  EXPECT_FALSE(volumes_["spare1"]->Contains(ids[3]));
  EXPECT_TRUE(volumes_["spare1"]->Contains(ids[0]));
  EXPECT_TRUE(volumes_["spare1"]->Contains(ids[2]));
  EXPECT_EQ(Disk("spare1").state, DiskState::kHealthy);
  auto task = Task("spare1");
  ASSERT_TRUE(task);
  EXPECT_EQ(task->state, "done");
  EXPECT_NE(task->result.find("\"lost\":2"), std::string::npos) << task->result;
  EXPECT_NE(task->result.find(ids[3].str()), std::string::npos) << task->result;
  // The admins hear of the loss once.
  EXPECT_EQ(alerts_->Count(AlertKind::kRepairFailed, "spare1"), 1);
}

TEST_F(ResilverTest, NotResilveringOrUnknownDisksAreRefused) {
  auto healthy = Resilver("a1");
  ASSERT_FALSE(healthy);
  EXPECT_EQ(healthy.error().code, Errc::kConflict);
  EXPECT_NE(healthy.error().message.find("not resilvering"), std::string::npos);
  auto unknown = Resilver("zz");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::kNotFound);
}

TEST_F(ResilverTest, SparesAttachedToAFullCategoryBecomeALivePair) {
  auto attached = engine_->pool().Attach({"spare3", "memory:spare3", 300 * G});
  ASSERT_TRUE(attached) << attached.error().message;
  EXPECT_TRUE(volumes_.contains("spare3"));  // Opened by Attach (a file: disk gets its marker).
  auto big = engine_->pool().Allocate(9, 90 * G);  // Category E passes near_full: spares join.
  ASSERT_TRUE(big) << big.error().message;
  EXPECT_NE(big->primary_id, "e1");
  // The owner's new pair is there at once (looked up before any health round).
  EXPECT_NE(engine_->VolumeForPair(big->primary_id), nullptr);
  auto synced = engine_->SyncStatesFromDb();
  ASSERT_TRUE(synced) << synced.error().message;
  const auto ids = engine_->PairIds();
  ASSERT_EQ(ids.size(), 6u);
  std::string added;
  for (const auto& id : ids) {
    if (id.starts_with("spare")) added = id;
  }
  ASSERT_FALSE(added.empty());
  auto pair = engine_->VolumeForPair(added);
  ASSERT_NE(pair, nullptr);
  auto blob = WriteMany(added, 1);
  EXPECT_TRUE(volumes_[pair->state()->disk_id(Side::kMirror)]->Contains(blob[0]));
  auto probes = RunCo(ioc_, engine_->ProbeDisks());
  EXPECT_EQ(probes.size(), 13u);  // 6 pairs and the spare left.
}

TEST_F(ResilverTest, QueuedRepairsSurviveARestart) {
  ASSERT_TRUE(engine_->FailDisk("b1m", "drill"));
  auto ids = WriteMany("b1", 2);  // Queued for the mirror.
  EXPECT_EQ(engine_->VolumeForPair("b1")->state()->PendingRepairs().size(), 2u);
  Open();  // The engine closes (flushing the journal) and opens again.
  auto pending = engine_->VolumeForPair("b1")->state()->PendingRepairs();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].target, Side::kMirror);
  std::set<std::string> got{pending[0].id.str(), pending[1].id.str()};
  EXPECT_TRUE(got.contains(ids[0].str()) && got.contains(ids[1].str()));

  // Healed and repaired: the rows go too.
  ASSERT_TRUE(engine_->pool().MarkHealthy("b1m"));
  ASSERT_TRUE(engine_->SyncStatesFromDb());
  auto stats = RunCo(ioc_, engine_->VolumeForPair("b1")->RepairPending());
  EXPECT_EQ(stats.repaired, 2u);
  Open();
  EXPECT_TRUE(engine_->VolumeForPair("b1")->state()->PendingRepairs().empty());
  ExpectAllOn("b1m", ids);
}

}  // namespace
}  // namespace nimbus::storage
