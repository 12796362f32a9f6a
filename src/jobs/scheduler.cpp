// SPDX-License-Identifier: AGPL-3.0-or-later
#include "jobs/scheduler.h"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <exception>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

#include "db/stores/job_store.h"
#include "util/process_gone.h"

namespace nimbus::jobs {
namespace {

using namespace std::chrono_literals;

struct Entry {
  explicit Entry(JobSpec s) : spec(std::move(s)), schedule_text(spec.schedule.ToString()) {}
  JobSpec spec;
  std::string schedule_text;
  std::atomic<bool> running{false};  // The in-process guard.
  std::optional<net::steady_timer> timer;
};

// Identifies this scheduler in the lease column: host, process and instance.
std::string MakeOwner() {
  static std::atomic<int> instances{0};
  return fmt::format("{}:{}:{}", ThisHostName(), ::getpid(), instances.fetch_add(1) + 1);
}

// True when `holder` (a lease owner MakeOwner made) is a process of this host that no longer
// exists: a run killed before it could give its lease back.
bool HolderIsGone(std::string_view holder) {
  const auto host_end = holder.find(':');
  if (host_end == std::string_view::npos) return false;
  std::string_view rest = holder.substr(host_end + 1);
  return ProcessIsGone(holder.substr(0, host_end), rest.substr(0, rest.find(':')));
}

std::optional<Clock::TimePoint> OptTime(const std::optional<std::int64_t>& ms) {
  if (!ms) return std::nullopt;
  return FromUnixMs(*ms);
}

// Runs the body; an exception is a bug in the job, and it is reported as the run's failure
// rather than taking the worker thread down.
Result<std::string> RunBody(const JobSpec& spec) {
  try {
    return spec.run();
  } catch (const std::exception& e) {
    return Fail(Errc::kInternal, "exception: {}", e.what());
  } catch (...) {
    return Fail(Errc::kInternal, "unknown exception");
  }
}

}  // namespace

struct Scheduler::State {
  State(net::any_io_executor io_ex, WorkerPool& p, db::Database& d, Clock& c)
      : io(io_ex),
        strand(net::make_strand(io_ex)),
        pool(p),
        clock(c),
        store(d),
        owner(MakeOwner()) {}

  net::any_io_executor io;
  net::strand<net::any_io_executor> strand;  // Timers live here, so io may have many threads.
  WorkerPool& pool;
  Clock& clock;
  db::JobStore store;
  const std::string owner;
  std::vector<std::unique_ptr<Entry>> jobs;  // Fixed once started.

  std::mutex mu;  // Guards the fields below and every timer operation.
  std::condition_variable idle_cv;
  bool started = false;
  bool stopping = false;
  int in_flight = 0;  // Timed runs queued or running on the pool.
  std::vector<std::function<void()>> on_idle;

  Entry* Find(std::string_view name) {
    for (auto& e : jobs) {
      if (e->spec.name == name) return e.get();
    }
    return nullptr;
  }

  // Runs one job with both guards and records its outcome.
  Result<JobRun> Execute(Entry& e) {
    if (e.running.exchange(true)) {
      return Fail(Errc::kConflict, "job '{}' is already running in this process", e.spec.name);
    }
    struct Clear {
      std::atomic<bool>& flag;
      ~Clear() { flag = false; }
    } clear{e.running};
    JobRun run{.name = e.spec.name, .started_at = clock.Now()};
    auto leased = store.Acquire(e.spec.name, e.schedule_text, owner, ToUnixMs(run.started_at),
                                ToUnixMs(run.started_at + e.spec.lease), HolderIsGone);
    if (!leased) return std::unexpected(std::move(leased.error()));
    const auto t0 = std::chrono::steady_clock::now();
    Result<std::string> out = RunWithHeartbeat(e);
    run.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    run.finished_at = clock.Now();
    run.ok = out.has_value();
    run.message = out ? std::move(*out)
                      : fmt::format("{}: {}", ErrcName(out.error().code), out.error().message);
    auto recorded = store.Finish(e.spec.name, owner, ToUnixMs(run.finished_at),
                                 run.duration.count(), run.ok, run.message, std::nullopt);
    if (!recorded) {
      return Fail(recorded.error().code, "job '{}' ran ({}) but recording it failed: {}",
                  e.spec.name, run.ok ? "ok" : "failed", recorded.error().message);
    }
    return run;
  }

