// SPDX-License-Identifier: AGPL-3.0-or-later
#include "jobs/scheduler.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

#include "db/migrations.h"
#include "db/sqlite/sqlite_database.h"
#include "db/stores/job_store.h"
#include "support/temp_dir.h"
#include "fakes/fake_clock.h"

namespace nimbus::jobs {
namespace {

using namespace std::chrono_literals;

// Polls `pred` every few milliseconds for at most `limit`.
template <class P>
bool WaitFor(P pred, std::chrono::milliseconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

std::unique_ptr<db::SqliteDatabase> OpenMigrated(const std::string& path) {
  auto db = db::SqliteDatabase::Open(path, {});
  EXPECT_TRUE(db) << db.error().message;
  auto n = db::Migrate(**db, db::BuiltinMigrations("sqlite"));
  EXPECT_TRUE(n) << n.error().message;
  return std::move(*db);
}

// A job body that blocks until the test releases it (at most 10 s, so a broken guard fails the
// test instead of hanging it), and says when it has started.
struct Gate {
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> released{release.get_future().share()};
  std::atomic<int> runs{0};
  std::function<Result<std::string>()> Body() {
    return [this]() -> Result<std::string> {
      if (runs.fetch_add(1) == 0) started.set_value();
      if (released.wait_for(10s) != std::future_status::ready) {
        return Result<std::string>(Fail(Errc::kTimeout, "never released"));
      }
      return Result<std::string>("slow job done");
    };
  }
};

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = OpenMigrated(dir_.File("nimbus.db")); }
  void TearDown() override {
    scheduler_.reset();
    work_.reset();
    ioc_.stop();
    if (io_thread_.joinable()) io_thread_.join();
  }
  Scheduler& MakeScheduler(Clock& clock) {
    scheduler_ = std::make_unique<Scheduler>(ioc_.get_executor(), pool_, *db_, clock);
    return *scheduler_;
  }
  void RunIo() {
    io_thread_ = std::thread([this] {
      io_id_ = std::this_thread::get_id();
      ioc_.run();
    });
  }
  db::JobRecord Record(std::string_view name) {
    auto rec = db::JobStore(*db_).Get(name);
    EXPECT_TRUE(rec && *rec) << "no row for " << name;
    return rec && *rec ? **rec : db::JobRecord{};
  }

  testing::TempDir dir_;
  std::unique_ptr<db::SqliteDatabase> db_;
  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> work_{ioc_.get_executor()};
  std::thread io_thread_;
  std::atomic<std::thread::id> io_id_;
  WorkerPool pool_{2};
  FakeClock fake_clock_;
  SystemClock system_clock_;
  std::unique_ptr<Scheduler> scheduler_;
};

TEST_F(SchedulerTest, RunNowRecordsASuccessfulRunInTheJobsTable) {
  auto& s = MakeScheduler(fake_clock_);
  ASSERT_TRUE(s.Register({.name = "greet", .schedule = Schedule::Every(1h), .run = [] {
                            return Result<std::string>("said hello to 3");
                          }}));
  auto run = s.RunNow("greet");
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_TRUE(run->ok);
  EXPECT_EQ(run->message, "said hello to 3");
  EXPECT_EQ(run->started_at, fake_clock_.Now());

  auto rec = Record("greet");
  EXPECT_EQ(rec.schedule, "every 1h");
  EXPECT_EQ(rec.last_outcome, "ok");
  EXPECT_EQ(rec.last_message, "said hello to 3");
  EXPECT_EQ(rec.last_started_at, ToUnixMs(fake_clock_.Now()));
  EXPECT_EQ(rec.last_finished_at, ToUnixMs(fake_clock_.Now()));
  EXPECT_TRUE(rec.last_duration_ms.has_value());
  EXPECT_EQ(rec.run_count, 1);
  EXPECT_EQ(rec.failure_count, 0);
  EXPECT_EQ(rec.lease_owner, std::nullopt);  // Released.
  EXPECT_EQ(rec.lease_until, std::nullopt);

  auto list = s.List();
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "greet");
  EXPECT_TRUE((*list)[0].registered);
  EXPECT_EQ((*list)[0].last_outcome, "ok");
  EXPECT_EQ((*list)[0].last_started_at, fake_clock_.Now());
  EXPECT_EQ((*list)[0].run_count, 1);
}

