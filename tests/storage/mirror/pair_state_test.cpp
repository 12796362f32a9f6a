// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/mirror/pair_state.h"

#include <gtest/gtest.h>

#include "storage/mirror/mirror_test_util.h"

namespace nimbus::storage {
namespace {

using testing::RecordingAlerts;

TEST(RepairQueueTest, KeepsOrderAndDeduplicates) {
  RepairQueue q;
  BlobId a = BlobId::Random(), b = BlobId::Random();
  EXPECT_TRUE(q.Push({a, Side::kMirror, "x", 0}));
  EXPECT_FALSE(q.Push({a, Side::kMirror, "again", 0}));
  EXPECT_TRUE(q.Push({a, Side::kPrimary, "y", 0}));
  EXPECT_TRUE(q.Push({b, Side::kMirror, "z", 0}));
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.count(Side::kMirror), 2u);
  auto items = q.Items();
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].reason, "x");
  EXPECT_EQ(items[2].id, b);
  EXPECT_EQ(q.NoteFailure(b, Side::kMirror, "eio"), 1);
  EXPECT_EQ(q.NoteFailure(b, Side::kMirror, "eio"), 2);
  q.ResetAttempts(Side::kMirror);
  EXPECT_EQ(q.Items()[2].attempts, 0);
  EXPECT_EQ(q.RemoveBlob(a), 2u);
  EXPECT_FALSE(q.Remove(a, Side::kMirror));
  EXPECT_TRUE(q.Remove(b, Side::kMirror));
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.count(Side::kMirror), 0u);
}

TEST(PairStateTest, StatesFollowFailuresAndRepairsWithAlertsAndEvents) {
  auto alerts = std::make_shared<RecordingAlerts>();
  PairState st("c1", "c1m", alerts);
  std::vector<PairEvent> changes;
  st.AddObserver([&changes](const PairEvent& e) {
    if (e.kind == PairEvent::Kind::kStateChanged) changes.push_back(e);
  });
  EXPECT_EQ(st.Snapshot().pair_state(), SideState::kHealthy);

  BlobId id = BlobId::Random();
  EXPECT_TRUE(st.QueueRepair(id, Side::kMirror, "write failed"));
  EXPECT_FALSE(st.QueueRepair(id, Side::kMirror, "write failed"));
  EXPECT_EQ(st.state(Side::kMirror), SideState::kDegraded);
  EXPECT_EQ(st.Snapshot().mirror.missing, 1u);
  EXPECT_EQ(st.Snapshot().pair_state(), SideState::kDegraded);
  EXPECT_EQ(alerts->Count(AlertKind::kDiskDegraded, "c1m"), 1);

  st.MarkFailed(Side::kMirror, "probe failed 3 times");
  EXPECT_FALSE(st.Usable(Side::kMirror));
  EXPECT_EQ(alerts->Count(AlertKind::kDiskFailed, "c1m"), 1);
  st.MarkFailed(Side::kMirror, "again");  // No change, no second alert.
  EXPECT_EQ(alerts->Count(AlertKind::kDiskFailed, "c1m"), 1);

  st.MarkHealthy(Side::kMirror);
  EXPECT_EQ(st.state(Side::kMirror), SideState::kDegraded);  // Still missing a blob.
  EXPECT_EQ(alerts->Count(AlertKind::kDiskRecovered, "c1m"), 1);
  st.RepairDone(id, Side::kMirror);
  EXPECT_EQ(st.state(Side::kMirror), SideState::kHealthy);
  EXPECT_EQ(alerts->Count(AlertKind::kDiskRecovered, "c1m"), 2);

  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[0].new_state, SideState::kDegraded);
  EXPECT_EQ(changes[1].new_state, SideState::kFailed);
  EXPECT_EQ(changes[2].old_state, SideState::kFailed);
  EXPECT_EQ(changes[2].new_state, SideState::kDegraded);
  EXPECT_EQ(changes[3].new_state, SideState::kHealthy);
  EXPECT_EQ(changes[3].disk_id, "c1m");
}

TEST(PairStateTest, ErrorsCountAndAutoFailOnlyWhenConfigured) {
  auto alerts = std::make_shared<RecordingAlerts>();
  PairState manual("d1", "d1m", alerts, 0);
  for (int i = 0; i < 10; ++i) manual.RecordError(Side::kPrimary, "EIO");
  EXPECT_TRUE(manual.Usable(Side::kPrimary));
  EXPECT_EQ(manual.Snapshot().primary.consecutive_errors, 10u);
  manual.RecordSuccess(Side::kPrimary);
  EXPECT_EQ(manual.Snapshot().primary.consecutive_errors, 0u);
  EXPECT_EQ(manual.Snapshot().primary.total_errors, 10u);

  PairState automatic("e1", "e1m", alerts, 2);
  EXPECT_EQ(automatic.RecordError(Side::kMirror, "EIO"), 1u);
  EXPECT_TRUE(automatic.Usable(Side::kMirror));
  EXPECT_EQ(automatic.RecordError(Side::kMirror, "EIO"), 2u);
  EXPECT_FALSE(automatic.Usable(Side::kMirror));
  EXPECT_EQ(alerts->Count(AlertKind::kDiskFailed, "e1m"), 1);
}

TEST(PairStateTest, RestoreRepairsAndForgetBlob) {
  PairState st("f1", "f1m", nullptr);
  BlobId a = BlobId::Random(), b = BlobId::Random();
  std::vector<RepairItem> saved = {{a, Side::kPrimary, "r1", 3}, {b, Side::kMirror, "r2", 0}};
  EXPECT_EQ(st.RestoreRepairs(saved), 2u);
  EXPECT_EQ(st.RestoreRepairs(saved), 0u);
  EXPECT_EQ(st.Snapshot().pair_state(), SideState::kDegraded);
  EXPECT_EQ(st.RepairFailed(a, Side::kPrimary, "eio"), 1);
  st.ForgetBlob(a);
  st.ForgetBlob(b);
  EXPECT_TRUE(st.PendingRepairs().empty());
  EXPECT_EQ(st.Snapshot().pair_state(), SideState::kHealthy);
}

}  // namespace
}  // namespace nimbus::storage
