// AwaitCallback: await an operation that reports its result through a callback called on any
// thread (db::GroupCommitter, for one). The coroutine resumes on its own executor.
//   Result<void> r = co_await AwaitCallback<Result<void>>(
//       [&](std::move_only_function<void(Result<void>)> done) { committer.Submit(step,
//       std::move(done)); });
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <optional>
#include <utility>

namespace nimbus {

namespace net = boost::asio;

// `start(done)` starts the operation; `done(T)` must be called exactly once, on any thread.
template <class T, class Start>
net::awaitable<T> AwaitCallback(Start start) {
  std::optional<T> out;
  auto init = [&out, &start](auto handler) {
    auto work = net::make_work_guard(net::get_associated_executor(handler));
    std::move_only_function<void(T)> done = [&out, handler = std::move(handler),
                                             work = std::move(work)](T value) mutable {
      out.emplace(std::move(value));
      auto ex = work.get_executor();
      net::post(ex, [handler = std::move(handler)]() mutable { std::move(handler)(); });
      work.reset();
    };
    start(std::move(done));
  };
  co_await net::async_initiate<const net::use_awaitable_t<>&, void()>(std::move(init),
                                                                      net::use_awaitable);
  co_return std::move(*out);
}

}  // namespace nimbus
