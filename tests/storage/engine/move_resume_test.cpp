// SPDX-License-Identifier: AGPL-3.0-or-later
// A move between disk categories recorded in the database (as a crash in the middle of one
// leaves it) is finished by `nimbus serve` at start-up, on the real disks of the default layout
// under <data>/disks/ and the real SQLite file: every blob ends on the new pair byte-exact, the
// old files are gone and the counters are exact.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "db/database.h"
#include "db/stores/blob_store.h"
#include "db/stores/disk_task_store.h"
#include "db/stores/disk_store.h"
#include "integration/nimbus_fixture.h"
#include "storage/conformance/test_streams.h"
#include "storage/local/local_volume.h"
#include "storage/open_volume.h"
#include "storage/run_co.h"
#include "util/sha256.h"
#include "util/worker_pool.h"

namespace nimbus::test {
namespace {

namespace fs = std::filesystem;
using nimbus::testing::RunCo;
using storage::BlobId;
using storage::testing::TestBytes;

constexpr std::int64_t kGiB = std::int64_t{1} << 30;
constexpr std::int64_t kOwner = 7;

class MoveResumeTest : public NimbusTest {
 protected:
  void SetUp() override {
    NimbusTest::SetUp();
    ASSERT_TRUE(fs::create_directories(data_dir()));  // Listings never create a missing one.
    auto list = RunNimbus({"admin", "disk", "list", "--data", data_dir()});  // Records the layout.
    ASSERT_TRUE(list) << list.error().message;
    ASSERT_EQ(list->exit_code(), 0) << list->err;
    auto db = db::OpenDatabase("sqlite:" + (fs::path(data_dir()) / "nimbus.db").string(), {});
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    for (std::string id : {"a1", "a1m", "b1", "b1m"}) {
      auto v = storage::OpenVolume(id, "file:" + (fs::path(data_dir()) / "disks" / id).string(), 0,
                                   workers_);
      ASSERT_TRUE(v) << v.error().message;
      disks_[id] = std::unique_ptr<storage::Volume>(std::move(*v));
    }
  }