TEST_F(SchedulerTest, FailuresAndExceptionsAreRecordedAndCounted) {
  auto& s = MakeScheduler(fake_clock_);
  int calls = 0;
  ASSERT_TRUE(s.Register({.name = "flaky", .schedule = Schedule::Every(1h), .run = [&] {
                            ++calls;
                            if (calls == 1)
                              return Result<std::string>(Fail(Errc::kIoError, "disk a1 gone"));
                            if (calls == 2) throw std::runtime_error("bug in job");
                            return Result<std::string>("fine again");
                          }}));
  auto first = s.RunNow("flaky");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE(first->ok);
  EXPECT_EQ(first->message, "io_error: disk a1 gone");
  EXPECT_EQ(Record("flaky").last_outcome, "failed");
  EXPECT_EQ(Record("flaky").last_message, "io_error: disk a1 gone");

  auto second = s.RunNow("flaky");
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->ok);
  EXPECT_NE(second->message.find("bug in job"), std::string::npos);

  ASSERT_TRUE(s.RunNow("flaky").value().ok);
  auto rec = Record("flaky");
  EXPECT_EQ(rec.run_count, 3);
  EXPECT_EQ(rec.failure_count, 2);
  EXPECT_EQ(rec.last_outcome, "ok");
}

TEST_F(SchedulerTest, UnknownJobIsNotFoundAndListsTheKnownJobs) {
  auto& s = MakeScheduler(fake_clock_);
  auto ok = [] { return Result<std::string>("x"); };
  ASSERT_TRUE(s.Register({.name = "alpha", .run = ok}));
  ASSERT_TRUE(s.Register({.name = "beta", .run = ok}));
  auto r = s.RunNow("gamma");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kNotFound);
  EXPECT_NE(r.error().message.find("known jobs: alpha, beta"), std::string::npos)
      << r.error().message;
}

TEST_F(SchedulerTest, RegisterRejectsBadSpecs) {
  auto& s = MakeScheduler(fake_clock_);
  auto ok = [] { return Result<std::string>("x"); };
  EXPECT_FALSE(s.Register({.name = "", .run = ok}));
  EXPECT_FALSE(s.Register({.name = "no-body"}));
  ASSERT_TRUE(s.Register({.name = "a", .run = ok}));
  EXPECT_FALSE(s.Register({.name = "a", .run = ok}));
  ASSERT_TRUE(s.Start());
  EXPECT_FALSE(s.Register({.name = "late", .run = ok}));
  EXPECT_FALSE(s.Start());
}

TEST_F(SchedulerTest, IntervalJobRunsRepeatedlyOnAWorkerUntilStopped) {
  auto& s = MakeScheduler(system_clock_);
  std::atomic<int> runs{0};
  std::atomic<bool> on_io_thread{false};
  ASSERT_TRUE(s.Register({.name = "tick", .schedule = Schedule::Every(1s), .run = [&] {
                            if (std::this_thread::get_id() == io_id_.load()) on_io_thread = true;
                            return Result<std::string>(fmt::format("tick {}", ++runs));
                          }}));
  auto before = system_clock_.Now();
  ASSERT_TRUE(s.Start());
  auto next = Record("tick").next_run_at;
  ASSERT_TRUE(next);
  EXPECT_NEAR(static_cast<double>(*next - ToUnixMs(before)), 1000.0, 500.0);
  RunIo();
  ASSERT_TRUE(WaitFor([&] { return runs >= 2; }));
  EXPECT_FALSE(on_io_thread);
  ASSERT_TRUE(WaitFor([&] { return Record("tick").run_count >= 2; }));
  s.Stop();
  const int stopped_at = runs;
  auto rec = Record("tick");
  EXPECT_EQ(rec.last_outcome, "ok");
  EXPECT_GE(rec.next_run_at.value_or(0), rec.last_finished_at.value_or(1));
  std::this_thread::sleep_for(1500ms);  // Longer than the interval: no run after Stop().
  EXPECT_EQ(runs, stopped_at);
}

