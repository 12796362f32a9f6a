// SPDX-License-Identifier: AGPL-3.0-or-later
// The listener: accept loop, connection registry and limit, TLS context, graceful shutdown.
#include "http/server.h"

#include <mutex>
#include <optional>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "http/pipeline.h"
#include "http/session.h"
#include "util/metrics.h"

namespace nimbus::http {

using tcp = net::ip::tcp;

namespace {

constexpr std::size_t kMaxRejecting = 64;  // Concurrent 503 answers; past this we just close.

Result<tcp::endpoint> ParseListen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return Fail(Errc::kInvalidArgument, "listen: expected \"host:port\", got \"{}\"", listen);
  }
  std::string host = listen.substr(0, colon);
  std::string port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") host = "127.0.0.1";
  if (host.empty()) host = "0.0.0.0";
  unsigned long port = 0;
  try {
    std::size_t used = 0;
    port = std::stoul(port_text, &used);
    if (used != port_text.size() || port > 65535) throw std::out_of_range("port");
  } catch (const std::exception&) {
    return Fail(Errc::kInvalidArgument, "listen: bad port \"{}\"", port_text);
  }
  boost::system::error_code ec;
  auto addr = net::ip::make_address(host, ec);
  if (ec) return Fail(Errc::kInvalidArgument, "listen: bad address \"{}\"", host);
  return tcp::endpoint(addr, static_cast<std::uint16_t>(port));
}

}  // namespace

struct Server::State : std::enable_shared_from_this<Server::State> {
  State(net::io_context& io, ServerOptions opts, const Router& router, util::Metrics& metrics,
        std::span<const StaticAsset> assets)
      : ioc(io),
        options(std::move(opts)),
        pipeline(router, metrics, assets),
        open_connections(metrics
                             .AddGauge("nimbus_http_open_connections",
                                       "HTTP connections currently open.")
                             .WithLabels({})),
        acceptor(net::make_strand(io)),
        grace_timer(io),
        env{pipeline, options, nullptr,
            metrics.AddCounter("nimbus_http_transport_errors_total",
                               "Answers given before routing: 400 malformed, 431 header too "
                               "large, 503 too many connections.",
                               {"status"})} {}

  void OnAccept(tcp::socket socket);
  void Remove(std::uint64_t id);
  void RejectDone();
  void MaybeDone();  // Requires mutex held.
  void CloseAll();   // Grace period over: close every connection.

  net::io_context& ioc;
  const ServerOptions options;
  Pipeline pipeline;
  util::Gauge& open_connections;
  std::optional<net::ssl::context> tls;
  tcp::acceptor acceptor;  // Used on its own strand only.
  net::steady_timer grace_timer;
  SessionEnv env;
  std::uint16_t port = 0;

  mutable std::mutex mutex;
  std::unordered_map<std::uint64_t, std::shared_ptr<ConnectionControl>> connections;  // Guarded.
  std::uint64_t next_id = 0;        // Guarded by mutex.
  std::size_t rejecting = 0;        // Guarded by mutex.
  bool stopping = false;            // Guarded by mutex.
  std::function<void()> done;       // Guarded by mutex; reset once posted.
  // Keeps io_context::run() from returning between Shutdown() and posting `done` (the accept
  // loop may end before the last connection does). Guarded by mutex.
  std::optional<net::executor_work_guard<net::io_context::executor_type>> shutdown_work;
};

net::awaitable<void> AcceptLoop(std::shared_ptr<Server::State> s) {
  while (true) {
    auto [ec, socket] = co_await s->acceptor.async_accept(
        net::make_strand(s->ioc), net::as_tuple(net::use_awaitable));
    if (ec) {
      if (ec == net::error::operation_aborted || !s->acceptor.is_open()) co_return;
      // EMFILE and friends: back off a little instead of spinning.
      spdlog::warn("http: accept: {}", ec.message());
      net::steady_timer pause(s->acceptor.get_executor());
      pause.expires_after(std::chrono::milliseconds(50));
      auto [pec] = co_await pause.async_wait(net::as_tuple(net::use_awaitable));
      (void)pec;
      continue;
    }
    s->OnAccept(std::move(socket));
  }
}

void Server::State::OnAccept(tcp::socket socket) {
  auto self = shared_from_this();
  std::unique_lock lock(mutex);
  if (stopping) return;  // The socket closes as it goes out of scope.
  if (connections.size() >= options.max_connections) {
    if (rejecting >= kMaxRejecting) return;
    ++rejecting;
    lock.unlock();
    auto ex = socket.get_executor();
    net::co_spawn(ex, RejectConnection(std::move(socket), env),
                  [self](std::exception_ptr e) {
                    if (e) spdlog::error("http: reject connection: unexpected exception");
                    self->RejectDone();
                  });
    return;
  }
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);  // Small answers must not wait for an ACK.
  auto control = std::make_shared<ConnectionControl>();
  control->executor = socket.get_executor();
  std::uint64_t id = next_id++;
  connections.emplace(id, control);
  lock.unlock();
  open_connections.Inc();
  auto on_end = [self, id](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const boost::system::system_error& ex) {
        if (ex.code() == net::error::operation_aborted) {
          spdlog::info("http: connection cancelled at shutdown");
        } else {
          spdlog::error("http: session ended by an exception: {}", ex.what());
        }
      } catch (const std::exception& ex) {
        spdlog::error("http: session ended by an exception: {}", ex.what());
      } catch (...) {
        spdlog::error("http: session ended by an unknown exception");
      }
    }
    self->Remove(id);
  };
  net::co_spawn(control->executor, RunSession(std::move(socket), env, control),
                net::bind_cancellation_slot(control->cancel.slot(), std::move(on_end)));
}

