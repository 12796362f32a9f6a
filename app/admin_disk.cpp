// SPDX-License-Identifier: AGPL-3.0-or-later
// `nimbus admin disk list|show|fail|heal|attach|replace`: the disks as the database records
// them. Works with the server stopped or running (only `attach` and `replace` open volumes: the
// new disk, and for replace the surviving partner it is resilvered from; a running server applies
// every change on its next disk-health round).
#include <fmt/core.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>

#include "commands.h"
#include "config/mounted_disk.h"
#include "core/blob_names.h"
#include "core/disk_json.h"
#include "db/stores/disk_task_store.h"
#include "run_to_end.h"
#include "runtime.h"

namespace nimbus::app {
namespace {

using core::DiskJson;  // Shared with GET /api/v1/admin/disks.
using core::TaskJson;
using storage::DiskInfo;

void PrintError(const Error& e) { fmt::print(stderr, "nimbus: {}\n", e.message); }

int ExitCodeOf(const Error& e) { return e.code == Errc::kNotFound ? 2 : 1; }

std::string Or(const std::string& s) { return s.empty() ? "-" : s; }

// The newest resilver or scrub task of the disk, or nullopt.
Result<std::optional<db::DiskTaskRow>> LatestTask(db::Database& db, const std::string& id) {
  return core::LatestDiskTask(db, id);
}

std::string Gib(std::uint64_t bytes) {
  return fmt::format("{:.2f} GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
}
// Opens the runtime without the volumes and runs fn(pool) -> exit code.
template <class F>
int WithPool(const config::Config& config, F fn, RuntimeOptions options = {}) {
  boost::asio::io_context ioc;
  options.check_capacity_at_open = true;  // The disk commands say where capacity is short.
  auto rt = OpenRuntime(config, ioc.get_executor(), options);
  if (!rt) {
    PrintError(rt.error());
    return 1;
  }
  return fn((*rt)->storage->pool());
}

}  // namespace

int ListDisks(const config::Config& config, bool json) {
  return WithPool(
      config,
      [json](storage::DiskPool& pool) {
        auto disks = pool.List();
        if (!disks) {
          PrintError(disks.error());
          return 1;
        }
        if (json) {
          boost::json::array out;
          for (const auto& d : *disks) out.push_back(DiskJson(d));
          fmt::print("{}\n", boost::json::serialize(out));
          return 0;
        }
        fmt::print("{:<8} {:<4} {:<8} {:<12} {:<8} {:>16} {:>16} {:>16} {:>6}  {}\n", "DISK", "CAT",
                   "ROLE", "STATE", "MIRROR", "CAPACITY", "ALLOCATED", "USED", "USERS", "URI");
        for (const auto& d : *disks) {
          fmt::print("{:<8} {:<4} {:<8} {:<12} {:<8} {:>16} {:>16} {:>16} {:>6}  {}\n", d.id,
                     Or(d.category), storage::DiskRoleName(d.role), storage::ShownStateName(d),
                     Or(d.mirror_id), d.capacity_bytes, d.allocated_bytes, d.used_bytes,
                     d.owner_count, d.uri);
        }
        return 0;
      },
      RuntimeOptions{.existing_data_only = true, .mail_alerts = false});
}

int ShowDisk(const config::Config& config, const std::string& id, bool json) {
  boost::asio::io_context ioc;
  auto rt = OpenRuntime(
      config, ioc.get_executor(),
      RuntimeOptions{
          .existing_data_only = true, .mail_alerts = false, .check_capacity_at_open = true});
  if (!rt) {
    PrintError(rt.error());
    return 1;
  }
  db::Database& db = *(*rt)->db;
  return [&id, json, &db](storage::DiskPool& pool) {
    auto d = pool.Show(id);
    if (!d) {
      PrintError(d.error());
      return ExitCodeOf(d.error());
    }
    auto task = LatestTask(db, id);
    if (!task) {
      PrintError(task.error());
      return 1;
    }
    if (json) {
      boost::json::object out = DiskJson(*d);
      out["task"] = *task ? boost::json::value(TaskJson(**task)) : boost::json::value(nullptr);
      fmt::print("{}\n", boost::json::serialize(out));
      return 0;
    }
    fmt::print(
        "id:              {}\ncategory:        {}\nrole:            {}\nstate:           {}\n"
        "mirror:          {}\nuri:             {}\ncapacity_bytes:  {}\n"
        "allocated_bytes: {}\nused_bytes:      {}\nusers:           {}\n",
        d->id, Or(d->category), storage::DiskRoleName(d->role), storage::ShownStateName(*d),
        Or(d->mirror_id), d->uri, d->capacity_bytes, d->allocated_bytes, d->used_bytes,
        d->owner_count);
    if (d->repairs_pending > 0) {
      fmt::print(
          "repairs_pending: {} (blobs whose only good copy is on the other disk; they are "
          "copied back in the background, or by `nimbus admin disk scrub {}`)\n",
          d->repairs_pending, d->id);
    }
    if (*task) {
      const db::DiskTaskRow& t = **task;
      fmt::print("task:            {} #{} {}: {}/{} blobs, {} of {}{}{}\n", t.kind, t.id, t.state,
                 t.done_blobs, t.total_blobs, Gib(t.done_bytes), Gib(t.total_bytes),
                 t.lease_owner.empty() ? "" : " (" + t.lease_owner + ")",
                 t.error.empty() ? "" : "; " + t.error);
    }
    return 0;
  }((*rt)->storage->pool());
}

int FailDisk(const config::Config& config, const std::string& id, bool force) {
  return WithPool(config, [&id, force](storage::DiskPool& pool) {
    if (!force) {
      if (auto last = pool.RefuseFailingLastCopy(id, "pass --force"); !last) {
        PrintError(last.error());
        return ExitCodeOf(last.error());
      }
    }
    auto failed = pool.MarkFailed(id);
    if (!failed) {
      PrintError(failed.error());
      return ExitCodeOf(failed.error());
    }
    fmt::print("disk {} marked failed; a running server stops using it on its next health round\n",
               id);
    return 0;
  });
}

int HealDisk(const config::Config& config, const std::string& id) {
  return WithPool(config, [&id](storage::DiskPool& pool) {
    // Only a disk that passes the health probe now (writes, fsyncs, reads back a file) is marked
    // healthy: one still missing or read-only would fail again at once, with an alert each way.
    auto volume = pool.VolumeOf(id);
    if (!volume) {
      PrintError(volume.error());
      return ExitCodeOf(volume.error());
    }
    boost::asio::io_context probe_ioc;  // Its own: the runtime's context must not run here.
    auto probed = boost::asio::co_spawn(probe_ioc, (*volume)->Probe(), boost::asio::use_future);
    probe_ioc.run();
    if (Result<void> ok = probed.get(); !ok) {
      fmt::print(stderr,
                 "nimbus: disk {} still fails its health probe, so it stays as it is: {}\n"
                 "Fix the disk (mounted? writable? space left?) and run this again.\n",
                 id, ok.error().message);
      return 1;
    }
    auto healed = pool.MarkHealthy(id);
    if (!healed) {
      PrintError(healed.error());
      return ExitCodeOf(healed.error());
    }
    auto now = pool.Show(id);
    if (now && now->role == storage::DiskRole::kSpare) {
      // A disk that was replaced: it left its pair for good (QA pass 20: "uses it again" misled).
      fmt::print(
          "disk {} is a usable spare again: it is in no pair (it left its pair when it was "
          "replaced), and the pool may attach it where a category fills up or use it for a "
          "replace. Copies it kept from that pair are not used; once it is in a pair again, "
          "`nimbus admin disk scrub {} --delete-orphans` removes them.\n",
          id, id);
      return 0;
    }
    fmt::print("disk {} marked healthy; a running server uses it again on its next health round\n",
               id);
    return 0;
  });
}

int RetireDisk(const config::Config& config, const std::string& id) {
  return WithPool(config, [&id](storage::DiskPool& pool) {
    auto pair = pool.Retire(id);
    if (!pair) {
      PrintError(pair.error());
      return ExitCodeOf(pair.error());
    }
    fmt::print(
        "pair {}/{} (category {}) is empty: both disks are spares again; a running "
        "server lets them go on its next health round\n",
        pair->primary_id, pair->mirror_id, pair->category);
    return 0;
  });
}

}  // namespace nimbus::app

namespace nimbus::app {
namespace {

// Prints a progress line at most every 3 seconds or 5 percent (to stderr with --json).
class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool json) : out_(json ? stderr : stdout) {}
  void operator()(const storage::ResilverProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    const double ratio = p.ratio();
    if (p.done_blobs == last_done_ && p.total_blobs == last_total_) return;  // Nothing new.
    if (ratio < last_ratio_ + 0.05 && now - last_ < std::chrono::seconds(3) && ratio < 1.0) return;
    last_done_ = p.done_blobs;
    last_total_ = p.total_blobs;
    last_ = now;
    last_ratio_ = ratio;
    fmt::print(out_, "resilver {} from {}: {:3.0f}% ({}/{} blobs, {} of {})\n", p.disk_id,
               p.source_id, ratio * 100, p.done_blobs, p.total_blobs, Gib(p.done_bytes),
               Gib(p.total_bytes));
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
  std::chrono::steady_clock::time_point last_{};
  double last_ratio_ = -1;
  std::uint64_t last_done_ = UINT64_MAX;
  std::uint64_t last_total_ = UINT64_MAX;
};

}  // namespace

int ReplaceDisk(const config::Config& config, const std::string& id, const std::string& spare,
                bool json) {
  boost::asio::io_context ioc;
  auto rt = OpenRuntime(config, ioc.get_executor(), RuntimeOptions{.check_capacity_at_open = true});
  if (!rt) {
    PrintError(rt.error());
    return 1;
  }
  storage::StorageEngine& engine = *(*rt)->storage;
  auto current = engine.pool().Show(spare);
  if (!current) {
    PrintError(current.error());
    return ExitCodeOf(current.error());
  }
  // Run again once the copy finished (the command was killed, the server resumed it): the old
  // disk is now a spare and the new one healthy in its place.
  if (current->role != storage::DiskRole::kSpare &&
      current->state == storage::DiskState::kHealthy) {
    auto old = engine.pool().Show(id);
    if (old && old->role == storage::DiskRole::kSpare) {
      fmt::print(json ? stderr : stdout,
                 "disk {} replaced {} already and its rebuild is finished ({} {} of category {}, "
                 "healthy); nothing to do\n",
                 spare, id, spare, storage::DiskRoleName(current->role), current->category);
      return 0;
    }
  }
  // Run again after an interruption: the spare already took the place; only resume the copy.
  const bool resume = current->state == storage::DiskState::kResilvering;
  if (resume) {
    fmt::print(json ? stderr : stdout, "disk {} is resilvering already: resuming the copy\n",
               spare);
  } else {
    auto pair = engine.pool().Replace(id, spare);
    if (!pair) {
      PrintError(pair.error());
      return ExitCodeOf(pair.error());
    }
    fmt::print(json ? stderr : stdout,
               "disk {} replaces {} in category {} (pair {}/{}); copying its blobs from {}\n",
               spare, id, pair->category, pair->primary_id, pair->mirror_id,
               pair->primary_id == spare ? pair->mirror_id : pair->primary_id);
  }
  std::fflush(json ? stderr : stdout);

  // Ctrl-C / SIGTERM stop the copy between two blobs and give the lease up; the disk stays
  // resilvering and `replace` again (or the server's health round) resumes it.
  std::atomic<bool> stop{false};
  storage::ResilverOptions options;
  options.owner = storage::ResilverOwnerName("nimbus admin disk replace");
  options.on_progress = ProgressPrinter(json);
  options.stop = &stop;
  // A server running meanwhile writes to the disk being replaced until its health round: after
  // the copy, wait for that round and catch what it wrote (ResilverOptions::settle). A server
  // of this data directory holds serve.lock; with PostgreSQL, servers elsewhere may run.
  if (ServerHoldsDataDir(config.server.data_dir) ||
      !config.server.database.starts_with("sqlite:")) {
    options.settle = std::chrono::seconds(config.disks.health_interval_s + 2);
    if (!json) {
      fmt::print(
          "a server is running: after the copy, the resilver waits {} s for it to write "
          "to {} too, then copies what it wrote meanwhile\n",
          options.settle.count() / 1000, spare);
    }
  }
  Result<storage::ResilverReport> report =
      RunToEnd(ioc, stop, engine.Resilver(spare, std::move(options)), "the resilver");
  if (!report) {
    PrintError(report.error());
    return ExitCodeOf(report.error());
  }
  const storage::ResilverProgress& p = report->progress;
  // The lost blobs by file and owner (their ids when the names cannot be read).
  std::vector<std::string> lost_files = report->lost_blobs;
  if (!lost_files.empty()) {
    if (auto named = core::NameBlobs(*(*rt)->db, report->lost_blobs)) lost_files = *named;
  }
  if (json) {
    auto task = LatestTask(*(*rt)->db, spare);
    auto disk = engine.pool().Show(spare);
    boost::json::object out = disk ? DiskJson(*disk) : boost::json::object{{"id", spare}};
    out["replaced"] = id;
    out["complete"] = report->complete;
    out["lost"] = report->progress.lost;
    boost::json::array files;
    for (const std::string& f : lost_files) files.emplace_back(f);
    out["lost_files"] = std::move(files);
    out["task"] = task && *task ? boost::json::value(TaskJson(**task)) : nullptr;
    fmt::print("{}\n", boost::json::serialize(out));
  }
  if (report->stopped) {
    fmt::print(stderr,
               "nimbus: interrupted after {}/{} blobs; disk {} stays resilvering: run `nimbus "
               "admin disk replace {} --with {}` again, or a running server resumes it\n",
               p.done_blobs, p.total_blobs, spare, id, spare);
    return 1;
  }
  if (!report->complete) {
    fmt::print(stderr,
               "nimbus: {} of {} blobs could not be copied to {} (first: {}); it stays "
               "resilvering: run the command again\n",
               p.failed, p.total_blobs, spare,
               report->errors.empty() ? "?" : report->errors.front());
    return 1;
  }
  if (!json) {
    fmt::print(
        "disk {} resilvered from {}: {} blobs ({} copied, {} already there), {}; it is "
        "healthy\n",
        spare, p.source_id, p.done_blobs, p.copied, p.present, Gib(p.done_bytes));
  }
  if (p.lost > 0) {
    // Not a failure of the replace (running it again cannot help): data that was already lost.
    fmt::print(stderr,
               "nimbus: {} file(s) could not be rebuilt: their only copy, on {}, is damaged. "
               "They are lost; tell their owners (they can upload them again or delete them):\n",
               p.lost, p.source_id);
    for (const std::string& line : lost_files) fmt::print(stderr, "  - {}\n", line);
    if (p.lost > lost_files.size()) {
      fmt::print(stderr, "  … and {} more\n", p.lost - lost_files.size());
    }
    return 1;
  }
  return 0;
}

int AttachDisk(const config::Config& config, const std::string& id, const std::string& given_uri,
               std::uint64_t capacity_bytes, bool json) {
  // A plain path (no scheme) is a directory, as file: says (QA pass 20: `--uri disks/spare3`
  // was refused while the README speaks of relative paths).
  const std::string uri =
      given_uri.find(':') == std::string::npos ? "file:" + given_uri : given_uri;
  return WithPool(config, [&](storage::DiskPool& pool) {
    // An absolute path names a mounted disk: it must be there already (QA pass 14, finding 14);
    // a bad or taken id is said first (by Attach).
    if (config::DiskIdProblem(id).empty() && !pool.Show(id)) {
      if (auto mounted = config::RequireMountedDiskDir(uri); !mounted) {
        PrintError(mounted.error());
        return 2;
      }
    }
    // A relative file: path is inside the data directory, as in disks.toml.
    auto d = pool.Attach(
        config::Spare{id, config::ResolveDiskUri(uri, config.server.data_dir), capacity_bytes});
    if (!d) {
      PrintError(d.error());
      return d.error().code == Errc::kInvalidArgument ? 2 : 1;
    }
    if (json) {
      fmt::print("{}\n", boost::json::serialize(DiskJson(*d)));
      return 0;
    }
    fmt::print(
        "disk {} ({}, {}) attached as {}{}{}; a running server probes it on its next "
        "health round\n",
        d->id, d->uri, Gib(d->capacity_bytes), storage::DiskStateName(d->state),
        d->category.empty() ? "" : " in category ", d->category);
    return 0;
  });
}

}  // namespace nimbus::app
