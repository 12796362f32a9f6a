// SPDX-License-Identifier: AGPL-3.0-or-later
// Mover: moves across categories over MemoryVolumes and a real SQLite file: everything copied and
// verified, reads and writes during the move, exact counters, interrupted moves resumed, a corrupt
// source copy, both source copies bad, and a write that started before the switch.
#include "storage/engine/mover.h"

#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <functional>
#include <set>

#include "db/stores/disk_store.h"
#include "db/stores/disk_task_store.h"
#include "storage/engine/owner_blobs_fixture.h"

namespace nimbus::storage::testing {
namespace {

using nimbus::testing::RunCo;

class MoverTest : public OwnerBlobsTest {
 protected:
  // Owner 7 on a1 with `n` blobs of varied sizes (one of several blocks); returns id -> bytes.
  std::map<std::string, std::string> Fill(int n, std::int64_t owner = 7) {
    std::map<std::string, std::string> out;
    for (int i = 0; i < n; ++i) {
      const std::size_t size = i == 0 ? 2 * kBlockSize + 333 : 500 * static_cast<std::size_t>(i);
      const std::string data = TestBytes(size, static_cast<std::uint32_t>(owner * 100 + i));
      out[Put(owner, data)] = data;
    }
    return out;
  }
  // Owner 7 with 5 blobs on a1, moving to b1; the move stops after two copies (as if the process
  // stopped there) and is left recorded.
  std::map<std::string, std::string> MoveStoppedAfterTwoCopies() {
    MoverOptions options;
    options.after_copy = [this, copies = 0](const db::BlobRow&) mutable -> net::awaitable<void> {
      if (++copies == 2) blobs_->StopMoves();
      co_return;
    };
    Open(std::move(options));
    Allocate(7, 1 * G);
    auto blobs = Fill(5);
    EXPECT_TRUE(RunCo(ioc_, blobs_->ChangePlan(7, 10 * G)));
    Drain();
    return blobs;
  }
  static std::int64_t Total(const std::map<std::string, std::string>& blobs) {
    std::int64_t t = 0;
    for (const auto& [id, data] : blobs) t += static_cast<std::int64_t>(data.size());
    return t;
  }
  db::DiskTaskRow LatestMoveTask(const std::string& target) {
    auto t = db_->Read(
        [&](db::Transaction& tx) { return db::DiskTaskStore(tx).LatestFor(target, "move"); });
    EXPECT_TRUE(t && *t) << "no move task for " << target;
    return t && *t ? **t : db::DiskTaskRow{};
  }
  // A move task of owner 7 to b1 leased by `holder` for `lease_ms` from now (as another process
  // running the move leaves it); its id, 0 on failure.
  std::int64_t LeasedMoveTask(const std::string& holder, std::int64_t lease_ms) {
    const std::int64_t now = ToUnixMs(clock_.Now());
    std::int64_t task = 0;
    auto seeded = db_->Write([&](db::Transaction& tx) -> Result<void> {
      db::DiskTaskStore tasks(tx);
      auto id = tasks.Create("move", "b1", 7, now);
      if (!id) return Fail(id.error());
      task = *id;
      return tasks.TryLease(*id, holder, now, now + lease_ms);
    });
    EXPECT_TRUE(seeded) << seeded.error().message;
    return seeded ? task : 0;
  }
  // Every blob reads back exactly, is recorded on `pair` and lies on both of its disks only, each
  // disk's copy whole and right.
  void ExpectAllOn(const std::map<std::string, std::string>& blobs, const std::string& pair,
                   const std::string& old_pair) {
    for (const auto& [id, data] : blobs) {
      EXPECT_EQ(Row(id).primary_id, pair) << id;
      auto got = Get(id);
      ASSERT_TRUE(got) << got.error().message;
      EXPECT_TRUE(*got == data) << id;
      const BlobId bid = *BlobId::Parse(id);
      for (const std::string& side : {pair, pair + "m"}) {  // Each disk alone has the bytes.
        auto on_side = RunCo(ioc_, ReadBlob(*volumes_[side], bid));
        ASSERT_TRUE(on_side) << id << " on " << side << ": " << on_side.error().message;
        EXPECT_TRUE(*on_side == data) << id << " on " << side;
      }
      EXPECT_FALSE(volumes_[old_pair]->Contains(bid)) << id;
      EXPECT_FALSE(volumes_[old_pair + "m"]->Contains(bid)) << id;
    }
  }
};

TEST_F(MoverTest, MoveCopiesEverythingSwitchesAndKeepsTheCountersExact) {
  MoverOptions options;
  options.page_size = 2;  // Several pages per pass.
  Open(std::move(options));
  Allocate(7, 1 * G);
  Allocate(8, 1 * G);  // A neighbour on a1 who stays.
  auto blobs = Fill(5);
  auto neighbour = Fill(2, 8);
  const std::int64_t total = Total(blobs), other = Total(neighbour);
  EXPECT_EQ(Used("a1"), total + other);

  auto change = RunCo(ioc_, blobs_->ChangePlan(7, 12 * G));
  ASSERT_TRUE(change) << change.error().message;
  EXPECT_TRUE(change->moving);
  EXPECT_EQ(change->pair.primary_id, "b1");
  ASSERT_TRUE(change->move);
  EXPECT_EQ(change->move->from.primary_id, "a1");
  Drain();

  EXPECT_FALSE(MoveRecorded(7));
  auto placement = engine_->pool().Locate(7);
  ASSERT_TRUE(placement);
  EXPECT_EQ(placement->pair.primary_id, "b1");
  EXPECT_EQ(placement->bytes, 12 * G);
  EXPECT_EQ(placement->used_bytes, static_cast<std::uint64_t>(total));
  ExpectAllOn(blobs, "b1", "a1");
  EXPECT_EQ(Used("a1"), other);
  EXPECT_EQ(Used("a1m"), other);
  EXPECT_EQ(Allocated("a1"), static_cast<std::int64_t>(1 * G));
  EXPECT_EQ(Used("b1"), total);
  EXPECT_EQ(Used("b1m"), total);
  EXPECT_EQ(Allocated("b1"), static_cast<std::int64_t>(12 * G));
  for (const auto& [id, data] : neighbour) EXPECT_EQ(Row(id).primary_id, "a1");
  EXPECT_EQ(volumes_["a1"]->BlobCount(), 2u);
  EXPECT_EQ(volumes_["b1"]->BlobCount(), 5u);

  auto progress = blobs_->MoveProgressOf(7);
  ASSERT_TRUE(progress);
  EXPECT_EQ(progress->state, "done");
  EXPECT_EQ(progress->from, "a1");
  EXPECT_EQ(progress->to, "b1");
  EXPECT_EQ(progress->copied_blobs, 5);
  EXPECT_EQ(progress->copied_bytes, total);
  EXPECT_EQ(progress->removed_old, 5);

  // The run is a task row admins of any process can read.
  db::DiskTaskRow task = LatestMoveTask("b1");
  EXPECT_EQ(task.state, "done");
  EXPECT_EQ(task.owner_id, std::optional<std::int64_t>(7));
  EXPECT_EQ(task.total_blobs, 5);
  EXPECT_EQ(task.done_blobs, 5);
  EXPECT_EQ(task.total_bytes, total);
  EXPECT_EQ(task.done_bytes, total);
  EXPECT_EQ(task.lease_owner, "");
  EXPECT_NE(task.result.find("\"copied_blobs\":5"), std::string::npos) << task.result;
  EXPECT_NE(task.result.find("\"from\":\"a1\""), std::string::npos) << task.result;

  // New writes go to the new pair; a move back is another move.
  const std::string after = Put(7, "after the move");
  EXPECT_EQ(Row(after).primary_id, "b1");
  EXPECT_EQ(Used("b1"), total + 14);
}

TEST_F(MoverTest, ReadsAndWritesDuringTheMoveAndTheWrittenBlobEndsOnTheNewPair) {
  std::map<std::string, std::string> blobs;
  std::map<std::string, std::string> written;
  int copies = 0;
  MoverOptions options;
  options.page_size = 2;
  options.after_copy = [&](const db::BlobRow&) -> net::awaitable<void> {
    ++copies;
    // Mid-move: every blob reads back right, wherever it is.
    for (const auto& [id, data] : blobs) {
      StringSink sink;
      auto r = co_await blobs_->Read(id, {}, sink);
      EXPECT_TRUE(r) << r.error().message;
      EXPECT_TRUE(sink.out == data) << id;
    }
    if (copies == 1 || copies == 4) {  // Writes before the switch land on the old pair.
      const std::string data = TestBytes(7000 + copies, 900 + copies);
      StringSource source(data);
      auto stored = co_await blobs_->Write(7, source, data.size());
      EXPECT_TRUE(stored) << stored.error().message;
      if (!stored) co_return;
      EXPECT_EQ(stored->primary_id, "a1");
      auto rec = db_->Write([&](db::Transaction& tx) { return blobs_->Record(tx, 7, *stored); });
      EXPECT_TRUE(rec) << rec.error().message;
      written[stored->info.id.str()] = data;
    }
  };
  Open(std::move(options));
  Allocate(7, 1 * G);
  blobs = Fill(4);
  auto change = RunCo(ioc_, blobs_->ChangePlan(7, 60 * G));  // Category D.
  ASSERT_TRUE(change) << change.error().message;
  Drain();
  ASSERT_EQ(written.size(), 2u);
  EXPECT_FALSE(MoveRecorded(7));
  for (const auto& [id, data] : written) blobs[id] = data;
  ExpectAllOn(blobs, "d1", "a1");
  const std::int64_t total = Total(blobs);
  EXPECT_EQ(Used("d1"), total);
  EXPECT_EQ(Used("d1m"), total);
  EXPECT_EQ(Used("a1"), 0);
  EXPECT_EQ(Used("a1m"), 0);
  EXPECT_EQ(Allocated("a1"), 0);
  EXPECT_EQ(volumes_["a1"]->BlobCount(), 0u);
  EXPECT_EQ(blobs_->MoveProgressOf(7)->copied_blobs, 6);
  EXPECT_GE(blobs_->MoveProgressOf(7)->rounds, 1);
}

TEST_F(MoverTest, AMoveStoppedAfterTwoBlobsResumesAfterARestartAndKeepsTheVerifiedCopies) {
  auto blobs = MoveStoppedAfterTwoCopies();
  EXPECT_TRUE(MoveRecorded(7));
  EXPECT_EQ(volumes_["b1"]->BlobCount(), 2u);  // Copies made before the stop stay.
  EXPECT_EQ(blobs_->MoveProgressOf(7)->state, "cancelled");
  EXPECT_EQ(engine_->pool().Locate(7)->pair.primary_id, "a1");
  for (const auto& [id, data] : blobs) EXPECT_EQ(*Get(id), data);  // Still readable.

  // One of the copies left behind is damaged on both disks: it is copied again, not trusted.
  BlobId damaged = *BlobId::Parse(blobs.begin()->first);
  if (!volumes_["b1"]->Contains(damaged)) damaged = *BlobId::Parse(std::next(blobs.begin())->first);
  for (std::string side : {"b1", "b1m"}) {
    if (volumes_[side]->Contains(damaged)) {
      ASSERT_TRUE(volumes_[side]->Corrupt(damaged, 0));
    }
  }

  NewOwnerBlobs({});  // The restarted process.
  auto resumed = blobs_->ResumeMoves(ioc_.get_executor());
  ASSERT_TRUE(resumed) << resumed.error().message;
  EXPECT_EQ(*resumed, 1u);
  Drain();
  EXPECT_FALSE(MoveRecorded(7));
  ExpectAllOn(blobs, "b1", "a1");
  EXPECT_EQ(Used("b1"), Total(blobs));
  EXPECT_EQ(Used("a1"), 0);
  EXPECT_EQ(Allocated("a1"), 0);
  EXPECT_EQ(Allocated("b1"), static_cast<std::int64_t>(10 * G));
}

// A process killed between the two disks' commits of a copy leaves it on one disk of the target
// pair; a copy on one disk may also be damaged. The resumed move puts a good copy on each.
TEST_F(MoverTest, AnInterruptedCopyOnOneDiskOfTheTargetIsCompletedOnTheOther) {
  auto blobs = MoveStoppedAfterTwoCopies();
  std::vector<BlobId> left;
  for (const auto& [id, data] : blobs) {
    if (volumes_["b1"]->Contains(*BlobId::Parse(id))) left.push_back(*BlobId::Parse(id));
  }
  ASSERT_EQ(left.size(), 2u);
  ASSERT_TRUE(RunCo(ioc_, volumes_["b1m"]->Remove(left[0])));  // Killed before b1m's commit.
  ASSERT_TRUE(volumes_["b1"]->Corrupt(left[1], 0));            // b1's copy damaged since.

  NewOwnerBlobs({});
  ASSERT_TRUE(blobs_->ResumeMoves(ioc_.get_executor()));
  Drain();
  EXPECT_FALSE(MoveRecorded(7));
  ExpectAllOn(blobs, "b1", "a1");
}

TEST_F(MoverTest, AFaultOnTheTargetLeavesTheMoveRecordedAndAlertsThenItCompletes) {
  Open();
  Allocate(7, 1 * G);
  auto blobs = Fill(3);
  volumes_["c1"]->SetOffline(true);
  volumes_["c1m"]->SetOffline(true);
  auto change = RunCo(ioc_, blobs_->ChangePlan(7, 30 * G));
  ASSERT_TRUE(change) << change.error().message;
  Drain();
  EXPECT_TRUE(MoveRecorded(7));  // Not aborted.
  auto progress = blobs_->MoveProgressOf(7);
  ASSERT_TRUE(progress);
  EXPECT_EQ(progress->state, "failed");
  EXPECT_NE(progress->last_error.find("c1"), std::string::npos) << progress->last_error;
  EXPECT_EQ(alerts_->Count(AlertKind::kRepairFailed, "c1"), 1);
  EXPECT_EQ(Used("a1"), Total(blobs));  // Nothing switched.
  EXPECT_EQ(Used("c1"), 0);
  for (const auto& [id, data] : blobs) EXPECT_EQ(Row(id).primary_id, "a1");

  // A plan change while the move is recorded is refused, with the reason.
  auto busy = RunCo(ioc_, blobs_->ChangePlan(7, 80 * G));
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code, Errc::kConflict);

