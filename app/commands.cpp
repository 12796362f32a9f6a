// SPDX-License-Identifier: AGPL-3.0-or-later
// `nimbus config check`, `nimbus job run NAME`, `nimbus admin job list`.
#include "commands.h"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "config/load.h"
#include "jobs/billing_job.h"
#include "jobs/db_maintenance_job.h"
#include "jobs/disk_health_job.h"
#include "jobs/mail_outbox_job.h"
#include "jobs/scrub_job.h"
#include "jobs/thumbnail_cache_job.h"
#include "jobs/trash_purge_job.h"
#include "jobs/tus_cleanup_job.h"
#include "runtime.h"
#include "util/rfc3339.h"

namespace nimbus::app {
namespace {

void PrintError(const Error& e) { fmt::print(stderr, "nimbus: {}\n", e.message); }

boost::json::value TimeOrNull(const std::optional<Clock::TimePoint>& t) {
  if (!t) return nullptr;
  return boost::json::value(FormatRfc3339(*t));
}

std::string TimeOrDash(const std::optional<Clock::TimePoint>& t, const char* dash) {
  return t ? FormatRfc3339(*t) : std::string(dash);
}

}  // namespace

namespace {

// The disks of disks.toml against those recorded in the database (QA pass 14, finding 15: a
// disk removed from the file was still used, and a moved one was only refused by `serve`).
// Returns false when `serve` would refuse to start.
bool CompareDisksWithDatabase(const config::Config& config) {
  std::string_view url = config.server.database;
  if (url.starts_with("sqlite:")) {
    std::string_view path = url.substr(7);
    if (path.starts_with("//")) path.remove_prefix(2);
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::path(path), ec)) {
      fmt::print(
          "# database: none yet at {} (a new installation: the disks are set up at the "
          "first start)\n",
          path);
      return true;
    }
  }
  db::OpenOptions options;
  options.reader_count = 1;
  auto db = db::OpenDatabase(url, options);
  if (!db) {
    fmt::print(stderr, "nimbus: database {}: {}\n", url, db.error().message);
    return false;
  }
  auto diff = (*db)->Read(
      [&](db::Transaction& tx) { return storage::CompareDiskConfig(tx, config.disks); });
  if (!diff) {
    fmt::print(stderr, "nimbus: comparing disks.toml with the database: {}\n",
               diff.error().message);
    return false;
  }
  fmt::print("# disks.toml against the database:\n");
  for (const std::string& p : diff->problems) {
    fmt::print("#   problem: {} (the server refuses to start)\n", p);
  }
  for (const std::string& id : diff->added) {
    fmt::print("#   new: disk '{}' is set up at the next start\n", id);
  }
  for (const std::string& id : diff->unlisted) {
    fmt::print(
        "#   not in disks.toml: disk '{}' is recorded and stays in use (a spare attached "
        "by an admin, or a disk taken out of the file: change disks with `nimbus admin "
        "disk`)\n",
        id);
  }
  if (diff->problems.empty() && diff->added.empty() && diff->unlisted.empty()) {
    fmt::print("#   they match\n");
  }
  return diff->problems.empty();
}

}  // namespace

int RunConfigCheck(const config::Config& config) {
  fmt::print("{}", config::DescribeConfig(config));
  if (!CompareDisksWithDatabase(config)) {
    fmt::print(stderr, "the configuration does not match the database (see the problems above)\n");
    return 1;
  }
  fmt::print(stderr, "configuration is valid\n");
  return 0;
}

// Every job `nimbus serve` runs (a command's runtime registers only those it needs).
constexpr std::string_view kJobs[] = {jobs::kBillingJobName,    jobs::kDbMaintenanceJobName,
                                      jobs::kDiskHealthJobName, jobs::kMailOutboxJobName,
                                      jobs::kScrubJobName,      jobs::kTrashPurgeJobName,
                                      jobs::kTusCleanupJobName, jobs::kThumbnailCacheJobName};