  // Runs the body while a helper thread renews the lease every third of its length, so a long
  // run keeps it and only a crashed (or killed) process lets it expire.
  Result<std::string> RunWithHeartbeat(const Entry& e) {
    const auto period = std::max<std::chrono::milliseconds>(e.spec.lease / 3, 100ms);
    std::jthread heartbeat([this, &e, period](std::stop_token stop) {
      std::mutex m;
      std::condition_variable_any cv;
      std::unique_lock lock(m);
      // wait_for returns early (false) when stop is requested; test the token, not its result.
      while (true) {
        cv.wait_for(lock, stop, period, [] { return false; });
        if (stop.stop_requested()) break;
        auto until = ToUnixMs(clock.Now() + e.spec.lease);
        if (auto r = store.Renew(e.spec.name, owner, until); !r) {
          spdlog::warn("job {}: lease renewal failed: {}", e.spec.name, r.error().message);
        }
      }
    });
    return RunBody(e.spec);  // ~jthread requests stop and joins.
  }

  // On the strand: waits until `at`, then hands the run to the pool.
  static void Arm(const std::shared_ptr<State>& s, Entry* e, Clock::TimePoint at) {
    std::lock_guard lock(s->mu);
    if (s->stopping) return;
    auto delay = std::max(at - s->clock.Now(), Clock::TimePoint::duration::zero());
    if (!e->timer) e->timer.emplace(s->strand);
    e->timer->expires_after(std::chrono::duration_cast<net::steady_timer::duration>(delay));
    std::weak_ptr<State> weak = s;
    e->timer->async_wait([weak, e](boost::system::error_code ec) {
      auto st = weak.lock();
      if (!st || ec) return;
      OnTimer(st, e);
    });
  }

  static void OnTimer(const std::shared_ptr<State>& s, Entry* e) {
    {
      std::lock_guard lock(s->mu);
      if (s->stopping) return;
      ++s->in_flight;
    }
    s->pool.Post([s, e] { RunTimed(s, e); });
  }

  // On a worker: runs the job, logs the outcome (the scheduler is where timed runs end), and
  // re-arms the timer for the next run after this one finished.
  static void RunTimed(const std::shared_ptr<State>& s, Entry* e) {
    auto run = s->Execute(*e);
    auto next = e->spec.schedule.NextAfter(s->clock.Now());
    if (run && run->ok) {
      // Jobs that run every few seconds (disk health, the mail outbox) would fill the log with
      // success lines: those are debug; failures are always logged.
      const Schedule& when = e->spec.schedule;
      const auto level =
          when.kind() == Schedule::Kind::kEvery && when.interval() < std::chrono::minutes(5)
              ? spdlog::level::debug
              : spdlog::level::info;
      spdlog::log(level, "job {}: ok in {} ms: {}", e->spec.name, run->duration.count(),
                  run->message);
    } else if (run) {
      spdlog::warn("job {}: failed in {} ms: {}", e->spec.name, run->duration.count(),
                   run->message);
    } else {
      spdlog::warn("job {}: not run: {}", e->spec.name, run.error().message);
    }
    if (auto r = s->store.SetNextRun(e->spec.name, ToUnixMs(next)); !r) {
      spdlog::warn("job {}: could not record the next run: {}", e->spec.name, r.error().message);
    }
    net::post(s->strand, [s, e, next] { Arm(s, e, next); });
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard lock(s->mu);
      if (--s->in_flight == 0 && s->stopping) callbacks.swap(s->on_idle);
    }
    s->idle_cv.notify_all();
    for (auto& cb : callbacks) net::post(s->io, std::move(cb));
  }
};

Scheduler::Scheduler(net::any_io_executor io, WorkerPool& pool, db::Database& db, Clock& clock)
    : state_(std::make_shared<State>(std::move(io), pool, db, clock)) {}

Scheduler::~Scheduler() {
  Stop();
  // Timers are destroyed here under the lock, so a concurrent Arm cannot touch them; their
  // pending waits complete as cancelled and find the state gone.
  std::lock_guard lock(state_->mu);
  for (auto& e : state_->jobs) e->timer.reset();
}

Result<void> Scheduler::Register(JobSpec spec) {
  std::lock_guard lock(state_->mu);
  if (state_->started) return Fail(Errc::kInvalidArgument, "register jobs before Start()");
  if (spec.name.empty()) return Fail(Errc::kInvalidArgument, "a job needs a name");
  if (!spec.run) return Fail(Errc::kInvalidArgument, "job '{}' has no body", spec.name);
  if (state_->Find(spec.name)) {
    return Fail(Errc::kInvalidArgument, "job '{}' is registered twice", spec.name);
  }
  state_->jobs.push_back(std::make_unique<Entry>(std::move(spec)));
  return {};
}