  volumes_["c1"]->SetOffline(false);
  volumes_["c1m"]->SetOffline(false);
  auto run = RunCo(ioc_, blobs_->mover().Run(7));
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->state, "done");
  ExpectAllOn(blobs, "c1", "a1");
  EXPECT_EQ(Used("c1"), Total(blobs));
  EXPECT_EQ(Used("a1"), 0);
  EXPECT_EQ(RunCo(ioc_, blobs_->mover().Run(7)).error().code, Errc::kNotFound);
}

// A disk of the target pair fails during the copy (QA pass 12): the move does not switch onto a
// pair with one disk, so the old pair keeps both copies; it retries without using up attempts
// and completes once the disk is back.
TEST_F(MoverTest, ATargetDiskFailingDuringTheCopyKeepsTheFilesOnTheOldPairUntilItIsBack) {
  MoverOptions options;
  options.max_target_waits = 2;
  options.retry_interval = std::chrono::milliseconds(5);
  options.after_copy = [this, copies = 0](const db::BlobRow&) mutable -> net::awaitable<void> {
    if (++copies == 1) engine_->VolumeForPair("c1")->state()->MarkFailed(Side::kPrimary, "pulled");
    co_return;
  };
  Open(std::move(options));
  Allocate(7, 1 * G);
  auto blobs = Fill(3);
  auto change = RunCo(ioc_, blobs_->ChangePlan(7, 30 * G));
  ASSERT_TRUE(change) << change.error().message;
  Drain();
  EXPECT_TRUE(MoveRecorded(7));
  auto progress = blobs_->MoveProgressOf(7);
  ASSERT_TRUE(progress);
  EXPECT_EQ(progress->state, "failed");
  EXPECT_EQ(progress->attempts, 3);  // The first run, then two waits; none switched.
  EXPECT_NE(progress->last_error.find("disk c1 is failed"), std::string::npos)
      << progress->last_error;
  for (const auto& [id, data] : blobs) {
    EXPECT_EQ(Row(id).primary_id, "a1");
    EXPECT_EQ(Get(id).value_or(""), data);
  }
  EXPECT_EQ(Used("a1"), Total(blobs));
  EXPECT_EQ(Used("a1m"), Total(blobs));

  // Back: the copies written to c1m alone while c1 was out are repaired first, then it moves.
  engine_->VolumeForPair("c1")->state()->MarkHealthy(Side::kPrimary);
  EXPECT_FALSE(RunCo(ioc_, blobs_->mover().Run(7))) << "c1 still lacks the copies";
  RunCo(ioc_, engine_->VolumeForPair("c1")->RepairPending());
  auto run = RunCo(ioc_, blobs_->mover().Run(7));
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->state, "done");
  for (const auto& [id, data] : blobs) {
    EXPECT_EQ(Row(id).primary_id, "c1");
    EXPECT_EQ(Get(id).value_or(""), data);
  }
  EXPECT_EQ(Used("a1"), 0);
}

