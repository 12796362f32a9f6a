// Server: the Beast HTTP(S) listener. Accepts connections, runs one coroutine per connection,
// enforces the limits of ServerOptions and dispatches requests through the middleware chain.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "http/router.h"
#include "http/static_assets.h"
#include "util/ip_ranges.h"
#include "util/result.h"

namespace boost::asio {
class io_context;
}

namespace nimbus::util {
class Metrics;
}

namespace nimbus::http {

namespace net = boost::asio;

// Filled by app/ from server.toml (http does not depend on config).
struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // "host:port"; port 0 picks a free port.
  int header_timeout_s = 10;   // Whole request header must arrive within this.
  int idle_timeout_s = 60;     // Keep-alive connection with no new request is closed.
  int body_timeout_s = 30;     // Body read (or response write) with no progress is cut.
  int shutdown_grace_s = 10;   // In-flight requests get this long after Shutdown().
  std::size_t max_header_bytes = 16384;        // Larger: 431 and close.
  std::size_t max_json_body_bytes = 1 << 20;   // Default limit handlers pass to ReadAll.
  std::size_t max_connections = 1024;          // Past this: 503 JSON and close.
  std::string tls_cert, tls_key;  // PEM files; TLS is on when both are set.
  // Peers whose X-Forwarded-For names the client (Request::remote_address); empty: none.
  IpRanges trusted_proxies;
};

class Server {
 public:
  // Keeps references to ioc, router, metrics and the asset table: they must outlive the
  // Server. No I/O happens here.
  Server(net::io_context& ioc, ServerOptions options, const Router& router,
         util::Metrics& metrics, std::span<const StaticAsset> assets);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads TLS files (if set) and binds + listens. kInvalidArgument for a bad "host:port" or TLS
  // file; kUnavailable when the address is in use or cannot be bound.
  Result<void> Listen();
  // The bound port (after Listen()).
  std::uint16_t port() const;
  // Starts the accept loop on the io_context. Call once, after Listen().
  void Start();
  // Stops accepting, closes idle keep-alive connections, lets in-flight requests finish for up
  // to shutdown_grace_s, then closes the rest; `done` is posted to the io_context once no
  // connection remains. Thread-safe; call once.
  void Shutdown(std::function<void()> done);
  // Open connections right now (thread-safe).
  std::size_t connection_count() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// Registers GET /healthz (200 {"status":"ok"}), GET /readyz (200 {"status":"ready"}, plus
// "warnings": [...] when `ready_check` names trouble that does not stop the service as a whole,
// e.g. one disk pair out of service; or 503 {"error":{"code":"unavailable","message":<reason>}}
// when it fails) and GET /metrics (Prometheus text format 0.0.4 from `metrics`), all public.
using ReadyCheck = std::function<net::awaitable<Result<std::vector<std::string>>>()>;
void AddSystemRoutes(Router& router, util::Metrics& metrics, ReadyCheck ready_check);

}  // namespace nimbus::http
