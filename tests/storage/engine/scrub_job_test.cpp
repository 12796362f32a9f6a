// SPDX-License-Identifier: AGPL-3.0-or-later
// The scrub job over a StorageEngine of MemoryVolumes and a real SQLite file: every pair is
// scrubbed, a repair succeeds the job, a lost blob fails it naming the pair; the job spec.
#include "jobs/scrub_job.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <map>

#include "db/migrations.h"
#include "db/stores/blob_store.h"
#include "db/stores/disk_store.h"
#include "fakes/fake_clock.h"
#include "storage/conformance/test_streams.h"
#include "storage/engine/scrub.h"
#include "storage/memory/memory_volume.h"
#include "storage/mirror/mirror_test_util.h"
#include "storage/run_co.h"
#include "support/migrated_db.h"
#include "support/temp_dir.h"

namespace nimbus::jobs {
namespace {

using nimbus::testing::RunCo;
using storage::testing::Sha256Hex;
using storage::testing::TestBytes;
using storage::testing::WriteBlob;

class ScrubJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = nimbus::testing::MigratedSqlite(dir_.File("nimbus.db"));
    ASSERT_TRUE(db_);
    config::DisksConfig c;
    c.categories = config::DefaultCategories();
    for (std::string id : {"a1", "b1"}) {
      std::string category(1, static_cast<char>(std::toupper(id[0])));
      c.disks.push_back({id, category, "memory:" + id, 1ull << 36, id + "m", "primary"});
      c.disks.push_back({id + "m", category, "memory:" + id + "m", 1ull << 36, id, "mirror"});
    }
    storage::VolumeFactory factory =
        [this](const storage::DiskInfo& d) -> Result<std::unique_ptr<storage::Volume>> {
      auto v = std::make_unique<storage::MemoryVolume>(d.id, d.capacity_bytes);
      volumes_[d.id] = v.get();
      return v;
    };
    auto engine = storage::StorageEngine::Open(c, storage::EngineDeps{.db = *db_,
                                                                      .workers = workers_,
                                                                      .metrics = metrics_,
                                                                      .clock = clock_,
                                                                      .open_volume = factory,
                                                                      .alerts = alerts_});
    ASSERT_TRUE(engine) << engine.error().message;
    engine_ = std::move(*engine);
  }

  // A blob on pair `primary` written through its MirroredVolume and recorded in the catalog.
  storage::BlobId Put(const std::string& primary, const std::string& data) {
    storage::BlobId id = storage::BlobId::Random();
    auto pair = engine_->VolumeForPair(primary);
    EXPECT_TRUE(pair);
    EXPECT_TRUE(RunCo(ioc_, WriteBlob(*pair, id, data)));
    auto ok = db_->Write([&](db::Transaction& tx) -> Result<void> {
      const auto size = static_cast<std::int64_t>(data.size());
      db::BlobRow row{.id = id.str(),
                      .owner_id = 1,
                      .primary_id = primary,
                      .size = size,
                      .sha256 = Sha256Hex(data),
                      .created_at = 1};
      if (auto r = db::BlobStore(tx).Insert(row); !r) return r;
      db::DiskStore disks(tx);
      if (auto r = disks.AddUsed(primary, size, 1); !r) return r;
      return disks.AddUsed(primary + "m", size, 1);
    });
    EXPECT_TRUE(ok) << ok.error().message;
    return id;
  }

  ScrubJobDeps Deps() { return ScrubJobDeps{*engine_, *db_, workers_, clock_, metrics_}; }

  nimbus::testing::TempDir dir_;
  std::unique_ptr<db::Database> db_;
  WorkerPool workers_{2};
  FakeClock clock_;
  util::Metrics metrics_;
  std::shared_ptr<storage::testing::RecordingAlerts> alerts_ =
      std::make_shared<storage::testing::RecordingAlerts>();
  std::map<std::string, storage::MemoryVolume*> volumes_;
  std::unique_ptr<storage::StorageEngine> engine_;
  boost::asio::io_context ioc_;
};

TEST_F(ScrubJobTest, EveryPairIsScrubbedAndARepairSucceedsTheJob) {
  Put("a1", TestBytes(5000, 1));
  const std::string data = TestBytes(70000, 2);
  storage::BlobId bad = Put("b1", data);
  ASSERT_TRUE(volumes_["b1m"]->Corrupt(bad, 123));
  auto summary = ScrubAllPairs(Deps());
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(*summary,
            "2 pairs: 2 blobs checked, 1 ok, 1 repaired, 0 not repaired, 0 lost; 0 orphans");
  auto back = RunCo(ioc_, storage::testing::ReadBlob(*volumes_["b1m"], bad));
  ASSERT_TRUE(back);
  EXPECT_TRUE(*back == data);
  for (const char* pair : {"a1", "b1"}) {
    auto last = storage::LastScrubOf(*db_, pair);
    ASSERT_TRUE(last && *last) << pair;
    EXPECT_EQ((*last)->state, "done");
  }
}

TEST_F(ScrubJobTest, ALostBlobFailsTheJobNamingThePair) {
  storage::BlobId id = Put("b1", TestBytes(100, 3));
  ASSERT_TRUE(volumes_["b1"]->Corrupt(id, 1));
  ASSERT_TRUE(volumes_["b1m"]->Corrupt(id, 2));
  auto summary = ScrubAllPairs(Deps());
  ASSERT_FALSE(summary);
  EXPECT_EQ(summary.error().code, Errc::kChecksumMismatch);
  EXPECT_NE(summary.error().message.find("1 lost"), std::string::npos) << summary.error().message;
  EXPECT_NE(summary.error().message.find("not repaired on b1"), std::string::npos)
      << summary.error().message;
  EXPECT_EQ(alerts_->Count(storage::AlertKind::kRepairFailed, "b1"), 1);
}

TEST_F(ScrubJobTest, TheSpecRunsDailyAtTheConfiguredTime) {
  auto spec = ScrubJob(Deps(), "04:30");
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->name, "scrub");
  EXPECT_EQ(spec->schedule.ToString(), "daily 04:30");
  const std::string text = metrics_.RenderPrometheus();
  EXPECT_NE(text.find("\nnimbus_scrub_blobs_total{result=\"lost\"} 0\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("\nnimbus_scrub_last_run_timestamp_seconds 0\n"), std::string::npos)
      << text;
  auto bad = ScrubJob(Deps(), "25:99");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
}

TEST_F(ScrubJobTest, TargetsResolveEitherDiskAndRefuseUnknownOnes) {
  auto t = storage::ScrubTargetFor(*engine_, "a1m");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->pair, engine_->VolumeForPair("a1"));
  auto unknown = storage::ScrubTargetFor(*engine_, "zz9");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::kNotFound);
  ASSERT_TRUE(engine_->pool().MarkFailed("b1m"));
  auto failed = storage::ScrubTargetFor(*engine_, "b1");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->skip_disks.count("b1m"), 1u);
}

}  // namespace
}  // namespace nimbus::jobs
