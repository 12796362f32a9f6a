// RunToEnd: runs one coroutine of a CLI command on the command's own io_context until it is
// done, with Ctrl-C and SIGTERM asking it to stop (a flag it checks) instead of killing the
// process halfway. Shared by the long commands (`admin disk replace`, `admin user plan`).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <csignal>
#include <exception>
#include <future>
#include <string_view>

#include "util/result.h"

namespace nimbus::app {

// Runs `task` on `ioc` (with whatever else is queued there: timers, the runtime's jobs) until it
// returns, and returns its result. SIGINT and SIGTERM set `stop` meanwhile, for the task to
// stop at its next safe point. An exception from the task becomes kInternal "`what` threw: …".
template <class T>
Result<T> RunToEnd(boost::asio::io_context& ioc, std::atomic<bool>& stop,
                   boost::asio::awaitable<Result<T>> task, std::string_view what) {
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&stop](const boost::system::error_code& ec, int) {
    if (!ec) stop = true;
  });
  auto done = boost::asio::co_spawn(ioc, std::move(task), boost::asio::use_future);
  while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    ioc.run_one_for(std::chrono::milliseconds(200));
  }
  signals.cancel();
  try {
    return done.get();
  } catch (const std::exception& e) {
    return Fail(Errc::kInternal, "{} threw: {}", what, e.what());
  }
}

}  // namespace nimbus::app
