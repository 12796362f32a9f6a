// SPDX-License-Identifier: AGPL-3.0-or-later
#include "jobs/db_maintenance_job.h"

#include <fmt/core.h>

namespace nimbus::jobs {

Result<std::string> MaintainDatabase(db::Database& db) {
  if (db.Dialect() != "sqlite") {
    return fmt::format("nothing to do for {} yet", db.Dialect());
  }
  // optimize: refreshes the query planner's statistics where they are stale (cheap when not).
  auto optimized = db.ExecMaintenance("PRAGMA optimize");
  if (!optimized) return std::unexpected(std::move(optimized.error()));
  // TRUNCATE: copies the WAL into the database and empties the -wal file, which otherwise only
  // ever grows to its high-water mark. Outside a transaction, as SQLite requires.
  auto rows = db.ExecMaintenance("PRAGMA wal_checkpoint(TRUNCATE)");
  if (!rows) return std::unexpected(std::move(rows.error()));
  if (rows->empty() || rows->front().size() < 3) {
    return Fail(Errc::kInternal, "wal_checkpoint returned no status row");
  }
  const db::Row& r = rows->front();
  if (r.Int(0) != 0) {
    // Busy: a reader held an old snapshot. Not an error for the database, but the job did not do
    // its work, so report it as a failure the operator can see in the job list.
    return Fail(Errc::kUnavailable,
                "wal checkpoint incomplete (busy): {} of {} WAL frames copied; readers were active",
                r.Int(2), r.Int(1));
  }
  return fmt::format("optimize ok; wal checkpoint ok: {} frames copied, WAL truncated", r.Int(2));
}

JobSpec DbMaintenanceJob(db::Database& db, Schedule schedule) {
  return JobSpec{.name = std::string(kDbMaintenanceJobName), .schedule = schedule, .run = [&db] {
                   return MaintainDatabase(db);
                 }};
}

}  // namespace nimbus::jobs