Result<void> Scheduler::Start() {
  {
    std::lock_guard lock(state_->mu);
    if (state_->started) return Fail(Errc::kInternal, "scheduler started twice");
    state_->started = true;
  }
  const auto now = state_->clock.Now();
  for (auto& e : state_->jobs) {
    auto prev = state_->store.Get(e->spec.name);
    if (!prev) return std::unexpected(std::move(prev.error()));
    Clock::TimePoint next = e->spec.schedule.NextAfter(now);
    if (*prev && (*prev)->schedule == e->schedule_text && (*prev)->next_run_at) {
      next = std::min(next, FromUnixMs(*(*prev)->next_run_at));  // Catch up a missed run.
    }
    if (auto r = state_->store.Upsert(e->spec.name, e->schedule_text); !r) {
      return std::unexpected(std::move(r.error()));
    }
    if (auto r = state_->store.SetNextRun(e->spec.name, ToUnixMs(next)); !r) return r;
    std::shared_ptr<State> s = state_;
    Entry* entry = e.get();
    net::post(s->strand, [s, entry, next] { State::Arm(s, entry, next); });
  }
  return {};
}

void Scheduler::Stop(std::function<void()> done) {
  std::shared_ptr<State> s = state_;
  bool idle = false;
  {
    std::lock_guard lock(s->mu);
    s->stopping = true;
    for (auto& e : s->jobs) {
      if (e->timer) e->timer->cancel();
    }
    if (done) s->on_idle.push_back(std::move(done));
    idle = s->in_flight == 0;
  }
  if (idle) {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard lock(s->mu);
      callbacks.swap(s->on_idle);
    }
    for (auto& cb : callbacks) net::post(s->io, std::move(cb));
  }
}

void Scheduler::Stop() {
  Stop(std::function<void()>());
  std::unique_lock lock(state_->mu);
  state_->idle_cv.wait(lock, [this] { return state_->in_flight == 0; });
}

Result<JobRun> Scheduler::RunNow(std::string_view name) {
  Entry* e = nullptr;
  {
    std::lock_guard lock(state_->mu);
    e = state_->Find(name);
  }
  if (e == nullptr) {
    auto known = names();
    return Fail(Errc::kNotFound, "no job named '{}'; known jobs: {}", name,
                known.empty() ? std::string("(none)") : fmt::format("{}", fmt::join(known, ", ")));
  }
  return state_->Execute(*e);
}

Result<std::vector<JobStatus>> Scheduler::List() {
  auto records = state_->store.List();
  if (!records) return std::unexpected(std::move(records.error()));
  const auto now = state_->clock.Now();
  std::lock_guard lock(state_->mu);  // Find() reads the job list; no database call below.
  std::vector<JobStatus> out;
  for (auto& r : *records) {
    JobStatus s{.name = std::move(r.name), .schedule = std::move(r.schedule)};
    const Entry* e = state_->Find(s.name);
    s.registered = e != nullptr;
    s.last_started_at = OptTime(r.last_started_at);
    s.last_finished_at = OptTime(r.last_finished_at);
    if (r.last_duration_ms) s.last_duration = std::chrono::milliseconds(*r.last_duration_ms);
    s.last_outcome = r.last_outcome.value_or("");
    s.last_message = r.last_message.value_or("");
    s.next_run_at = OptTime(r.next_run_at);
    // No scheduler has stored a next run yet (only `job run` so far): show when one would run it.
    if (!s.next_run_at && e) s.next_run_at = e->spec.schedule.NextAfter(now);
    s.run_count = r.run_count;
    s.failure_count = r.failure_count;
    out.push_back(std::move(s));
  }
  // Registered jobs that have no row yet (never started, never run) are listed too.
  for (const auto& e : state_->jobs) {
    auto has_row = [&](const JobStatus& s) { return s.name == e->spec.name; };
    if (std::find_if(out.begin(), out.end(), has_row) != out.end()) continue;
    out.push_back(JobStatus{.name = e->spec.name,
                            .schedule = e->schedule_text,
                            .registered = true,
                            .next_run_at = e->spec.schedule.NextAfter(now)});
  }
  std::sort(out.begin(), out.end(),
            [](const JobStatus& a, const JobStatus& b) { return a.name < b.name; });
  return out;
}

std::vector<std::string> Scheduler::names() const {
  std::lock_guard lock(state_->mu);
  std::vector<std::string> out;
  for (const auto& e : state_->jobs) out.push_back(e->spec.name);
  return out;
}

}  // namespace nimbus::jobs
