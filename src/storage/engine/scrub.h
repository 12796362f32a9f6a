// Scrub: reads every blob of the catalog on both copies of one mirrored pair, verifies block
// checksums, size and SHA-256 against the catalog, repairs a bad or missing copy from the good
// one, lists the disks for blobs the catalog does not know (orphans), checks the used-bytes
// counters, and records progress and the report in a `disk_tasks` row (kind 'scrub').
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "storage/alerts.h"
#include "storage/engine/storage_engine.h"
#include "storage/mirror/mirrored_volume.h"
#include "util/clock.h"
#include "util/metrics.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::storage {

// What the scrub found on one side (disk) of the pair.
struct ScrubSideReport {
  std::string disk_id;
  bool skipped = false;     // Not read (failed, resilvering, or it stopped answering).
  std::string skip_reason;  // Why, for a person; "" when read.
  std::uint64_t bytes_read = 0;
  std::int64_t missing = 0;        // Catalog blobs absent on this side.
  std::int64_t corrupt = 0;        // Unreadable, block checksum, size or SHA-256 mismatch.
  std::int64_t repaired = 0;       // Copies rewritten here from the other side and verified.
  std::int64_t repair_failed = 0;  // Bad or missing here and not repaired.
  std::int64_t orphans = 0;        // Blobs here that no catalog row names.
  std::uint64_t orphan_bytes = 0;
  std::int64_t orphans_deleted = 0;     // With delete_orphans: the ones old enough, removed.
  std::int64_t orphans_kept_young = 0;  // With delete_orphans: kept, younger than orphan_min_age.
  std::int64_t strays = 0;  // Blobs here that the catalog puts on another pair (a move's copies).
  // With delete_orphans: strays deleted (old enough, their owner not being moved).
  std::int64_t strays_deleted = 0;
  bool listed = false;  // The orphan listing of this side completed.
};

// The used-bytes check: the catalog's total for the pair against each disk's counter.
struct ScrubCounters {
  bool checked = false;
  std::int64_t catalog_blobs = 0;
  std::int64_t catalog_bytes = 0;
  std::int64_t primary_used = 0;
  std::int64_t mirror_used = 0;
  bool mismatch = false;
};

struct ScrubReport {
  std::string pair;  // The primary's id: the pair's name.
  std::int64_t task_id = 0;
  std::int64_t started_at = 0;  // Milliseconds since the Unix epoch.
  std::int64_t finished_at = 0;
  std::chrono::milliseconds duration{0};
  std::int64_t blobs_checked = 0;
  std::uint64_t bytes_read = 0;  // On both sides together.
  std::int64_t ok = 0;           // Both copies good.
  std::int64_t repaired = 0;     // Blobs with at least one copy repaired, none left bad.
  std::int64_t unrepaired = 0;   // A copy is bad or missing and was not repaired.
  std::int64_t lost = 0;         // No good copy on either side.
  std::int64_t vanished = 0;     // Deleted or moved away while the scrub ran (not a finding).
  std::vector<std::string> lost_blobs;  // The first 100 lost blob ids.
  ScrubSideReport primary, mirror;
  ScrubCounters counters;
  std::vector<std::string> problems;  // The first 100 findings, one sentence each.
  const ScrubSideReport& side(Side s) const { return s == Side::kPrimary ? primary : mirror; }
  ScrubSideReport& side(Side s) { return s == Side::kPrimary ? primary : mirror; }
  // True when nothing at all was found (no repair, orphan, mismatch or skipped side).
  bool clean() const;
  // True when something needs an operator: a blob lost or not repaired, or a side not read
  // (the CLI exits 1 then). Orphans and a counter mismatch are findings, not failures.
  bool needs_attention() const;
};

// Progress of a running scrub, for a CLI to print.
struct ScrubProgress {
  std::string pair;
  std::string phase;  // "blobs" (catalog walk), "orphans" (listing `disk`) or "done".
  std::string disk;   // The disk being listed in phase "orphans".
  std::int64_t done_blobs = 0;
  std::int64_t total_blobs = 0;
  std::uint64_t done_bytes = 0;  // Catalog bytes of the blobs checked so far.
  std::uint64_t total_bytes = 0;
};

// The age of a blob on a volume (now minus its last write), nullopt when the volume cannot say.
using BlobAgeFn =
    std::function<std::optional<std::chrono::seconds>(Volume& volume, const BlobId& id)>;

