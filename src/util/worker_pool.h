// WorkerPool: the threads that run blocking work (SQLite, password hashing, fsync, libcurl),
// so that no I/O thread ever blocks. Callers use RunBlocking() from util/run_blocking.h.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace nimbus {

class WorkerPool {
 public:
  explicit WorkerPool(std::size_t threads);
  ~WorkerPool();  // Joins the threads after the queued work has run.
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `fn` to run on one of the pool's threads. Thread-safe.
  void Post(std::move_only_function<void()> fn);
  // Stops taking work and waits for the threads; called by the destructor too.
  void Join();
  std::size_t size() const { return threads_; }

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::size_t threads_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nimbus
