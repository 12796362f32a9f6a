// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/mirror/mirrored_volume.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "storage/conformance/test_streams.h"
#include "storage/faulty_volume.h"
#include "storage/memory/memory_volume.h"
#include "storage/mirror/mirror_test_util.h"
#include "storage/run_co.h"

namespace nimbus::storage {
namespace {

using nimbus::testing::RunCo;
using testing::FaultyVolume;
using testing::ReadBlob;
using testing::RecordingAlerts;
using testing::RecordingSink;
using testing::Sha256Hex;
using testing::TestBytes;
using testing::WriteBlob;
using Op = MemoryVolume::Op;

constexpr std::uint64_t kMiB = 1 << 20;

class MirroredVolumeTest : public ::testing::Test {
 protected:
  MirroredVolumeTest() {
    primary_ = std::make_shared<MemoryVolume>("a1");
    mirror_ = std::make_shared<MemoryVolume>("a1m");
    fp_ = std::make_shared<FaultyVolume>(primary_);
    fm_ = std::make_shared<FaultyVolume>(mirror_);
    MirrorOptions options;
    options.alerts = alerts_;
    vol_ = std::make_shared<MirroredVolume>(fp_, fm_, options);
  }
  BlobId Put(const std::string& data) {
    BlobId id = BlobId::Random();
    auto r = RunCo(ioc_, WriteBlob(*vol_, id, data));
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return id;
  }
  SideState StateOf(Side s) { return vol_->state()->state(s); }

  net::io_context ioc_;
  std::shared_ptr<RecordingAlerts> alerts_ = std::make_shared<RecordingAlerts>();
  std::shared_ptr<MemoryVolume> primary_, mirror_;
  std::shared_ptr<FaultyVolume> fp_, fm_;
  std::shared_ptr<MirroredVolume> vol_;
};

TEST_F(MirroredVolumeTest, WritesLandOnBothSides) {
  const std::string data = TestBytes(3 * kMiB + 17);
  BlobId id = Put(data);
  EXPECT_TRUE(primary_->Contains(id));
  EXPECT_TRUE(mirror_->Contains(id));
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*primary_, id)), data);
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*mirror_, id)), data);
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*vol_, id)), data);
  EXPECT_EQ(RunCo(ioc_, vol_->Stat(id))->size, data.size());
  EXPECT_EQ(vol_->state()->Snapshot().pair_state(), SideState::kHealthy);
  EXPECT_TRUE(vol_->state()->PendingRepairs().empty());
  EXPECT_TRUE(alerts_->alerts().empty());
  EXPECT_EQ(vol_->id(), "a1");
}

TEST_F(MirroredVolumeTest, MirrorDownWriteLandsOnPrimaryDegradedAlertedAndRepaired) {
  mirror_->SetOffline(true);
  const std::string data = TestBytes(2 * kMiB + 5, 7);
  BlobId id = Put(data);
  EXPECT_TRUE(primary_->Contains(id));
  mirror_->SetOffline(false);
  EXPECT_FALSE(mirror_->Contains(id));
  EXPECT_EQ(StateOf(Side::kMirror), SideState::kDegraded);
  EXPECT_EQ(StateOf(Side::kPrimary), SideState::kHealthy);
  EXPECT_EQ(alerts_->Count(AlertKind::kDiskDegraded, "a1m"), 1);
  auto pending = vol_->state()->PendingRepairs();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].id, id);
  EXPECT_EQ(pending[0].target, Side::kMirror);
  // Reads are served meanwhile.
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*vol_, id)), data);

  RepairStats stats = RunCo(ioc_, vol_->RepairPending());
  EXPECT_EQ(stats.repaired, 1u);
  EXPECT_TRUE(mirror_->Contains(id));
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*mirror_, id)), data);
  EXPECT_EQ(StateOf(Side::kMirror), SideState::kHealthy);
  EXPECT_TRUE(vol_->state()->PendingRepairs().empty());
  EXPECT_EQ(alerts_->Count(AlertKind::kDiskRecovered, "a1m"), 1);
}

