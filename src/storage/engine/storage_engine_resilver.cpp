// SPDX-License-Identifier: AGPL-3.0-or-later
// StorageEngine: running and resuming resilvers (the copy itself is in resilver.cpp).
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <mutex>
#include <set>

#include "db/stores/disk_task_store.h"
#include "storage/engine/storage_engine.h"
#include "util/run_blocking.h"

namespace nimbus::storage {

struct StorageEngine::PreparedResilver {
  std::int64_t task_id = 0;
  std::shared_ptr<Volume> source;
  std::shared_ptr<Volume> target;
};

void StorageEngine::StopResilvers() { resilvers_->stop = true; }

Result<StorageEngine::PreparedResilver> StorageEngine::PrepareResilver(
    const std::string& disk_id, const ResilverOptions& options) {
  auto disk = pool_->Show(disk_id);
  if (!disk) return Fail(disk.error());
  if (disk->state != DiskState::kResilvering) {
    return Fail(Errc::kConflict,
                "disk {} is {}, not resilvering: replace a failed disk with it first", disk_id,
                DiskStateName(disk->state));
  }
  auto partner = pool_->Show(disk->mirror_id);
  if (!partner) return Fail(partner.error());
  if (partner->state == DiskState::kFailed || partner->state == DiskState::kResilvering) {
    return Fail(Errc::kConflict, "disk {} cannot be resilvered: its partner {} is {}", disk_id,
                partner->id, DiskStateName(partner->state));
  }
  const std::int64_t now = ToUnixMs(deps_.clock.Now());
  auto task = deps_.db.Write([&](db::Transaction& tx) -> Result<std::int64_t> {
    db::DiskTaskStore tasks(tx);
    auto latest = tasks.LatestFor(disk_id, "resilver");
    if (!latest) return std::unexpected(std::move(latest.error()));
    std::int64_t id = 0;
    if (*latest && ((*latest)->state == "queued" || (*latest)->state == "running")) {
      id = (*latest)->id;
    } else {
      auto created = tasks.Create("resilver", disk_id, std::nullopt, now);
      if (!created) return std::unexpected(std::move(created.error()));
      id = *created;
    }
    auto leased =
        tasks.TryLease(id, options.owner, now, now + options.lease.count(), ResilverOwnerIsGone);
    if (!leased) return std::unexpected(std::move(leased.error()));
    return id;
  });
  if (!task) return Fail(task.error());
  // This process's pair must write to the new disk before the walk starts, so the walk (and its
  // catch-up passes) cannot miss a blob written here.
  if (auto synced = SyncStatesFromDb(); !synced) return Fail(synced.error());
  auto source = pool_->VolumeOf(partner->id);
  if (!source) return Fail(source.error());
  auto target = pool_->VolumeOf(disk_id);
  if (!target) return Fail(target.error());
  return PreparedResilver{*task, *source, *target};
}

Result<void> StorageEngine::CompleteResilver(const std::string& disk_id) {
  {
    // This process's pair first, quietly: the pool raises the one kDiskRecovered alert.
    std::shared_lock lock(topo_mu_);
    if (auto it = sides_.find(disk_id); it != sides_.end()) {
      auto pair = pairs_.find(it->second.first);
      if (pair->second.volume->state()->disk_id(it->second.second) == disk_id) {
        pair->second.volume->state()->MarkHealthy(it->second.second, /*alert=*/false);
      }
    }
  }
  if (auto healed = pool_->MarkHealthy(disk_id); !healed) return healed;
  auto synced = SyncStatesFromDb();
  if (!synced) return Fail(synced.error());
  return UpdateGauges();
}

net::awaitable<Result<ResilverReport>> StorageEngine::Resilver(std::string disk_id,
                                                               ResilverOptions options) {
  if (options.owner.empty()) options.owner = ResilverOwnerName("nimbus");
  if (options.stop == nullptr) options.stop = &resilvers_->stop;
  auto prepare = [this, &disk_id, &options] { return PrepareResilver(disk_id, options); };
  auto prepared = co_await RunBlocking(deps_.workers, std::move(prepare));
  if (!prepared) co_return Fail(prepared.error());
  spdlog::info("storage: resilvering disk {} from {} (task {}, {})", disk_id,
               prepared->source->id(), prepared->task_id, options.owner);
  util::GaugeFamily* gauge = resilver_gauge_;
  ResilverProgressFn outer = options.on_progress;
  options.on_progress = [gauge, outer](const ResilverProgress& p) {
    gauge->WithLabels({p.disk_id}).Set(p.ratio());
    if (outer) outer(p);
  };
  auto report = co_await RunResilver(deps_.db, deps_.workers, deps_.clock, prepared->task_id,
                                     *prepared->source, *prepared->target, options);
  if (!report) co_return report;
  if (report->stopped) {
    // Asked to stop (Ctrl-C, shutdown): give the lease up so another run resumes at once.
    const std::int64_t task_id = prepared->task_id;
    const std::int64_t now = ToUnixMs(deps_.clock.Now());
    auto release = [this, task_id, &options, now] {
      return deps_.db.Write([&](db::Transaction& tx) {
        return db::DiskTaskStore(tx).Release(task_id, options.owner, now);
      });
    };
    auto released = co_await RunBlocking(deps_.workers, std::move(release));
    if (!released) co_return Fail(released.error());
  }
  if (report->complete) {
    auto complete = [this, &disk_id] { return CompleteResilver(disk_id); };
    auto done = co_await RunBlocking(deps_.workers, std::move(complete));
    if (!done) co_return Fail(done.error());
    const ResilverProgress& p = report->progress;
    spdlog::info(
        "storage: disk {} resilvered from {}: {} blobs ({} copied, {} already there), "
        "{} bytes; it is healthy",
        disk_id, p.source_id, p.done_blobs, p.copied, p.present, p.done_bytes);
    if (p.lost > 0) {
      // Data loss the resilver could not prevent: the admins must tell the owners.
      alerts().Raise(Alert{
          AlertKind::kRepairFailed, disk_id,
          fmt::format("{} blob(s) could not be rebuilt on disk {}: their only copy, on {}, is "
                      "damaged (first: {}). Those files are lost; `nimbus admin disk scrub {}` "
                      "names them and their owners.",
                      p.lost, disk_id, p.source_id,
                      report->lost_blobs.empty() ? "?" : report->lost_blobs.front(), disk_id)});
    }
  }
  co_return report;
}

net::awaitable<void> StorageEngine::ResilverInBackground(StorageEngine* engine,
                                                         std::shared_ptr<Resilvers> running,
                                                         std::string disk_id) {
  ResilverOptions options;
  options.owner = ResilverOwnerName("nimbus serve");
  auto report = co_await engine->Resilver(disk_id, std::move(options));
  if (!report) {
    spdlog::warn("storage: resilver of disk {}: {}", disk_id, report.error().message);
  } else if (!report->complete && !report->stopped) {
    spdlog::error("storage: resilver of disk {} incomplete: {} of {} blobs failed", disk_id,
                  report->progress.failed, report->progress.total_blobs);
  }
  std::lock_guard lock(running->mu);
  running->running.erase(disk_id);
}

Result<std::size_t> StorageEngine::ResumeResilvers(const boost::asio::any_io_executor& executor,
                                                   std::string_view queued_for) {
  if (!deps_.open_volumes || resilvers_->stop) return std::size_t{0};
  {
    // Only a process that runs the background machinery (the server) takes tasks over; a
    // one-off `nimbus job run disk-health` would exit in the middle of them.
    std::shared_lock lock(topo_mu_);
    if (!repair_executor_) return std::size_t{0};
  }
  auto tasks = deps_.db.Read(
      [](db::Transaction& tx) { return db::DiskTaskStore(tx).ListUnfinished("resilver"); });
  if (!tasks) return Fail(tasks.error());
  const std::int64_t now = ToUnixMs(deps_.clock.Now());
  std::size_t started = 0;
  for (const db::DiskTaskRow& t : *tasks) {
    // A live process runs it (one killed on this host does not).
    if (!t.lease_owner.empty() && t.lease_until > now && !ResilverOwnerIsGone(t.lease_owner)) {
      continue;
    }
    // A task a CLI `replace` just queued is its own to start: only take it over once it is
    // overdue. One this process queued (`queued_for`) starts now.
    if (t.lease_owner.empty() && t.disk_id != queued_for &&
        now - t.created_at < ResilverOptions{}.lease.count()) {
      continue;
    }
    {
      std::lock_guard lock(resilvers_->mu);
      if (!resilvers_->running.insert(t.disk_id).second) continue;
    }
    spdlog::info("storage: resuming the resilver of disk {} (task {}, {} of {} blobs done)",
                 t.disk_id, t.id, t.done_blobs, t.total_blobs);
    net::co_spawn(executor, ResilverInBackground(this, resilvers_, t.disk_id), net::detached);
    ++started;
  }
  return started;
}

}  // namespace nimbus::storage