struct ScrubOptions {
  // Remove orphans older than orphan_min_age (a blob is written before its catalog row, so a
  // younger one may be an upload in progress). Orphans of unknown age are never removed.
  bool delete_orphans = false;
  std::chrono::seconds orphan_min_age{3600};
  std::int64_t page_size = 256;  // Catalog rows read per query.
  // Holder of the disk_tasks lease; "": "scrub:<host>:<pid>".
  std::string lease_owner;
  std::chrono::milliseconds lease{std::chrono::minutes(5)};  // Renewed with every progress write.
  std::chrono::milliseconds progress_interval{1000};         // Progress row and callback.
  std::function<void(const ScrubProgress&)> on_progress;     // Called on the scrub's executor.
  // Disks not to read, with why ("resilvering"); a side failed in its PairState is skipped too.
  std::map<std::string, std::string, std::less<>> skip_disks;
  // Null: Volume::BlobAge (on a LocalVolume a blob file's modification time, or when a small
  // blob's row was stored; unknown elsewhere).
  BlobAgeFn blob_age;
};

struct ScrubDeps {
  db::Database& db;     // Migrated to at least 0004_blobs.
  WorkerPool& workers;  // Runs the database calls.
  AlertSink& alerts;
  const Clock& clock;
  util::Metrics* metrics = nullptr;  // nimbus_scrub_* when set.
};

// Scrubs one pair, one blob at a time (yielding between blobs), reading each side's volume
// directly (no failover). For every catalog row of the pair (BlobStore::ListByPrimary) it reads
// the whole blob on both sides, verifying block checksums (the volume), size and SHA-256 against
// the catalog. A bad copy is removed and rewritten from the good side with CopyBlob, committed
// only when the bytes hash to the catalog's SHA-256, then read back and verified again; a
// missing copy is written the same way. A failed repair is queued on the pair's PairState. When
// both copies are bad the blob is lost: nothing is removed and one kRepairFailed alert names the
// lost blobs. Then each side is listed for orphans (kScrubFindings when found) and the used-bytes
// counters are compared with the catalog. A side is skipped when it is failed, listed in
// skip_disks, or after 5 I/O errors in a row. Progress and the final report (JSON) go to a new
// disk_tasks row. kConflict when another process is scrubbing the pair (an abandoned task whose
// lease expired is marked failed and replaced); database errors as they come (the task is then
// marked failed). Findings are in the report, never errors.
net::awaitable<Result<ScrubReport>> ScrubPair(MirroredVolume& pair, ScrubDeps deps,
                                              ScrubOptions options = {});

// The scrub metrics: nimbus_scrub_blobs_total{result} (ok, repaired, unrepaired, lost),
// nimbus_scrub_orphans{disk} (found by the disk's last scrub) and
// nimbus_scrub_last_run_timestamp_seconds. Registering creates the result series and the
// timestamp at 0, so they are on /metrics before the first scrub. Idempotent, thread-safe.
struct ScrubMetrics {
  util::CounterFamily* blobs = nullptr;
  util::GaugeFamily* orphans = nullptr;
  util::GaugeFamily* last_run = nullptr;
};
ScrubMetrics RegisterScrubMetrics(util::Metrics& metrics);

// ScrubPair run to completion on a private io_context on the calling thread. Blocking: call it
// from a worker or a CLI thread, never from an io thread.
Result<ScrubReport> ScrubPairNow(MirroredVolume& pair, ScrubDeps deps, ScrubOptions options = {});

// A pair ready to scrub: the engine's own MirroredVolume when it opened its volumes (the
// server), else one built now over the pool's volumes of both disks (the admin CLI; LocalVolume
// leaves a running server's uploads alone), with the database's failed states applied.
struct ScrubTarget {
  std::shared_ptr<MirroredVolume> pair;
  std::map<std::string, std::string, std::less<>> skip_disks;  // Failed or resilvering disks.
};
// The pair of `disk_id` (its primary or its mirror). kNotFound for an unknown disk;
// kInvalidArgument for a spare (it holds no blobs); the volume's error when a disk cannot be
// opened. Blocking (database, opening volumes).
Result<ScrubTarget> ScrubTargetFor(StorageEngine& engine, std::string_view disk_id);
// Primary ids of every pair, ordered. Blocking (database).
Result<std::vector<std::string>> ScrubPairIds(StorageEngine& engine);

// The report as JSON (one object; see the fields of ScrubReport) and as text for a person.
std::string ScrubReportJson(const ScrubReport& report);
std::string ScrubReportText(const ScrubReport& report);

// The last scrub of a pair as recorded in disk_tasks, for `nimbus admin disk show`.
struct LastScrub {
  std::int64_t task_id = 0;
  std::string state;  // "running" | "done" | "failed" | "queued".
  std::int64_t started_at = 0;
  std::optional<std::int64_t> finished_at;
  std::string result_json;  // ScrubReportJson, "" while running.
  std::string error;
  std::string summary;  // One line for a person.
};
// The newest scrub task of the pair of `disk_id` (either disk), nullopt when it never ran.
// Blocking (database); database errors as they come.
Result<std::optional<LastScrub>> LastScrubOf(db::Database& db, std::string_view disk_id);

}  // namespace nimbus::storage