TEST_F(MirroredVolumeTest, RepairWhileTheMirrorIsStillDownFailsAndIsRetriedLater) {
  mirror_->SetOffline(true);
  BlobId id = Put(TestBytes(1000));
  RepairStats first = RunCo(ioc_, vol_->RepairPending());
  EXPECT_EQ(first.failed, 1u);
  EXPECT_EQ(alerts_->Count(AlertKind::kRepairFailed, "a1m"), 1);
  EXPECT_EQ(vol_->state()->PendingRepairs().size(), 1u);
  mirror_->SetOffline(false);
  RepairStats second = RunCo(ioc_, vol_->RepairPending());
  EXPECT_EQ(second.repaired, 1u);
  EXPECT_TRUE(mirror_->Contains(id));
  EXPECT_EQ(alerts_->Count(AlertKind::kRepairFailed, "a1m"), 1);  // Raised once, not per try.
}

TEST_F(MirroredVolumeTest, RepairFailuresWhileASideIsDownRaiseOneAlertUntilARepairSucceeds) {
  mirror_->SetOffline(true);
  for (int i = 0; i < 3; ++i) Put(TestBytes(100, 40 + i));
  EXPECT_EQ(RunCo(ioc_, vol_->RepairPending()).failed, 3u);
  EXPECT_EQ(RunCo(ioc_, vol_->RepairPending()).failed, 3u);
  EXPECT_EQ(alerts_->Count(AlertKind::kRepairFailed, "a1m"), 1);
  EXPECT_EQ(alerts_->Count(AlertKind::kDiskDegraded, "a1m"), 1);
  // After max_repair_attempts (5) failures an item waits for the side to be marked healthy.
  for (int i = 0; i < 3; ++i) RunCo(ioc_, vol_->RepairPending());
  mirror_->SetOffline(false);
  EXPECT_EQ(RunCo(ioc_, vol_->RepairPending()).deferred, 3u);
  vol_->state()->MarkHealthy(Side::kMirror);
  EXPECT_EQ(RunCo(ioc_, vol_->RepairPending()).repaired, 3u);
  EXPECT_EQ(StateOf(Side::kMirror), SideState::kHealthy);
}

TEST_F(MirroredVolumeTest, MirrorFailingMidWriteStillAcknowledgesOnThePrimary) {
  mirror_->FailNext(Op::kAppend, Errc::kIoError, 1);
  const std::string data = TestBytes(3 * kMiB, 3);
  BlobId id = Put(data);
  EXPECT_TRUE(primary_->Contains(id));
  EXPECT_FALSE(mirror_->Contains(id));
  EXPECT_EQ(mirror_->OpenWriters(), 0u);  // The mirror's writer was aborted.
  EXPECT_EQ(StateOf(Side::kMirror), SideState::kDegraded);
  EXPECT_EQ(RunCo(ioc_, vol_->RepairPending()).repaired, 1u);
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*mirror_, id)), data);
}

TEST_F(MirroredVolumeTest, PrimaryCommitFailureLeavesTheBlobOnTheMirror) {
  primary_->FailNext(Op::kCommit, Errc::kIoError, 1);
  const std::string data = TestBytes(kMiB + 1, 4);
  BlobId id = Put(data);
  EXPECT_FALSE(primary_->Contains(id));
  EXPECT_TRUE(mirror_->Contains(id));
  EXPECT_EQ(StateOf(Side::kPrimary), SideState::kDegraded);
  EXPECT_EQ(alerts_->Count(AlertKind::kDiskDegraded, "a1"), 1);
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*vol_, id)), data);  // Primary lacks it: served by the mirror.
  EXPECT_EQ(RunCo(ioc_, vol_->RepairPending()).repaired, 1u);
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*primary_, id)), data);
  EXPECT_EQ(StateOf(Side::kPrimary), SideState::kHealthy);
}

TEST_F(MirroredVolumeTest, BothSidesFailingCommitFailsAndNothingIsVisible) {
  primary_->FailNext(Op::kCommit, Errc::kIoError, 1);
  mirror_->FailNext(Op::kCommit, Errc::kIoError, 1);
  BlobId id = BlobId::Random();
  auto r = RunCo(ioc_, WriteBlob(*vol_, id, TestBytes(kMiB)));
  ASSERT_FALSE(r.has_value());
  // Out of service (a 503 telling the user to come back), not a server bug (a 500).
  EXPECT_EQ(r.error().code, Errc::kStorageUnavailable);
  EXPECT_NE(r.error().message.find("a1m"), std::string::npos) << r.error().message;
  EXPECT_FALSE(primary_->Contains(id));
  EXPECT_FALSE(mirror_->Contains(id));
  EXPECT_EQ(RunCo(ioc_, vol_->Stat(id)).error().code, Errc::kNotFound);
  EXPECT_TRUE(vol_->state()->PendingRepairs().empty());
  // Both offline: Create already fails.
  primary_->SetOffline(true);
  mirror_->SetOffline(true);
  auto c = RunCo(ioc_, vol_->Create(BlobId::Random()));
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, Errc::kStorageUnavailable);
}