// The same when the disk is failed by another process (`nimbus admin disk fail c1m`): its row
// says failed before this process's health round notices; the switch reads the rows (QA pass 13).
TEST_F(MoverTest, ATargetDiskFailedInTheDatabaseOnlyStopsTheSwitch) {
  MoverOptions options;
  options.after_copy = [this, copies = 0](const db::BlobRow&) mutable -> net::awaitable<void> {
    if (++copies == 1) {
      EXPECT_TRUE(db_->Write(
          [](db::Transaction& tx) { return db::DiskStore(tx).SetState("c1m", "failed", 0); }));
    }
    co_return;
  };
  Open(std::move(options));
  Allocate(7, 1 * G);
  auto blobs = Fill(3);
  ASSERT_TRUE(RunCo(ioc_, blobs_->ChangePlan(7, 30 * G)));
  Drain();
  EXPECT_TRUE(MoveRecorded(7));
  auto progress = blobs_->MoveProgressOf(7);
  ASSERT_TRUE(progress);
  EXPECT_EQ(progress->state, "failed");
  EXPECT_NE(progress->last_error.find("disk c1m is failed"), std::string::npos)
      << progress->last_error;
  for (const auto& [id, data] : blobs) EXPECT_EQ(Row(id).primary_id, "a1");
  EXPECT_EQ(Used("a1"), Total(blobs));
  EXPECT_EQ(Used("a1m"), Total(blobs));
}