void Server::State::Remove(std::uint64_t id) {
  open_connections.Dec();
  std::lock_guard lock(mutex);
  connections.erase(id);
  MaybeDone();
}

void Server::State::RejectDone() {
  std::lock_guard lock(mutex);
  --rejecting;
  MaybeDone();
}

void Server::State::MaybeDone() {
  if (!stopping || !connections.empty() || rejecting > 0 || !done) return;
  grace_timer.cancel();
  net::post(ioc, std::move(done));
  done = nullptr;
  shutdown_work.reset();
}

Server::Server(net::io_context& ioc, ServerOptions options, const Router& router,
               util::Metrics& metrics, std::span<const StaticAsset> assets)
    : state_(std::make_shared<State>(ioc, std::move(options), router, metrics, assets)) {}

Server::~Server() = default;

Result<void> Server::Listen() {
  State& s = *state_;
  if (!s.options.tls_cert.empty() || !s.options.tls_key.empty()) {
    if (s.options.tls_cert.empty() || s.options.tls_key.empty()) {
      return Fail(Errc::kInvalidArgument, "TLS needs both tls_cert and tls_key");
    }
    s.tls.emplace(net::ssl::context::tls_server);
    boost::system::error_code ec;
    s.tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                           net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                           net::ssl::context::no_tlsv1_1,
                       ec);
    s.tls->use_certificate_chain_file(s.options.tls_cert, ec);
    if (ec) return Fail(Errc::kInvalidArgument, "tls_cert {}: {}", s.options.tls_cert, ec.message());
    s.tls->use_private_key_file(s.options.tls_key, net::ssl::context::pem, ec);
    if (ec) return Fail(Errc::kInvalidArgument, "tls_key {}: {}", s.options.tls_key, ec.message());
    s.env.tls = &*s.tls;
  }
  auto endpoint = ParseListen(s.options.listen);
  if (!endpoint) return std::unexpected(endpoint.error());
  boost::system::error_code ec;
  s.acceptor.open(endpoint->protocol(), ec);
  if (!ec) s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(*endpoint, ec);
  if (ec) {
    s.acceptor.close();
    return Fail(Errc::kUnavailable, "cannot bind {}: {}", s.options.listen, ec.message());
  }
  s.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Fail(Errc::kUnavailable, "cannot listen on {}: {}", s.options.listen, ec.message());
  s.port = s.acceptor.local_endpoint(ec).port();
  return {};
}

std::uint16_t Server::port() const { return state_->port; }

void Server::Start() {
  auto s = state_;
  net::co_spawn(s->acceptor.get_executor(), AcceptLoop(s), [](std::exception_ptr e) {
    if (e) spdlog::error("http: accept loop ended by an exception");
  });
}

void Server::Shutdown(std::function<void()> done) {
  auto s = state_;
  std::vector<std::shared_ptr<ConnectionControl>> open;
  {
    std::lock_guard lock(s->mutex);
    s->stopping = true;
    s->done = std::move(done);
    s->shutdown_work.emplace(s->ioc.get_executor());
    for (auto& [id, c] : s->connections) open.push_back(c);
    // The timer is only touched under the mutex (MaybeDone cancels it from an io thread).
    s->grace_timer.expires_after(std::chrono::seconds(std::max(s->options.shutdown_grace_s, 0)));
    s->grace_timer.async_wait([s](const boost::system::error_code& ec) {
      if (!ec) s->CloseAll();
    });
  }
  net::post(s->acceptor.get_executor(), [s] {
    boost::system::error_code ec;
    s->acceptor.close(ec);
  });
  for (auto& c : open) {
    // Idle keep-alive connections close now; busy ones finish their request, then close.
    net::post(c->executor, [c] {
      c->stop_requested = true;
      if (!c->idle || !c->close) return;
      if (c->has_input && c->has_input()) return;  // A request is arriving: serve it, then close.
      c->interrupt ? c->interrupt() : c->close();
    });
  }
  std::lock_guard lock(s->mutex);
  s->MaybeDone();
}

void Server::State::CloseAll() {
  std::vector<std::shared_ptr<ConnectionControl>> left;
  {
    std::lock_guard lock(mutex);
    for (auto& [id, c] : connections) left.push_back(c);
  }
  if (!left.empty()) spdlog::warn("http: grace period over, closing {} connections", left.size());
  for (auto& c : left) {
    net::post(c->executor, [c] {
      if (c->close) c->close();
      c->cancel.emit(net::cancellation_type::terminal);
    });
  }
}

std::size_t Server::connection_count() const {
  std::lock_guard lock(state_->mutex);
  return state_->connections.size();
}

}  // namespace nimbus::http