TEST_F(MirroredVolumeTest, BothSidesFailingAppendFailsTheWrite) {
  primary_->FailNext(Op::kAppend, Errc::kIoError, 1);
  mirror_->FailNext(Op::kAppend, Errc::kIoError, 1);
  BlobId id = BlobId::Random();
  auto r = RunCo(ioc_, WriteBlob(*vol_, id, TestBytes(kMiB)));
  ASSERT_FALSE(r.has_value());
  EXPECT_FALSE(primary_->Contains(id));
  EXPECT_FALSE(mirror_->Contains(id));
  EXPECT_EQ(primary_->OpenWriters() + mirror_->OpenWriters(), 0u);
}

TEST_F(MirroredVolumeTest, ExistingIdIsNameTakenAndKeepsTheOriginal) {
  const std::string data = TestBytes(1000, 1);
  BlobId id = Put(data);
  auto again = RunCo(ioc_, WriteBlob(*vol_, id, TestBytes(1000, 2)));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, Errc::kNameTaken);
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*primary_, id)), data);
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*mirror_, id)), data);
}

TEST_F(MirroredVolumeTest, FiveMiBReadFailsOverAtTwoAndAHalfMiBByteExact) {
  const std::string data = TestBytes(5 * kMiB, 11);
  BlobId id = Put(data);
  primary_->FailReadsAt(5 * kMiB / 2);
  RecordingSink sink;
  auto r = RunCo(ioc_, vol_->Get(id, {}, sink));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(sink.out.size(), data.size());  // Each byte once: no duplicate, no gap.
  EXPECT_EQ(Sha256Hex(sink.out), Sha256Hex(data));
  EXPECT_EQ(vol_->failovers(), 1u);
  EXPECT_EQ(StateOf(Side::kPrimary), SideState::kDegraded);
  auto pending = vol_->state()->PendingRepairs();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].target, Side::kPrimary);
  EXPECT_EQ(vol_->state()->Snapshot().primary.total_errors, 1u);
  primary_->FailReadsAt(std::nullopt);  // The bad sector is remapped once rewritten.
  EXPECT_EQ(RunCo(ioc_, vol_->RepairPending()).repaired, 1u);
  EXPECT_EQ(StateOf(Side::kPrimary), SideState::kHealthy);
}

TEST_F(MirroredVolumeTest, CorruptBlockOnThePrimaryIsServedFromTheMirrorAndRepaired) {
  const std::string data = TestBytes(5 * kMiB + 3, 12);
  BlobId id = Put(data);
  ASSERT_TRUE(primary_->Corrupt(id, 2 * kMiB + 100).has_value());
  ASSERT_EQ(RunCo(ioc_, ReadBlob(*primary_, id)).error().code, Errc::kChecksumMismatch);
  RecordingSink sink;
  ASSERT_TRUE(RunCo(ioc_, vol_->Get(id, {}, sink)).has_value());
  EXPECT_EQ(sink.out.size(), data.size());
  EXPECT_EQ(Sha256Hex(sink.out), Sha256Hex(data));
  EXPECT_EQ(vol_->failovers(), 1u);
  EXPECT_EQ(RunCo(ioc_, vol_->RepairPending()).repaired, 1u);
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*primary_, id)), data);  // The bad copy was replaced.
}

TEST_F(MirroredVolumeTest, MissingOnThePrimaryIsServedFromTheMirrorAndRepaired) {
  const std::string data = TestBytes(kMiB + 9, 13);
  BlobId id = Put(data);
  ASSERT_TRUE(RunCo(ioc_, primary_->Remove(id)).has_value());
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*vol_, id)), data);
  EXPECT_EQ(vol_->state()->Snapshot().primary.total_errors, 0u);  // Missing is not a disk error.
  EXPECT_EQ(RunCo(ioc_, vol_->RepairPending()).repaired, 1u);
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*primary_, id)), data);
}

