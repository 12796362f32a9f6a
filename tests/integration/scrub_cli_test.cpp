// SPDX-License-Identifier: AGPL-3.0-or-later
// `nimbus admin disk scrub` and `nimbus job run scrub` on real disks (LocalVolumes under
// <data>/disks/) and the real SQLite file: a flipped data byte in a blob file is repaired
// byte-exact, an orphan is reported and kept, a blob bad on both disks is reported lost (exit 1),
// unknown disks and bad usage exit 2, and a running server does not stop the CLI scrub.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "db/database.h"
#include "db/stores/blob_store.h"
#include "db/stores/disk_store.h"
#include "integration/nimbus_fixture.h"
#include "storage/conformance/test_streams.h"
#include "storage/local/damage_blob.h"
#include "storage/local/local_volume.h"
#include "storage/open_volume.h"
#include "storage/run_co.h"
#include "util/sha256.h"
#include "util/worker_pool.h"

namespace nimbus::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using nimbus::testing::RunCo;
using storage::BlobId;
using storage::testing::TestBytes;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void FlipByte(const fs::path& p, std::uint64_t offset) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good()) << p;
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x5a));
  ASSERT_TRUE(f.good()) << p;
}

class ScrubCliTest : public NimbusTest {
 protected:
  void SetUp() override {
    NimbusTest::SetUp();
    // The CLI records the default layout (12 disks) in a fresh database, in an empty directory.
    ASSERT_TRUE(fs::create_directories(data_dir()));
    auto list = RunNimbus({"admin", "disk", "list", "--data", data_dir()});
    ASSERT_TRUE(list) << list.error().message;
    ASSERT_EQ(list->exit_code(), 0) << list->err;
    auto db = db::OpenDatabase("sqlite:" + (fs::path(data_dir()) / "nimbus.db").string(), {});
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    for (std::string id : {"a1", "a1m"}) {
      auto v = storage::OpenVolume(id, "file:" + Disk(id).string(), 0, workers_);
      ASSERT_TRUE(v) << v.error().message;
      disks_[id] = std::shared_ptr<storage::Volume>(std::move(*v));
    }
  }

  fs::path Disk(const std::string& id) const { return fs::path(data_dir()) / "disks" / id; }
  storage::LocalVolume& Local(const std::string& id) {
    return dynamic_cast<storage::LocalVolume&>(*disks_.at(id));
  }
  fs::path BlobFile(const std::string& disk, const BlobId& id) { return Local(disk).BlobPath(id); }
  // Flips data byte `offset` of blob `id` on `disk` (its file, or its row of small.sqlite).
  void Damage(const std::string& disk, const BlobId& id, std::uint64_t offset) {
    ASSERT_TRUE(storage::testing::DamageBlob(Local(disk), id, offset)) << disk << " " << id.str();
  }
  // Whether `disk` still holds blob `id` (whatever its state).
  bool Holds(const std::string& disk, const BlobId& id) {
    return RunCo(ioc_, disks_.at(disk)->Stat(id)).has_value();
  }

  // Writes `data` on both disks of pair a1 (or only on `only`) and, unless it is to be an
  // orphan, records it in the catalog with the used-bytes counters, as an upload would.
  BlobId Put(const std::string& data, bool in_catalog = true, const std::string& only = "") {
    BlobId id = BlobId::Random();
    for (std::string disk : {"a1", "a1m"}) {
      if (!only.empty() && disk != only) continue;
      auto w = RunCo(ioc_, storage::testing::WriteBlob(*disks_.at(disk), id, data));
      EXPECT_TRUE(w) << w.error().message;
    }
    if (!in_catalog) return id;
    auto ok = db_->Write([&](db::Transaction& tx) -> Result<void> {
      const auto size = static_cast<std::int64_t>(data.size());
      db::BlobRow row{.id = id.str(),
                      .owner_id = 1,
                      .primary_id = "a1",
                      .size = size,
                      .sha256 = Sha256::HexOf(data),
                      .created_at = 1};
      if (auto r = db::BlobStore(tx).Insert(row); !r) return r;
      db::DiskStore disks(tx);
      if (auto r = disks.AddUsed("a1", size, 1); !r) return r;
      return disks.AddUsed("a1m", size, 1);
    });
    EXPECT_TRUE(ok) << ok.error().message;
    return id;
  }

  Result<CommandResult> Scrub(std::vector<std::string> args) {
    std::vector<std::string> full{"admin", "disk", "scrub"};
    full.insert(full.end(), args.begin(), args.end());
    full.insert(full.end(), {"--data", data_dir()});
    return RunNimbus(full, {}, std::chrono::seconds(60));
  }

