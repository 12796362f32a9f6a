// SPDX-License-Identifier: AGPL-3.0-or-later
// Mover: the disk_tasks row of each run (lease, progress, result), background runs with retries
// and alerts, resuming recorded moves, the in-flight write tokens that trigger sweeps of stray
// blobs, and progress.
#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <exception>
#include <set>

#include "db/stores/disk_task_store.h"
#include "storage/engine/mover.h"
#include "storage/engine/storage_engine.h"
#include "util/process_gone.h"
#include "util/run_blocking.h"

namespace nimbus::storage {
namespace {

void LogException(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("storage: move task ended by an exception: {}", ex.what());
  }
}

// Owners with a move recorded. The one query of this layer outside db/stores: DiskStore has no
// list of moves yet (to move there as DiskStore::ListMoves).
Result<std::vector<std::int64_t>> RecordedMoves(db::Database& db) {
  return db.Read([](db::Transaction& tx) -> Result<std::vector<std::int64_t>> {
    auto rows = tx.Query("SELECT owner_id FROM allocation_moves ORDER BY owner_id");
    if (!rows) return Fail(rows.error());
    std::vector<std::int64_t> out;
    for (const db::Row& r : *rows) out.push_back(r.Int(0));
    return out;
  });
}

std::string HostName() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  return host.data();
}

// True when the lease holder "move:<host>:<pid>" is a process of this host that has ended: a
// kill -9 or a crash left its lease behind, and nobody will renew it. (One host name, one pid
// namespace: processes that share a host name but not their pids must set distinct lease owners.)
bool HolderEndedHere(std::string_view holder) { return TaggedHolderIsGone(holder, "move"); }

}  // namespace

// Keeps one write counted in flight; tells the mover when it ends.
struct WriteToken {
  std::weak_ptr<Mover> mover;
  std::int64_t owner_id = 0;
  std::uint64_t seq = 0;
  net::any_io_executor executor;
  ~WriteToken();
};

Mover::Mover(StorageEngine& engine, db::Database& db, WorkerPool& workers, const Clock& clock,
             MoverOptions options)
    : engine_(engine), db_(db), workers_(workers), clock_(clock), options_(std::move(options)) {
  lease_owner_ = options_.lease_owner;
  if (lease_owner_.empty()) lease_owner_ = fmt::format("move:{}:{}", HostName(), ::getpid());
}

net::awaitable<Result<void>> Mover::OpenTask(std::int64_t owner_id, const std::string& target) {
  const std::int64_t now = NowMs();
  const std::int64_t until = now + options_.lease.count();
  Task task;
  auto open = [&]() -> Result<void> {
    return db_.Write([&](db::Transaction& tx) -> Result<void> {
      db::DiskTaskStore tasks(tx);
      auto unfinished = tasks.ListUnfinished("move");
      if (!unfinished) return Fail(unfinished.error());
      for (const db::DiskTaskRow& old : *unfinished) {
        if (old.owner_id != owner_id) continue;
        // A holder whose process is gone (killed mid-move) is taken over without waiting for
        // its lease to run out.
        if (auto leased = tasks.TryLease(old.id, lease_owner_, now, until, HolderEndedHere);
            !leased) {
          if (leased.error().code != Errc::kConflict) return leased;
          return Fail(Errc::kConflict, "owner {} is being moved by another process (task {}: {})",
                      owner_id, old.id, leased.error().message);
        }
        auto ended =
            tasks.Finish(old.id, lease_owner_, "failed", "",
                         "abandoned: the process running it stopped before it finished", now);
        if (!ended) return ended;
      }
      auto id = tasks.Create("move", target, owner_id, now);
      if (!id) return Fail(id.error());
      if (auto leased = tasks.TryLease(*id, lease_owner_, now, until); !leased) return leased;
      auto totals = db::BlobStore(tx).TotalsByOwner(owner_id);
      if (!totals) return Fail(totals.error());
      task = Task{*id, totals->blobs, totals->bytes, now};
      return tasks.UpdateProgress(*id, lease_owner_, {task.total_blobs, 0, task.total_bytes, 0},
                                  now, until);
    });
  };
  auto opened = co_await RunBlocking(workers_, open);
  if (!opened) co_return opened;
  std::lock_guard lock(mu_);
  tasks_[owner_id] = task;
  co_return Result<void>{};
}