TEST_F(MirroredVolumeTest, SinkErrorIsPassedThroughAndNotRetriedOnTheMirror) {
  BlobId id = Put(TestBytes(3 * kMiB, 14));
  RecordingSink sink(kMiB);
  auto r = RunCo(ioc_, vol_->Get(id, {}, sink));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kCancelled);
  EXPECT_EQ(fm_->gets.load(), 0);
  EXPECT_EQ(vol_->failovers(), 0u);
  EXPECT_TRUE(vol_->state()->PendingRepairs().empty());
  EXPECT_EQ(vol_->state()->Snapshot().primary.total_errors, 0u);
}

TEST_F(MirroredVolumeTest, RangeReadsFailOverAtTheRightOffset) {
  const std::string data = TestBytes(5 * kMiB, 15);
  BlobId id = Put(data);
  primary_->FailReadsAt(5 * kMiB / 2);
  const std::uint64_t off = 3 * kMiB / 2;
  auto part = RunCo(ioc_, ReadBlob(*vol_, id, {off, 2 * kMiB}));
  ASSERT_TRUE(part.has_value()) << part.error().message;
  EXPECT_EQ(*part, data.substr(off, 2 * kMiB));
  // Open-ended range through a corrupt block.
  primary_->FailReadsAt(std::nullopt);
  ASSERT_TRUE(primary_->Corrupt(id, 4 * kMiB + 1).has_value());
  auto tail = RunCo(ioc_, ReadBlob(*vol_, id, {3 * kMiB + 7, std::nullopt}));
  ASSERT_TRUE(tail.has_value()) << tail.error().message;
  EXPECT_EQ(*tail, data.substr(3 * kMiB + 7));
  // A range inside the good part never touches the mirror.
  const int mirror_gets = fm_->gets.load();
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*vol_, id, {10, 100})), data.substr(10, 100));
  EXPECT_EQ(fm_->gets.load(), mirror_gets);
}

TEST_F(MirroredVolumeTest, ReadAlternatesSidesWhileEachMakesProgress) {
  const std::string data = TestBytes(5 * kMiB, 16);
  BlobId id = Put(data);
  // The primary's fault at 1.5 MiB is transient (first read only); the mirror's at 3.5 MiB is
  // not: primary 0..1.5, mirror 1.5..3.5, primary again 3.5..5.
  fp_->fail_get_at = 3 * kMiB / 2;
  fp_->fail_get_once = true;
  mirror_->FailReadsAt(7 * kMiB / 2);
  RecordingSink sink;
  auto r = RunCo(ioc_, vol_->Get(id, {}, sink));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(Sha256Hex(sink.out), Sha256Hex(data));
  EXPECT_EQ(vol_->failovers(), 2u);
  EXPECT_EQ(vol_->state()->PendingRepairs().size(), 2u);  // Both copies need a look.
}

TEST_F(MirroredVolumeTest, BothCopiesBadAtTheSamePlaceFailsWithoutDuplicates) {
  const std::string data = TestBytes(4 * kMiB, 17);
  BlobId id = Put(data);
  primary_->FailReadsAt(2 * kMiB + 10);
  mirror_->FailReadsAt(2 * kMiB + 10);
  RecordingSink sink;
  auto r = RunCo(ioc_, vol_->Get(id, {}, sink));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kStorageUnavailable);
  EXPECT_EQ(sink.out, data.substr(0, 2 * kMiB + 10));
  EXPECT_TRUE(vol_->state()->PendingRepairs().empty());
}

TEST_F(MirroredVolumeTest, MissingEverywhereIsNotFoundAndQueuesNothing) {
  BlobId id = BlobId::Random();
  RecordingSink sink;
  auto r = RunCo(ioc_, vol_->Get(id, {}, sink));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kNotFound);
  EXPECT_EQ(RunCo(ioc_, vol_->Stat(id)).error().code, Errc::kNotFound);
  EXPECT_EQ(RunCo(ioc_, vol_->Remove(id)).error().code, Errc::kNotFound);
  EXPECT_TRUE(vol_->state()->PendingRepairs().empty());
}

