// Fixture of the OwnerBlobs and Mover tests: a real SQLite file, a StorageEngine over MemoryVolumes
// (or LocalVolumes in a temp dir), OwnerBlobs, and helpers to write+record, read and check the
// used-bytes counters. SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <cctype>
#include <map>
#include <memory>
#include <string>

#include "db/database.h"
#include "db/migrations.h"
#include "fakes/fake_clock.h"
#include "storage/conformance/test_streams.h"
#include "storage/engine/owner_blobs.h"
#include "storage/engine/storage_engine.h"
#include "storage/memory/memory_volume.h"
#include "storage/mirror/mirror_test_util.h"
#include "storage/run_co.h"
#include "support/migrated_db.h"
#include "support/temp_dir.h"

namespace nimbus::storage::testing {

inline constexpr std::uint64_t G = kGiB;

// Pairs a1..e1 with mirrors a1m..e1m (100 GiB each) and two spares; `uri_of(id)` names each disk.
template <class UriOf>
config::DisksConfig EngineConfig(UriOf uri_of) {
  config::DisksConfig c;
  c.categories = config::DefaultCategories();
  c.fail_after = 3;
  for (std::string id : {"a1", "b1", "c1", "d1", "e1"}) {
    std::string category(1, static_cast<char>(std::toupper(id[0])));
    c.disks.push_back({id, category, uri_of(id), 100 * G, id + "m", "primary"});
    c.disks.push_back({id + "m", category, uri_of(id + "m"), 100 * G, id, "mirror"});
  }
  c.spares.push_back({"spare1", uri_of("spare1"), 200 * G});
  c.spares.push_back({"spare2", uri_of("spare2"), 200 * G});
  return c;
}

class OwnerBlobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = nimbus::testing::MigratedSqlite(dir_.File("nimbus.db"));
    ASSERT_TRUE(db_);
  }
  void TearDown() override {
    blobs_.reset();
    engine_.reset();
  }

  // Opens the engine (MemoryVolumes unless `local`: LocalVolumes under the temp dir) and
  // OwnerBlobs with `options` (tests never wait for retries: one attempt, short waits).
  void Open(MoverOptions options = {}, bool local = false) {
    if (local) {
      config_ = EngineConfig([this](const std::string& id) { return "file:" + dir_.File(id); });
    } else {
      config_ = EngineConfig([](const std::string& id) { return "memory:" + id; });
    }
    VolumeFactory factory = nullptr;
    if (!local) {
      factory = [this](const DiskInfo& d) -> Result<std::unique_ptr<Volume>> {
        auto v = std::make_unique<MemoryVolume>(d.id, d.capacity_bytes);
        volumes_[d.id] = v.get();
        return v;
      };
    }
    auto engine = StorageEngine::Open(
        config_, EngineDeps{.db = *db_, .workers = workers_, .metrics = metrics_, .clock = clock_,
                            .open_volume = factory, .alerts = alerts_});
    ASSERT_TRUE(engine) << engine.error().message;
    engine_ = std::move(*engine);
    NewOwnerBlobs(std::move(options));
  }
  // A new OwnerBlobs over the same engine (a restart of the process, as far as moves go).
  void NewOwnerBlobs(MoverOptions options) {
    if (options.max_attempts == MoverOptions{}.max_attempts) options.max_attempts = 1;
    if (options.max_target_waits == MoverOptions{}.max_target_waits) options.max_target_waits = 0;
    options.drain_timeout = std::chrono::milliseconds(100);
    options.sweep_delay = std::chrono::milliseconds(10);
    blobs_.reset();
    blobs_ = std::make_unique<OwnerBlobs>(*engine_, *db_, workers_, clock_, std::move(options));
  }

  void Allocate(std::int64_t owner, std::uint64_t bytes) {
    auto pair = engine_->pool().Allocate(owner, bytes);
    ASSERT_TRUE(pair) << pair.error().message;
  }

  // Writes and records `data` for the owner; the blob id, or "" with a test failure.
  std::string Put(std::int64_t owner, const std::string& data) {
    StringSource source(data, 100 * 1024);
    auto stored = nimbus::testing::RunCo(ioc_, blobs_->Write(owner, source, data.size()));
    EXPECT_TRUE(stored) << stored.error().message;
    if (!stored) return "";
    auto recorded = db_->Write(
        [&](db::Transaction& tx) { return blobs_->Record(tx, owner, *stored); });
    EXPECT_TRUE(recorded) << recorded.error().message;
    return stored->info.id.str();
  }

  Result<std::string> Get(const std::string& id, ByteRange range = {}) {
    StringSink sink;
    auto r = nimbus::testing::RunCo(ioc_, blobs_->Read(id, range, sink));
    if (!r) return Fail(r.error());
    return std::move(sink.out);
  }

  db::BlobRow Row(const std::string& id) {
    auto row = nimbus::testing::RunCo(ioc_, blobs_->Stat(id));
    EXPECT_TRUE(row) << row.error().message;
    return row ? *row : db::BlobRow{};
  }

  std::int64_t Used(const std::string& disk) {
    auto d = engine_->pool().Show(disk);
    EXPECT_TRUE(d) << d.error().message;
    return d ? static_cast<std::int64_t>(d->used_bytes) : -1;
  }
  std::int64_t Allocated(const std::string& disk) {
    auto d = engine_->pool().Show(disk);
    EXPECT_TRUE(d) << d.error().message;
    return d ? static_cast<std::int64_t>(d->allocated_bytes) : -1;
  }
  bool MoveRecorded(std::int64_t owner) { return engine_->pool().MoveOf(owner).has_value(); }

  // Runs whatever is queued on the test's io_context (background moves, sweeps) to the end.
  void Drain() {
    ioc_.restart();
    ioc_.run();
  }

  nimbus::testing::TempDir dir_;
  std::unique_ptr<db::Database> db_;
  WorkerPool workers_{2};
  util::Metrics metrics_;
  FakeClock clock_;
  std::shared_ptr<RecordingAlerts> alerts_ = std::make_shared<RecordingAlerts>();
  config::DisksConfig config_;
  std::map<std::string, MemoryVolume*> volumes_;
  net::io_context ioc_;
  std::unique_ptr<StorageEngine> engine_;
  std::unique_ptr<OwnerBlobs> blobs_;
};

}  // namespace nimbus::storage::testing