TEST_F(SchedulerTest, DailyJobIsScheduledForTheNextTimeInUtc) {
  fake_clock_.Set(std::chrono::sys_days(std::chrono::year(2026) / 11 / 25) + 15h);
  auto& s = MakeScheduler(fake_clock_);
  ASSERT_TRUE(s.Register({.name = "purge", .schedule = Schedule::DailyAt(3, 30), .run = [] {
                            return Result<std::string>("x");
                          }}));
  ASSERT_TRUE(s.Start());
  auto list = s.List();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].schedule, "daily 03:30");
  EXPECT_EQ((*list)[0].next_run_at,
            std::chrono::sys_days(std::chrono::year(2026) / 11 / 26) + 3h + 30min);
  EXPECT_EQ((*list)[0].last_outcome, "");
  EXPECT_EQ((*list)[0].run_count, 0);
}

TEST_F(SchedulerTest, ListShowsRegisteredJobsAndTheirNextRunBeforeAnyRunOrStart) {
  // As `nimbus admin job list` sees it: jobs registered, scheduler never started.
  fake_clock_.Set(std::chrono::sys_days(std::chrono::year(2026) / 11 / 25) + 15h);
  auto& s = MakeScheduler(fake_clock_);
  ASSERT_TRUE(s.Register({.name = "purge", .schedule = Schedule::DailyAt(3, 30), .run = [] {
                            return Result<std::string>("purged");
                          }}));
  ASSERT_TRUE(s.Register({.name = "beat", .schedule = Schedule::Every(10s), .run = [] {
                            return Result<std::string>("x");
                          }}));
  const auto tomorrow = std::chrono::sys_days(std::chrono::year(2026) / 11 / 26) + 3h + 30min;
  auto list = s.List();
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "beat");  // Sorted by name.
  EXPECT_EQ((*list)[0].next_run_at, fake_clock_.Now() + 10s);
  EXPECT_EQ((*list)[1].name, "purge");
  EXPECT_EQ((*list)[1].schedule, "daily 03:30");
  EXPECT_TRUE((*list)[1].registered);
  EXPECT_EQ((*list)[1].last_outcome, "");
  EXPECT_EQ((*list)[1].last_started_at, std::nullopt);
  EXPECT_EQ((*list)[1].next_run_at, tomorrow);

  ASSERT_TRUE(s.RunNow("purge"));  // A row now exists, still without a stored next run.
  list = s.List();
  ASSERT_TRUE(list);
  EXPECT_EQ((*list)[1].last_outcome, "ok");
  EXPECT_EQ((*list)[1].next_run_at, tomorrow);
}

TEST_F(SchedulerTest, ARunMissedWhileDownRunsAtStart) {
  ASSERT_TRUE(db::JobStore(*db_).Upsert("purge", "daily 03:30"));
  ASSERT_TRUE(db::JobStore(*db_).SetNextRun("purge", ToUnixMs(fake_clock_.Now() - 1h)));
  auto& s = MakeScheduler(fake_clock_);
  std::atomic<int> runs{0};
  ASSERT_TRUE(s.Register({.name = "purge", .schedule = Schedule::DailyAt(3, 30), .run = [&] {
                            ++runs;
                            return Result<std::string>("purged");
                          }}));
  ASSERT_TRUE(s.Start());
  RunIo();
  ASSERT_TRUE(WaitFor([&] { return Record("purge").run_count == 1; }));
  EXPECT_EQ(runs, 1);
  // The next run is the next 03:30 after now, not the missed time again.
  ASSERT_TRUE(WaitFor([&] {
    return Record("purge").next_run_at ==
           ToUnixMs(Schedule::DailyAt(3, 30).NextAfter(fake_clock_.Now()));
  }));
}