TEST_F(MirroredVolumeTest, FailedPrimaryIsSkippedAndComesBackDegradedUntilRepaired) {
  vol_->state()->MarkFailed(Side::kPrimary, "health probe failed 3 times");
  EXPECT_EQ(alerts_->Count(AlertKind::kDiskFailed, "a1"), 1);
  const std::string data = TestBytes(kMiB, 18);
  BlobId id = Put(data);
  EXPECT_EQ(fp_->creates.load(), 0);  // A failed side is not even tried.
  EXPECT_FALSE(primary_->Contains(id));
  const int primary_gets = fp_->gets.load();
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*vol_, id)), data);
  EXPECT_EQ(fp_->gets.load(), primary_gets);
  EXPECT_EQ(RunCo(ioc_, vol_->RepairPending()).deferred, 1u);  // Not while it is failed.
  vol_->state()->MarkHealthy(Side::kPrimary);
  EXPECT_EQ(StateOf(Side::kPrimary), SideState::kDegraded);
  EXPECT_EQ(RunCo(ioc_, vol_->RepairPending()).repaired, 1u);
  EXPECT_EQ(StateOf(Side::kPrimary), SideState::kHealthy);
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*primary_, id)), data);
}

// The copy the side in service lacks (written while it was out) is read from the failed side as
// a last resort; with no copy anywhere in reach the answer is "unavailable", not "not found"
// (QA pass 17b: such files answered 404 "disk a1m: blob … not found" until a1 was healed).
TEST_F(MirroredVolumeTest, ACopyOnlyTheFailedSideHoldsIsReadFromItAsALastResort) {
  const std::string data = TestBytes(2 * kMiB + 5, 19);
  BlobId id = BlobId::Random();
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(*primary_, id, data)).has_value());  // a1 alone holds it.
  vol_->state()->MarkFailed(Side::kPrimary, "failed by hand", false);
  auto read = RunCo(ioc_, ReadBlob(*vol_, id));
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_TRUE(*read == data);
  RecordingSink part;
  ASSERT_TRUE(RunCo(ioc_, vol_->Get(id, {kMiB, 100}, part)).has_value());
  EXPECT_EQ(part.out, data.substr(kMiB, 100));
  auto stat = RunCo(ioc_, vol_->Stat(id));
  ASSERT_TRUE(stat.has_value()) << stat.error().message;
  EXPECT_EQ(stat->size, data.size());
  EXPECT_EQ(StateOf(Side::kPrimary), SideState::kFailed);  // Reading it heals nothing.

  // Gone from the failed side too (or that disk unreadable): unavailable, never "not found".
  ASSERT_TRUE(RunCo(ioc_, primary_->Remove(id)).has_value());
  RecordingSink sink;
  auto gone = RunCo(ioc_, vol_->Get(id, {}, sink));
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, Errc::kStorageUnavailable) << gone.error().message;
  EXPECT_NE(gone.error().message.find("a1, which may hold it, is out of service"),
            std::string::npos)
      << gone.error().message;
  EXPECT_EQ(RunCo(ioc_, vol_->Stat(id)).error().code, Errc::kStorageUnavailable);
}

TEST_F(MirroredVolumeTest, BackgroundLoopRepairsWhenTheSideReturns) {
  vol_->state()->MarkFailed(Side::kMirror, "drill");
  BlobId id = Put(TestBytes(2 * kMiB, 19));
  vol_->StartRepairLoop(ioc_.get_executor());
  ioc_.restart();
  ioc_.run_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(mirror_->Contains(id));        // Deferred while failed.
  vol_->state()->MarkHealthy(Side::kMirror);  // Wakes the loop.
  for (int i = 0; i < 200 && StateOf(Side::kMirror) != SideState::kHealthy; ++i) {
    ioc_.restart();
    ioc_.run_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(StateOf(Side::kMirror), SideState::kHealthy);
  EXPECT_TRUE(mirror_->Contains(id));
  vol_->StopRepairLoop();
  ioc_.restart();
  ioc_.run_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(ioc_.stopped());  // The loop ended: no work left.
}

TEST_F(MirroredVolumeTest, RepeatedReadErrorsMarkASideFailedWhenConfigured) {
  MirrorOptions options;
  options.alerts = alerts_;
  options.fail_after_errors = 3;
  auto vol = std::make_shared<MirroredVolume>(fp_, fm_, options);
  const std::string data = TestBytes(kMiB / 2, 20);
  BlobId id = BlobId::Random();
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(*vol, id, data)).has_value());
  std::vector<PairEvent> errors;
  vol->state()->AddObserver([&errors](const PairEvent& e) {
    if (e.kind == PairEvent::Kind::kError) errors.push_back(e);
  });
  fp_->fail_get_at = 100;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(*RunCo(ioc_, ReadBlob(*vol, id)), data);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[2].consecutive_errors, 3u);
  EXPECT_EQ(vol->state()->state(Side::kPrimary), SideState::kFailed);
  EXPECT_EQ(alerts_->Count(AlertKind::kDiskFailed, "a1"), 1);
  const int gets = fp_->gets.load();
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*vol, id)), data);
  EXPECT_EQ(fp_->gets.load(), gets);  // Straight to the mirror now.
}

