// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/disk_admin.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <mutex>
#include <set>
#include <utility>

#include "config/mounted_disk.h"
#include "core/disk_json.h"
#include "db/stores/disk_task_store.h"
#include "storage/engine/scrub.h"
#include "util/run_blocking.h"

namespace nimbus::core {

struct DiskAdmin::State {
  std::mutex mu;
  std::set<std::string, std::less<>> scrubbing;  // Pair ids scrubbed by this process. Under mu.
};

namespace {

constexpr int kTaskWaitRounds = 250;  // × 20 ms: how long Scrub waits for its task row.

// The disk's JSON with "task" and "last_scrub". Blocking (database).
Result<boost::json::object> DiskWithTasks(db::Database& db, const storage::DiskInfo& d) {
  boost::json::object out = DiskJson(d);
  auto task = LatestDiskTask(db, d.id);
  if (!task) return nimbus::Fail(task.error());
  out["task"] = *task ? boost::json::value(TaskJson(**task)) : boost::json::value(nullptr);
  out["last_scrub"] = nullptr;
  if (d.role != storage::DiskRole::kSpare) {
    auto last = storage::LastScrubOf(db, d.id);
    if (!last) return nimbus::Fail(last.error());
    if (*last) out["last_scrub"] = LastScrubJson(**last);
  }
  return out;
}

Result<boost::json::object> ShowBlocking(storage::StorageEngine& engine, db::Database& db,
                                         const std::string& id) {
  auto d = engine.pool().Show(id);
  if (!d) return nimbus::Fail(d.error());
  return DiskWithTasks(db, *d);
}

// The newest task of `kind` for `disk_id`, nullopt when none. Blocking (database).
Result<std::optional<db::DiskTaskRow>> LatestOf(db::Database& db, const std::string& disk_id,
                                                const char* kind) {
  return db.Read(
      [&](db::Transaction& tx) { return db::DiskTaskStore(tx).LatestFor(disk_id, kind); });
}

net::awaitable<void> ScrubInBackground(std::shared_ptr<DiskAdmin::State> state,
                                       storage::ScrubTarget target, storage::ScrubDeps deps,
                                       std::string pair) {
  storage::ScrubOptions options;
  options.skip_disks = target.skip_disks;
  auto report = co_await storage::ScrubPair(*target.pair, deps, std::move(options));
  if (!report) {
    spdlog::warn("scrub of pair {} (admin API): {}", pair, report.error().message);
  } else {
    spdlog::info("scrub of pair {} (admin API): {} blobs checked, {} repaired, {} lost", pair,
                 report->blobs_checked, report->repaired, report->lost);
  }
  std::lock_guard lock(state->mu);
  state->scrubbing.erase(pair);
}

}  // namespace

DiskAdmin::DiskAdmin(DiskAdminDeps deps)
    : deps_(std::move(deps)), state_(std::make_shared<State>()) {}

DiskAdmin::~DiskAdmin() = default;

net::awaitable<Result<boost::json::array>> DiskAdmin::List() {
  auto list = [this]() -> Result<boost::json::array> {
    auto disks = deps_.engine.pool().List();
    if (!disks) return nimbus::Fail(disks.error());
    boost::json::array out;
    for (const auto& d : *disks) {
      auto one = DiskWithTasks(deps_.db, d);
      if (!one) return nimbus::Fail(one.error());
      out.push_back(std::move(*one));
    }
    return out;
  };
  co_return co_await RunBlocking(deps_.workers, std::move(list));
}

net::awaitable<Result<boost::json::object>> DiskAdmin::Show(std::string id) {
  auto show = [this, &id] { return ShowBlocking(deps_.engine, deps_.db, id); };
  co_return co_await RunBlocking(deps_.workers, std::move(show));
}

net::awaitable<Result<boost::json::object>> DiskAdmin::Attach(config::Spare spare) {
  if (spare.id.empty()) co_return nimbus::Fail(Errc::kInvalidArgument, "The disk needs an id.");
  if (spare.uri.empty()) co_return nimbus::Fail(Errc::kInvalidArgument, "The disk needs a uri.");
  auto attach = [this, &spare]() -> Result<boost::json::object> {
    // Not a typo made into a new directory on the root file system (QA pass 14, finding 14);
    // a bad or taken id is said first (by Attach).
    if (config::DiskIdProblem(spare.id).empty() && !deps_.engine.pool().Show(spare.id)) {
      if (auto mounted = config::RequireMountedDiskDir(spare.uri); !mounted) {
        return std::unexpected(mounted.error());
      }
    }
    auto d = deps_.engine.pool().Attach(spare);
    if (!d) return nimbus::Fail(d.error());
    // Opens the new spare now rather than on the next health round; a failure to open it is
    // reported by that round (the disk is recorded either way).
    if (auto synced = deps_.engine.SyncStatesFromDb(); !synced) {
      spdlog::warn("attached disk {}: {}", spare.id, synced.error().message);
    }
    return DiskWithTasks(deps_.db, *d);
  };
  co_return co_await RunBlocking(deps_.workers, std::move(attach));
}

net::awaitable<Result<boost::json::object>> DiskAdmin::Fail(std::string id, bool force) {
  auto fail = [this, &id, force]() -> Result<boost::json::object> {
    auto d = deps_.engine.pool().Show(id);
    if (!d) return nimbus::Fail(d.error());
    if (!force) {
      auto last = deps_.engine.pool().RefuseFailingLastCopy(id, "ask again with ?force=1");
      if (!last) return nimbus::Fail(last.error());
    }
    if (d->state != storage::DiskState::kFailed) {
      if (auto failed = deps_.engine.FailDisk(id, "marked failed by an admin"); !failed) {
        return nimbus::Fail(failed.error());
      }
    }
    return ShowBlocking(deps_.engine, deps_.db, id);
  };
  co_return co_await RunBlocking(deps_.workers, std::move(fail));
}

net::awaitable<Result<boost::json::object>> DiskAdmin::Retire(std::string id) {
  auto retire = [this, &id]() -> Result<boost::json::object> {
    auto pair = deps_.engine.pool().Retire(id);
    if (!pair) return nimbus::Fail(pair.error());
    if (auto synced = deps_.engine.SyncStatesFromDb(); !synced) {
      spdlog::warn("retire {}: {}", id, synced.error().message);
    }
    boost::json::array disks;
    for (const std::string& d : {pair->primary_id, pair->mirror_id}) {
      auto shown = ShowBlocking(deps_.engine, deps_.db, d);
      if (!shown) return nimbus::Fail(shown.error());
      disks.emplace_back(std::move(*shown));
    }
    return boost::json::object{{"disks", std::move(disks)}, {"category", pair->category}};
  };
  co_return co_await RunBlocking(deps_.workers, std::move(retire));
}

net::awaitable<Result<boost::json::object>> DiskAdmin::Replace(std::string id, std::string with) {
  if (with.empty()) {
    co_return nimbus::Fail(Errc::kInvalidArgument, "Name the spare to put in its place: 'with'.");
  }
  auto replace = [this, &id, &with]() -> Result<boost::json::object> {
    auto pair = deps_.engine.pool().Replace(id, with);
    if (!pair) return nimbus::Fail(pair.error());
    if (auto synced = deps_.engine.SyncStatesFromDb(); !synced) {
      spdlog::warn("replace {} with {}: {}", id, with, synced.error().message);
    }
    // Replace recorded a queued resilver task for the spare: start it now in the background.
    if (auto started = deps_.engine.ResumeResilvers(deps_.executor, with); !started) {
      spdlog::warn(
          "replace {} with {}: cannot start the resilver now ({}); the next health "
          "round retries",
          id, with, started.error().message);
    }
    auto disk = ShowBlocking(deps_.engine, deps_.db, with);
    if (!disk) return nimbus::Fail(disk.error());
    auto task = LatestOf(deps_.db, with, "resilver");
    if (!task) return nimbus::Fail(task.error());
    return boost::json::object{
        {"disk", std::move(*disk)},
        {"replaced", id},
        {"task", *task ? boost::json::value(TaskJson(**task)) : boost::json::value(nullptr)}};
  };
  co_return co_await RunBlocking(deps_.workers, std::move(replace));
}

net::awaitable<Result<boost::json::object>> DiskAdmin::Scrub(std::string id) {
  auto find = [this, &id] { return storage::ScrubTargetFor(deps_.engine, id); };
  Result<storage::ScrubTarget> target = co_await RunBlocking(deps_.workers, std::move(find));
  if (!target) co_return nimbus::Fail(target.error());
  const std::string pair = target->pair->id();
  auto latest = [this, &pair] { return LatestOf(deps_.db, pair, "scrub"); };
  auto before = co_await RunBlocking(deps_.workers, latest);
  if (!before) co_return nimbus::Fail(before.error());
  const std::int64_t now_ms = ToUnixMs(deps_.clock.Now());
  const bool other_running = *before &&
                             ((*before)->state == "running" || (*before)->state == "queued") &&
                             (*before)->lease_until > now_ms;
  {
    std::lock_guard lock(state_->mu);
    if (other_running || state_->scrubbing.contains(pair)) {
      co_return nimbus::Fail(Errc::kConflict,
                             "A scrub of pair {} is running already; wait for it to finish.", pair);
    }
    state_->scrubbing.insert(pair);
  }
  storage::ScrubDeps deps{.db = deps_.db,
                          .workers = deps_.workers,
                          .alerts = deps_.engine.alerts(),
                          .clock = deps_.clock,
                          .metrics = deps_.metrics};
  net::co_spawn(deps_.executor, ScrubInBackground(state_, std::move(*target), deps, pair),
                net::detached);

  // Answer with the task once the scrub has recorded it (it does so before reading any blob).
  const std::int64_t before_id = *before ? (*before)->id : 0;
  net::steady_timer timer(co_await net::this_coro::executor);
  for (int i = 0; i < kTaskWaitRounds; ++i) {
    auto row = co_await RunBlocking(deps_.workers, latest);
    if (!row) co_return nimbus::Fail(row.error());
    if (*row && (*row)->id > before_id) {
      co_return boost::json::object{{"pair", pair}, {"task", TaskJson(**row)}};
    }
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(net::use_awaitable);
  }
  co_return boost::json::object{{"pair", pair}, {"task", nullptr}};
}

net::awaitable<Result<boost::json::array>> DiskAdmin::Jobs() {
  if (!deps_.jobs) co_return boost::json::array{};
  JobsLister jobs = deps_.jobs;
  co_return co_await RunBlocking(deps_.workers, std::move(jobs));
}

}  // namespace nimbus::core