TEST_F(SchedulerTest, RunNowWhileTheTimedRunIsRunningSaysAlreadyRunning) {
  auto& s = MakeScheduler(system_clock_);
  Gate gate;
  ASSERT_TRUE(s.Register({.name = "slow", .schedule = Schedule::Every(1s), .run = gate.Body()}));
  ASSERT_TRUE(s.Start());
  RunIo();
  ASSERT_EQ(gate.started.get_future().wait_for(10s), std::future_status::ready);
  auto r = s.RunNow("slow");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kConflict);
  EXPECT_NE(r.error().message.find("already running"), std::string::npos) << r.error().message;
  EXPECT_EQ(Record("slow").last_outcome, "running");
  gate.release.set_value();
  ASSERT_TRUE(WaitFor([&] { return Record("slow").last_outcome == "ok"; }));
  EXPECT_EQ(gate.runs, 1);
  s.Stop();
}

TEST_F(SchedulerTest, TheLeaseStopsASecondSchedulerOnTheSameDatabase) {
  // Two schedulers with their own connections: the server and `nimbus job run` in another process.
  auto other_db = OpenMigrated(dir_.File("nimbus.db"));
  Scheduler server(ioc_.get_executor(), pool_, *db_, fake_clock_);
  Scheduler cli(ioc_.get_executor(), pool_, *other_db, fake_clock_);
  Gate gate;
  ASSERT_TRUE(
      server.Register({.name = "scrub", .schedule = Schedule::Every(1h), .run = gate.Body()}));
  ASSERT_TRUE(cli.Register({.name = "scrub", .schedule = Schedule::Every(1h), .run = [] {
                              return Result<std::string>("cli run");
                            }}));
  auto running = std::async(std::launch::async, [&] { return server.RunNow("scrub"); });
  ASSERT_EQ(gate.started.get_future().wait_for(10s), std::future_status::ready);

  auto blocked = cli.RunNow("scrub");
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, Errc::kConflict);
  EXPECT_NE(blocked.error().message.find("job 'scrub' is already running"), std::string::npos)
      << blocked.error().message;
  // When it started and when its lease ends, in UTC (the fake clock starts at
  // 2023-11-14T22:13:20Z).
  EXPECT_NE(blocked.error().message.find("started 2023-11-14T22:13:20Z"), std::string::npos)
      << blocked.error().message;
  EXPECT_NE(blocked.error().message.find("lease ends 2023-11-14T23:13:20Z"), std::string::npos)
      << blocked.error().message;

  gate.release.set_value();
  ASSERT_TRUE(running.get().value().ok);
  auto after = cli.RunNow("scrub");
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->message, "cli run");
  EXPECT_EQ(Record("scrub").run_count, 2);
}

TEST_F(SchedulerTest, ALongRunRenewsItsLeaseSoItNeverExpiresUnderIt) {
  auto other_db = OpenMigrated(dir_.File("nimbus.db"));
  Scheduler server(ioc_.get_executor(), pool_, *db_, system_clock_);
  Scheduler cli(ioc_.get_executor(), pool_, *other_db, system_clock_);
  Gate gate;
  ASSERT_TRUE(server.Register({.name = "scrub", .run = gate.Body(), .lease = 1s}));
  ASSERT_TRUE(cli.Register({.name = "scrub", .run = [] { return Result<std::string>("x"); }}));
  const auto start = system_clock_.Now();
  auto running = std::async(std::launch::async, [&] { return server.RunNow("scrub"); });
  ASSERT_EQ(gate.started.get_future().wait_for(10s), std::future_status::ready);
  std::this_thread::sleep_for(1500ms);  // Past the first lease's end.
  auto blocked = cli.RunNow("scrub");
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, Errc::kConflict);
  EXPECT_GT(Record("scrub").lease_until.value_or(0), ToUnixMs(start + 1500ms));
  gate.release.set_value();
  auto done = running.get();
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_TRUE(done->ok);
  EXPECT_EQ(Record("scrub").lease_until, std::nullopt);
}

