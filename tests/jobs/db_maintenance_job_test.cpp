// SPDX-License-Identifier: AGPL-3.0-or-later
#include "jobs/db_maintenance_job.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "db/migrations.h"
#include "db/sqlite/sqlite_database.h"
#include "support/temp_dir.h"
#include "fakes/fake_clock.h"

namespace nimbus::jobs {
namespace {

TEST(DbMaintenanceJob, CheckpointsAndTruncatesTheWal) {
  testing::TempDir dir;
  auto db = db::SqliteDatabase::Open(dir.File("nimbus.db"), {});
  ASSERT_TRUE(db);
  ASSERT_TRUE(db::Migrate(**db, db::BuiltinMigrations("sqlite")));
  ASSERT_TRUE((*db)->Write([](db::Transaction& tx) -> Result<void> {
    if (auto r = tx.Exec("CREATE TABLE filler (x BLOB)"); !r) return r;
    for (int i = 0; i < 200; ++i) {
      if (auto r = tx.Exec("INSERT INTO filler VALUES (zeroblob(4096))"); !r) return r;
    }
    return {};
  }));
  const auto wal = dir.File("nimbus.db-wal");
  ASSERT_GT(std::filesystem::file_size(wal), 100'000u);

  net::io_context ioc;
  WorkerPool pool(1);
  FakeClock clock;
  Scheduler scheduler(ioc.get_executor(), pool, **db, clock);
  ASSERT_TRUE(scheduler.Register(DbMaintenanceJob(**db)));
  auto run = scheduler.RunNow("db-maintenance");
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_TRUE(run->ok) << run->message;
  EXPECT_NE(run->message.find("WAL truncated"), std::string::npos) << run->message;
  // The job's own bookkeeping wrote a little to the WAL again; it is far below the 800 KB before.
  EXPECT_LT(std::filesystem::file_size(wal), 50'000u);
  auto list = scheduler.List();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].schedule, "daily 04:15");
  EXPECT_EQ((*list)[0].last_outcome, "ok");
}

TEST(DbMaintenanceJob, WorksOnAnInMemoryDatabase) {
  auto db = db::OpenDatabase("sqlite::memory:", {});
  ASSERT_TRUE(db);
  auto summary = MaintainDatabase(**db);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_NE(summary->find("optimize ok"), std::string::npos);
}

}  // namespace
}  // namespace nimbus::jobs