// A plan change recorded just as the background run of the previous move ends (its record is
// gone, the run not yet): the new move still runs. It used to wait for the next start (seen as a
// plan stuck in "migrating" in BillingApiTest.CategoryChangeMovesTheFilesAndCreditsCarryOver).
TEST_F(MoverTest, AMoveRecordedAsThePreviousBackgroundRunEndsStillRuns) {
  MoverOptions options;
  bool changed = false;
  Result<PlanChange> second = Fail(Errc::kInternal, "not tried");
  options.after_background = [&](std::int64_t owner) -> net::awaitable<void> {
    if (owner != 7 || changed) co_return;
    changed = true;
    second = co_await blobs_->ChangePlan(7, 30 * G);  // B -> C, the moment A -> B has ended.
  };
  Open(std::move(options));
  Allocate(7, 1 * G);
  auto blobs = Fill(3);
  auto first = RunCo(ioc_, blobs_->ChangePlan(7, 12 * G));  // A -> B.
  ASSERT_TRUE(first) << first.error().message;
  Drain();
  ASSERT_TRUE(changed);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE(second->moving);
  EXPECT_FALSE(MoveRecorded(7)) << "the second move was left for the next start";
  ExpectAllOn(blobs, "c1", "b1");
  EXPECT_EQ(Used("c1"), Total(blobs));
  EXPECT_EQ(Used("b1"), 0);
  EXPECT_EQ(Used("a1"), 0);
}