TEST_F(MirroredVolumeTest, RemoveDeletesBothCopiesAndToleratesAMissingOne) {
  BlobId a = Put(TestBytes(100, 21));
  ASSERT_TRUE(RunCo(ioc_, vol_->Remove(a)).has_value());
  EXPECT_FALSE(primary_->Contains(a));
  EXPECT_FALSE(mirror_->Contains(a));
  BlobId b = Put(TestBytes(100, 22));
  ASSERT_TRUE(RunCo(ioc_, mirror_->Remove(b)).has_value());
  ASSERT_TRUE(RunCo(ioc_, vol_->Remove(b)).has_value());
  EXPECT_FALSE(primary_->Contains(b));
  // A queued repair of a removed blob is dropped.
  mirror_->SetOffline(true);
  BlobId c = Put(TestBytes(100, 23));
  mirror_->SetOffline(false);
  ASSERT_EQ(vol_->state()->PendingRepairs().size(), 1u);
  ASSERT_TRUE(RunCo(ioc_, vol_->Remove(c)).has_value());
  EXPECT_TRUE(vol_->state()->PendingRepairs().empty());
  EXPECT_EQ(StateOf(Side::kMirror), SideState::kHealthy);
  EXPECT_FALSE(mirror_->Contains(c));
}

// A removal while a side is failed removes the other copy but reports the failed side's as left
// (kStorageUnavailable), so that the caller keeps it queued and the disk, once back, does not
// keep orphans (QA pass 14, finding 4). Done again after the side is back, it succeeds.
TEST_F(MirroredVolumeTest, RemoveWithASideFailedSaysTheCopyIsLeftAndFinishesOnceItIsBack) {
  BlobId a = Put(TestBytes(100, 25));
  vol_->state()->MarkFailed(Side::kMirror, "pulled", false);
  auto r = RunCo(ioc_, vol_->Remove(a));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kStorageUnavailable);
  EXPECT_NE(r.error().message.find("a1m"), std::string::npos) << r.error().message;
  EXPECT_FALSE(primary_->Contains(a));
  EXPECT_TRUE(mirror_->Contains(a));
  vol_->state()->MarkHealthy(Side::kMirror);
  ASSERT_TRUE(RunCo(ioc_, vol_->Remove(a)).has_value());
  EXPECT_FALSE(mirror_->Contains(a));
}

TEST_F(MirroredVolumeTest, ForEachVisitsTheUnionOnce) {
  BlobId both = Put(TestBytes(10, 24));
  BlobId only_p = BlobId::Random();
  BlobId only_m = BlobId::Random();
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(*primary_, only_p, TestBytes(20, 25))).has_value());
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(*mirror_, only_m, TestBytes(30, 26))).has_value());
  std::multiset<std::string> seen;
  std::uint64_t bytes = 0;
  BlobVisitor visit = [&seen, &bytes](const BlobId& id, std::uint64_t size) -> Result<void> {
    seen.insert(id.str());
    bytes += size;
    return {};
  };
  ASSERT_TRUE(RunCo(ioc_, vol_->ForEach(visit)).has_value());
  EXPECT_EQ(seen, (std::multiset<std::string>{both.str(), only_p.str(), only_m.str()}));
  EXPECT_EQ(bytes, 60u);
  // A listing error on one side: the other side's listing is still complete.
  fm_->offline = true;
  seen.clear();
  ASSERT_TRUE(RunCo(ioc_, vol_->ForEach(visit)).has_value());
  EXPECT_EQ(seen.size(), 2u);
  // A visitor error stops the walk with that error.
  fm_->offline = false;
  BlobVisitor stop = [](const BlobId&, std::uint64_t) -> Result<void> {
    return Fail(Errc::kCancelled, "enough");
  };
  EXPECT_EQ(RunCo(ioc_, vol_->ForEach(stop)).error().code, Errc::kCancelled);
}

