// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/run_blocking.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "util/result.h"

namespace nimbus {
namespace {

TEST(RunBlocking, RunsOnAWorkerAndResumesOnTheCallersThread) {
  net::io_context ioc;
  WorkerPool pool(2);
  std::thread::id io_thread = std::this_thread::get_id();
  std::thread::id worker, resumed;
  int result = 0;
  auto body = [&]() -> net::awaitable<void> {
    result = co_await RunBlocking(pool, [&] {
      worker = std::this_thread::get_id();
      return 42;
    });
    resumed = std::this_thread::get_id();
  };
  net::co_spawn(ioc, body(), net::detached);
  ioc.run();
  EXPECT_EQ(result, 42);
  EXPECT_NE(worker, io_thread);
  EXPECT_EQ(resumed, io_thread);
}

TEST(RunBlocking, CarriesResultErrorsAndRethrowsExceptions) {
  net::io_context ioc;
  WorkerPool pool(1);
  Result<int> r = 0;
  bool thrown = false;
  auto body = [&]() -> net::awaitable<void> {
    r = co_await RunBlocking(pool, []() -> Result<int> { return Fail(Errc::kNotFound, "no {}", 7); });
    try {
      co_await RunBlocking(pool, [] { throw std::runtime_error("boom"); });
    } catch (const std::runtime_error&) {
      thrown = true;
    }
  };
  net::co_spawn(ioc, body(), net::detached);
  ioc.run();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kNotFound);
  EXPECT_EQ(r.error().message, "no 7");
  EXPECT_TRUE(thrown);
}

}  // namespace
}  // namespace nimbus
