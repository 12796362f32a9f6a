// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/pool/disk_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "db/database.h"
#include "db/migrations.h"
#include "fakes/fake_clock.h"
#include "storage/memory/memory_volume.h"
#include "support/migrated_db.h"
#include "support/temp_dir.h"

namespace nimbus::storage {
namespace {

constexpr std::uint64_t G = kGiB;

class RecordingAlerts : public AlertSink {
 public:
  void Raise(const Alert& alert) override {
    std::lock_guard lock(mu_);
    alerts_.push_back(alert);
  }
  std::vector<Alert> Of(AlertKind kind) {
    std::lock_guard lock(mu_);
    std::vector<Alert> out;
    for (const Alert& a : alerts_)
      if (a.kind == kind) out.push_back(a);
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<Alert> alerts_;  // Guarded by mu_.
};

void AddPair(config::DisksConfig& c, const std::string& id, const std::string& category,
             std::uint64_t capacity, std::uint64_t mirror_capacity = 0) {
  c.disks.push_back({id, category, "file:/disks/" + id, capacity, id + "m", "primary"});
  c.disks.push_back({id + "m", category, "file:/disks/" + id + "m",
                     mirror_capacity ? mirror_capacity : capacity, id, "mirror"});
}

// A: a1 (10 GiB). B: b1, b2 (100 GiB each). C: c1 (100 GiB). D: d1 (100 GiB, mirror 60 GiB).
// E: e1. Two spares of 200 GiB.
config::DisksConfig TestConfig() {
  config::DisksConfig c;
  c.categories = config::DefaultCategories();
  AddPair(c, "a1", "A", 10 * G);
  AddPair(c, "b1", "B", 100 * G);
  AddPair(c, "b2", "B", 100 * G);
  AddPair(c, "c1", "C", 100 * G);
  AddPair(c, "d1", "D", 100 * G, 60 * G);
  AddPair(c, "e1", "E", 1000 * G);
  c.spares.push_back({"spare1", "file:/disks/spare1", 200 * G});
  c.spares.push_back({"spare2", "file:/disks/spare2", 200 * G});
  return c;
}

class DiskPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = nimbus::testing::MigratedSqlite(dir_.File("nimbus.db"));
    ASSERT_TRUE(db_);
    config_ = TestConfig();
    Reopen();
  }

  Result<std::unique_ptr<DiskPool>> OpenPool(const config::DisksConfig& c) {
    VolumeFactory factory = [this](const DiskInfo& d) -> Result<std::unique_ptr<Volume>> {
      ++opened_;
      return std::make_unique<MemoryVolume>(d.id, d.capacity_bytes);
    };
    return DiskPool::Open(c, DiskPoolDeps{*db_, factory, alerts_, clock_});
  }

  void Reopen() {
    pool_.reset();
    auto pool = OpenPool(config_);
    ASSERT_TRUE(pool) << pool.error().message;
    pool_ = std::move(*pool);
  }

  DiskInfo Disk(std::string_view id) {
    auto d = pool_->Show(id);
    EXPECT_TRUE(d) << id << ": " << (d ? "" : d.error().message);
    return d.value_or(DiskInfo{});
  }

  std::string Place(std::int64_t owner, std::uint64_t bytes) {
    auto pair = pool_->Allocate(owner, bytes);
    EXPECT_TRUE(pair) << "owner " << owner << ": " << (pair ? "" : pair.error().message);
    return pair ? pair->primary_id : "";
  }

  testing::TempDir dir_;
  std::unique_ptr<db::Database> db_;
  config::DisksConfig config_;
  RecordingAlerts alerts_;
  FakeClock clock_;
  int opened_ = 0;
  std::unique_ptr<DiskPool> pool_;
};

TEST(CategoryForBytes, MapsPlanSizesToBandsIncludingTheEdges) {
  auto cats = config::DefaultCategories();
  auto cat = [&](std::uint64_t bytes) { return CategoryForBytes(cats, bytes).value_or("-"); };
  EXPECT_EQ(cat(1 * G), "A");
  EXPECT_EQ(cat(10 * G), "B");
  EXPECT_EQ(cat(24 * G), "B");
  EXPECT_EQ(cat(25 * G), "C");
  EXPECT_EQ(cat(49 * G), "C");
  EXPECT_EQ(cat(50 * G), "D");
  EXPECT_EQ(cat(74 * G), "D");
  EXPECT_EQ(cat(75 * G), "E");
  EXPECT_EQ(cat(100 * G), "E");
  EXPECT_EQ(cat(10 * G - 1), "B");  // Rounded up to whole GB.
  for (std::uint64_t gb = 2; gb <= 9; ++gb) EXPECT_EQ(cat(gb * G), "-") << gb;
  EXPECT_EQ(cat(1 * G + 1), "-");  // 2 GB after rounding up.
  EXPECT_EQ(cat(0), "-");
  EXPECT_EQ(cat(101 * G), "-");
  auto bad = CategoryForBytes(cats, 5 * G);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("5 GB"), std::string::npos) << bad.error().message;
}

TEST_F(DiskPoolTest, OpenRecordsEveryConfiguredDiskAndSpare) {
  auto all = pool_->List();
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 14u);
  DiskInfo b1 = Disk("b1"), b1m = Disk("b1m"), s1 = Disk("spare1");
  EXPECT_EQ(b1.role, DiskRole::kPrimary);
  EXPECT_EQ(b1.state, DiskState::kHealthy);
  EXPECT_EQ(b1.category, "B");
  EXPECT_EQ(b1.mirror_id, "b1m");
  EXPECT_EQ(b1.uri, "file:/disks/b1");
  EXPECT_EQ(b1.capacity_bytes, 100 * G);
  EXPECT_EQ(b1m.role, DiskRole::kMirror);
  EXPECT_EQ(b1m.mirror_id, "b1");
  EXPECT_EQ(s1.role, DiskRole::kSpare);
  EXPECT_EQ(s1.state, DiskState::kSpare);
  EXPECT_EQ(s1.category, "");
  EXPECT_EQ(DiskStateName(s1.state), "spare");
  EXPECT_TRUE(alerts_.Of(AlertKind::kSpareAttached).empty());
}