TEST_F(MoverTest, ADowngradeMoveUnderWhatUploadsInFlightHoldIsRefused) {
  // 10 GB (category B) down to 1 GB (category A) while a 2 GiB upload holds a reservation: the
  // move is refused in the transaction that would start it, and starts once the upload is gone.
  Open();
  Allocate(7, 10 * G);
  Fill(2);
  ASSERT_TRUE(db_->Write([&](db::Transaction& tx) {
    return tx.Exec(
        "INSERT INTO reservations (id, owner_id, bytes, kind, created_at)"
        " VALUES ('up', 7, ?, 'tus', 0)",
        {static_cast<std::int64_t>(2 * G)});
  }));
  auto refused = engine_->pool().BeginMove(7, 1 * G);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kBelowUsage) << refused.error().message;
  ASSERT_TRUE(db_->Write([&](db::Transaction& tx) {
    return tx.Exec("DELETE FROM reservations WHERE id = 'up'", {});
  }));
  auto started = engine_->pool().BeginMove(7, 1 * G);
  EXPECT_TRUE(started) << started.error().message;
}

TEST_F(MoverTest, AMoveLeasedByAnotherProcessIsLeftToItUntilItsLeaseRunsOut) {
  Open();
  Allocate(7, 1 * G);
  auto blobs = Fill(2);
  ASSERT_TRUE(engine_->pool().BeginMove(7, 10 * G));
  const std::int64_t other = LeasedMoveTask("move:elsewhere:1", 60'000);
  ASSERT_GT(other, 0);
  auto busy = RunCo(ioc_, blobs_->mover().Run(7));
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code, Errc::kConflict);
  EXPECT_NE(busy.error().message.find("another process"), std::string::npos)
      << busy.error().message;
  EXPECT_EQ(volumes_["b1"]->BlobCount(), 0u);

  clock_.Advance(std::chrono::minutes(2));  // The other process died; its lease ran out.
  auto run = RunCo(ioc_, blobs_->mover().Run(7));
  ASSERT_TRUE(run) << run.error().message;
  ExpectAllOn(blobs, "b1", "a1");
  auto old = db_->Read([&](db::Transaction& tx) { return db::DiskTaskStore(tx).Get(other); });
  ASSERT_TRUE(old && *old);
  EXPECT_EQ((*old)->state, "failed");
  EXPECT_NE((*old)->error.find("abandoned"), std::string::npos) << (*old)->error;
  EXPECT_EQ(LatestMoveTask("b1").state, "done");
}

