// The db-maintenance job: keeps the SQLite database lean (PRAGMA optimize, then a WAL checkpoint
// that truncates the -wal file). Registered by the server; `nimbus job run db-maintenance` too.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>

#include "db/database.h"
#include "jobs/scheduler.h"
#include "util/result.h"

namespace nimbus::jobs {

inline constexpr std::string_view kDbMaintenanceJobName = "db-maintenance";

// Runs the maintenance now and returns a one-line summary ("optimize ok; wal checkpoint: …").
// kIoError/kUnavailable from the database; a dialect without maintenance yet says so and succeeds.
// Blocking; it takes the writer for the duration of each statement.
Result<std::string> MaintainDatabase(db::Database& db);

// The job spec (name "db-maintenance", daily at 04:15 UTC unless given). `db` must outlive it.
JobSpec DbMaintenanceJob(db::Database& db, Schedule schedule = Schedule::DailyAt(4, 15));

}  // namespace nimbus::jobs