TEST_F(DiskPoolTest, PlacesOnTheCategoryPairWithMostFreeSpaceTiesById) {
  EXPECT_EQ(Place(1, 10 * G), "b1");  // b1 and b2 tie: the smaller id.
  EXPECT_EQ(Place(2, 20 * G), "b2");  // b2 has 100 free, b1 90.
  EXPECT_EQ(Place(3, 10 * G), "b1");  // b1 90 free, b2 80.
  EXPECT_EQ(Place(4, 1 * G), "a1");
  EXPECT_EQ(Place(5, 30 * G), "c1");
  auto where = pool_->Locate(2);
  ASSERT_TRUE(where) << where.error().message;
  EXPECT_EQ(where->pair.category, "B");
  EXPECT_EQ(where->pair.primary_id, "b2");
  EXPECT_EQ(where->pair.mirror_id, "b2m");
  EXPECT_EQ(where->bytes, 20 * G);
}

TEST_F(DiskPoolTest, AllocationAccountingIsExactOnBothDisksOfThePair) {
  Place(1, 10 * G);
  Place(2, 24 * G);
  Place(3, 11 * G);  // b1: 10 + 11; b2: 24.
  EXPECT_EQ(Disk("b1").allocated_bytes, 21 * G);
  EXPECT_EQ(Disk("b1m").allocated_bytes, 21 * G);
  EXPECT_EQ(Disk("b2").allocated_bytes, 24 * G);
  EXPECT_EQ(Disk("b2m").allocated_bytes, 24 * G);
  EXPECT_EQ(Disk("b1").owner_count, 2);
  EXPECT_EQ(Disk("b1m").owner_count, 2);
  EXPECT_EQ(Disk("b2").owner_count, 1);
  EXPECT_EQ(Disk("c1").allocated_bytes, 0u);
  auto twice = pool_->Allocate(1, 10 * G);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, Errc::kConflict);
  auto gap = pool_->Allocate(9, 5 * G);
  ASSERT_FALSE(gap);
  EXPECT_EQ(gap.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(Disk("b1").allocated_bytes, 21 * G);
}

TEST_F(DiskPoolTest, PairCapacityIsTheSmallerDisk) {
  // d1 has 100 GiB but its mirror 60 GiB: 74 GiB does not fit, whatever the ratio.
  config_.near_full_ratio = 1.0;
  Reopen();
  EXPECT_EQ(Place(1, 50 * G), "d1");
  auto over = pool_->Resize(1, 74 * G);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, Errc::kNoCapacity);
  EXPECT_EQ(Disk("d1").allocated_bytes, 50 * G);
}

TEST_F(DiskPoolTest, FailedOrDegradedDisksAreNotChosen) {
  ASSERT_TRUE(pool_->MarkFailed("b1m"));
  EXPECT_EQ(Disk("b1m").state, DiskState::kFailed);
  EXPECT_EQ(Disk("b1").state, DiskState::kHealthy);  // Serves alone; not touched.
  ASSERT_EQ(alerts_.Of(AlertKind::kDiskFailed).size(), 1u);
  EXPECT_EQ(alerts_.Of(AlertKind::kDiskFailed)[0].disk_id, "b1m");
  EXPECT_EQ(Place(1, 10 * G), "b2");
  EXPECT_EQ(Place(2, 10 * G), "b2");
  ASSERT_TRUE(pool_->SetState("b2", DiskState::kDegraded));
  // No writable pair in B, so the spares become one.
  EXPECT_EQ(Place(3, 10 * G), "spare1");
  ASSERT_TRUE(pool_->MarkHealthy("b1m"));
  EXPECT_EQ(Disk("b1m").state, DiskState::kHealthy);
  EXPECT_EQ(alerts_.Of(AlertKind::kDiskRecovered).size(), 1u);
  EXPECT_EQ(Place(4, 10 * G), "spare1");  // 190 GiB free there against b1's 100.
}

TEST_F(DiskPoolTest, NearFullAttachesASparePairAndAlerts) {
  // C: one 100 GiB pair, ratio 0.85. 3 x 25 = 75 GiB is fine; the 4th would make 100.
  for (int owner = 1; owner <= 3; ++owner) EXPECT_EQ(Place(owner, 25 * G), "c1");
  EXPECT_TRUE(alerts_.Of(AlertKind::kSpareAttached).empty());
  EXPECT_EQ(Place(4, 25 * G), "spare1");
  DiskInfo s1 = Disk("spare1"), s2 = Disk("spare2");
  EXPECT_EQ(s1.role, DiskRole::kPrimary);
  EXPECT_EQ(s1.category, "C");
  EXPECT_EQ(s1.state, DiskState::kHealthy);
  EXPECT_EQ(s1.mirror_id, "spare2");
  EXPECT_EQ(s2.role, DiskRole::kMirror);
  EXPECT_EQ(s2.mirror_id, "spare1");
  EXPECT_EQ(s2.allocated_bytes, 25 * G);
  auto attached = alerts_.Of(AlertKind::kSpareAttached);
  ASSERT_EQ(attached.size(), 1u);
  EXPECT_NE(attached[0].message.find("category C"), std::string::npos) << attached[0].message;
  // The two spares were the last: the admin is told that none is left to replace a failed disk.
  EXPECT_NE(attached[0].message.find("No spare is left now"), std::string::npos)
      << attached[0].message;
  EXPECT_EQ(Disk("c1").allocated_bytes, 75 * G);
}

