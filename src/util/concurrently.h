// ForEachConcurrently: awaits fn(0) … fn(n - 1) with at most `width` of them running at once, on
// one strand of the caller's executor: the calls overlap while they wait (for the disks, for a
// group commit) but never run at the same time, so they may share state without locks. For
// work on many blobs (a copy, emptying the trash), where one blob at a time waits for one disk
// commit per blob and several at a time share commits (db::GroupCommitter).
//   co_await ForEachConcurrently(rows.size(), 16, erase_one);  // erase_one(i) -> awaitable<void>
// Rethrows the first exception of a call (after all have ended).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <exception>
#include <vector>

namespace nimbus {

namespace net = boost::asio;

namespace detail {

// One of the `width` workers: takes the next index until there is none.
template <class Fn>
net::awaitable<void> TakeAndRun(std::size_t& next, std::size_t n, Fn& fn) {
  while (next < n) {
    const std::size_t i = next++;
    co_await fn(i);
  }
}

}  // namespace detail

template <class Fn>
net::awaitable<void> ForEachConcurrently(std::size_t n, std::size_t width, Fn fn) {
  if (n == 0) co_return;
  const net::any_io_executor executor = co_await net::this_coro::executor;
  auto strand = net::make_strand(executor);
  std::size_t next = 0;
  using Op = decltype(net::co_spawn(strand, detail::TakeAndRun(next, n, fn), net::deferred));
  std::vector<Op> workers;
  const std::size_t count = std::clamp<std::size_t>(width, 1, n);
  workers.reserve(count);
  for (std::size_t k = 0; k < count; ++k) {
    workers.push_back(net::co_spawn(strand, detail::TakeAndRun(next, n, fn), net::deferred));
  }
  auto [order, errors] = co_await net::experimental::make_parallel_group(std::move(workers))
                             .async_wait(net::experimental::wait_for_all(), net::use_awaitable);
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace nimbus