// A process of this host that was killed (kill -9, a crash) in the middle of a move leaves its
// lease behind; the restarted server takes the move over at once, not when the lease runs out.
TEST_F(MoverTest, AMoveLeasedByADeadProcessOfThisHostIsTakenOverAtOnce) {
  Open();
  Allocate(7, 1 * G);
  auto blobs = Fill(2);
  ASSERT_TRUE(engine_->pool().BeginMove(7, 10 * G));
  const pid_t dead = ::fork();  // A process that has ended: its pid is free.
  ASSERT_GE(dead, 0);
  if (dead == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
  std::array<char, 256> host{};
  ASSERT_EQ(::gethostname(host.data(), host.size() - 1), 0);
  const std::int64_t killed =
      LeasedMoveTask(fmt::format("move:{}:{}", host.data(), dead), 5 * 60'000);
  ASSERT_GT(killed, 0);
  auto run = RunCo(ioc_, blobs_->mover().Run(7));  // No clock advance: the lease still runs.
  ASSERT_TRUE(run) << run.error().message;
  ExpectAllOn(blobs, "b1", "a1");
  auto old = db_->Read([&](db::Transaction& tx) { return db::DiskTaskStore(tx).Get(killed); });
  ASSERT_TRUE(old && *old);
  EXPECT_EQ((*old)->state, "failed");
  EXPECT_NE((*old)->error.find("abandoned"), std::string::npos) << (*old)->error;
  EXPECT_EQ(LatestMoveTask("b1").state, "done");
}

// A process killed after a move's switch, before it deleted the old copies, leaves them on the
// old pair and its task running: the next start deletes them and closes the task.
TEST_F(MoverTest, OldCopiesLeftByAProcessKilledAfterTheSwitchAreDeletedAtTheNextStart) {
  Open();
  Allocate(7, 1 * G);
  auto blobs = Fill(3);
  ASSERT_TRUE(RunCo(ioc_, blobs_->ChangePlan(7, 10 * G)));
  Drain();
  ASSERT_FALSE(MoveRecorded(7));
  for (const auto& [id, data] : blobs) {  // The old copies, as the killed process left them.
    for (std::string side : {"a1", "a1m"}) {
      auto w = RunCo(ioc_, WriteBlob(*volumes_[side], *BlobId::Parse(id), data));
      ASSERT_TRUE(w) << w.error().message;
    }
  }
  const std::int64_t killed = LeasedMoveTask("move:elsewhere:1", 60'000);
  ASSERT_GT(killed, 0);
  clock_.Advance(std::chrono::minutes(2));  // Nobody renewed its lease.

  NewOwnerBlobs({});  // The restarted process.
  auto resumed = blobs_->ResumeMoves(ioc_.get_executor());
  ASSERT_TRUE(resumed) << resumed.error().message;
  EXPECT_EQ(*resumed, 1u);
  Drain();
  ExpectAllOn(blobs, "b1", "a1");
  EXPECT_EQ(volumes_["a1"]->BlobCount(), 0u);
  EXPECT_EQ(volumes_["a1m"]->BlobCount(), 0u);
  EXPECT_EQ(Used("b1"), Total(blobs));
  EXPECT_EQ(Used("a1"), 0);
  EXPECT_EQ(blobs_->MoveProgressOf(7)->removed_old, 3);
  auto old = db_->Read([&](db::Transaction& tx) { return db::DiskTaskStore(tx).Get(killed); });
  ASSERT_TRUE(old && *old);
  EXPECT_EQ((*old)->state, "failed");
  EXPECT_NE((*old)->error.find("abandoned"), std::string::npos) << (*old)->error;
  EXPECT_EQ(LatestMoveTask("b1").state, "done");
  // Nothing left to finish at the next start.
  NewOwnerBlobs({});
  EXPECT_EQ(*blobs_->ResumeMoves(ioc_.get_executor()), 0u);
}

TEST_F(MoverTest, ACorruptSourceCopyOnOneSideIsMovedFromTheOther) {
  Open();
  Allocate(7, 1 * G);
  auto blobs = Fill(3);
  const BlobId first = *BlobId::Parse(blobs.begin()->first);
  const BlobId second = *BlobId::Parse(std::next(blobs.begin())->first);
  ASSERT_TRUE(volumes_["a1"]->Corrupt(first, 10));   // Primary copy bad.
  ASSERT_TRUE(volumes_["a1m"]->Corrupt(second, 0));  // Mirror copy bad.
  ASSERT_TRUE(RunCo(ioc_, blobs_->ChangePlan(7, 10 * G)));
  Drain();
  EXPECT_FALSE(MoveRecorded(7));
  ExpectAllOn(blobs, "b1", "a1");
}

TEST_F(MoverTest, BothSourceCopiesBadFailsTheMoveWithoutLosingAnything) {
  Open();
  Allocate(7, 1 * G);
  auto blobs = Fill(3);
  const BlobId bad = *BlobId::Parse(blobs.begin()->first);
  ASSERT_TRUE(volumes_["a1"]->Corrupt(bad, 5));
  ASSERT_TRUE(volumes_["a1m"]->Corrupt(bad, 5));
  ASSERT_TRUE(RunCo(ioc_, blobs_->ChangePlan(7, 10 * G)));
  Drain();
  EXPECT_TRUE(MoveRecorded(7));
  EXPECT_EQ(blobs_->MoveProgressOf(7)->state, "failed");
  EXPECT_NE(blobs_->MoveProgressOf(7)->last_error.find(bad.str()), std::string::npos);
  EXPECT_EQ(alerts_->Count(AlertKind::kRepairFailed, "b1"), 1);
  EXPECT_FALSE(volumes_["b1"]->Contains(bad));  // No unverified copy.
  EXPECT_EQ(engine_->pool().Locate(7)->pair.primary_id, "a1");
  for (const auto& [id, data] : blobs) {
    if (id != bad.str()) {
      EXPECT_EQ(*Get(id), data);
    }
  }
  EXPECT_EQ(Used("a1"), Total(blobs));
  EXPECT_EQ(Used("b1"), 0);
  db::DiskTaskRow task = LatestMoveTask("b1");
  EXPECT_EQ(task.state, "failed");
  EXPECT_NE(task.error.find(bad.str()), std::string::npos) << task.error;
}

TEST_F(MoverTest, AWriteThatStartedBeforeTheSwitchIsSweptToTheNewPair) {
  Open();
  Allocate(7, 1 * G);
  auto blobs = Fill(2);
  // The write lands on a1 and is still in flight (not recorded) when the move switches.
  const std::string late = TestBytes(123456, 77);
  StringSource source(late);
  auto written = RunCo(ioc_, blobs_->Write(7, source, late.size()));
  ASSERT_TRUE(written) << written.error().message;
  std::optional<StoredBlob> stored = std::move(*written);
  EXPECT_EQ(stored->primary_id, "a1");
  ASSERT_TRUE(RunCo(ioc_, blobs_->ChangePlan(7, 10 * G)));
  Drain();  // The move waits drain_timeout for the write, then finishes.
  EXPECT_FALSE(MoveRecorded(7));
  EXPECT_EQ(engine_->pool().Locate(7)->pair.primary_id, "b1");

  auto rec = db_->Write([&](db::Transaction& tx) { return blobs_->Record(tx, 7, *stored); });
  ASSERT_TRUE(rec) << rec.error().message;
  const std::string id = stored->info.id.str();
  EXPECT_EQ(Row(id).primary_id, "a1");  // Recorded where its bytes are; readable at once.
  EXPECT_EQ(*Get(id), late);
  stored.reset();  // The write ends: its sweep runs.
  Drain();
  blobs[id] = late;
  ExpectAllOn(blobs, "b1", "a1");
  EXPECT_EQ(Used("b1"), Total(blobs));
  EXPECT_EQ(Used("b1m"), Total(blobs));
  EXPECT_EQ(Used("a1"), 0);
  EXPECT_EQ(volumes_["a1"]->BlobCount(), 0u);
}

// Runs `action` once, after the first bytes arrived (to switch a move in the middle of a read).
class SwitchingSink final : public ByteSink {
 public:
  explicit SwitchingSink(std::function<net::awaitable<void>()> action)
      : action_(std::move(action)) {}
  net::awaitable<Result<void>> Write(std::span<const char> data) override {
    out.append(data.data(), data.size());
    if (!fired_) {
      fired_ = true;
      co_await action_();
    }
    co_return Result<void>{};
  }
  std::string out;

 private:
  std::function<net::awaitable<void>()> action_;
  bool fired_ = false;
};

TEST_F(MoverTest, AReadThatStartedBeforeTheSwitchContinuesFromTheNewPair) {
  Open();
  Allocate(7, 1 * G);
  const std::string data = TestBytes(3 * kBlockSize + 99, 5);
  const std::string id = Put(7, data);
  ASSERT_TRUE(engine_->pool().BeginMove(7, 10 * G));
  SwitchingSink sink([&]() -> net::awaitable<void> {
    // The move completes under the read, and the old pair then goes away entirely.
    auto run = co_await blobs_->mover().Run(7);
    EXPECT_TRUE(run) << run.error().message;
    volumes_["a1"]->SetOffline(true);
    volumes_["a1m"]->SetOffline(true);
  });
  auto read = RunCo(ioc_, blobs_->Read(id, {}, sink));
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(sink.out.size(), data.size());
  EXPECT_TRUE(sink.out == data);
  EXPECT_EQ(Row(id).primary_id, "b1");
}

TEST_F(MoverTest, ABlobDeletedDuringTheMoveLeavesNoCopyBehind) {
  std::string victim;
  MoverOptions options;
  options.after_copy = [&](const db::BlobRow& row) -> net::awaitable<void> {
    if (!victim.empty()) co_return;
    victim = row.id;  // Deleted right after it was copied, before the switch.
    auto forgotten = db_->Write([&](db::Transaction& tx) { return blobs_->Forget(tx, row.id); });
    EXPECT_TRUE(forgotten) << forgotten.error().message;
    if (forgotten) {
      auto erased = co_await blobs_->Erase(*forgotten);
      EXPECT_TRUE(erased) << erased.error().message;
    }
  };
  Open(std::move(options));
  Allocate(7, 1 * G);
  auto blobs = Fill(3);
  ASSERT_TRUE(RunCo(ioc_, blobs_->ChangePlan(7, 10 * G)));
  Drain();
  EXPECT_FALSE(MoveRecorded(7));
  ASSERT_FALSE(victim.empty());
  const BlobId gone = *BlobId::Parse(victim);
  for (std::string disk : {"a1", "a1m", "b1", "b1m"}) {
    EXPECT_FALSE(volumes_[disk]->Contains(gone)) << disk;
  }
  blobs.erase(victim);
  ExpectAllOn(blobs, "b1", "a1");
  EXPECT_EQ(Used("b1"), Total(blobs));
  EXPECT_EQ(Used("a1"), 0);
}

}  // namespace
}  // namespace nimbus::storage::testing
