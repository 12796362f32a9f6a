// Runtime: what every subcommand opens from the configuration: the worker pool, the database
// (migrated), the storage engine, and the job scheduler with every job registered. Built once.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "config/config.h"
#include "core/billing/ledger.h"
#include "core/billing/usage_warnings.h"
#include "core/files/file_service.h"
#include "core/files/thumbnails.h"
#include "core/files/tus_service.h"
#include "db/database.h"
#include "jobs/disk_health_job.h"
#include "jobs/scheduler.h"
#include "mail/mailer.h"
#include "mail/outbox.h"
#include "storage/engine/owner_blobs.h"
#include "storage/engine/storage_engine.h"
#include "util/clock.h"
#include "util/metrics.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::app {

struct Runtime {
  config::Config config;
  util::Metrics metrics;
  SystemClock clock;
  std::unique_ptr<WorkerPool> workers;
  std::unique_ptr<db::Database> db;
  std::unique_ptr<storage::StorageEngine> storage;
  std::unique_ptr<storage::OwnerBlobs> blobs;       // Blobs and moves; only with the volumes open.
  std::unique_ptr<core::files::FileService> files;  // The file tree; only with the volumes open.
  std::unique_ptr<core::files::TusService> tus;  // Resumable uploads; only with the volumes open.
  // Thumbnails of pictures, cached under <data_dir>/cache/thumbnails; only with the volumes open.
  std::unique_ptr<core::files::Thumbnails> thumbnails;
  // Called after an owner's usage changed (serve drops the cached profile); may stay empty.
  std::function<void(std::int64_t owner_id)> on_usage_changed;
  std::shared_ptr<jobs::DiskHealth> disk_health;  // Only with the volumes open.
  // Billing standing, payments and the billing job (no volumes needed). Its standing_changed
  // calls on_usage_changed (the profile shows the standing).
  std::unique_ptr<core::billing::Ledger> ledger;
  // Usage warning mails (85/90/95 % of the plan), checked on the workers after every usage change
  // of `files` and (serve) every plan change. Built always; destroyed before the pool and the db.
  std::unique_ptr<core::billing::UsageWarnings> usage_warnings;
  std::unique_ptr<mail::Mailer> mailer;        // email.toml's transport.
  std::shared_ptr<mail::OutboxSender> outbox;  // Drained by the mail-outbox job.
  std::unique_ptr<jobs::Scheduler> scheduler;
};

struct RuntimeOptions {
  // Open every disk's volume (the server): creates missing disk directories and markers, refuses
  // wrong markers, sweeps tmp/, and registers the disk-health job. The admin CLI leaves it off so
  // it never touches the disks of a running server.
  bool open_volumes = false;
  // With open_volumes: false opens them without sweeping tmp/ (`nimbus job run trash-purge`
  // next to a running server, whose in-flight writes live there).
  bool sweep_tmp = true;
  // Refuse (kNotFound, nothing created) a data directory that does not exist, instead of
  // creating it with an empty database and disks: every command but `serve`, so that a missing
  // or mistyped --data says so rather than listing nothing, or failing a disk, purging a trash
  // or creating an admin in a new, empty installation. (An existing, empty directory is set up
  // as usual.)
  bool existing_data_only = true;
  // Mail storage alerts to the admins (they are logged either way). Off for commands that only
  // read (`admin disk list|show`): looking must not mail anyone (QA pass 17b).
  bool mail_alerts = true;
  // Check every category for near-full at open (attach spares, alert): `serve` only. The other
  // commands leave it to the server, rather than print its capacity alert every time.
  bool check_capacity_at_open = false;
};

// Removes, in the background on `io`, the bytes of deleted files still queued for removal (a
// killed process, a disk that was failed); logs what it did.
void EraseLeftoversInBackground(storage::OwnerBlobs& blobs, boost::asio::any_io_executor io);

// The address a server serves at when server.public_url is not set (derived from where it
// listens, e.g. `--listen 127.0.0.1:18282`): `nimbus serve` records it in <data>/served_url,
// and the other commands' mails (an invoice marked paid, a disk failed from the CLI) link there
// rather than to the default listen address. Best effort: a failure to record is logged.
void RecordServedUrl(const std::string& data_dir, const std::string& url);
std::optional<std::string> ServedUrl(const std::string& data_dir);

// Creates the data directory, opens and migrates the database, opens the storage engine from
// config.disks, registers the jobs on a scheduler bound to `io` (its timers only run once the
// scheduler is started). An error with a message for a person when any of it fails (a disk
// with a wrong marker: "cannot open disk a1 (file:/…): …").
Result<std::unique_ptr<Runtime>> OpenRuntime(const config::Config& config,
                                             boost::asio::any_io_executor io,
                                             RuntimeOptions options = {});

}  // namespace nimbus::app
