// The scrub job: daily at disks.toml's scrub_at, scrubs every mirrored pair one after another
// (storage/engine/scrub.h: verify both copies of every blob, repair, orphans, counters).
// Registered by the runtime, so `nimbus job run scrub` runs it too. SPDX-License-Identifier:
// AGPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>

#include "db/database.h"
#include "jobs/scheduler.h"
#include "storage/alerts.h"
#include "storage/engine/storage_engine.h"
#include "util/clock.h"
#include "util/metrics.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::jobs {

inline constexpr std::string_view kScrubJobName = "scrub";

// What the job needs; every reference must outlive the job spec.
struct ScrubJobDeps {
  storage::StorageEngine& engine;
  db::Database& db;
  WorkerPool& workers;
  const Clock& clock;
  util::Metrics& metrics;
};

// Scrubs every pair in primary-id order, blocking (a worker or the `job run` thread, never an io
// thread). A pair that is being scrubbed by another process is skipped and named. Returns a
// one-line summary ("5 pairs: 120 blobs checked, 118 ok, 2 repaired, 0 lost; 0 orphans").
// kChecksumMismatch when a blob is lost or was not repaired, kIoError when a side could not be
// read or a pair could not be opened (both naming the pairs), so the job list shows it failed;
// database errors as they come.
Result<std::string> ScrubAllPairs(const ScrubJobDeps& deps);

// The job spec ("scrub", daily at `daily_at` "HH:MM" UTC). kInvalidArgument for a bad time.
Result<JobSpec> ScrubJob(ScrubJobDeps deps, std::string_view daily_at);

}  // namespace nimbus::jobs