net::awaitable<Result<void>> Mover::Heartbeat(std::int64_t owner_id, bool force) {
  const std::int64_t now = NowMs();
  Task task;
  db::DiskTaskProgress progress;
  {
    std::lock_guard lock(mu_);
    auto it = tasks_.find(owner_id);
    if (it == tasks_.end()) co_return Result<void>{};  // A sweep: no task row.
    if (!force && now - it->second.last_write_ms < options_.progress_interval.count()) {
      co_return Result<void>{};
    }
    it->second.last_write_ms = now;
    task = it->second;
    const MoveProgress& p = progress_[owner_id];
    progress = {task.total_blobs, p.copied_blobs, task.total_bytes, p.copied_bytes};
  }
  auto write = [&]() -> Result<void> {
    return db_.Write([&](db::Transaction& tx) {
      return db::DiskTaskStore(tx).UpdateProgress(task.id, lease_owner_, progress, now,
                                                  now + options_.lease.count());
    });
  };
  co_return co_await RunBlocking(workers_, write);
}

net::awaitable<void> Mover::CloseTask(std::int64_t owner_id, const Error* error) {
  Task task;
  std::string result;
  db::DiskTaskProgress progress;
  {
    std::lock_guard lock(mu_);
    auto it = tasks_.find(owner_id);
    if (it == tasks_.end()) co_return;
    task = it->second;
    tasks_.erase(it);
    const MoveProgress& p = progress_[owner_id];
    progress = {task.total_blobs, p.copied_blobs, task.total_bytes, p.copied_bytes};
    result = fmt::format(
        R"({{"from":"{}","to":"{}","copied_blobs":{},"copied_bytes":{},"removed_old":{},)"
        R"("rounds":{}}})",
        p.from, p.to, p.copied_blobs, p.copied_bytes, p.removed_old, p.rounds);
  }
  const std::int64_t now = NowMs();
  const std::string state = error ? "failed" : "done";
  const std::string message = error ? error->message : "";
  auto close = [&]() -> Result<void> {
    return db_.Write([&](db::Transaction& tx) -> Result<void> {
      db::DiskTaskStore tasks(tx);
      auto updated = tasks.UpdateProgress(task.id, lease_owner_, progress, now, now);
      if (!updated) return updated;
      return tasks.Finish(task.id, lease_owner_, state, result, message, now);
    });
  };
  auto closed = co_await RunBlocking(workers_, close);
  if (!closed) {
    spdlog::warn("storage: cannot close task {} of the move of owner {}: {}", task.id, owner_id,
                 closed.error().message);
  }
}

void Mover::Update(std::int64_t owner_id, const std::function<void(MoveProgress&)>& fn) {
  std::lock_guard lock(mu_);
  MoveProgress& p = progress_[owner_id];
  p.owner_id = owner_id;
  fn(p);
  p.updated_at = NowMs();
}

std::optional<MoveProgress> Mover::Progress(std::int64_t owner_id) const {
  std::lock_guard lock(mu_);
  auto it = progress_.find(owner_id);
  if (it == progress_.end()) return std::nullopt;
  return it->second;
}

std::vector<MoveProgress> Mover::AllProgress() const {
  std::lock_guard lock(mu_);
  std::vector<MoveProgress> out;
  for (const auto& [owner, p] : progress_) out.push_back(p);
  return out;
}

void Mover::Stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
}

net::awaitable<void> Mover::Sleep(std::chrono::milliseconds d) {
  net::steady_timer timer(co_await net::this_coro::executor, d);
  boost::system::error_code ec;
  co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
}

void Mover::Start(std::int64_t owner_id, const net::any_io_executor& executor) {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    if (!background_.insert(owner_id).second) {
      // Its run may be past the point where it looks for a recorded move: it runs once more.
      start_again_.insert(owner_id);
      return;
    }
  }
  net::co_spawn(executor, Background(shared_from_this(), owner_id), LogException);
}

net::awaitable<void> Mover::Background(std::shared_ptr<Mover> self, std::int64_t owner_id) {
  for (;;) {
    co_await RunWithRetries(self, owner_id);
    if (self->options_.after_background) co_await self->options_.after_background(owner_id);
    std::lock_guard lock(self->mu_);
    if (self->stopped_ || self->start_again_.erase(owner_id) == 0) {
      self->background_.erase(owner_id);
      self->start_again_.erase(owner_id);
      co_return;
    }
  }
}

