// SPDX-License-Identifier: AGPL-3.0-or-later
// `nimbus serve`: wires the runtime, the router and the HTTP server, runs the io threads, and
// shuts down gracefully on SIGTERM/SIGINT.
#include <fcntl.h>
#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/account_routes.h"
#include "api/billing_routes.h"
#include "api/file_routes.h"
#include "api/openapi_route.h"
#include "api/share_routes.h"
#include "commands.h"
#include "core/account_closer.h"
#include "core/accounts.h"
#include "core/disk_admin.h"
#include "core/files/tus_service.h"
#include "http/router.h"
#include "http/server.h"
#include "http/static_assets.h"
#include "runtime.h"
#include "util/rfc3339.h"
#include "util/run_blocking.h"
#include "version.h"

namespace nimbus::app {
namespace {

namespace net = boost::asio;

http::ServerOptions ServerOptionsFrom(const config::ServerConfig& s) {
  http::ServerOptions o;
  o.listen = s.listen;
  o.header_timeout_s = s.header_timeout_s;
  o.idle_timeout_s = s.idle_timeout_s;
  o.body_timeout_s = s.body_timeout_s;
  o.shutdown_grace_s = s.shutdown_grace_s;
  o.max_header_bytes = static_cast<std::size_t>(s.max_header_bytes);
  o.max_json_body_bytes = static_cast<std::size_t>(s.max_json_body_bytes);
  o.max_connections = static_cast<std::size_t>(s.max_connections);
  o.tls_cert = s.tls_cert;
  o.tls_key = s.tls_key;
  // Checked when the config was loaded.
  if (auto proxies = IpRanges::Parse(s.trusted_proxies)) o.trusted_proxies = std::move(*proxies);
  return o;
}

// "127.0.0.1:8080" -> "127.0.0.1", "[::1]:0" -> "[::1]".
std::string HostOf(const std::string& listen) {
  auto colon = listen.rfind(':');
  return colon == std::string::npos ? listen : listen.substr(0, colon);
}

// One `nimbus serve` per data directory: a second one would take the first one's uploads in
// flight for leftovers of a crash (their quota reservations, the blobs named under them) and
// queue the bytes of files the first one is about to confirm for deletion. An exclusive flock on
// <data>/serve.lock, held until the process ends (the kernel lets go of it however the process
// ends, kill -9 included); the file says which process holds it. Returns a sentence when it is
// taken or cannot be taken.
std::optional<std::string> LockDataDir(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  const std::string path = data_dir + "/serve.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return fmt::format("cannot open {}: {}", path, std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    ::close(fd);
    if (err != EWOULDBLOCK) return fmt::format("cannot lock {}: {}", path, std::strerror(err));
    return fmt::format(
        "another nimbus serve{} is running on the data directory {}; stop it first, or give "
        "this one another --data",
        holder.empty() ? "" : " (pid " + holder + ")", data_dir);
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    spdlog::warn("cannot write the pid into {}: {}", path, std::strerror(errno));
  }
  return std::nullopt;  // fd stays open (and locked) until the process ends.
}

}  // namespace

bool ServerHoldsDataDir(const std::string& data_dir) {
  const std::string path = data_dir + "/serve.lock";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // No server ever ran here.
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // Also lets go of the shared lock taken when it was free.
  return held;
}