  WorkerPool workers_{2};
  boost::asio::io_context ioc_;
  std::unique_ptr<db::Database> db_;
  std::map<std::string, std::shared_ptr<storage::Volume>> disks_;
};

TEST_F(ScrubCliTest, AFlippedByteIsRepairedByteExactAndAnOrphanIsReportedNotDeleted) {
  const std::string big = TestBytes(2 * storage::kBlockSize + 4321, 1);
  BlobId damaged = Put(big);
  Put(TestBytes(5000, 2));
  Put("");
  BlobId orphan = Put(TestBytes(999, 3), /*in_catalog=*/false, "a1m");
  const std::string good_file = ReadAll(BlobFile("a1m", damaged));
  FlipByte(BlobFile("a1", damaged), storage::kBlockSize + 77);  // A data byte of block 1.
  ASSERT_NE(ReadAll(BlobFile("a1", damaged)), good_file);

  auto r = Scrub({"a1", "--json"});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->exit_code(), 0) << r->out << r->err;
  json::object report = json::parse(r->out).as_object();
  EXPECT_EQ(report.at("pair"), "a1");
  EXPECT_EQ(report.at("blobs_checked").to_number<int>(), 3);
  EXPECT_EQ(report.at("ok").to_number<int>(), 2);
  EXPECT_EQ(report.at("repaired").to_number<int>(), 1);
  EXPECT_EQ(report.at("lost").to_number<int>(), 0);
  const json::object& a1 = report.at("primary").as_object();
  EXPECT_EQ(a1.at("disk"), "a1");
  EXPECT_EQ(a1.at("corrupt").to_number<int>(), 1);
  EXPECT_EQ(a1.at("repaired").to_number<int>(), 1);
  const json::object& a1m = report.at("mirror").as_object();
  EXPECT_EQ(a1m.at("orphans").to_number<int>(), 1);
  EXPECT_EQ(a1m.at("orphan_bytes").to_number<int>(), 999);
  EXPECT_EQ(a1m.at("orphans_deleted").to_number<int>(), 0);
  EXPECT_EQ(report.at("counters").at("mismatch"), false);
  EXPECT_EQ(report.at("needs_attention"), false);
  EXPECT_NE(r->err.find("scrub a1: 3/3 blobs checked"), std::string::npos) << r->err;

  // The repaired file is byte-identical to the good copy (same data, same checksum footer).
  EXPECT_TRUE(ReadAll(BlobFile("a1", damaged)) == good_file);
  auto back = RunCo(ioc_, storage::testing::ReadBlob(*disks_.at("a1"), damaged));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(*back == big);
  EXPECT_TRUE(Holds("a1m", orphan));

  // Human text, the mirror's id naming the same pair, and the job: all clean now (the orphan
  // is still reported).
  auto text = Scrub({"a1m"});
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(text->exit_code(), 0) << text->out << text->err;
  EXPECT_NE(text->out.find("scrub of pair a1/a1m: 3 blobs checked"), std::string::npos)
      << text->out;
  EXPECT_NE(text->out.find("orphan " + orphan.str() + " on a1m (999 bytes)"), std::string::npos)
      << text->out;
  auto job = RunNimbus({"job", "run", "scrub", "--data", data_dir()}, {}, std::chrono::seconds(60));
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->exit_code(), 0) << job->out << job->err;
  EXPECT_NE(job->out.find("job scrub: ok"), std::string::npos) << job->out;
  EXPECT_NE(job->out.find("5 pairs: 3 blobs checked, 3 ok"), std::string::npos) << job->out;
}

