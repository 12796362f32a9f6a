// Scheduler: runs registered jobs on their Schedule (Asio timers on the io executor, bodies on
// the WorkerPool), records every run in the `jobs` table, and never runs one job twice at once
// (an in-process guard plus a lease row in the database shared with `nimbus job run`).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "jobs/schedule.h"
#include "util/clock.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::jobs {

namespace net = boost::asio;

struct JobSpec {
  std::string name{};   // Unique, shown in the CLI and admin API ("db-maintenance").
  Schedule schedule{};  // When the scheduler runs it.
  // The job body: a one-line summary on success, an Error on failure. Runs on a worker thread
  // (or the RunNow caller's thread); it may block. An exception counts as a failure.
  std::function<Result<std::string>()> run{};
  // The database lease of a run. It is renewed every third of this while the body runs, so it
  // only expires (letting another process start the job) when the running process died.
  std::chrono::seconds lease{std::chrono::hours(1)};
};

// The outcome of one run.
struct JobRun {
  std::string name{};
  bool ok = false;
  std::string message{};  // The job's summary, or "<errc>: <message>" when it failed.
  Clock::TimePoint started_at{};
  Clock::TimePoint finished_at{};
  std::chrono::milliseconds duration{0};  // Measured on the steady clock.
};

// One job as recorded in the database, for the admin API and the CLI.
struct JobStatus {
  std::string name{};
  std::string schedule{};
  bool registered = false;  // False for a row left by a job this binary no longer has.
  std::optional<Clock::TimePoint> last_started_at{};
  std::optional<Clock::TimePoint> last_finished_at{};
  std::optional<std::chrono::milliseconds> last_duration{};
  std::string last_outcome{};  // "ok" | "failed" | "running" | "" (never ran).
  std::string last_message{};
  std::optional<Clock::TimePoint> next_run_at{};
  std::int64_t run_count = 0;
  std::int64_t failure_count = 0;
};

class Scheduler {
 public:
  // `io` runs the timers; job bodies and database calls run on `pool`. All four must outlive
  // the Scheduler (declare the io_context first), and the jobs table must exist (Migrate).
  Scheduler(net::any_io_executor io, WorkerPool& pool, db::Database& db, Clock& clock);
  ~Scheduler();  // Stop().
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Adds a job. kInvalidArgument for an empty name, a missing body, a duplicate name, or after
  // Start(). Not thread-safe with the other methods: register everything first.
  Result<void> Register(JobSpec spec);

  // Writes each job's row (schedule, next run) and arms its timer. Timers wait on the steady
  // clock for the time left until the next run, so a wall-clock jump shifts that one run. A job
  // whose stored next run is already past (missed while the server was down) runs at once; a job
  // whose schedule text changed is rescheduled from now. Blocks on the database; call it before the
  // io_context runs or from a worker. kInternal if called twice; database errors as they come.
  Result<void> Start();

  // Cancels the timers, starts no new timed runs, and waits for running timed job bodies to
  // finish (RunNow calls in progress on other threads are theirs to wait for). Idempotent.
  // Blocks: do not call it on the io thread while a long job runs; use the callback form there.
  void Stop();
  // Same without blocking: `done` is posted to the io executor once no job body is running.
  void Stop(std::function<void()> done);

  // Runs job `name` now on the calling thread (blocking) and records it. Returns the run, whose
  // `ok` says whether the job succeeded. kNotFound (listing the known jobs) for an unknown name;
  // kConflict "already running" if this process or another (lease) is running it; database
  // errors as they come.
  Result<JobRun> RunNow(std::string_view name);

  // Every job, by name: the rows in the database plus registered jobs without a row yet. A job
  // whose next run no scheduler has stored yet shows the next time its schedule gives. Blocking.
  Result<std::vector<JobStatus>> List();

  // Registered job names, in registration order.
  std::vector<std::string> names() const;

  struct State;  // Shared with timer and worker callbacks, so they may outlive a Stop().

 private:
  std::shared_ptr<State> state_;
};

}  // namespace nimbus::jobs