net::awaitable<void> Mover::RunWithRetries(std::shared_ptr<Mover> self, std::int64_t owner_id) {
  bool alerted = false;
  int waits = 0;
  for (int attempt = 1; attempt <= self->options_.max_attempts; ++attempt) {
    auto r = co_await self->Run(owner_id);
    if (r) break;
    const Errc code = r.error().code;
    if (code == Errc::kNotFound || code == Errc::kCancelled) {
      spdlog::info("storage: move of owner {} ended: {}", owner_id, r.error().message);
      break;
    }
    // A target pair with a failed disk (or one being rebuilt) is waited for as long as it takes,
    // without using up attempts: the disk alert has told the admins already.
    if (auto p = self->Progress(owner_id);
        p && waits < self->options_.max_target_waits && !self->TargetNotWhole(p->to).empty()) {
      if (waits++ == 0)
        spdlog::warn("storage: move of owner {} waits: {}", owner_id, r.error().message);
      --attempt;
      co_await Sleep(self->options_.retry_interval);
      std::lock_guard lock(self->mu_);
      if (self->stopped_) break;
      continue;
    }
    spdlog::warn("storage: move of owner {} failed (attempt {} of {}): {}", owner_id, attempt,
                 self->options_.max_attempts, r.error().message);
    if (!alerted && code != Errc::kConflict) {
      alerted = true;
      auto p = self->Progress(owner_id);
      self->engine_.alerts().Raise(Alert{
          AlertKind::kRepairFailed, p ? p->to : "",
          fmt::format("Moving owner {} to another disk category failed and is retried "
                      "every {} s: {}",
                      owner_id, self->options_.retry_interval.count() / 1000, r.error().message)});
    }
    if (attempt == self->options_.max_attempts) {
      spdlog::error(
          "storage: move of owner {} gave up after {} attempts; it stays recorded and "
          "resumes at the next start",
          owner_id, attempt);
      break;
    }
    co_await Sleep(self->options_.retry_interval);
    std::lock_guard lock(self->mu_);
    if (self->stopped_) break;
  }
}

Result<std::size_t> Mover::ResumeMoves(const net::any_io_executor& executor) {
  auto owners = RecordedMoves(db_);
  if (!owners) return Fail(owners.error());
  for (std::int64_t owner : *owners) Start(owner, executor);
  if (!owners->empty()) spdlog::info("storage: resuming {} move(s)", owners->size());
  // Tasks still running without a recorded move: their process went away after the switch.
  auto tasks =
      db_.Read([](db::Transaction& tx) { return db::DiskTaskStore(tx).ListUnfinished("move"); });
  if (!tasks) return Fail(tasks.error());
  const std::int64_t now = NowMs();
  std::set<std::int64_t> switched;
  for (const db::DiskTaskRow& t : *tasks) {
    if (!t.owner_id || std::ranges::find(*owners, *t.owner_id) != owners->end()) continue;
    // Held by this process: a run of ours ends it (FinishSwitched's claim waits for that).
    const bool gone = t.lease_owner.empty() || t.lease_until <= now ||
                      t.lease_owner == lease_owner_ || HolderEndedHere(t.lease_owner);
    if (gone && switched.insert(*t.owner_id).second) {
      net::co_spawn(executor, FinishInBackground(shared_from_this(), *t.owner_id), LogException);
    }
  }
  return owners->size() + switched.size();
}

net::awaitable<void> Mover::FinishInBackground(std::shared_ptr<Mover> self, std::int64_t owner_id) {
  auto r = co_await self->FinishSwitched(owner_id);
  if (!r) {
    spdlog::warn("storage: owner {}: the old copies of an interrupted move were not deleted: {}",
                 owner_id, r.error().message);
  }
}

std::shared_ptr<void> Mover::BeginWrite(std::int64_t owner_id,
                                        const net::any_io_executor& executor) {
  auto token = std::make_shared<WriteToken>();
  token->mover = weak_from_this();
  token->owner_id = owner_id;
  token->executor = executor;
  std::lock_guard lock(mu_);
  token->seq = next_seq_++;
  in_flight_[owner_id].insert(token->seq);
  return token;
}

WriteToken::~WriteToken() {
  if (auto m = mover.lock()) m->EndWrite(owner_id, seq, executor);
}

void Mover::EndWrite(std::int64_t owner_id, std::uint64_t seq,
                     const net::any_io_executor& executor) {
  bool sweep = false;
  {
    std::lock_guard lock(mu_);
    auto it = in_flight_.find(owner_id);
    if (it != in_flight_.end()) {
      if (auto s = it->second.find(seq); s != it->second.end()) it->second.erase(s);
      if (it->second.empty()) in_flight_.erase(it);
    }
    sweep = !stopped_ && strays_.contains(owner_id);
  }
  if (sweep && executor) {
    net::co_spawn(executor, SweepLater(shared_from_this(), owner_id), LogException);
  }
}

void Mover::MarkStray(std::int64_t owner_id) {
  std::lock_guard lock(mu_);
  strays_.insert(owner_id);
}

net::awaitable<void> Mover::SweepLater(std::shared_ptr<Mover> self, std::int64_t owner_id) {
  co_await Sleep(self->options_.sweep_delay);
  auto r = co_await self->Sweep(owner_id);
  if (!r && r.error().code != Errc::kConflict) {
    spdlog::warn("storage: sweep of owner {} failed: {}", owner_id, r.error().message);
    self->MarkStray(owner_id);
  }
}

}  // namespace nimbus::storage
