// JobStore: the SQL of the `jobs` table (one row per scheduled job: last run, next run,
// counters, and the run lease that keeps two processes from running one job at once).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "util/result.h"

namespace nimbus::db {

// One row of `jobs`. Times are milliseconds since the Unix epoch (UTC).
struct JobRecord {
  std::string name{};
  std::string schedule{};
  std::optional<std::int64_t> last_started_at{};
  std::optional<std::int64_t> last_finished_at{};
  std::optional<std::int64_t> last_duration_ms{};
  std::optional<std::string> last_outcome{};  // "ok" | "failed" | "running"
  std::optional<std::string> last_message{};
  std::optional<std::int64_t> next_run_at{};
  std::int64_t run_count = 0;
  std::int64_t failure_count = 0;
  std::optional<std::string> lease_owner{};
  std::optional<std::int64_t> lease_until{};
};

// All methods block (one transaction each) and are thread-safe, like Database.
class JobStore {
 public:
  explicit JobStore(Database& db) : db_(db) {}

  // Creates the row for `name` or updates its schedule text; returns the row as stored.
  Result<JobRecord> Upsert(std::string_view name, std::string_view schedule);
  // Takes the run lease: succeeds only if no unexpired lease is held (conditional UPDATE), then
  // marks the row running since `now_ms`. kConflict "job 'x' is already running …" otherwise.
  // `gone(holder)` says whether the process holding an unexpired lease is known to be gone (a
  // killed run on this host): its lease is taken over then.
  Result<void> Acquire(std::string_view name, std::string_view schedule, std::string_view owner,
                       std::int64_t now_ms, std::int64_t lease_until_ms,
                       const std::function<bool(std::string_view holder)>& gone = {});
  // Extends the lease `owner` holds to `lease_until_ms` (a heartbeat while the job runs).
  // kConflict if `owner` no longer holds it.
  Result<void> Renew(std::string_view name, std::string_view owner, std::int64_t lease_until_ms);
  // Records the end of the run that `owner` leased and frees the lease. `next_run_at` replaces
  // the stored next run when set. kConflict if `owner` no longer holds the lease (it expired and
  // someone else took it): the outcome is then not recorded.
  Result<void> Finish(std::string_view name, std::string_view owner, std::int64_t finished_ms,
                      std::int64_t duration_ms, bool ok, std::string_view message,
                      std::optional<std::int64_t> next_run_at);
  Result<void> SetNextRun(std::string_view name, std::int64_t next_run_at);
  // The row for `name`, or nullopt.
  Result<std::optional<JobRecord>> Get(std::string_view name);
  // Every row, ordered by name.
  Result<std::vector<JobRecord>> List();

 private:
  Database& db_;
};

}  // namespace nimbus::db
