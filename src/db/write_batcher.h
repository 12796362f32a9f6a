// WriteBatcher: group commit. Threads that want a small write transaction at the same time share
// one (one pass of the single writer, one commit, so one fsync where commits are durable), each
// step inside a savepoint so that one failing leaves the others alone. Used for the records of
// finished uploads (core/files) and for the small blobs of a disk (storage/local). Header-only.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "db/database.h"
#include "util/result.h"

namespace nimbus::db {

// Thread-safe.
class WriteBatcher {
 public:
  using Step = std::function<Result<void>(Transaction&)>;

  // Blocking: call on the WorkerPool. Runs `step` in a write transaction of `db`, possibly
  // together with the steps of other threads waiting at the same time (then inside a savepoint:
  // a step that fails is rolled back alone). Returns the step's result once its transaction
  // committed; the commit's error (every step of the batch failed) if the commit failed. A step
  // runs on whichever waiting thread leads the batch while its own thread waits here, so it may
  // use its caller's locals.
  Result<void> Run(Database& db, Step step) {
    Item item;
    item.step = &step;
    {
      std::lock_guard lock(queue_mutex_);
      queue_.push_back(&item);
    }
    std::lock_guard writer(writer_mutex_);
    std::vector<Item*> batch;
    {
      std::lock_guard lock(queue_mutex_);
      if (item.done) return std::move(item.result);  // Done by another thread's batch.
      batch.swap(queue_);  // Ours is in it: only a leader (holding writer_mutex_) takes items.
    }
    auto run_all = [&batch](Transaction& tx) -> Result<void> {
      if (batch.size() == 1) {  // Alone: no savepoint; a failure rolls the transaction back.
        batch[0]->result = (*batch[0]->step)(tx);
        return batch[0]->result;
      }
      for (Item* it : batch) {
        if (auto r = tx.Exec("SAVEPOINT batch_step"); !r) return r;
        it->result = (*it->step)(tx);
        if (!it->result) {
          if (auto r = tx.Exec("ROLLBACK TO batch_step"); !r) return r;
        }
        if (auto r = tx.Exec("RELEASE batch_step"); !r) return r;
      }
      return {};
    };
    Result<void> committed = db.Write(run_all);
    {
      std::lock_guard lock(queue_mutex_);
      for (Item* it : batch) {
        if (!committed && it->result) it->result = std::unexpected(committed.error());
        it->done = true;
      }
    }
    return std::move(item.result);
  }

 private:
  struct Item {
    Step* step = nullptr;
    Result<void> result;
    bool done = false;
  };

  std::mutex queue_mutex_;
  std::vector<Item*> queue_;  // Steps waiting for a batch (their threads wait in Run).
  std::mutex writer_mutex_;   // Held by the thread running a batch.
};

}  // namespace nimbus::db
