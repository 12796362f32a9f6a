// GroupCommitter: group commit without holding a thread per waiting caller. Callers queue a step
// (a piece of a write transaction) and are called back once it is committed; one task on the
// WorkerPool runs everything queued so far in one write transaction (each step inside a savepoint
// when there are several, so that one failing leaves the others alone), commits it (one fsync
// where commits are durable) and then takes the next batch. Steps that arrive while a batch
// commits form the next one: the busier the database, the larger the batches. Used for the small
// blobs of a disk (storage/local) and for the records of finished uploads (core/files), awaited
// with AwaitCallback (util/await_callback.h).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "db/database.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::db {

// Thread-safe.
class GroupCommitter {
 public:
  using Step = std::function<Result<void>(Transaction&)>;
  using Done = std::move_only_function<void(Result<void>)>;
  // The database a batch writes to, resolved on the pool's thread before each batch (it may
  // open files). Its error fails the whole batch.
  using DbSource = std::function<Result<std::shared_ptr<Database>>()>;

  GroupCommitter(WorkerPool& pool, DbSource db, std::size_t max_batch = 64);
  // For a database that outlives the committer.
  GroupCommitter(WorkerPool& pool, Database& db, std::size_t max_batch = 64);
  ~GroupCommitter();  // Waits for a batch that is running.
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues `step`; `done` is called on a pool thread with the step's result once its
  // transaction committed, or with the commit's error (then every step of the batch failed).
  // The step runs on a pool thread and may use its caller's state until `done` is called.
  void Submit(Step step, Done done);

 private:
  struct Item {
    Step step;
    Done done;
  };
  void Drain();  // The pool task: batches until the queue is empty.

  WorkerPool& pool_;
  DbSource db_;
  std::size_t max_batch_;
  std::mutex mu_;
  std::vector<Item> queue_;       // Guarded by mu_.
  bool draining_ = false;         // A Drain task is queued or running. Guarded by mu_.
  std::condition_variable idle_;  // Notified when draining_ turns false.
};

}  // namespace nimbus::db
