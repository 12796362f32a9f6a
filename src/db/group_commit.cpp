// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/group_commit.h"

#include <exception>
#include <utility>

namespace nimbus::db {

GroupCommitter::GroupCommitter(WorkerPool& pool, DbSource db, std::size_t max_batch)
    : pool_(pool), db_(std::move(db)), max_batch_(max_batch == 0 ? 1 : max_batch) {}

GroupCommitter::GroupCommitter(WorkerPool& pool, Database& db, std::size_t max_batch)
    : GroupCommitter(
          pool,
          [&db]() -> Result<std::shared_ptr<Database>> {
            return std::shared_ptr<Database>(std::shared_ptr<Database>(), &db);  // Not owned.
          },
          max_batch) {}

GroupCommitter::~GroupCommitter() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] { return !draining_; });
}

void GroupCommitter::Submit(Step step, Done done) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Item{std::move(step), std::move(done)});
    if (draining_) return;  // The running task takes it with its next batch.
    draining_ = true;
  }
  pool_.Post([this] { Drain(); });
}

void GroupCommitter::Drain() {
  for (;;) {
    std::vector<Item> batch;
    {
      std::lock_guard lock(mu_);
      if (queue_.empty()) {
        draining_ = false;
        idle_.notify_all();
        return;
      }
      if (queue_.size() <= max_batch_) {
        batch.swap(queue_);
      } else {
        batch.assign(
            std::make_move_iterator(queue_.begin()),
            std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(max_batch_)));
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(max_batch_));
      }
    }
    std::vector<Result<void>> results(batch.size());
    // A step that throws fails alone (its caller hears of it), as one that returns an error.
    auto run = [&](std::size_t i, Transaction& tx) {
      try {
        results[i] = batch[i].step(tx);
      } catch (const std::exception& e) {
        results[i] = Fail(Errc::kInternal, "{}", e.what());
      }
    };
    auto run_all = [&](Transaction& tx) -> Result<void> {
      if (batch.size() == 1) {  // Alone: no savepoint; a failure rolls the transaction back.
        run(0, tx);
        return results[0];
      }
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (auto r = tx.Exec("SAVEPOINT batch_step"); !r) return r;
        run(i, tx);
        if (!results[i]) {
          if (auto r = tx.Exec("ROLLBACK TO batch_step"); !r) return r;
        }
        if (auto r = tx.Exec("RELEASE batch_step"); !r) return r;
      }
      return {};
    };
    Result<void> committed;
    if (auto db = db_(); !db) {
      committed = std::unexpected(db.error());
    } else {
      committed = (*db)->Write(run_all);
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!committed && results[i]) results[i] = std::unexpected(committed.error());
      batch[i].done(std::move(results[i]));
    }
  }
}

}  // namespace nimbus::db
