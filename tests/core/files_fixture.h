// FilesTreeTest: FileService over a real SQLite file (migrated), a StorageEngine over
// MemoryVolumes, OwnerBlobs and a FakeClock; helpers to add users (with root folder and an
// allocation), folders and files (bytes written through OwnerBlobs) straight into the tree.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <string>

#include "config/files.h"
#include "core/files/file_service.h"
#include "core/files/tree_tx.h"
#include "db/database.h"
#include "db/migrations.h"
#include "db/stores/account_store.h"
#include "fakes/fake_clock.h"
#include "storage/conformance/test_streams.h"
#include "storage/engine/owner_blobs.h"
#include "storage/engine/storage_engine.h"
#include "storage/memory/memory_volume.h"
#include "storage/run_co.h"
#include "support/migrated_db.h"
#include "support/temp_dir.h"
#include "util/metrics.h"

namespace nimbus::core::files {

class FilesTreeTest : public ::testing::Test {
 protected:
  static constexpr std::uint64_t kG = std::uint64_t{1} << 30;

  void SetUp() override {
    db_ = nimbus::testing::MigratedSqlite(dir_.File("nimbus.db"));
    ASSERT_TRUE(db_);
    config::DisksConfig disks;
    disks.categories = config::DefaultCategories();
    disks.disks.push_back({"a1", "A", "memory:a1", 100 * kG, "a1m", "primary"});
    disks.disks.push_back({"a1m", "A", "memory:a1m", 100 * kG, "a1", "mirror"});
    storage::VolumeFactory factory =
        [this](const storage::DiskInfo& d) -> Result<std::unique_ptr<storage::Volume>> {
      auto v = std::make_unique<storage::MemoryVolume>(d.id, d.capacity_bytes);
      volumes_[d.id] = v.get();
      return v;
    };
    auto engine = storage::StorageEngine::Open(disks, storage::EngineDeps{.db = *db_,
                                                                          .workers = workers_,
                                                                          .metrics = metrics_,
                                                                          .clock = clock_,
                                                                          .open_volume = factory});
    ASSERT_TRUE(engine) << engine.error().message;
    engine_ = std::move(*engine);
    blobs_ = std::make_unique<storage::OwnerBlobs>(*engine_, *db_, workers_, clock_);
    files_ = std::make_unique<FileService>(
        FileDeps{*db_, *blobs_, workers_, clock_, config_,
                 [this](std::int64_t owner, std::optional<UsageMove> move) {
                   ++usage_changes_[owner];
                   if (move) last_move_[owner] = *move;
                 }});
    alice_ = AddUser(1001, "alice@example.com");
    bob_ = AddUser(1002, "bob@example.com");
  }

  void TearDown() override {
    files_.reset();
    blobs_.reset();
    engine_.reset();
  }

  template <class T>
  T Run(boost::asio::awaitable<T> aw) {
    return nimbus::testing::RunCo(ioc_, std::move(aw));
  }

  std::int64_t NowMs() const { return ToUnixMs(clock_.Now()); }

  // A user with a confirmed address, a root folder and a 1 GiB allocation; returns its id.
  std::int64_t AddUser(std::int64_t id, const std::string& email) {
    db::UserRecord u;
    u.id = id;
    u.email = email;
    u.email_verified_at = NowMs();
    u.name = email.substr(0, email.find('@'));
    u.password_hash = "x";
    u.root_id = "root-" + std::to_string(id);
    u.created_at = NowMs();
    u.updated_at = NowMs();
    auto added =
        db_->Write([&](db::Transaction& tx) { return db::AccountStore::InsertUser(tx, u); });
    EXPECT_TRUE(added) << added.error().message;
    auto pair = engine_->pool().Allocate(id, kG);
    EXPECT_TRUE(pair) << pair.error().message;
    return id;
  }

  std::string RootOf(std::int64_t owner) { return "root-" + std::to_string(owner); }

  // Runs `fn(tx)` in a write transaction and returns its result.
  template <class F>
  auto Tx(F&& fn) {
    return db_->Write(std::forward<F>(fn));
  }

  // Makes the folders of `path` under `parent` ("root" allowed); returns the last one.
  Node Folder(std::int64_t owner, const std::string& parent, const std::string& path) {
    auto made = Tx([&](db::Transaction& tx) -> Result<Node> {
      auto p = LoadLive(tx, owner, parent);
      if (!p) return std::unexpected(p.error());
      auto names = SplitRelativePath(path);
      if (!names) return std::unexpected(names.error());
      return EnsureFolders(tx, *p, *names, NowMs());
    });
    EXPECT_TRUE(made) << made.error().message;
    return made.value_or(Node{});
  }

  // A file `name` with `data` in folder `parent_id` (bytes written and recorded through
  // OwnerBlobs, as an upload does).
  Node File(std::int64_t owner, const std::string& parent_id, const std::string& name,
            const std::string& data) {
    storage::testing::StringSource source(data, 64 * 1024);
    auto stored = Run(blobs_->Write(owner, source, data.size()));
    EXPECT_TRUE(stored) << stored.error().message;
    if (!stored) return Node{};
    auto made = Tx([&](db::Transaction& tx) -> Result<Node> {
      if (auto r = blobs_->Record(tx, owner, *stored); !r) return std::unexpected(r.error());
      Node n;
      n.owner_id = owner;
      n.parent_id = parent_id == "root" ? RootOf(owner) : parent_id;
      n.name = name;
      n.type = NodeType::kFile;
      n.size = static_cast<std::int64_t>(data.size());
      n.blob_id = stored->info.id.str();
      n.sha256 = "00";
      n.created_at = NowMs();
      n.modified_at = NowMs();
      return InsertNode(tx, std::move(n));
    });
    EXPECT_TRUE(made) << made.error().message;
    return made.value_or(Node{});
  }

  std::int64_t Count(const std::string& sql) {
    auto n = db_->Read([&](db::Transaction& tx) -> Result<std::int64_t> {
      auto row = tx.QueryOne(sql);
      if (!row) return std::unexpected(row.error());
      return (**row).Int(0);
    });
    EXPECT_TRUE(n) << n.error().message;
    return n.value_or(-1);
  }

  // Bytes held by MemoryVolume `disk` ("a1" or its mirror "a1m").
  std::uint64_t DiskBytes(const std::string& disk) { return volumes_.at(disk)->UsedBytes(); }

  nimbus::testing::TempDir dir_;
  std::unique_ptr<db::Database> db_;
  WorkerPool workers_{2};
  util::Metrics metrics_;
  FakeClock clock_;
  config::FilesConfig config_;
  std::map<std::string, storage::MemoryVolume*> volumes_;
  boost::asio::io_context ioc_;
  std::unique_ptr<storage::StorageEngine> engine_;
  std::unique_ptr<storage::OwnerBlobs> blobs_;
  std::unique_ptr<FileService> files_;
  std::map<std::int64_t, int> usage_changes_;
  std::map<std::int64_t, UsageMove> last_move_;  // The last change reported with its bytes.
  std::int64_t alice_ = 0;
  std::int64_t bob_ = 0;
};

}  // namespace nimbus::core::files