int RunJob(const config::Config& config, const std::string& name) {
  if (std::find(std::begin(kJobs), std::end(kJobs), name) == std::end(kJobs)) {
    PrintError(
        Error{Errc::kNotFound, fmt::format("no job named '{}'; known jobs: {}", name,
                                           fmt::join(std::begin(kJobs), std::end(kJobs), ", "))});
    return 2;
  }
  boost::asio::io_context ioc;
  // The disk-health job needs the disks open and probes them on the io executor, which runs on
  // its own thread while the job body blocks this one.
  // trash-purge erases bytes on the disks, so it opens them too, but without sweeping tmp/: a
  // running server's uploads in flight live there. tus-cleanup needs the file service (built
  // only with the volumes open) for the same reason, and the same care.
  const bool disks = name == jobs::kDiskHealthJobName;
  const bool purge = name == jobs::kTrashPurgeJobName || name == jobs::kTusCleanupJobName ||
                     name == jobs::kThumbnailCacheJobName;
  auto rt = OpenRuntime(config, ioc.get_executor(),
                        RuntimeOptions{.open_volumes = disks || purge, .sweep_tmp = !purge});
  if (!rt) {
    PrintError(rt.error());
    return 1;
  }
  auto work = boost::asio::make_work_guard(ioc);
  std::jthread io([&ioc] { ioc.run(); });
  auto run = (*rt)->scheduler->RunNow(name);
  work.reset();
  io.join();
  if (!run) {
    PrintError(run.error());
    return run.error().code == Errc::kNotFound ? 2 : 1;
  }
  fmt::print("job {}: {} ({} ms){}{}\n", name, run->ok ? "ok" : "failed", run->duration.count(),
             run->message.empty() ? "" : ": ", run->message);
  return run->ok ? 0 : 1;
}

Result<boost::json::array> JobsJson(jobs::Scheduler& scheduler) {
  auto jobs = scheduler.List();
  if (!jobs) return Fail(jobs.error());
  boost::json::array out;
  for (const auto& j : *jobs) {
    out.push_back(
        {{"name", j.name},
         {"schedule", j.schedule},
         // A job of this binary, though this command did not register it (the disk
         // jobs need the disks open): not a row left by a job that no longer exists.
         {"registered", j.registered || std::ranges::find(kJobs, j.name) != std::end(kJobs)},
         {"last_started_at", TimeOrNull(j.last_started_at)},
         {"last_finished_at", TimeOrNull(j.last_finished_at)},
         {"last_duration_ms", j.last_duration ? boost::json::value(j.last_duration->count())
                                              : boost::json::value(nullptr)},
         {"last_outcome", j.last_outcome},
         {"last_message", j.last_message},
         {"next_run_at", TimeOrNull(j.next_run_at)},
         {"run_count", j.run_count},
         {"failure_count", j.failure_count}});
  }
  return out;
}

int ListJobs(const config::Config& config, bool json) {
  boost::asio::io_context ioc;
  auto rt = OpenRuntime(config, ioc.get_executor(), RuntimeOptions{.existing_data_only = true});
  if (!rt) {
    PrintError(rt.error());
    return 1;
  }
  if (json) {
    auto out = JobsJson(*(*rt)->scheduler);
    if (!out) {
      PrintError(out.error());
      return 1;
    }
    fmt::print("{}\n", boost::json::serialize(*out));
    return 0;
  }
  auto jobs = (*rt)->scheduler->List();
  if (!jobs) {
    PrintError(jobs.error());
    return 1;
  }
  fmt::print("{:<20} {:<14} {:<8} {:<26} {}\n", "JOB", "SCHEDULE", "LAST", "LAST RUN", "NEXT RUN");
  for (const auto& j : *jobs) {
    fmt::print("{:<20} {:<14} {:<8} {:<26} {}\n", j.name, j.schedule,
               j.last_outcome.empty() ? "-" : j.last_outcome,
               TimeOrDash(j.last_started_at, "never"), TimeOrDash(j.next_run_at, "-"));
  }
  return 0;
}

}  // namespace nimbus::app
