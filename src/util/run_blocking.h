// RunBlocking: run a blocking callable on the WorkerPool and resume the calling coroutine on its
// own executor with the result. Exceptions thrown by the callable are rethrown in the caller.
//   auto user = co_await RunBlocking(pool, [&] { return store.Find(id); });
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "util/worker_pool.h"

namespace nimbus {

namespace net = boost::asio;

// Runs `fn` on `pool`; completes on the caller's executor. Rethrows what `fn` threw.
net::awaitable<void> RunOnPool(WorkerPool& pool, std::move_only_function<void()> fn);

template <class F>
net::awaitable<std::invoke_result_t<F&>> RunBlocking(WorkerPool& pool, F fn) {
  using R = std::invoke_result_t<F&>;
  if constexpr (std::is_void_v<R>) {
    co_await RunOnPool(pool, std::move(fn));
  } else {
    std::optional<R> out;
    // Named, not a temporary: GCC 12 miscompiles capturing lambda temporaries next to co_await.
    std::move_only_function<void()> task = [&out, &fn] { out.emplace(fn()); };
    co_await RunOnPool(pool, std::move(task));
    co_return std::move(*out);
  }
}

}  // namespace nimbus
