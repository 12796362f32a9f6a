// DiskTaskStore: the SQL of `disk_tasks` (migration 0004): long storage tasks (resilver, scrub,
// move) with their progress and a lease so two processes never run one task at once.
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

// One row of `disk_tasks`. Times are milliseconds since the Unix epoch (UTC).
struct DiskTaskRow {
  std::int64_t id = 0;
  std::string kind{};     // "resilver" | "scrub" | "move"
  std::string disk_id{};  // resilver: the disk being rebuilt; scrub: the pair's primary.
  std::optional<std::int64_t> owner_id{};  // move: the owner.
  std::string state{};                     // "queued" | "running" | "done" | "failed"
  std::int64_t total_blobs = 0;
  std::int64_t done_blobs = 0;
  std::int64_t total_bytes = 0;
  std::int64_t done_bytes = 0;
  std::string result{};       // JSON summary, "" until finished.
  std::string error{};        // What went wrong, for a person; "" unless failed.
  std::string lease_owner{};  // "" when nobody holds the lease.
  std::int64_t lease_until = 0;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::optional<std::int64_t> finished_at{};
};

// Progress counters of a task, as UpdateProgress writes them.
struct DiskTaskProgress {
  std::int64_t total_blobs = 0;
  std::int64_t done_blobs = 0;
  std::int64_t total_bytes = 0;
  std::int64_t done_bytes = 0;
};

// Bound to one open transaction; cheap to make (`DiskTaskStore(tx).Get(id)`). Not thread-safe,
// like the transaction. SQL errors are passed back as the driver reports them.
class DiskTaskStore {
 public:
  explicit DiskTaskStore(Transaction& tx) : tx_(tx) {}

  // Inserts a task in state "queued" with zero progress; returns its id. kInvalidArgument for an
  // unknown kind.
  Result<std::int64_t> Create(std::string_view kind, std::string_view disk_id,
                              std::optional<std::int64_t> owner_id, std::int64_t now_ms);
  // The task, or nullopt.
  Result<std::optional<DiskTaskRow>> Get(std::int64_t id);
  // The newest task of `kind` for the disk (highest id), or nullopt.
  Result<std::optional<DiskTaskRow>> LatestFor(std::string_view disk_id, std::string_view kind);
  // Tasks of `kind` not yet done or failed (queued or running), oldest first.
  Result<std::vector<DiskTaskRow>> ListUnfinished(std::string_view kind);
  // Takes the task's lease for `owner` until `until_ms` and sets it running. Succeeds when the
  // task is queued or running and nobody else holds an unexpired lease (`owner` may re-take its
  // own). One conditional UPDATE, so two processes cannot both win. kConflict naming the holder
  // otherwise; kNotFound if there is no such task; kConflict if it has finished.
  // `gone(holder)`, when given, says whether the holder of an unexpired lease is known to be gone
  // (a process of this host killed before it gave the lease back): its lease is taken over.
  Result<void> TryLease(std::int64_t id, std::string_view owner, std::int64_t now_ms,
                        std::int64_t until_ms,
                        const std::function<bool(std::string_view holder)>& gone = {});
  // Writes the progress counters and extends the lease to `until_ms`. kConflict if `owner` no
  // longer holds the lease (it expired and another process took the task): stop working then.
  Result<void> UpdateProgress(std::int64_t id, std::string_view owner,
                              const DiskTaskProgress& progress, std::int64_t now_ms,
                              std::int64_t until_ms);
  // Gives the lease up without finishing (the holder was asked to stop): the task stays running
  // and any process may take it at once. Nothing happens if `owner` does not hold it.
  Result<void> Release(std::int64_t id, std::string_view owner, std::int64_t now_ms);
  // Ends the task: state "done" or "failed", the JSON result, the error text, finished_at = now;
  // frees the lease. kConflict if `owner` does not hold the lease; kInvalidArgument for another
  // state.
  Result<void> Finish(std::int64_t id, std::string_view owner, std::string_view state,
                      std::string_view result_json, std::string_view error, std::int64_t now_ms);

 private:
  Transaction& tx_;
};

}  // namespace nimbus::db