TEST_F(ScrubCliTest, ABlobBadOnBothDisksIsLostAndExitsOne) {
  Put(TestBytes(100, 4));
  BlobId id = Put(TestBytes(3000, 5));
  Damage("a1", id, 10);
  Damage("a1m", id, 20);
  auto r = Scrub({"--all", "--json"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code(), 1) << r->out << r->err;
  json::array reports = json::parse(r->out).as_array();
  ASSERT_EQ(reports.size(), 5u) << r->out;
  const json::object& a1 = reports[0].as_object();
  EXPECT_EQ(a1.at("pair"), "a1");
  EXPECT_EQ(a1.at("lost").to_number<int>(), 1);
  EXPECT_EQ(a1.at("lost_blobs").as_array().at(0), id.str().c_str());
  EXPECT_EQ(a1.at("needs_attention"), true);
  EXPECT_EQ(reports[1].at("needs_attention"), false);
  // Nothing was removed: both damaged copies are still there for a person to look at.
  EXPECT_TRUE(Holds("a1", id));
  EXPECT_TRUE(Holds("a1m", id));
  EXPECT_NE(r->err.find("lost"), std::string::npos) << r->err;  // The kRepairFailed alert (log).
}

// Orphans a crash leaves: old ones go with --delete-orphans, a small one (a row of small.sqlite,
// which has no file time) as well as a file; a young one stays and the report says why (QA pass
// 17b: small orphans were never deleted, and nothing said so).
TEST_F(ScrubCliTest, DeleteOrphansRemovesOldSmallAndLargeOrphansAndSaysWhyAYoungOneStays) {
  BlobId kept = Put(TestBytes(300, 7));
  BlobId old_small = Put(TestBytes(999, 8), /*in_catalog=*/false, "a1m");
  BlobId old_large = Put(TestBytes(storage::kBlockSize + 10, 9), /*in_catalog=*/false, "a1m");
  BlobId young = Put(TestBytes(555, 10), /*in_catalog=*/false, "a1m");
  const auto two_hours_ago = fs::file_time_type::clock::now() - std::chrono::hours(2);
  fs::last_write_time(BlobFile("a1m", old_large), two_hours_ago);
  {
    auto small = db::OpenDatabase("sqlite:" + (Disk("a1m") / "small.sqlite").string(), {});
    ASSERT_TRUE(small) << small.error().message;
    auto aged = (*small)->Write([&](db::Transaction& tx) {
      return tx.Exec("UPDATE blobs SET written_at = written_at - 7200 WHERE id = ?",
                     {old_small.str()});
    });
    ASSERT_TRUE(aged) << aged.error().message;
  }
  auto r = Scrub({"a1", "--delete-orphans", "--json"});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->exit_code(), 0) << r->out << r->err;
  json::object report = json::parse(r->out).as_object();
  const json::object& a1m = report.at("mirror").as_object();
  EXPECT_EQ(a1m.at("orphans").to_number<int>(), 3) << r->out;
  EXPECT_EQ(a1m.at("orphans_deleted").to_number<int>(), 2) << r->out;
  EXPECT_EQ(a1m.at("orphans_kept_young").to_number<int>(), 1) << r->out;
  EXPECT_FALSE(Holds("a1m", old_small));
  EXPECT_FALSE(Holds("a1m", old_large));
  EXPECT_TRUE(Holds("a1m", young));
  EXPECT_TRUE(Holds("a1m", kept));
  EXPECT_NE(r->out.find("orphan " + young.str() + " on a1m (555 bytes) kept: written 0 min ago"),
            std::string::npos)
      << r->out;
}

TEST_F(ScrubCliTest, UnknownDisksSparesAndBadUsageExitTwo) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"nosuchdisk"}, {"spare1"}, {}, {"a1", "--all"}}) {
    auto r = Scrub(args);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->exit_code(), 2) << (args.empty() ? "(none)" : args[0]) << ": " << r->err;
    EXPECT_FALSE(r->err.empty());
  }
  auto r = Scrub({"nosuchdisk"});
  ASSERT_TRUE(r);
  EXPECT_NE(r->err.find("nosuchdisk"), std::string::npos) << r->err;
}

TEST_F(ScrubCliTest, TheCliScrubsWhileTheServerRuns) {
  const std::string data = TestBytes(200000, 6);
  BlobId id = Put(data);
  FlipByte(BlobFile("a1m", id), 5);
  auto port = StartServer();
  ASSERT_TRUE(port) << port.error().message;
  // The server registered the scrub job and its metrics (no scrub ran in it yet).
  auto metrics = HttpGet(*port, "/metrics");
  ASSERT_TRUE(metrics) << metrics.error().message;
  EXPECT_NE(metrics->body.find("\nnimbus_scrub_last_run_timestamp_seconds 0\n"), std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("\nnimbus_scrub_blobs_total{result=\"ok\"} 0\n"), std::string::npos)
      << metrics->body;
  auto r = Scrub({"a1", "--json"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code(), 0) << r->out << r->err;
  json::value report = json::parse(r->out);
  EXPECT_EQ(report.at("mirror").at("repaired").to_number<int>(), 1);
  EXPECT_TRUE(ReadAll(BlobFile("a1m", id)) == ReadAll(BlobFile("a1", id)));
  EXPECT_EQ(server().Terminate().code, 0);
}

}  // namespace
}  // namespace nimbus::test