// Spares that cannot hold the category's smallest plan are not attached there, and the pair is
// made of the two smallest that can (QA pass 19: a 60 GiB disk was paired with a 300 GiB one for
// plans of 75 GB and more, and took the last spare).
TEST_F(DiskPoolTest, ASparePairIsOnlyAttachedWhereAPlanOfTheCategoryFits) {
  config_.spares.push_back({"spare3", "file:/disks/spare3", 40 * G});
  config_.spares.push_back({"spare4", "file:/disks/spare4", 300 * G});
  config_.spares.push_back({"spare5", "file:/disks/spare5", 120 * G});
  Reopen();
  // D (50–74 GB): d1's pair holds 60 GiB; 52 of them pass 85 %, so they go to a new pair.
  EXPECT_EQ(Place(1, 52 * G), "spare5");
  EXPECT_EQ(Disk("spare5").role, DiskRole::kPrimary);
  EXPECT_EQ(Disk("spare5").category, "D");
  EXPECT_EQ(Disk("spare5").mirror_id, "spare1");
  EXPECT_EQ(Disk("spare3").role, DiskRole::kSpare) << "40 GiB cannot hold a 50 GB plan";
  EXPECT_EQ(Disk("spare4").role, DiskRole::kSpare);
  // Left: spare2, spare3 (too small for D or E, fine for A or B) and spare4.
  auto attached = alerts_.Of(AlertKind::kSpareAttached);
  ASSERT_EQ(attached.size(), 1u);
  EXPECT_NE(attached[0].message.find("3 spares are left"), std::string::npos)
      << attached[0].message;
}

// A disk of disks.toml that the pool replaced, then (healed, as a spare) attached in another
// category, is the database's business: the next start takes it (QA pass 19: `serve` and every
// command refused to run, "recorded in category C but configured in category B").
TEST_F(DiskPoolTest, AConfiguredDiskThePoolReusedInAnotherCategoryDoesNotStopTheNextStart) {
  ASSERT_TRUE(pool_->MarkFailed("b2"));
  ASSERT_TRUE(pool_->Replace("b2", "spare1"));
  ASSERT_TRUE(pool_->MarkHealthy("b2"));
  ASSERT_EQ(Disk("b2").role, DiskRole::kSpare);
  // Healed, a replaced disk is a spare again, and the alert says that, not "back in service"
  // (QA pass 20).
  auto recovered = alerts_.Of(AlertKind::kDiskRecovered);
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_TRUE(recovered[0].to_spare);
  EXPECT_NE(recovered[0].message.find("is a usable spare again (was failed): it is in no pair"),
            std::string::npos)
      << recovered[0].message;
  // C: 4 x 25 GiB passes 85 % of c1's 100 GiB: the two spares left, b2 and spare2, are attached.
  for (int owner = 1; owner <= 4; ++owner) Place(owner, 25 * G);
  ASSERT_EQ(Disk("b2").category, "C");
  ASSERT_EQ(Disk("b2").role, DiskRole::kPrimary);
  Reopen();
  EXPECT_EQ(Disk("b2").category, "C");
  EXPECT_EQ(Disk("b2").mirror_id, "spare2");
}

// `admin disk retire`: an empty pair (one the pool attached where no plan came, or one every
// owner left) goes back to the spares, and only an empty one that is not its category's last
// (QA passes 19 and 20: no way to give spares back).
TEST_F(DiskPoolTest, AnEmptyPairThatIsNotItsCategorysLastGoesBackToTheSpares) {
  ASSERT_EQ(Place(1, 12 * G), "b1");
  auto held = pool_->Retire("b1m");
  ASSERT_FALSE(held);
  EXPECT_EQ(held.error().code, Errc::kConflict);
  EXPECT_NE(held.error().message.find("1 owner(s) placed on it"), std::string::npos)
      << held.error().message;
  EXPECT_NE(held.error().message.find("disk 'b1' counts 12.00 GiB allocated"), std::string::npos)
      << held.error().message;
  EXPECT_EQ(Disk("b1").role, DiskRole::kPrimary);

  ASSERT_TRUE(pool_->MarkFailed("b2m"));  // A failed disk of an empty pair stays failed.
  auto retired = pool_->Retire("b2");
  ASSERT_TRUE(retired) << retired.error().message;
  EXPECT_EQ(retired->primary_id, "b2");
  EXPECT_EQ(retired->mirror_id, "b2m");
  EXPECT_EQ(retired->category, "B");
  EXPECT_EQ(Disk("b2").role, DiskRole::kSpare);
  EXPECT_EQ(Disk("b2").state, DiskState::kSpare);
  EXPECT_EQ(Disk("b2").category, "");
  EXPECT_EQ(Disk("b2").mirror_id, "");
  EXPECT_EQ(Disk("b2m").role, DiskRole::kSpare);
  EXPECT_EQ(Disk("b2m").state, DiskState::kFailed);
  auto again = pool_->Retire("b2");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kConflict);
  EXPECT_EQ(pool_->Retire("nope").error().code, Errc::kNotFound);

  // The pair every owner left is now the only pair of B: it stays (without one the pool would
  // attach spares to B again at once). The next start keeps disks.toml's b2 a spare.
  ASSERT_TRUE(pool_->Release(1));
  auto last = pool_->Retire("b1");
  ASSERT_FALSE(last);
  EXPECT_NE(last.error().message.find("it is the only pair of category B"), std::string::npos)
      << last.error().message;
  EXPECT_EQ(last.error().message.find("owner"), std::string::npos) << last.error().message;
  Reopen();
  EXPECT_EQ(Disk("b1").role, DiskRole::kPrimary);
  EXPECT_EQ(Disk("b2").role, DiskRole::kSpare);
  EXPECT_EQ(Disk("b2m").role, DiskRole::kSpare);
}

