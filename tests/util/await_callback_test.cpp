// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/await_callback.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

namespace nimbus {
namespace {

// An io_context executor whose copies are counted (token.use_count()), to see who still holds
// one. Like a strand, its last copy must not outlive its context.
struct CountedExecutor {
  net::io_context::executor_type inner;
  std::shared_ptr<int> token;

  net::execution_context& query(net::execution::context_t) const noexcept {
    return inner.context();
  }
  static constexpr net::execution::blocking_t query(net::execution::blocking_t) noexcept {
    return net::execution::blocking.never;
  }
  CountedExecutor require(net::execution::blocking_t::never_t) const { return *this; }
  template <class F>
  void execute(F&& f) const {
    net::post(inner, std::forward<F>(f));
  }
  bool operator==(const CountedExecutor& other) const noexcept {
    return inner == other.inner && token == other.token;
  }
  bool operator!=(const CountedExecutor& other) const noexcept { return !(*this == other); }
};

TEST(AwaitCallback, ResumesWithTheValueOnItsOwnThreadAndTheCallerKeepsNoCopyOfItsExecutor) {
  auto token = std::make_shared<int>(0);
  std::move_only_function<void(int)> kept;  // What a committer's batch holds after calling it.
  std::thread other;
  std::thread::id resumed_on;
  int got = 0;
  {
    net::io_context ioc;
    auto work = net::make_work_guard(ioc);  // The counted executor tracks no work itself.
    auto body = [&]() -> net::awaitable<void> {
      auto start = [&](std::move_only_function<void(int)> done) {
        other = std::thread([&kept, done = std::move(done)]() mutable {
          done(7);
          kept = std::move(done);
        });
      };
      got = co_await AwaitCallback<int>(std::move(start));
      resumed_on = std::this_thread::get_id();
    };
    net::co_spawn(CountedExecutor{ioc.get_executor(), token}, body(), [&](std::exception_ptr e) {
      EXPECT_FALSE(e);
      work.reset();
    });
    ioc.run();
    other.join();
    EXPECT_EQ(got, 7);
    EXPECT_EQ(resumed_on, std::this_thread::get_id());
    // The coroutine is over; the other thread still holds `done`, but no copy of the executor:
    // had it one, its last copy would be released after the io_context is gone.
    EXPECT_EQ(token.use_count(), 1);
    EXPECT_TRUE(static_cast<bool>(kept));
  }
  kept = nullptr;
}

}  // namespace
}  // namespace nimbus