TEST_F(MirroredVolumeTest, ProbeNamesTheFailingSideAndSpaceIsTheSmaller) {
  ASSERT_TRUE(RunCo(ioc_, vol_->Probe()).has_value());
  fm_->offline = true;
  auto p = RunCo(ioc_, vol_->Probe());
  ASSERT_FALSE(p.has_value());
  EXPECT_NE(p.error().message.find("mirror a1m"), std::string::npos) << p.error().message;
  EXPECT_EQ(p.error().message.find("primary"), std::string::npos) << p.error().message;
  SideProbes sides = RunCo(ioc_, vol_->ProbeSides());
  EXPECT_TRUE(sides.primary.has_value());
  EXPECT_FALSE(sides.mirror.has_value());
  fm_->offline = false;

  auto small = std::make_shared<MemoryVolume>("b1m", 10 * kMiB);
  MirroredVolume pair(std::make_shared<MemoryVolume>("b1", 100 * kMiB), small);
  auto space = RunCo(ioc_, pair.Space());
  ASSERT_TRUE(space.has_value());
  EXPECT_EQ(space->total_bytes, 10 * kMiB);
  EXPECT_LE(space->free_bytes, 10 * kMiB);
}

}  // namespace
}  // namespace nimbus::storage

namespace nimbus::storage {
namespace {

// Coroutine of the concurrency test: writes a blob, reads it back through the pair.
net::awaitable<bool> WriteThenRead(MirroredVolume& vol, BlobId id, std::string data) {
  auto w = co_await WriteBlob(vol, id, data, 100'000);
  if (!w) co_return false;
  auto r = co_await ReadBlob(vol, id);
  co_return r&&* r == data;
}

TEST(MirroredVolumeConcurrencyTest, ManyWritersOnSeveralThreadsWithTheMirrorFlapping) {
  auto primary = std::make_shared<MemoryVolume>("a1");
  auto mirror = std::make_shared<MemoryVolume>("a1m");
  auto alerts = std::make_shared<RecordingAlerts>();
  MirrorOptions options;
  options.alerts = alerts;
  auto vol = std::make_shared<MirroredVolume>(primary, mirror, options);
  net::io_context ioc(3);
  constexpr int kBlobs = 24;
  std::vector<BlobId> ids;
  std::atomic<int> ok{0}, done{0};
  for (int i = 0; i < kBlobs; ++i) {
    ids.push_back(BlobId::Random());
    net::co_spawn(ioc, WriteThenRead(*vol, ids.back(), TestBytes(300'000 + i, 100 + i)),
                  [&ok, &done](std::exception_ptr e, bool good) {
                    if (!e && good) ++ok;
                    ++done;
                  });
  }
  // The mirror goes offline and back while the writes run on three threads.
  std::thread flapper([&mirror, &done] {
    for (int i = 0; i < 200 && done.load() < kBlobs; ++i) {
      mirror->SetOffline(i % 2 == 0);
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) threads.emplace_back([&ioc] { ioc.run(); });
  for (auto& t : threads) t.join();
  flapper.join();
  mirror->SetOffline(false);
  EXPECT_EQ(done.load(), kBlobs);
  EXPECT_EQ(ok.load(), kBlobs);  // Every write was acknowledged and reads back right.
  RepairStats stats = RunCo(ioc, vol->RepairPending());
  EXPECT_EQ(stats.failed, 0u);
  for (const auto& id : ids) {
    EXPECT_TRUE(primary->Contains(id));
    EXPECT_TRUE(mirror->Contains(id));
  }
  EXPECT_EQ(vol->state()->Snapshot().pair_state(), SideState::kHealthy);
}

}  // namespace
}  // namespace nimbus::storage