// Both disks of a pair out for a while (a loose cable): the periodic check keeps the spares for
// `replace`; only a new owner who needs a place then takes a pair of them (QA pass 20: a 35 s
// outage of an empty category's pair took both spares for good).
TEST_F(DiskPoolTest, APairThatIsOutDoesNotUseUpTheSparesUntilSomeoneNeedsAPlace) {
  ASSERT_TRUE(pool_->MarkFailed("c1"));
  ASSERT_TRUE(pool_->MarkFailed("c1m"));
  ASSERT_TRUE(pool_->CheckNearFull());
  EXPECT_EQ(Disk("spare1").role, DiskRole::kSpare);
  EXPECT_EQ(Disk("spare2").role, DiskRole::kSpare);
  EXPECT_TRUE(alerts_.Of(AlertKind::kSpareAttached).empty());
  ASSERT_TRUE(pool_->MarkHealthy("c1"));
  ASSERT_TRUE(pool_->MarkHealthy("c1m"));
  EXPECT_EQ(Place(1, 30 * G), "c1") << "back in service, the pair takes owners again";

  ASSERT_TRUE(pool_->MarkFailed("c1"));
  ASSERT_TRUE(pool_->MarkFailed("c1m"));
  EXPECT_EQ(Place(2, 30 * G), "spare1") << "a new owner while it is out gets the spares";
  EXPECT_EQ(alerts_.Of(AlertKind::kSpareAttached).size(), 1u);
}

TEST_F(DiskPoolTest, APlanThatFitsNoPairGetsASparePairEvenBelowNearFull) {
  config_.near_full_ratio = 1.0;
  config_.disks[2].capacity_bytes = config_.disks[3].capacity_bytes = 30 * G;  // b1, b1m
  config_.disks[4].capacity_bytes = config_.disks[5].capacity_bytes = 30 * G;  // b2, b2m
  config_.spares[0].capacity_bytes = config_.spares[1].capacity_bytes = 20 * G;
  Reopen();
  EXPECT_EQ(Place(1, 24 * G), "b1");
  EXPECT_EQ(Place(2, 24 * G), "b2");
  // 48 of 60 GiB: 10 more fit the category but no single pair (6 GiB free on each).
  EXPECT_EQ(Place(3, 10 * G), "spare1");
  EXPECT_EQ(alerts_.Of(AlertKind::kSpareAttached).size(), 1u);
  EXPECT_EQ(Disk("spare2").allocated_bytes, 10 * G);
  EXPECT_EQ(Place(4, 10 * G), "spare1");
  // 68 of 80 GiB, 6 + 6 + 0 free per pair and no spare left: refused, nothing changed.
  auto refused = pool_->Allocate(5, 10 * G);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kNoCapacity);
  EXPECT_NE(refused.error().message.find("no capacity left in category B: no healthy pair has "
                                         "10.00 GiB unallocated (the most is 6.00 GiB)"),
            std::string::npos)
      << refused.error().message;
  EXPECT_EQ(Disk("b1").allocated_bytes, 24 * G);
  EXPECT_EQ(Disk("b2").allocated_bytes, 24 * G);
  EXPECT_EQ(Disk("spare1").allocated_bytes, 20 * G);
  EXPECT_EQ(pool_->Locate(5).error().code, Errc::kNotFound);
}

TEST_F(DiskPoolTest, WithoutSparesACategoryPastNearFullRefusesNewOwnersOnly) {
  for (int owner = 1; owner <= 3; ++owner) Place(owner, 25 * G);
  Place(4, 25 * G);  // Takes the spares for C.
  // D: d1's pair holds 60 GiB; 50 GiB is past 0.85 * 60 = 51 with the next one.
  EXPECT_EQ(Place(10, 50 * G), "d1");
  auto refused = pool_->Allocate(11, 50 * G);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kNoCapacity);
  EXPECT_NE(refused.error().message.find("no capacity left in category D"), std::string::npos)
      << refused.error().message;
  EXPECT_FALSE(pool_->Allocate(12, 50 * G));
  EXPECT_EQ(alerts_.Of(AlertKind::kNoCapacity).size(), 1u);  // Raised once.
  // The existing owner keeps working: located, grows within the pair, stores bytes.
  auto where = pool_->Locate(10);
  ASSERT_TRUE(where);
  EXPECT_EQ(where->pair.primary_id, "d1");
  ASSERT_TRUE(pool_->Resize(10, 55 * G));
  auto used = db_->Write([&](db::Transaction& tx) { return pool_->AddUsed(tx, 10, 5 * G); });
  ASSERT_TRUE(used) << used.error().message;
  EXPECT_EQ(Disk("d1").allocated_bytes, 55 * G);
  EXPECT_EQ(Disk("d1m").used_bytes, 5 * G);
  auto none = pool_->Locate(11);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::kNotFound);
}