TEST_F(SchedulerTest, AnExpiredLeaseCanBeTakenOverAndTheLateRunIsNotRecorded) {
  auto other_db = OpenMigrated(dir_.File("nimbus.db"));
  Scheduler crashed(ioc_.get_executor(), pool_, *db_, fake_clock_);
  Scheduler fresh(ioc_.get_executor(), pool_, *other_db, fake_clock_);
  Gate gate;
  ASSERT_TRUE(crashed.Register({.name = "bill", .run = gate.Body(), .lease = 60s}));
  ASSERT_TRUE(
      fresh.Register({.name = "bill", .run = [] { return Result<std::string>("billed"); }}));
  auto stuck = std::async(std::launch::async, [&] { return crashed.RunNow("bill"); });
  ASSERT_EQ(gate.started.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(fresh.RunNow("bill"));
  fake_clock_.Advance(61s);  // The lease has expired (a hung or crashed process).
  auto taken = fresh.RunNow("bill");
  ASSERT_TRUE(taken) << taken.error().message;
  EXPECT_TRUE(taken->ok);
  gate.release.set_value();
  auto late = stuck.get();
  ASSERT_FALSE(late);
  EXPECT_NE(late.error().message.find("expired"), std::string::npos) << late.error().message;
  EXPECT_EQ(Record("bill").last_message, "billed");
  EXPECT_EQ(Record("bill").run_count, 1);
}

// `nimbus job run X` killed with -9 keeps its lease for an hour; a run on the same host whose
// process is gone takes it over at once. A lease of a live process still blocks.
TEST_F(SchedulerTest, ALeaseOfAProcessOfThisHostThatIsGoneIsTakenOver) {
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);  // `child` is now a pid nobody has.
  db::JobStore store(*db_);
  const std::int64_t now = ToUnixMs(fake_clock_.Now());
  ASSERT_TRUE(store.Acquire("purge", "", fmt::format("{}:{}:1", host, child), now,
                            now + 3'600'000));
  Scheduler fresh(ioc_.get_executor(), pool_, *db_, fake_clock_);
  ASSERT_TRUE(fresh.Register({.name = "purge", .run = [] { return Result<std::string>("ok"); }}));
  auto taken = fresh.RunNow("purge");
  ASSERT_TRUE(taken) << taken.error().message;
  EXPECT_EQ(Record("purge").run_count, 1);

  // A live process of this host (our parent), and a process of another host: they keep it.
  for (const std::string& holder : {fmt::format("{}:{}:9", host, ::getppid()),
                                   std::string("elsewhere.example:1:1")}) {
    ASSERT_TRUE(store.Acquire("scrub", "", holder, now, now + 3'600'000));
    Scheduler other(ioc_.get_executor(), pool_, *db_, fake_clock_);
    ASSERT_TRUE(other.Register({.name = "scrub", .run = [] { return Result<std::string>("x"); }}));
    auto blocked = other.RunNow("scrub");
    ASSERT_FALSE(blocked) << holder;
    EXPECT_EQ(blocked.error().code, Errc::kConflict);
    ASSERT_TRUE(db_->Write([](db::Transaction& tx) {
      return tx.Exec("UPDATE jobs SET lease_owner = NULL, lease_until = NULL");
    }));
  }
}

TEST_F(SchedulerTest, StopWithACallbackReportsOnTheIoContext) {
  auto& s = MakeScheduler(fake_clock_);
  ASSERT_TRUE(s.Register({.name = "a", .run = [] { return Result<std::string>("x"); }}));
  ASSERT_TRUE(s.Start());
  std::promise<std::thread::id> stopped;
  s.Stop([&] { stopped.set_value(std::this_thread::get_id()); });
  RunIo();
  auto f = stopped.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(f.get(), io_id_.load());
}

}  // namespace
}  // namespace nimbus::jobs
