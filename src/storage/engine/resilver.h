// Resilver: rebuilds the disk that replaced a failed one by copying every blob of the surviving
// side onto it (verified), with progress and a lease in a `disk_tasks` row (kind "resilver").
// StorageEngine::Resilver wraps it (finds the volumes, marks the disk healthy at the end).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "db/database.h"
#include "storage/volume.h"
#include "util/clock.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::storage {

struct ResilverProgress {
  std::int64_t task_id = 0;
  std::string disk_id;    // The disk being rebuilt.
  std::string source_id;  // The surviving side the blobs come from.
  std::uint64_t total_blobs = 0;
  std::uint64_t done_blobs = 0;
  std::uint64_t total_bytes = 0;
  std::uint64_t done_bytes = 0;
  std::uint64_t copied = 0;   // Copied and verified now.
  std::uint64_t present = 0;  // Already on the new disk (an earlier run, or a new write).
  std::uint64_t gone = 0;     // Deleted from the source while the resilver ran.
  std::uint64_t failed = 0;   // Could not be copied (see errors); the resilver stays unfinished.
  // The source's copy is damaged (it fails its checksums) and it is the only one: nothing can
  // rebuild it, so it is skipped and named in ResilverReport::lost_blobs.
  std::uint64_t lost = 0;
  double ratio() const {
    return total_bytes > 0
               ? static_cast<double>(done_bytes) / static_cast<double>(total_bytes)
               : (total_blobs > 0
                      ? static_cast<double>(done_blobs) / static_cast<double>(total_blobs)
                      : 1.0);
  }
};

// Called on the resilver's executor after each progress step; must not block.
using ResilverProgressFn = std::function<void(const ResilverProgress&)>;

struct ResilverOptions {
  std::string owner;  // Lease owner, e.g. "cli pid 123 on host"; "" makes one up.
  // How long the lease lasts without a renewal; renewed with every progress write, so another
  // process resumes the task this long after this one died (kill -9).
  std::chrono::milliseconds lease{20000};
  std::chrono::milliseconds progress_every{1000};  // Progress row / callback interval.
  ResilverProgressFn on_progress = nullptr;
  const std::atomic<bool>* stop = nullptr;  // Set: stop between two blobs (lease kept).
  // Run by another process than the server (the CLI): a running server writes to the side being
  // replaced until its next health round notices the replacement, and those blobs would miss
  // the new disk (QA pass 19: "healthy", yet blobs with one copy). Once a walk finds nothing
  // new, the resilver waits this long (the server's health interval and a margin), then walks
  // the source once more. Zero inside the server, which switches before it copies.
  std::chrono::milliseconds settle{0};
};

struct ResilverReport {
  ResilverProgress progress;
  bool complete = false;            // Every blob is on the new disk; the task row is "done".
  bool stopped = false;             // Stopped on request before the end; the task stays running.
  std::vector<std::string> errors;  // The first few copy errors.
  std::vector<std::string> lost_blobs;  // Ids of the lost blobs (progress.lost), up to 1000.
};

// A lease owner name for this process: "<what> pid <pid> on <host>".
std::string ResilverOwnerName(std::string_view what);
// True when `owner` (a ResilverOwnerName) is a process of this host that no longer exists (killed
// before it gave its lease back): its lease may be taken over before it expires.
bool ResilverOwnerIsGone(std::string_view owner);

// Copies every blob that `source` holds and `target` lacks onto `target` for disk task
// `task_id`, whose lease `options.owner` must already hold (DiskTaskStore::TryLease). Each copy
// is verified: against the blob catalog's SHA-256 when the blob is recorded there, and by reading
// the new copy back. A blob already on `target` with the same size counts as present. After the
// first walk the source is walked again (at most 3 passes) so blobs written meanwhile by a
// process that still wrote to the old side are caught. Progress is written to the task row (which
// renews the lease) every options.progress_every. At the end the row is finished: "done" when
// no copy failed, else "failed" with the first error (the disk stays resilvering; run it again).
// kConflict when the lease is lost (another process took the task over: stop); kIoError when the
// source cannot be listed (the row is finished "failed"); database errors as they come. DB calls
// run on `workers` (never on the calling io thread).
net::awaitable<Result<ResilverReport>> RunResilver(db::Database& db, WorkerPool& workers,
                                                   const Clock& clock, std::int64_t task_id,
                                                   Volume& source, Volume& target,
                                                   const ResilverOptions& options);

}  // namespace nimbus::storage