  fs::path BlobFile(const std::string& disk, const std::string& id) {
    auto& local = dynamic_cast<storage::LocalVolume&>(*disks_.at(disk));
    return local.BlobPath(*BlobId::Parse(id));
  }
  std::string ReadAll(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  Result<db::DiskRow> Disk(const std::string& id) {
    return db_->Read([&](db::Transaction& tx) -> Result<db::DiskRow> {
      auto d = db::DiskStore(tx).GetDisk(id);
      if (!d) return Fail(d.error());
      if (!*d) return Fail(Errc::kNotFound, "no disk {}", id);
      return **d;
    });
  }

  WorkerPool workers_{2};
  boost::asio::io_context ioc_;
  std::unique_ptr<db::Database> db_;
  std::map<std::string, std::unique_ptr<storage::Volume>> disks_;
};

TEST_F(MoveResumeTest, ServeFinishesAMoveRecordedBeforeItStarted) {
  // Owner 7 on pair a1 (1 GiB) with three blobs, moving to b1 (12 GiB reserved there), two of
  // the blobs already copied to b1 by the run that "crashed".
  std::map<std::string, std::string> blobs;
  std::int64_t total = 0;
  for (std::uint32_t i = 0; i < 3; ++i) {
    const std::string data = TestBytes(i == 0 ? 2 * storage::kBlockSize + 17 : 3000 * (i + 1), i);
    const BlobId id = BlobId::Random();
    for (std::string disk : {"a1", "a1m"}) {
      auto w = RunCo(ioc_, storage::testing::WriteBlob(*disks_.at(disk), id, data));
      ASSERT_TRUE(w) << w.error().message;
    }
    if (i < 2) {
      for (std::string disk : {"b1", "b1m"}) {
        auto w = RunCo(ioc_, storage::testing::WriteBlob(*disks_.at(disk), id, data));
        ASSERT_TRUE(w) << w.error().message;
      }
    }
    blobs[id.str()] = data;
    total += static_cast<std::int64_t>(data.size());
  }
  auto seeded = db_->Write([&](db::Transaction& tx) -> Result<void> {
    db::DiskStore disks(tx);
    db::BlobStore catalog(tx);
    if (auto r = disks.InsertAllocation({kOwner, "a1", 1 * kGiB, total, 1, 1}); !r) return r;
    if (auto r = disks.InsertMove({kOwner, "b1", 12 * kGiB, 1}); !r) return r;
    for (std::string d : {"a1", "a1m"}) {
      if (auto r = disks.AddAllocated(d, 1 * kGiB, 1); !r) return r;
      if (auto r = disks.AddUsed(d, total, 1); !r) return r;
    }
    for (std::string d : {"b1", "b1m"}) {
      if (auto r = disks.AddAllocated(d, 12 * kGiB, 1); !r) return r;
    }
    for (const auto& [id, data] : blobs) {
      db::BlobRow row{id, kOwner, "a1", static_cast<std::int64_t>(data.size()),
                      Sha256::HexOf(data), 1};
      if (auto r = catalog.Insert(row); !r) return r;
    }
    return {};
  });
  ASSERT_TRUE(seeded) << seeded.error().message;

  auto port = StartServer();
  ASSERT_TRUE(port) << port.error().message;
  bool moved = false;
  for (int i = 0; i < 200 && !moved; ++i) {  // Up to 20 s.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto move = db_->Read([](db::Transaction& tx) { return db::DiskStore(tx).GetMove(kOwner); });
    ASSERT_TRUE(move) << move.error().message;
    moved = !move->has_value();
  }
  ASSERT_TRUE(moved) << "the move is still recorded after 20 s";
  // The old copies are freed right after the switch commits.
  bool freed = false;
  for (int i = 0; i < 100 && !freed; ++i) {
    freed = true;
    for (const auto& [id, data] : blobs) freed = freed && !fs::exists(BlobFile("a1", id));
    if (!freed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(freed);

  for (const auto& [id, data] : blobs) {
    auto row = db_->Read([&](db::Transaction& tx) { return db::BlobStore(tx).Get(id); });
    ASSERT_TRUE(row && *row) << id;
    EXPECT_EQ((*row)->primary_id, "b1");
    for (std::string disk : {"b1", "b1m"}) {
      auto got = RunCo(ioc_, storage::testing::ReadBlob(*disks_.at(disk), *BlobId::Parse(id)));
      ASSERT_TRUE(got) << disk << ": " << got.error().message;
      EXPECT_TRUE(*got == data) << disk << " " << id;
    }
    EXPECT_FALSE(fs::exists(BlobFile("a1", id))) << id;
    EXPECT_FALSE(fs::exists(BlobFile("a1m", id))) << id;
  }
  auto allocation =
      db_->Read([](db::Transaction& tx) { return db::DiskStore(tx).GetAllocation(kOwner); });
  ASSERT_TRUE(allocation && *allocation);
  EXPECT_EQ((*allocation)->primary_id, "b1");
  EXPECT_EQ((*allocation)->bytes, 12 * kGiB);
  EXPECT_EQ((*allocation)->used_bytes, total);
  for (std::string d : {"a1", "a1m"}) {
    auto disk = Disk(d);
    ASSERT_TRUE(disk) << disk.error().message;
    EXPECT_EQ(disk->allocated_bytes, 0) << d;
    EXPECT_EQ(disk->used_bytes, 0) << d;
  }
  for (std::string d : {"b1", "b1m"}) {
    auto disk = Disk(d);
    ASSERT_TRUE(disk) << disk.error().message;
    EXPECT_EQ(disk->allocated_bytes, 12 * kGiB) << d;
    EXPECT_EQ(disk->used_bytes, total) << d;
  }
  auto task = db_->Read(
      [](db::Transaction& tx) { return db::DiskTaskStore(tx).LatestFor("b1", "move"); });
  ASSERT_TRUE(task && *task);
  EXPECT_EQ((*task)->state, "done");
  EXPECT_EQ((*task)->owner_id, std::optional<std::int64_t>(kOwner));
  EXPECT_EQ((*task)->done_blobs, 3);  // One copied, two found on b1 already and verified.
  EXPECT_EQ(server().Terminate().code, 0);
  const std::string log = ReadAll(server().log_dir() / "stderr.log") +
                          ReadAll(server().log_dir() / "stdout.log");
  EXPECT_NE(log.find("move of owner 7 done: 3 blobs"), std::string::npos) << log;
}

}  // namespace
}  // namespace nimbus::test