int RunServe(const config::Config& config) {
  if (auto taken = LockDataDir(config.server.data_dir)) {
    spdlog::error("cannot start: {}", *taken);
    return 1;
  }
  net::io_context ioc(config.server.io_threads);
  auto opened = OpenRuntime(
      config, ioc.get_executor(),
      RuntimeOptions{
          .open_volumes = true, .existing_data_only = false, .check_capacity_at_open = true});
  if (!opened) {
    spdlog::error("cannot start: {}", opened.error().message);
    return 1;
  }
  Runtime& rt = **opened;
  rt.metrics.AddGauge("nimbus_build_info", "Build of the running binary.", {"version", "commit"})
      .WithLabels({kVersion, kCommit})
      .Set(1);

  http::Router router;
  db::Database& db = *rt.db;
  WorkerPool& workers = *rt.workers;
  storage::StorageEngine& engine = *rt.storage;
  const std::string data_dir = rt.config.server.data_dir;
  http::AddSystemRoutes(
      router, rt.metrics,
      [&db, &workers, &engine, data_dir]() -> net::awaitable<Result<std::vector<std::string>>> {
        auto ping = [&db, &data_dir]() -> Result<void> {
          if (auto pinged = db.Ping(); !pinged) return pinged;
          // The database (and the staging of uploads) lives here: with no room, nothing can
          // be recorded.
          struct statvfs fs {};
          constexpr std::uint64_t kMinFree = 16 << 20;
          if (::statvfs(data_dir.c_str(), &fs) == 0 &&
              static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize < kMinFree) {
            return Fail(Errc::kUnavailable,
                        "the data directory {} has less than 16 MB free: nothing can be recorded",
                        data_dir);
          }
          return {};
        };
        Result<void> pinged = co_await RunBlocking(workers, std::move(ping));
        if (!pinged) co_return std::unexpected(pinged.error());
        if (auto writable = engine.CheckWritable(); !writable) {
          co_return std::unexpected(writable.error());
        }
        co_return engine.PairsOutOfService();
      });

  // Accounts, sessions and the auth middleware (issue 4). Declared before the server so they
  // outlive every request.
  core::Accounts accounts(db, engine.pool(), workers, rt.clock, rt.config.accounts,
                          rt.config.server.public_url);
  api::AdminPlanSetter set_plan_by_admin;  // PATCH /admin/users/{id} {plan_gb}: set below.
  const core::AccountCloserDeps closer_deps{db,
                                            workers,
                                            *rt.files,
                                            rt.tus.get(),
                                            engine.pool(),
                                            accounts.sessions,
                                            rt.clock,
                                            rt.config.server.public_url};
  const api::AccountCloser close_account = [&closer_deps](std::int64_t user, bool by_admin) {
    return core::CloseAccount(closer_deps, user, by_admin);
  };
  api::AddAccountRoutes(router, {accounts.accounts, accounts.passwords, accounts.sessions,
                                 rt.config.server.public_url, &set_plan_by_admin, &close_account});
  // Admin disks and jobs (issue 4 "Admin"): the JSON of `nimbus admin disk/job list --json`.
  core::DiskAdmin disk_admin({.engine = engine,
                              .db = db,
                              .workers = workers,
                              .clock = rt.clock,
                              .metrics = &rt.metrics,
                              .executor = ioc.get_executor(),
                              .jobs = [&rt] { return JobsJson(*rt.scheduler); }});
  api::AddAdminDiskRoutes(router, disk_admin);
  // Files, trash, usage and resumable uploads (issue 5).
  rt.on_usage_changed = [&accounts](std::int64_t owner) { accounts.accounts.ForgetProfile(owner); };
  core::files::TusService& tus = *rt.tus;
  const api::FileApi file_api{*rt.files, tus, rt.config.files, rt.thumbnails.get()};
  api::AddFileRoutes(router, file_api);
  // Plans and billing (issue 7): the allocation is the quota, so a change drops the profile.
  // A new plan is a new quota: the usage warnings are checked again (a downgrade can pass 85 %).
  auto plan_changed = [&rt](std::int64_t user) {
    if (rt.on_usage_changed) rt.on_usage_changed(user);
    rt.usage_warnings->Schedule(user);
  };
  core::billing::BillingService billing({db, *rt.blobs, engine.pool(), workers, rt.clock,
                                         rt.config.billing, plan_changed,
                                         rt.config.server.public_url});
  const api::BillingApi billing_api{billing, *rt.ledger, workers};
  api::AddBillingRoutes(router, billing_api);
  set_plan_by_admin = api::AdminPlanSetterFor(billing_api);
  // Shares, public links and their activity (issue 6).
  core::files::ShareService shares({db, workers, rt.clock, *rt.files, rt.config.server.public_url});
  core::files::LinkService links(
      {db, workers, rt.clock, *rt.files, accounts.hasher, rt.config.server.public_url});
  const api::ShareApi share_api{shares, links, file_api};
  api::AddShareRoutes(router, share_api);
  // Quota reservations of uploads and copies that a killed process left behind, before serving.
  if (auto n = rt.files->SweepReservations(); !n) {
    spdlog::error("cannot clear stale upload reservations: {}", n.error().message);
    return 1;
  } else if (*n > 0) {
    spdlog::info("released {} upload reservation(s) left by the previous run", *n);
  }

  // Listing keys of a new kind (a migration asks for it once): before a folder is listed.
  if (auto n = rt.files->RekeySortNames(); !n) {
    spdlog::error("cannot recompute the listing keys of the files: {}", n.error().message);
    return 1;
  } else if (*n > 0) {
    spdlog::info("recomputed the listing keys of {} file(s) and folder(s)", *n);
  }

  api::AddOpenApiRoute(router);  // Last route: it lists (debug) and checks all the others.
  http::Server server(ioc, ServerOptionsFrom(config.server), router, rt.metrics,
                      web::EmbeddedAssets());
  if (auto listening = server.Listen(); !listening) {
    spdlog::error("cannot listen on {}: {}", config.server.listen, listening.error().message);
    return 1;
  }
  const bool tls = !config.server.tls_cert.empty() && !config.server.tls_key.empty();
  const std::string url = fmt::format("{}://{}:{}", tls ? "https" : "http",
                                      HostOf(config.server.listen), server.port());
  // With port 0 the derived public URL only becomes known now.
  if (rt.config.server.public_url_derived) {
    rt.config.server.public_url = url;
    RecordServedUrl(config.server.data_dir, url);  // For the mails of CLI commands.
  }
  if (auto started = rt.scheduler->Start(); !started) {
    spdlog::error("cannot start the job scheduler: {}", started.error().message);
    return 1;
  }
  engine.StartRepairLoops(ioc.get_executor());
  // Moves between disk categories interrupted by a stop or a crash continue in the background.
  if (auto resumed = rt.blobs->ResumeMoves(ioc.get_executor()); !resumed) {
    spdlog::warn("cannot resume moves between disk categories: {}", resumed.error().message);
  }
  // Bytes of deleted files that a killed process left queued for removal.
  EraseLeftoversInBackground(*rt.blobs, ioc.get_executor());
  // Resumable uploads whose last byte was durable before the stop are assembled again.
  net::co_spawn(
      ioc, tus.ResumePending(ioc.get_executor()), [](std::exception_ptr e, Result<int> started) {
        if (e) std::rethrow_exception(e);
        if (!started) {
          spdlog::warn("cannot resume tus uploads: {}", started.error().message);
        } else if (*started > 0) {
          spdlog::info("assembling {} resumable upload(s) left by the previous run", *started);
        }
      });
  // Account deletions cut short by a stop or a crash are finished.
  net::co_spawn(ioc, core::FinishAccountClosings(closer_deps),
                [](std::exception_ptr e, Result<int> finished) {
                  if (e) std::rethrow_exception(e);
                  if (!finished) {
                    spdlog::warn("cannot finish the account deletions cut short: {}",
                                 finished.error().message);
                  } else if (*finished > 0) {
                    spdlog::info("finished {} account deletion(s) cut short before", *finished);
                  }
                });
  // Signals are handled before the address is announced: whoever stops the server as soon as it
  // reads "listening on" gets the graceful stop, never the default kill.
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("signal {}: stopping (grace {} s)", signo, config.server.shutdown_grace_s);
    // Stop accepting at once and, meanwhile, let running jobs finish (without blocking the io
    // thread: a disk-health round waits for probes on it); exit when both are done.
    auto pending = std::make_shared<std::atomic<int>>(2);
    auto finish = [&ioc, pending] {
      if (pending->fetch_sub(1) == 1) ioc.stop();
    };
    rt.blobs->StopMoves();  // After the current blob; they resume at the next start.
    server.Shutdown(finish);
    rt.scheduler->Stop([&rt, finish] {
      rt.storage->StopRepairLoops();
      finish();
    });
  });

  server.Start();
  fmt::print("listening on {}\n", url);
  std::fflush(stdout);
  spdlog::info("nimbus {} ({}) serving {} with data in {}", kVersion, kCommit,
               rt.config.server.public_url, config.server.data_dir);

  std::vector<std::jthread> threads;
  for (int i = 1; i < config.server.io_threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  rt.workers->Join();
  spdlog::info("stopped");
  return 0;
}

}  // namespace nimbus::app
