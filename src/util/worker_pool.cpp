// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/worker_pool.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <exception>

#include "util/await_callback.h"
#include "util/run_blocking.h"

namespace nimbus {

struct WorkerPool::Impl {
  explicit Impl(std::size_t n) : pool(n) {}
  boost::asio::thread_pool pool;
};

WorkerPool::WorkerPool(std::size_t threads)
    : threads_(threads == 0 ? 1 : threads), impl_(std::make_unique<Impl>(threads_)) {}

WorkerPool::~WorkerPool() { Join(); }

void WorkerPool::Post(std::move_only_function<void()> fn) {
  boost::asio::post(impl_->pool, std::move(fn));
}

void WorkerPool::Join() { impl_->pool.join(); }

net::awaitable<void> RunOnPool(WorkerPool& pool, std::move_only_function<void()> fn) {
  auto start = [&pool, &fn](std::move_only_function<void(std::exception_ptr)> done) {
    pool.Post([fn = std::move(fn), done = std::move(done)]() mutable {
      std::exception_ptr error;
      {
        auto run = std::move(fn);  // Its captures end here, before the caller goes on.
        try {
          run();
        } catch (...) {
          error = std::current_exception();
        }
      }
      done(error);
    });
  };
  std::exception_ptr error = co_await AwaitCallback<std::exception_ptr>(std::move(start));
  if (error) std::rethrow_exception(error);
}

}  // namespace nimbus