TEST_F(DiskPoolTest, AttachingSparesAtRunTimeGivesAFullCategoryItsPair) {
  Place(1, 25 * G), Place(2, 25 * G), Place(3, 25 * G), Place(4, 25 * G);  // Spares to C.
  Place(10, 50 * G);
  ASSERT_FALSE(pool_->Allocate(11, 50 * G));
  auto one = pool_->Attach({"spare3", "file:/disks/spare3", 300 * G});
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(one->state, DiskState::kSpare);  // One spare is not a pair.
  ASSERT_FALSE(pool_->Allocate(11, 50 * G));
  auto two = pool_->Attach({"spare4", "file:/disks/spare4", 300 * G});
  ASSERT_TRUE(two) << two.error().message;
  // D is past near-full only counting the new owner: the pair is attached when one comes.
  EXPECT_EQ(Place(11, 50 * G), "spare3");
  EXPECT_EQ(Disk("spare3").category, "D");
  EXPECT_EQ(Disk("spare4").role, DiskRole::kMirror);
  EXPECT_EQ(Disk("spare4").mirror_id, "spare3");
  auto dup = pool_->Attach({"spare4", "file:/disks/x", 1 * G});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::kConflict);
  auto dup_uri = pool_->Attach({"spare5", "file:/disks/spare3", 1 * G});
  ASSERT_FALSE(dup_uri);
  EXPECT_EQ(dup_uri.error().code, Errc::kConflict);
  // After new space came, the next full category alerts again.
  EXPECT_EQ(alerts_.Of(AlertKind::kNoCapacity).size(), 1u);
}

TEST_F(DiskPoolTest, AFailedDiskAloneKeepsTheSparesForReplace) {
  // Both pairs of B lose one disk: their owners are still served by the other disks, so the
  // periodic check attaches nothing (the admin keeps the spares for `replace`) ...
  ASSERT_TRUE(pool_->MarkFailed("b1m"));
  ASSERT_TRUE(pool_->MarkFailed("b2"));
  ASSERT_TRUE(pool_->CheckNearFull());
  EXPECT_EQ(Disk("spare1").role, DiskRole::kSpare);
  EXPECT_EQ(Disk("spare2").role, DiskRole::kSpare);
  EXPECT_TRUE(alerts_.Of(AlertKind::kSpareAttached).empty());
  auto pair = pool_->Replace("b1m", "spare1");
  ASSERT_TRUE(pair) << pair.error().message;
  EXPECT_EQ(pair->mirror_id, "spare1");
  // Once the replaced disk is healthy, new owners are placed on that pair again.
  ASSERT_TRUE(pool_->MarkHealthy("spare1"));
  EXPECT_EQ(Place(1, 10 * G), "b1");
}

TEST_F(DiskPoolTest, StateSurvivesReopeningOnTheSameDatabase) {
  Place(1, 10 * G);
  ASSERT_TRUE(pool_->MarkFailed("b2"));
  ASSERT_TRUE(pool_->Resize(1, 12 * G));
  Reopen();
  EXPECT_EQ(Disk("b2").state, DiskState::kFailed);
  EXPECT_EQ(Disk("b1").allocated_bytes, 12 * G);
  EXPECT_EQ(Disk("b1").owner_count, 1);
  EXPECT_EQ(Place(2, 10 * G), "b1");  // b2 stays failed, so it is not chosen.
  // The config still lists spare1 as a spare; the DB knows it better once it is attached.
  Place(3, 25 * G), Place(4, 25 * G), Place(5, 25 * G), Place(6, 25 * G);
  Reopen();
  EXPECT_EQ(Disk("spare1").role, DiskRole::kPrimary);
  EXPECT_EQ(Disk("spare1").category, "C");
}

TEST_F(DiskPoolTest, AConfiguredDiskThatMovedOrChangedCategoryIsRefused) {
  pool_.reset();
  config::DisksConfig moved = config_;
  moved.disks[2].uri = "file:/elsewhere/b1";  // b1
  moved.disks[6].category = "D";              // c1
  auto r = OpenPool(moved);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kConflict);
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("disk 'b1' is recorded at \"file:/disks/b1\" but configured at "
                   "\"file:/elsewhere/b1\""),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("disk 'c1' is recorded in category \"C\" but configured in category \"D\""),
            std::string::npos)
      << m;
  // A new disk at a recorded disk's place is refused too; a capacity change is taken.
  config::DisksConfig clash = config_;
  clash.spares.push_back({"spare9", "file:/disks/a1", 1 * G});
  auto c = OpenPool(clash);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("where disk 'a1' is recorded"), std::string::npos);
  config_.disks[0].capacity_bytes = 20 * G;
  Reopen();
  EXPECT_EQ(Disk("a1").capacity_bytes, 20 * G);
}

