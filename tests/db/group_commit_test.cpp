// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "db/sqlite/sqlite_database.h"
#include "support/temp_dir.h"

namespace nimbus::db {
namespace {

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = SqliteDatabase::Open((dir_.path() / "g.sqlite").string(), {});
    ASSERT_TRUE(db.has_value()) << db.error().message;
    db_ = std::shared_ptr<Database>(std::move(*db));
    ASSERT_TRUE(db_->Write([](Transaction& tx) {
      return tx.Exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    }));
  }

  // A committer whose database source counts the batches.
  std::unique_ptr<GroupCommitter> Committer(std::size_t max_batch = 64) {
    return std::make_unique<GroupCommitter>(
        pool_,
        [this]() -> Result<std::shared_ptr<Database>> {
          ++batches_;
          if (fail_source_) return Fail(Errc::kIoError, "the disk is gone");
          return db_;
        },
        max_batch);
  }

  // Submits an insert of row k; the future gets the step's result.
  std::future<Result<void>> Insert(GroupCommitter& c, int k, std::function<void()> before = {}) {
    auto promise = std::make_shared<std::promise<Result<void>>>();
    auto fut = promise->get_future();
    c.Submit(
        [k, before](Transaction& tx) -> Result<void> {
          if (before) before();
          return tx.Exec("INSERT INTO t (k, v) VALUES (?, 'x')", {std::int64_t{k}});
        },
        [promise](Result<void> r) { promise->set_value(std::move(r)); });
    return fut;
  }

  // Submits row 0 with a step that waits for `release`, and returns once that step runs: what
  // is submitted next waits for the batch after it.
  std::future<Result<void>> HoldFirstBatch(GroupCommitter& c, std::shared_future<void> release) {
    auto running = std::make_shared<std::promise<void>>();
    auto started = running->get_future();
    auto fut = Insert(c, 0, [running, release] {
      running->set_value();
      release.wait();
    });
    started.wait();
    return fut;
  }

  std::int64_t Rows() {
    auto n = db_->Read([](Transaction& tx) -> Result<std::int64_t> {
      auto row = tx.QueryOne("SELECT count(*) FROM t");
      if (!row) return std::unexpected(row.error());
      return (*row)->Int(0);
    });
    return n.value_or(-1);
  }

  nimbus::testing::TempDir dir_;
  WorkerPool pool_{4};
  std::shared_ptr<Database> db_;
  std::atomic<int> batches_{0};
  std::atomic<bool> fail_source_{false};
};

TEST_F(GroupCommitTest, OneStepIsCommittedBeforeItsCallback) {
  auto c = Committer();
  auto r = Insert(*c, 1).get();
  EXPECT_TRUE(r) << r.error().message;
  EXPECT_EQ(Rows(), 1);
}

// Steps queued while a batch runs are committed together in the next one.
TEST_F(GroupCommitTest, StepsThatArriveDuringACommitShareTheNextOne) {
  auto c = Committer();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::vector<std::future<Result<void>>> results;
  results.push_back(HoldFirstBatch(*c, released));
  for (int k = 1; k < 40; ++k) results.push_back(Insert(*c, k));
  release.set_value();
  for (auto& f : results) {
    auto r = f.get();
    EXPECT_TRUE(r) << r.error().message;
  }
  EXPECT_EQ(Rows(), 40);
  EXPECT_EQ(batches_.load(), 2);  // The first step alone, then the 39 that waited.
}

TEST_F(GroupCommitTest, ABatchHoldsAtMostMaxBatchSteps) {
  auto c = Committer(4);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::vector<std::future<Result<void>>> results;
  results.push_back(HoldFirstBatch(*c, released));
  for (int k = 1; k < 13; ++k) results.push_back(Insert(*c, k));
  release.set_value();
  for (auto& f : results) EXPECT_TRUE(f.get());
  EXPECT_EQ(Rows(), 13);
  EXPECT_EQ(batches_.load(), 4);  // 1, then 12 in batches of 4.
}

// A step that fails (here a duplicate key) is rolled back alone; the others of its batch commit.
TEST_F(GroupCommitTest, AFailingStepLeavesTheOthersOfItsBatch) {
  ASSERT_TRUE(Insert(*Committer(), 7).get());
  auto c = Committer();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto first = HoldFirstBatch(*c, released);
  auto a = Insert(*c, 2);
  auto dup = Insert(*c, 7);
  auto b = Insert(*c, 3);
  c->Submit([](Transaction&) -> Result<void> { throw std::runtime_error("step threw"); },
            [](Result<void> r) { EXPECT_EQ(r.error().code, Errc::kInternal); });
  release.set_value();
  EXPECT_TRUE(first.get());
  EXPECT_TRUE(a.get());
  auto d = dup.get();
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::kConflict);
  EXPECT_TRUE(b.get());
  c.reset();  // Waits for the throwing step's batch.
  EXPECT_EQ(Rows(), 4);
}

// Without its database, every step of the batch hears the error, and nothing is written.
TEST_F(GroupCommitTest, TheDatabaseErrorFailsEveryStepOfTheBatch) {
  auto c = Committer();
  fail_source_ = true;
  auto a = Insert(*c, 1).get();
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, Errc::kIoError);
  EXPECT_EQ(a.error().message, "the disk is gone");
  fail_source_ = false;
  EXPECT_TRUE(Insert(*c, 2).get());  // The next batch opens it again.
  EXPECT_EQ(Rows(), 1);
}

}  // namespace
}  // namespace nimbus::db
