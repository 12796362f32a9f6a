// SPDX-License-Identifier: AGPL-3.0-or-later
#include "runtime.h"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <exception>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "core/account_service.h"
#include "core/admin_alert_mailer.h"
#include "db/migrations.h"
#include "jobs/billing_job.h"
#include "jobs/db_maintenance_job.h"
#include "jobs/mail_outbox_job.h"
#include "jobs/scrub_job.h"
#include "jobs/thumbnail_cache_job.h"
#include "jobs/trash_purge_job.h"
#include "jobs/tus_cleanup_job.h"

namespace nimbus::app {

namespace fs = std::filesystem;

namespace {
constexpr char kServedUrlFile[] = "served_url";
}  // namespace

void EraseLeftoversInBackground(storage::OwnerBlobs& blobs, boost::asio::any_io_executor io) {
  boost::asio::co_spawn(
      io, blobs.EraseLeftovers(), [](std::exception_ptr e, Result<std::size_t> left) {
        if (e) std::rethrow_exception(e);
        if (!left) {
          spdlog::warn("removing the bytes of deleted files left queued failed: {}",
                       left.error().message);
        } else if (*left > 0) {
          spdlog::info("removed the bytes of {} deleted file(s) left queued", *left);
        }
      });
}

void RecordServedUrl(const std::string& data_dir, const std::string& url) {
  const fs::path path = fs::path(data_dir) / kServedUrlFile;
  const fs::path tmp = fs::path(data_dir) / (std::string(kServedUrlFile) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << url << "\n";
    if (!out.flush()) {
      spdlog::warn("cannot record the served address in {}", tmp.string());
      return;
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) spdlog::warn("cannot record the served address in {}: {}", path.string(), ec.message());
}

std::optional<std::string> ServedUrl(const std::string& data_dir) {
  std::ifstream in(fs::path(data_dir) / kServedUrlFile);
  std::string url;
  if (!in || !std::getline(in, url)) return std::nullopt;
  if (!url.starts_with("http://") && !url.starts_with("https://")) return std::nullopt;
  return url;
}

Result<std::unique_ptr<Runtime>> OpenRuntime(const config::Config& config,
                                             boost::asio::any_io_executor io,
                                             RuntimeOptions runtime_options) {
  auto rt = std::make_unique<Runtime>();
  rt->config = config;
  const auto& server = rt->config.server;

  std::error_code ec;
  if (runtime_options.existing_data_only && !fs::is_directory(server.data_dir, ec)) {
    return Fail(Errc::kNotFound,
                "there is no data directory {}: pass --data with the server's data directory "
                "(or --config with its configuration); nothing was created (`nimbus serve` "
                "creates a new one)",
                server.data_dir);
  }
  fs::create_directories(server.data_dir, ec);
  if (ec) {
    return Fail(Errc::kIoError, "cannot create the data directory {}: {}", server.data_dir,
                ec.message());
  }
  if (server.public_url_derived && runtime_options.existing_data_only) {
    if (auto served = ServedUrl(server.data_dir)) rt->config.server.public_url = *served;
  }
  rt->workers = std::make_unique<WorkerPool>(static_cast<std::size_t>(server.worker_threads));

  db::OpenOptions options;
  options.reader_count = server.db_readers;
  options.busy_timeout = std::chrono::milliseconds(server.db_busy_timeout_ms);
  auto db = db::OpenDatabase(server.database, options);
  if (!db) return Fail(db.error().code, "database {}: {}", server.database, db.error().message);
  rt->db = std::move(*db);
  auto migrated = db::Migrate(*rt->db, db::BuiltinMigrations(rt->db->Dialect()));
  if (!migrated) return Fail(migrated.error());

  storage::EngineDeps deps{.db = *rt->db,
                           .workers = *rt->workers,
                           .metrics = rt->metrics,
                           .clock = rt->clock,
                           .open_volumes = runtime_options.open_volumes,
                           .sweep_tmp = runtime_options.sweep_tmp,
                           .check_capacity_at_open = runtime_options.check_capacity_at_open};
  // Storage alerts are logged and counted, and mailed to every enabled admin through the
  // outbox (on a worker; the engine's caller never waits). public_url is read when a mail is
  // composed: serve fills it in once it listens when it is derived from the listen address.
  if (runtime_options.mail_alerts) {
    db::Database* alert_db = rt->db.get();
    auto admin_emails = [alert_db] { return core::AdminEmails(*alert_db); };
    deps.alerts = std::make_shared<core::AdminAlertMailer>(
        *rt->db, *rt->workers, rt->clock, admin_emails, rt->config.server.public_url, &rt->metrics);
  }
  auto engine = storage::StorageEngine::Open(rt->config.disks, std::move(deps));
  if (!engine) return Fail(engine.error());
  rt->storage = std::move(*engine);

  Runtime* self = rt.get();
  rt->ledger = std::make_unique<core::billing::Ledger>(
      core::billing::LedgerDeps{*rt->db, rt->clock, rt->config.billing,
                                rt->config.server.public_url, [self](std::int64_t user) {
                                  if (self->on_usage_changed) self->on_usage_changed(user);
                                }});
  rt->usage_warnings =
      std::make_unique<core::billing::UsageWarnings>(core::billing::UsageWarningsDeps{
          *rt->db, *rt->workers, rt->clock, rt->config.server.public_url});
  rt->scheduler = std::make_unique<jobs::Scheduler>(io, *rt->workers, *rt->db, rt->clock);
  auto maintenance_at = jobs::Schedule::Parse("daily " + server.db_maintenance_at);
  if (!maintenance_at) return Fail(maintenance_at.error());
  auto registered = rt->scheduler->Register(jobs::DbMaintenanceJob(*rt->db, *maintenance_at));
  if (!registered) return Fail(registered.error());
  auto mailer = mail::MakeMailer(rt->config.email);
  if (!mailer) return Fail(mailer.error());
  rt->mailer = std::move(*mailer);
  rt->outbox = std::make_shared<mail::OutboxSender>(*rt->db, *rt->mailer, rt->config.email,
                                                    rt->clock, &rt->metrics);
  registered = rt->scheduler->Register(
      jobs::MailOutboxJob(rt->outbox, rt->config.email.outbox.poll_interval_s));
  if (!registered) return Fail(registered.error());
  auto scrub = jobs::ScrubJob(
      jobs::ScrubJobDeps{*rt->storage, *rt->db, *rt->workers, rt->clock, rt->metrics},
      rt->config.disks.scrub_at);
  if (!scrub) return Fail(scrub.error());
  registered = rt->scheduler->Register(std::move(*scrub));
  if (!registered) return Fail(registered.error());
  // The billing job needs no disks: `nimbus job run billing` works next to a running server.
  auto billing_job = jobs::BillingJob(*rt->ledger, rt->config.billing.job_schedule);
  if (!billing_job) return Fail(billing_job.error());
  registered = rt->scheduler->Register(std::move(*billing_job));
  if (!registered) return Fail(registered.error());
  if (runtime_options.open_volumes) {
    const auto& disks = rt->config.disks;
    rt->disk_health = std::make_shared<jobs::DiskHealth>(*rt->storage, io, disks.fail_after);
    rt->blobs =
        std::make_unique<storage::OwnerBlobs>(*rt->storage, *rt->db, *rt->workers, rt->clock);
    // Deleted files' bytes left on a disk while it was failed go once an admin heals it, not at
    // the next daily purge or start (QA pass 14).
    rt->disk_health->OnDiskBack([self, io](const std::vector<std::string>& ids) {
      spdlog::info("disk {} is back in service: removing the bytes of deleted files left on it",
                   fmt::join(ids, ", "));
      EraseLeftoversInBackground(*self->blobs, io);
    });
    rt->files = std::make_unique<core::files::FileService>(core::files::FileDeps{
        .db = *rt->db,
        .blobs = *rt->blobs,
        .workers = *rt->workers,
        .clock = rt->clock,
        .config = rt->config.files,
        .usage_changed = [self](std::int64_t owner, std::optional<core::files::UsageMove> move) {
          if (self->on_usage_changed) self->on_usage_changed(owner);
          // A change within one warning level leaves the stored level right.
          if (move && core::billing::UsageLevel(move->used_before, move->quota) ==
                          core::billing::UsageLevel(move->used_after, move->quota)) {
            return;
          }
          self->usage_warnings->Schedule(owner);
        }});
    // Resumable uploads stage their bytes on local disk under the data directory.
    rt->tus = std::make_unique<core::files::TusService>(*rt->files,
                                                        fs::path(server.data_dir) / "uploads");
    auto tus_cleanup = jobs::TusCleanupJob(*rt->tus, rt->config.files.tus_cleanup_at);
    if (!tus_cleanup) return Fail(tus_cleanup.error());
    registered = rt->scheduler->Register(std::move(*tus_cleanup));
    if (!registered) return Fail(registered.error());
    const config::FilesConfig& files_config = rt->config.files;
    rt->thumbnails = std::make_unique<core::files::Thumbnails>(
        *rt->files, fs::path(server.data_dir) / "cache" / "thumbnails",
        core::files::ThumbnailLimits{.max_source_bytes = files_config.thumbnail_max_source_bytes,
                                     .cache_bytes = files_config.thumbnail_cache_bytes,
                                     .concurrent = files_config.thumbnail_concurrent});
    auto thumbnail_cache =
        jobs::ThumbnailCacheJob(*rt->thumbnails, files_config.thumbnail_sweep_at);
    if (!thumbnail_cache) return Fail(thumbnail_cache.error());
    registered = rt->scheduler->Register(std::move(*thumbnail_cache));
    if (!registered) return Fail(registered.error());
    auto trash_purge = jobs::TrashPurgeJob(*rt->files, rt->config.files.trash_purge_at);
    if (!trash_purge) return Fail(trash_purge.error());
    registered = rt->scheduler->Register(std::move(*trash_purge));
    if (!registered) return Fail(registered.error());
    registered =
        rt->scheduler->Register(jobs::DiskHealthJob(rt->disk_health, disks.health_interval_s));
    if (!registered) return Fail(registered.error());
  }
  return rt;
}

}  // namespace nimbus::app