TEST_F(DiskPoolTest, ResizeAndReleaseKeepTheCountersExact) {
  Place(1, 10 * G);
  Place(2, 10 * G);  // b2
  auto up = pool_->Resize(1, 24 * G);
  ASSERT_TRUE(up) << up.error().message;
  EXPECT_EQ(up->primary_id, "b1");
  EXPECT_EQ(Disk("b1").allocated_bytes, 24 * G);
  EXPECT_EQ(Disk("b1m").allocated_bytes, 24 * G);
  auto cross = pool_->Resize(1, 25 * G);
  ASSERT_FALSE(cross);
  EXPECT_EQ(cross.error().code, Errc::kConflict);
  EXPECT_NE(cross.error().message.find("category C"), std::string::npos);
  ASSERT_TRUE(db_->Write([&](db::Transaction& tx) { return pool_->AddUsed(tx, 1, 15 * G); }));
  auto below = pool_->Resize(1, 10 * G);
  ASSERT_FALSE(below);
  EXPECT_EQ(below.error().code, Errc::kBelowUsage);
  // Uploads in flight (their reservations) count as held: a downgrade that started before them
  // cannot squeeze under them.
  ASSERT_TRUE(db_->Write([&](db::Transaction& tx) {
    return tx.Exec(
        "INSERT INTO reservations (id, owner_id, bytes, kind, created_at)"
        " VALUES ('r1', 1, ?, 'tus', 0)",
        {static_cast<std::int64_t>(2 * G)});
  }));
  auto under_uploads = pool_->Resize(1, 16 * G);
  ASSERT_FALSE(under_uploads);
  EXPECT_EQ(under_uploads.error().code, Errc::kBelowUsage);
  EXPECT_NE(under_uploads.error().message.find("uploads in progress 2.00 GiB"), std::string::npos)
      << under_uploads.error().message;
  ASSERT_TRUE(db_->Write([&](db::Transaction& tx) {
    return tx.Exec("DELETE FROM reservations WHERE id = 'r1'", {});
  }));
  ASSERT_TRUE(pool_->Resize(1, 16 * G));
  EXPECT_EQ(Disk("b1").allocated_bytes, 16 * G);
  auto busy = pool_->Release(1);
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code, Errc::kConflict);
  ASSERT_TRUE(db_->Write([&](db::Transaction& tx) { return pool_->AddUsed(tx, 1, -15 * G); }));
  ASSERT_TRUE(pool_->Release(1));
  EXPECT_EQ(Disk("b1").allocated_bytes, 0u);
  EXPECT_EQ(Disk("b1m").allocated_bytes, 0u);
  EXPECT_EQ(Disk("b1").used_bytes, 0u);
  EXPECT_EQ(Disk("b1").owner_count, 0);
  EXPECT_EQ(Disk("b2").allocated_bytes, 10 * G);
  auto again = pool_->Release(1);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kNotFound);
  auto nobody = pool_->Resize(77, 10 * G);
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code, Errc::kNotFound);
}

TEST_F(DiskPoolTest, AddUsedCommitsAndRollsBackWithTheCallersTransaction) {
  Place(1, 10 * G);
  auto rolled = db_->Write([&](db::Transaction& tx) -> Result<void> {
    if (auto r = pool_->AddUsed(tx, 1, 4096); !r) return r;
    return Fail(Errc::kNameTaken, "the caller's node insert failed");
  });
  ASSERT_FALSE(rolled);
  EXPECT_EQ(rolled.error().code, Errc::kNameTaken);
  EXPECT_EQ(Disk("b1").used_bytes, 0u);
  EXPECT_EQ(pool_->Locate(1)->used_bytes, 0u);
  auto kept = db_->Write([&](db::Transaction& tx) { return pool_->AddUsed(tx, 1, 4096); });
  ASSERT_TRUE(kept) << kept.error().message;
  EXPECT_EQ(Disk("b1").used_bytes, 4096u);
  EXPECT_EQ(Disk("b1m").used_bytes, 4096u);
  EXPECT_EQ(pool_->Locate(1)->used_bytes, 4096u);
  auto negative = db_->Write([&](db::Transaction& tx) { return pool_->AddUsed(tx, 1, -4097); });
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().code, Errc::kConflict);
  EXPECT_EQ(Disk("b1").used_bytes, 4096u);
  auto stranger = db_->Write([&](db::Transaction& tx) { return pool_->AddUsed(tx, 99, 1); });
  ASSERT_FALSE(stranger);
  EXPECT_EQ(stranger.error().code, Errc::kNotFound);
}

TEST_F(DiskPoolTest, UsedBytesPastNearFullAlsoAttachSpares) {
  Place(1, 49 * G);
  Place(2, 49 * G);                         // c1: 98 GiB allocated of 100: this alone is past 0.85.
  EXPECT_EQ(Disk("spare1").category, "C");  // Attached before the second placement.
  config_ = TestConfig();
  config_.spares.push_back({"spare3", "file:/disks/spare3", 10 * G});
  config_.spares.push_back({"spare4", "file:/disks/spare4", 10 * G});
  Reopen();
  // a1 (10 GiB): one 1 GiB owner who stores 9 GiB passes 0.85 by used bytes only.
  Place(5, 1 * G);
  ASSERT_TRUE(db_->Write([&](db::Transaction& tx) { return pool_->AddUsed(tx, 5, 9 * G); }));
  EXPECT_EQ(Disk("spare3").role, DiskRole::kSpare);
  ASSERT_TRUE(pool_->CheckNearFull());
  EXPECT_EQ(Disk("spare3").category, "A");
  EXPECT_EQ(Disk("spare4").mirror_id, "spare3");
}

