// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/worker_pool.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

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

namespace {

// Initiation for RunOnPool: run on the pool, then complete on the handler's own executor.
struct RunOnPoolInit {
  template <class Handler>
  void operator()(Handler handler, WorkerPool* pool, std::move_only_function<void()> fn) const {
    auto work = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
    pool->Post([handler = std::move(handler), fn = std::move(fn), work = std::move(work)]() mutable {
      std::exception_ptr error;
      try {
        fn();
      } catch (...) {
        error = std::current_exception();
      }
      auto ex = work.get_executor();
      boost::asio::post(ex, [handler = std::move(handler), error]() mutable {
        std::move(handler)(error);
      });
      work.reset();
    });
  }
};

}  // namespace

net::awaitable<void> RunOnPool(WorkerPool& pool, std::move_only_function<void()> fn) {
  co_await boost::asio::async_initiate<const net::use_awaitable_t<>&, void(std::exception_ptr)>(
      RunOnPoolInit{}, net::use_awaitable, &pool, std::move(fn));
}

}  // namespace nimbus
