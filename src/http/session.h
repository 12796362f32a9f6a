// Internal to the transport (server.cpp, session.cpp): one connection's coroutine and the
// small control block the Server uses to stop it. Includes Asio networking, never include it
// from handler code.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "http/pipeline.h"
#include "http/server.h"
#include "util/metrics.h"

namespace nimbus::http {

// Shared by the Server (to stop the connection) and its session coroutine. Every field is
// touched only on the connection's strand (`executor`).
struct ConnectionControl {
  net::any_io_executor executor;
  bool idle = false;            // Waiting for the next request (safe to close at shutdown).
  bool stop_requested = false;  // Finish the current request, then close.
  std::function<void()> close;  // Closes the socket; empty once the session has ended.
  // For an idle connection at shutdown: true when request bytes already wait in the socket
  // (serve that request, then close), and a way to cancel the pending read without losing a
  // read that has already completed (closing could drop a request read but not yet resumed).
  std::function<bool()> has_input;
  std::function<void()> interrupt;
  // Bound to the session coroutine: terminal cancellation aborts what the handler awaits (a
  // timer, RunBlocking ...) once the shutdown grace period is over.
  net::cancellation_signal cancel;
};

struct SessionEnv {
  const Pipeline& pipeline;
  const ServerOptions& options;
  net::ssl::context* tls;  // nullptr: plain TCP.
  // Answers the transport gives itself (400, 431, 503 overload), by status; these requests
  // never reach the middleware that counts nimbus_http_requests_total.
  util::CounterFamily& transport_errors;
};

// Serves requests on `socket` until the client or the server closes it. Never throws for
// network errors; an exception means a bug (the caller logs it).
net::awaitable<void> RunSession(net::ip::tcp::socket socket, const SessionEnv& env,
                                std::shared_ptr<ConnectionControl> control);
// Answers 503 JSON (too many connections) and closes, bounded to about a second.
net::awaitable<void> RejectConnection(net::ip::tcp::socket socket, const SessionEnv& env);

}  // namespace nimbus::http