TEST_F(DiskPoolTest, ReplacePutsASpareInAFailedDisksPlace) {
  EXPECT_EQ(Place(1, 10 * G), "b1");
  ASSERT_TRUE(db_->Write([&](db::Transaction& tx) { return pool_->AddUsed(tx, 1, 3 * G); }));
  auto healthy = pool_->Replace("b1", "spare1");
  ASSERT_FALSE(healthy);
  EXPECT_EQ(healthy.error().code, Errc::kConflict);
  ASSERT_TRUE(pool_->MarkFailed("b1"));
  auto not_spare = pool_->Replace("b1", "b2");
  ASSERT_FALSE(not_spare);
  EXPECT_EQ(not_spare.error().code, Errc::kConflict);
  auto pair = pool_->Replace("b1", "spare1");
  ASSERT_TRUE(pair) << pair.error().message;
  EXPECT_EQ(pair->primary_id, "spare1");
  EXPECT_EQ(pair->mirror_id, "b1m");
  EXPECT_EQ(pair->primary_state, DiskState::kResilvering);
  DiskInfo s1 = Disk("spare1"), old = Disk("b1");
  EXPECT_EQ(s1.role, DiskRole::kPrimary);
  EXPECT_EQ(s1.category, "B");
  EXPECT_EQ(s1.mirror_id, "b1m");
  EXPECT_EQ(s1.allocated_bytes, 10 * G);
  EXPECT_EQ(s1.used_bytes, 3 * G);
  EXPECT_EQ(s1.owner_count, 1);
  EXPECT_EQ(Disk("b1m").mirror_id, "spare1");
  EXPECT_EQ(old.role, DiskRole::kSpare);
  EXPECT_EQ(old.state, DiskState::kFailed);
  EXPECT_EQ(old.allocated_bytes, 0u);
  EXPECT_EQ(pool_->Locate(1)->pair.primary_id, "spare1");
  // Resilvering: the pair takes no new owners yet; the owner's bytes still count on it.
  EXPECT_EQ(Place(2, 10 * G), "b2");
  ASSERT_TRUE(db_->Write([&](db::Transaction& tx) { return pool_->AddUsed(tx, 1, -3 * G); }));
  EXPECT_EQ(Disk("spare1").used_bytes, 0u);
  EXPECT_EQ(Disk("b1m").used_bytes, 0u);
  ASSERT_TRUE(pool_->MarkHealthy("spare1"));
  EXPECT_EQ(Place(3, 10 * G), "b2");      // 90 GiB free on both (min(200, 100) - 10): tie.
  EXPECT_EQ(Place(4, 10 * G), "spare1");  // 90 against 80.
  // The config still calls b1 a primary of B: the DB's record wins, the server starts.
  Reopen();
  EXPECT_EQ(Disk("b1").state, DiskState::kFailed);
  EXPECT_EQ(Disk("spare1").category, "B");
}

