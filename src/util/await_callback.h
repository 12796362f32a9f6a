// AwaitCallback: await an operation that reports its result through a callback called on any
// thread (db::GroupCommitter, WorkerPool). The coroutine resumes on its own executor.
//   Result<void> r = co_await AwaitCallback<Result<void>>(
//       [&](std::move_only_function<void(Result<void>)> done) { committer.Submit(step,
//       std::move(done)); });
//
// The calling thread keeps no copy of the coroutine's executor once the coroutine goes on: `done`
// gives it up before it says so, and the coroutine waits for that word (nanoseconds: it comes
// right after the post that woke the coroutine). A copy kept longer (in `done`, held by a
// committer's batch until its end) could be the last one of a strand, released after the strand's
// io_context was gone: a command that runs a job on an io_context of its own (trash purge, scrub)
// then hung or crashed at exit.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <atomic>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <optional>
#include <thread>
#include <utility>

namespace nimbus {

namespace net = boost::asio;

// `start(done)` starts the operation; `done(T)` must be called exactly once, on any thread.
template <class T, class Start>
net::awaitable<T> AwaitCallback(Start start) {
  std::optional<T> out;
  std::atomic<bool> let_go{false};  // `done` holds nothing of this coroutine's any more.
  auto init = [&out, &let_go, &start](auto handler) {
    auto work = net::make_work_guard(net::get_associated_executor(handler));
    std::move_only_function<void(T)> done = [&out, &let_go, handler = std::move(handler),
                                             work = std::move(work)](T value) mutable {
      out.emplace(std::move(value));
      {
        auto resume = std::move(handler);
        auto held = std::move(work);
        net::post(held.get_executor(), std::move(resume));
      }  // `held` and its executor are gone: the moved-from members hold nothing.
      let_go.store(true, std::memory_order_release);
    };
    start(std::move(done));
  };
  co_await net::async_initiate<const net::use_awaitable_t<>&, void()>(std::move(init),
                                                                      net::use_awaitable);
  while (!let_go.load(std::memory_order_acquire)) std::this_thread::yield();
  co_return std::move(*out);
}

}  // namespace nimbus
