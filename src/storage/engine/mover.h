// Mover: the background migration of an owner to a pair of another category (a plan change
// across categories): copy every blob, verified by SHA-256, switch in one transaction, free the
// old copies; plus the sweep that re-homes blobs written to a pair the owner has left.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "db/database.h"
#include "db/stores/blob_store.h"
#include "util/clock.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::storage {

namespace net = boost::asio;

class BlobId;
class MirroredVolume;
class StorageEngine;
class Volume;
struct WriteToken;

struct MoverOptions {
  std::int64_t page_size = 500;  // Blob rows read per query.
  // Copy passes per run: after each, the switch re-checks in its transaction that every blob
  // not on the target was copied; blobs written meanwhile cost one more pass.
  int max_rounds = 5;
  // Background runs of one move before it waits for the next ResumeMoves (start-up).
  int max_attempts = 10;
  std::chrono::milliseconds retry_interval{60'000};  // Between failed background runs.
  // Runs that find the target pair with a failed disk (or one being rebuilt) are retried every
  // retry_interval this many times more without counting as attempts (a week at 60 s): the
  // move waits for the disk's replacement instead of giving up until the next start.
  int max_target_waits = 7 * 24 * 60;
  // How long a run waits, after its switch, for writes that started before it (they may land
  // on the old pair) before it sweeps; later ones are swept when they end.
  std::chrono::milliseconds drain_timeout{30'000};
  std::chrono::milliseconds sweep_delay{1'000};  // From the end of a stray write to its sweep.
  // Holder of the move's disk_tasks lease; "": "move:<host>:<pid>". The lease keeps another
  // process from running the same move; it is renewed with every progress write.
  std::string lease_owner;
  std::chrono::milliseconds lease{std::chrono::minutes(5)};
  std::chrono::milliseconds progress_interval{5'000};  // Between progress writes to the task.
  // Test hook, awaited after each blob copied (write during a move, stop after N blobs).
  std::function<net::awaitable<void>(const db::BlobRow&)> after_copy;
  // Test hook, awaited when the background runs of a move have ended (a plan change then).
  std::function<net::awaitable<void>(std::int64_t owner_id)> after_background;
};

// What a move (or a sweep) did so far; copied counts include the final sweep.
struct MoveProgress {
  std::int64_t owner_id = 0;
  std::string from;   // Primary id of the pair the owner leaves ("" for a sweep).
  std::string to;     // Primary id of the target pair.
  std::string state;  // "copying", "switching", "cleaning", "done", "failed", "cancelled".
  std::int64_t copied_blobs = 0;
  std::int64_t copied_bytes = 0;
  std::int64_t removed_old = 0;  // Old copies deleted after the switch.
  int rounds = 0;                // Copy passes made by the last run.
  int attempts = 0;              // Runs started (background retries included).
  std::string last_error;
  std::int64_t updated_at = 0;  // Milliseconds since the Unix epoch.
};

// Each run of a move is a `disk_tasks` row (kind "move", disk_id = the target pair, owner_id)
// with its progress, so admins of any process see it. Thread-safe. Background runs keep the Mover
// alive (shared ownership); the engine, database and
// workers must outlive them: call Stop() before tearing those down.
class Mover : public std::enable_shared_from_this<Mover> {
 public:
  Mover(StorageEngine& engine, db::Database& db, WorkerPool& workers, const Clock& clock,
        MoverOptions options = {});

  // Runs the owner's recorded move (DiskPool::MoveOf) to its end: copies every blob of the owner
  // that is not on the target pair (CopyBlob with the recorded SHA-256; a copy already on the
  // target from an interrupted run is verified by reading it back, or replaced), then in one
  // write transaction re-checks that nothing uncopied is left, CommitMove and re-points every
  // copied blob; after the commit deletes the old copies, waits (up to drain_timeout) for writes
  // that started before the switch and sweeps. kNotFound when no move is recorded; kConflict
  // when the owner is already being moved (by this process, or by another one holding the task's
  // lease); kCancelled after Stop(); kUnavailable
  // when blobs kept arriving for max_rounds passes; the volume errors of a failed copy (both
  // source copies bad: kChecksumMismatch/kIoError) — the move then stays recorded.
  net::awaitable<Result<MoveProgress>> Run(std::int64_t owner_id);
  // Runs the move in the background on `executor`: retries failed runs every retry_interval up
  // to max_attempts, logging each failure and raising one kRepairFailed alert per move; never
  // aborts the move. While a background run of the owner is on, it runs once more when it ends
  // (the move it ran may have finished just before the next one was recorded).
  void Start(std::int64_t owner_id, const net::any_io_executor& executor);
  // Starts every move recorded in the database (after a crash or restart), and FinishSwitched for
  // every owner whose move task was left running by a process that has gone (lease expired, or
  // its process of this host ended) after its switch. Blocking (DB); returns how many it started.
  Result<std::size_t> ResumeMoves(const net::any_io_executor& executor);
  // The end of a move whose process was killed after the switch and before it deleted the old
  // copies: deletes every copy of the owner's blobs on a pair other than the one its row names,
  // sweeps blobs written to a pair the owner has left, and closes the task (the abandoned one as
  // failed, a new one as done). kConflict while the owner is being moved or swept, while a move
  // is recorded, or while a live process holds the task; kNotFound without an allocation.
  net::awaitable<Result<MoveProgress>> FinishSwitched(std::int64_t owner_id);
  // Re-homes every blob of the owner that is not on the pair of their allocation (a write that
  // started before a switch and was recorded after it): copy, verify, re-point, delete the old
  // copy. Returns how many blobs it moved. kNotFound without an allocation.
  net::awaitable<Result<std::int64_t>> Sweep(std::int64_t owner_id);

  // Counts a write of the owner as in flight until the returned token is released (OwnerBlobs
  // puts it in StoredBlob). A token that ends after a switch of its owner, when a stray was
  // recorded (MarkStray), schedules a Sweep on `executor`.
  std::shared_ptr<void> BeginWrite(std::int64_t owner_id, const net::any_io_executor& executor);
  // A blob of the owner was recorded on a pair the owner has left (OwnerBlobs::Record).
  void MarkStray(std::int64_t owner_id);

  // Progress of the owner's last move or sweep in this process; nullopt when there was none.
  std::optional<MoveProgress> Progress(std::int64_t owner_id) const;
  std::vector<MoveProgress> AllProgress() const;
  // Asks every run to stop after its current blob (kCancelled) and background retries to end.
  void Stop();

 private:
  friend struct WriteToken;
  struct Copied {
    db::BlobRow row;  // As listed; row.primary_id is the pair copied from.
  };
  using CopiedMap = std::map<std::string, Copied, std::less<>>;
  class Claim;

  struct Task {
    std::int64_t id = 0;
    std::int64_t total_blobs = 0;
    std::int64_t total_bytes = 0;
    std::int64_t last_write_ms = 0;
  };
  net::awaitable<Result<MoveProgress>> RunClaimed(std::int64_t owner_id);
  // Why pair `target` cannot take a move now (a disk failed or being rebuilt: the owner's files
  // would have one copy), or "" when both its disks are in service.
  std::string TargetNotWhole(const std::string& target);
  net::awaitable<Result<MoveProgress>> FinishSwitchedClaimed(std::int64_t owner_id);
  static net::awaitable<void> FinishInBackground(std::shared_ptr<Mover> self,
                                                 std::int64_t owner_id);
  // The run's disk_tasks row: an unfinished one of the owner whose lease expired, or whose holder
  // is a process of this host that has ended (killed mid-move), is closed as abandoned; one
  // leased by another live process gives kConflict.
  net::awaitable<Result<void>> OpenTask(std::int64_t owner_id, const std::string& target);
  // Writes the progress (when `force` or progress_interval passed) and renews the lease;
  // kConflict when another process took the lease.
  net::awaitable<Result<void>> Heartbeat(std::int64_t owner_id, bool force);
  net::awaitable<void> CloseTask(std::int64_t owner_id, const Error* error);
  net::awaitable<Result<std::int64_t>> SweepClaimed(std::int64_t owner_id);
  // One page (options_.page_size rows) of the owner's blob rows with ids after `after`.
  net::awaitable<Result<std::vector<db::BlobRow>>> PageOf(std::int64_t owner_id,
                                                          const std::string& after);
  // Copies every blob of the owner not on `target` and not in `copied` to the pair of `target`.
  net::awaitable<Result<void>> CopyPass(std::int64_t owner_id, const std::string& target,
                                        CopiedMap& copied);
  net::awaitable<Result<void>> CopyOne(const db::BlobRow& row, const std::string& target);
  // `id` was on `to` already: makes sure each usable side holds a copy that hashes right.
  net::awaitable<Result<void>> CompleteInterruptedCopy(const db::BlobRow& row, Volume& from,
                                                       MirroredVolume& to, const BlobId& id);
  // Deletes the copies left behind: old copies of re-pointed blobs, target copies of blobs
  // deleted meanwhile. Errors are logged (the copy is an orphan for scrub).
  net::awaitable<std::int64_t> Cleanup(const CopiedMap& copied,
                                       const std::vector<std::string>& vanished,
                                       const std::string& target);
  net::awaitable<void> WaitForWritesBefore(std::int64_t owner_id, std::uint64_t seq);
  static net::awaitable<void> Background(std::shared_ptr<Mover> self, std::int64_t owner_id);
  // Background's runs of the move recorded now: up to max_attempts.
  static net::awaitable<void> RunWithRetries(std::shared_ptr<Mover> self, std::int64_t owner_id);
  static net::awaitable<void> Sleep(std::chrono::milliseconds d);  // Never throws.
  static net::awaitable<void> SweepLater(std::shared_ptr<Mover> self, std::int64_t owner_id);
  void EndWrite(std::int64_t owner_id, std::uint64_t seq, const net::any_io_executor& executor);
  void Update(std::int64_t owner_id, const std::function<void(MoveProgress&)>& fn);
  std::int64_t NowMs() const { return ToUnixMs(clock_.Now()); }

  StorageEngine& engine_;
  db::Database& db_;
  WorkerPool& workers_;
  const Clock& clock_;
  const MoverOptions options_;

  mutable std::mutex mu_;
  bool stopped_ = false;                           // Guarded by mu_.
  std::set<std::int64_t> busy_;                    // Owners being moved or swept. Guarded.
  std::set<std::int64_t> background_;              // Owners with a background run. Guarded.
  std::set<std::int64_t> start_again_;  // Started while their background run was on. Guarded.
  std::map<std::int64_t, MoveProgress> progress_;  // Guarded by mu_.
  std::uint64_t next_seq_ = 1;                     // Guarded by mu_.
  // Writes in flight per owner: their sequence numbers (a multiset: one entry per write).
  std::map<std::int64_t, std::multiset<std::uint64_t>> in_flight_;  // Guarded by mu_.
  std::map<std::int64_t, std::uint64_t> switched_at_;              // Owner -> seq of last switch.
  std::set<std::int64_t> strays_;  // Owners with a stray recorded and no sweep since. Guarded.
  std::map<std::int64_t, Task> tasks_;  // Task rows of running moves, by owner. Guarded by mu_.
  std::string lease_owner_;             // Fixed at construction.
};

}  // namespace nimbus::storage