TEST_F(DiskPoolTest, ConcurrentAllocationsNeverOverfillAPairAndCountExactly) {
  // B: b1 + b2, 100 GiB each, plus the spare pair (200 GiB pair capacity 200): 400 GiB in all.
  // 4 threads x 12 owners x 10 GiB = 480 GiB asked, so some must be refused.
  std::atomic<int> placed{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 12; ++i) {
        auto r = pool_->Allocate(1000 + t * 100 + i, 10 * G);
        if (r) {
          ++placed;
        } else if (r.error().code == Errc::kNoCapacity) {
          ++refused;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(placed.load() + refused.load(), 48);
  EXPECT_GT(refused.load(), 0);
  std::uint64_t total = 0;
  for (const char* id : {"b1", "b2", "spare1"}) {
    DiskInfo d = Disk(id);
    DiskInfo m = Disk(d.mirror_id);
    EXPECT_LE(d.allocated_bytes, std::min(d.capacity_bytes, m.capacity_bytes)) << id;
    EXPECT_EQ(d.allocated_bytes, m.allocated_bytes) << id;
    EXPECT_EQ(d.allocated_bytes, static_cast<std::uint64_t>(d.owner_count) * 10 * G) << id;
    total += d.allocated_bytes;
  }
  EXPECT_EQ(total, static_cast<std::uint64_t>(placed.load()) * 10 * G);
}

TEST_F(DiskPoolTest, AMoveReservesTheTargetAndSwitchesInTheCallersTransaction) {
  EXPECT_EQ(Place(1, 10 * G), "b1");
  auto same = pool_->BeginMove(1, 20 * G);
  ASSERT_FALSE(same);
  EXPECT_EQ(same.error().code, Errc::kInvalidArgument);
  auto plan = pool_->BeginMove(1, 30 * G);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->from.primary_id, "b1");
  EXPECT_EQ(plan->to.primary_id, "c1");
  EXPECT_EQ(plan->to.mirror_id, "c1m");
  EXPECT_EQ(plan->from_bytes, 10 * G);
  EXPECT_EQ(plan->to_bytes, 30 * G);
  EXPECT_EQ(Disk("c1").allocated_bytes, 30 * G);  // Reserved on both target disks.
  EXPECT_EQ(Disk("c1m").allocated_bytes, 30 * G);
  EXPECT_EQ(Disk("b1").allocated_bytes, 10 * G);
  EXPECT_EQ(pool_->MoveOf(1)->to.primary_id, "c1");
  // Until the switch the owner lives and writes on the old pair, and cannot change otherwise.
  ASSERT_TRUE(db_->Write([&](db::Transaction& tx) { return pool_->AddUsed(tx, 1, 2 * G); }));
  EXPECT_EQ(Disk("b1").used_bytes, 2 * G);
  EXPECT_EQ(pool_->Locate(1)->pair.primary_id, "b1");
  EXPECT_EQ(pool_->BeginMove(1, 50 * G).error().code, Errc::kConflict);
  EXPECT_EQ(pool_->Resize(1, 12 * G).error().code, Errc::kConflict);
  ASSERT_TRUE(db_->Write([&](db::Transaction& tx) { return pool_->AddUsed(tx, 1, -2 * G); }));
  EXPECT_EQ(pool_->Release(1).error().code, Errc::kConflict);
  ASSERT_TRUE(db_->Write([&](db::Transaction& tx) { return pool_->AddUsed(tx, 1, 2 * G); }));
  // A switch whose transaction fails changes nothing.
  auto failed = db_->Write([&](db::Transaction& tx) -> Result<void> {
    if (auto r = pool_->CommitMove(tx, 1); !r) return Fail(r.error());
    return Fail(Errc::kIoError, "the caller's part failed");
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(pool_->Locate(1)->pair.primary_id, "b1");
  EXPECT_TRUE(pool_->MoveOf(1));
  EXPECT_EQ(Disk("b1").used_bytes, 2 * G);
  auto switched = db_->Write([&](db::Transaction& tx) { return pool_->CommitMove(tx, 1); });
  ASSERT_TRUE(switched) << switched.error().message;
  EXPECT_EQ(switched->primary_id, "c1");
  auto where = pool_->Locate(1);
  ASSERT_TRUE(where);
  EXPECT_EQ(where->pair.primary_id, "c1");
  EXPECT_EQ(where->bytes, 30 * G);
  EXPECT_EQ(where->used_bytes, 2 * G);
  for (const char* id : {"b1", "b1m"}) {
    EXPECT_EQ(Disk(id).allocated_bytes, 0u) << id;
    EXPECT_EQ(Disk(id).used_bytes, 0u) << id;
    EXPECT_EQ(Disk(id).owner_count, 0) << id;
  }
  for (const char* id : {"c1", "c1m"}) {
    EXPECT_EQ(Disk(id).allocated_bytes, 30 * G) << id;
    EXPECT_EQ(Disk(id).used_bytes, 2 * G) << id;
    EXPECT_EQ(Disk(id).owner_count, 1) << id;
  }
  EXPECT_EQ(pool_->MoveOf(1).error().code, Errc::kNotFound);
}

TEST_F(DiskPoolTest, AnAbortedOrImpossibleMoveLeavesTheOwnerWhereTheyWere) {
  EXPECT_EQ(Place(1, 10 * G), "b1");
  ASSERT_TRUE(pool_->BeginMove(1, 75 * G));
  EXPECT_EQ(Disk("e1").allocated_bytes, 75 * G);
  ASSERT_TRUE(pool_->AbortMove(1));
  EXPECT_EQ(Disk("e1").allocated_bytes, 0u);
  EXPECT_EQ(Disk("e1m").allocated_bytes, 0u);
  EXPECT_EQ(pool_->Locate(1)->pair.primary_id, "b1");
  EXPECT_EQ(pool_->AbortMove(1).error().code, Errc::kNotFound);
  // D holds 60 GiB per pair: with the spares gone to C, a 74 GiB plan has nowhere to go.
  Place(2, 25 * G), Place(3, 25 * G), Place(4, 25 * G), Place(5, 25 * G);
  auto nowhere = pool_->BeginMove(1, 74 * G);
  ASSERT_FALSE(nowhere);
  EXPECT_EQ(nowhere.error().code, Errc::kNoCapacity);
  EXPECT_EQ(Disk("d1").allocated_bytes, 0u);
  EXPECT_EQ(pool_->MoveOf(1).error().code, Errc::kNotFound);
  EXPECT_EQ(pool_->BeginMove(99, 30 * G).error().code, Errc::kNotFound);
}

// CheckRoom answers a quote: what Resize or BeginMove would answer now, changing nothing.
TEST_F(DiskPoolTest, CheckRoomSaysWhetherAPlanWouldFitAndChangesNothing) {
  EXPECT_EQ(Place(1, 10 * G), "b1");
  EXPECT_TRUE(pool_->CheckRoom(1, 24 * G));  // A resize within b1's pair.
  // D's pair holds 60 GiB: 74 GiB fits only on the spares, which BeginMove would attach.
  EXPECT_TRUE(pool_->CheckRoom(1, 74 * G));
  EXPECT_EQ(Disk("spare1").role, DiskRole::kSpare) << "a dry run attaches nothing";
  EXPECT_EQ(Disk("d1").allocated_bytes, 0u);
  EXPECT_TRUE(alerts_.Of(AlertKind::kSpareAttached).empty());
  // With the spares gone to C, a 74 GiB plan has nowhere to go; a 55 GiB one still fits d1.
  Place(2, 25 * G), Place(3, 25 * G), Place(4, 25 * G), Place(5, 25 * G);
  const std::size_t told = alerts_.Of(AlertKind::kNoCapacity).size();
  auto nowhere = pool_->CheckRoom(1, 74 * G);
  ASSERT_FALSE(nowhere);
  EXPECT_EQ(nowhere.error().code, Errc::kNoCapacity);
  // Someone wants a plan there and cannot have it: the admins hear of it, once.
  ASSERT_EQ(alerts_.Of(AlertKind::kNoCapacity).size(), told + 1);
  EXPECT_NE(alerts_.Of(AlertKind::kNoCapacity).back().message.find("category D"),
            std::string::npos);
  ASSERT_FALSE(pool_->CheckRoom(1, 74 * G));
  EXPECT_EQ(alerts_.Of(AlertKind::kNoCapacity).size(), told + 1);
  EXPECT_EQ(alerts_.Of(AlertKind::kSpareAttached).size(), 1u) << "C's spares, nothing more";
  EXPECT_TRUE(pool_->CheckRoom(1, 50 * G));
  // A resize past its own pair (d1's holds 60 GiB) has no room either.
  EXPECT_EQ(Place(6, 50 * G), "d1");
  EXPECT_TRUE(pool_->CheckRoom(6, 60 * G));
  EXPECT_EQ(pool_->CheckRoom(6, 61 * G).error().code, Errc::kNoCapacity);
  EXPECT_EQ(Disk("d1").allocated_bytes, 50 * G);
  EXPECT_EQ(pool_->CheckRoom(99, 30 * G).error().code, Errc::kNotFound);
  EXPECT_EQ(pool_->MoveOf(1).error().code, Errc::kNotFound);
}

TEST_F(DiskPoolTest, VolumesOpenOnceThroughTheFactory) {
  auto v = pool_->VolumeOf("b1");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ((*v)->id(), "b1");
  auto again = pool_->VolumeOf("b1");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->get(), v->get());
  EXPECT_EQ(opened_, 1);
  auto unknown = pool_->VolumeOf("zz");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::kNotFound);
  auto state = pool_->MarkFailed("zz");
  ASSERT_FALSE(state);
  EXPECT_EQ(state.error().code, Errc::kNotFound);
}

}  // namespace
}  // namespace nimbus::storage
