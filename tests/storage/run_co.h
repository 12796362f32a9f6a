// RunCo: run one coroutine to completion on an io_context in a test and return its value.
//   auto r = RunCo(ioc, volume.Stat(id));   // exceptions from the coroutine are rethrown.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace nimbus::testing {

namespace net = boost::asio;

namespace detail {
template <class T>
net::awaitable<void> StoreResult(net::awaitable<T> aw, std::optional<T>& out) {
  out.emplace(co_await std::move(aw));  // co_spawn wants a default-constructible T; this does not.
}
}  // namespace detail

template <class T>
T RunCo(net::io_context& ioc, net::awaitable<T> aw) {
  std::exception_ptr error;
  auto done = [&error](std::exception_ptr e) { error = e; };
  if constexpr (std::is_void_v<T>) {
    net::co_spawn(ioc, std::move(aw), done);
    ioc.restart();
    ioc.run();
    if (error) std::rethrow_exception(error);
  } else {
    std::optional<T> out;
    net::co_spawn(ioc, detail::StoreResult(std::move(aw), out), done);
    ioc.restart();
    ioc.run();
    if (error) std::rethrow_exception(error);
    return std::move(*out);
  }
}

}  // namespace nimbus::testing
