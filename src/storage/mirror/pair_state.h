// PairState: the shared, thread-safe health of one mirrored pair (primary + mirror disk): per side
// healthy / degraded (missing blobs, repairs queued) / failed, error counters, the repair queue,
// observers and admin alerts on every change. MirroredVolume, the disk pool and the health job
// all read and set it. SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "storage/alerts.h"
#include "storage/mirror/repair_queue.h"
#include "util/errc.h"

namespace nimbus::storage {

enum class SideState { kHealthy, kDegraded, kFailed };
std::string_view SideStateName(SideState s);  // "healthy", "degraded", "failed".

struct SideSnapshot {
  std::string disk_id;
  SideState state = SideState::kHealthy;
  bool marked_failed = false;
  bool resilvering = false;              // Takes writes, serves no reads (being rebuilt).
  std::size_t missing = 0;               // Repairs queued with this side as target.
  std::uint64_t consecutive_errors = 0;  // I/O and checksum errors since the last success.
  std::uint64_t total_errors = 0;
  std::string last_error;  // The newest error or MarkFailed reason.
};

struct PairSnapshot {
  SideSnapshot primary, mirror;
  const SideSnapshot& side(Side s) const { return s == Side::kPrimary ? primary : mirror; }
  // healthy when both sides are; failed when both are; degraded otherwise.
  SideState pair_state() const;
};

struct PairEvent {
  enum class Kind {
    kStateChanged,  // old_state -> new_state on `side`.
    kError,         // An I/O or checksum error on `side` (consecutive_errors counts them).
    kRepairQueued,  // `blob` was queued for repair on `side`.
    kRepairDone,    // `blob` is good again on `side` (or gone from both).
  };
  Kind kind = Kind::kStateChanged;
  Side side = Side::kPrimary;
  std::string disk_id;
  SideState old_state = SideState::kHealthy;
  SideState new_state = SideState::kHealthy;
  std::uint64_t consecutive_errors = 0;
  std::string blob;    // For the repair events.
  std::string detail;  // Reason / error message.
};

// Called after the change, outside PairState's lock, on the thread that made the change. Must not
// block. May call back into PairState.
using PairObserver = std::function<void(const PairEvent&)>;

// The code of an operation that no side of a pair could carry out, from the error of one of the
// sides tried: a full file system (ENOSPC) is kNoCapacity (the user is told the server's storage
// is full); another I/O error means the pair is out of service (kStorageUnavailable: their files
// are out of reach for now, not a server bug), also before the health probe has marked the disks
// failed.
inline Errc PairFailureCode(const Error& side_error) {
  if (side_error.code != Errc::kIoError) return side_error.code;
  return side_error.message.find("(ENOSPC)") != std::string::npos ? Errc::kNoCapacity
                                                                  : Errc::kStorageUnavailable;
}

class PairState {
 public:
  // `alerts` may be null (no alerts). With fail_after_errors > 0, that many consecutive errors on
  // a side mark it failed; with 0 only MarkFailed() does (the health job decides).
  PairState(std::string primary_id, std::string mirror_id, std::shared_ptr<AlertSink> alerts,
            std::uint32_t fail_after_errors = 0);

  // The disk on side `s` now (a copy: a replace may rename a side).
  std::string disk_id(Side s) const;
  // A resilvering side reads as degraded.
  SideState state(Side s) const;
  // Writes go to the side (not failed; it may be resilvering).
  bool Usable(Side s) const { return state(s) != SideState::kFailed; }
  // Reads may come from the side (usable and not resilvering).
  bool Readable(Side s) const;
  bool Resilvering(Side s) const;
  PairSnapshot Snapshot() const;

  // The side is not used for reads or writes until MarkHealthy(); raises kDiskFailed unless
  // `alert` is false (the caller raised it already, e.g. the disk pool recording the failure).
  // With `mail` false the alert is logged and counted but not mailed (Alert::mailed: the
  // process that recorded the change mailed it).
  void MarkFailed(Side s, std::string reason, bool alert = true, bool mail = true);
  // The side is usable again (errors reset, failed repairs retried). Its state is degraded while
  // repairs for it are queued, healthy otherwise; raises kDiskRecovered unless `alert` is false
  // (the caller raised it already). `mail` as for MarkFailed.
  void MarkHealthy(Side s, bool alert = true, bool mail = true);
  // Another disk took side `s` (`nimbus admin disk replace`): the side is renamed `disk_id`,
  // its errors are reset and it is resilvering: it takes every write, serves no read, until
  // MarkHealthy(). Queued repairs for the side stay (they now target the new disk). Emits
  // kStateChanged; no alert (the pool raised kSpareAttached).
  void MarkResilvering(Side s, std::string disk_id);

  // Counts an I/O or checksum error on the side; returns the consecutive count.
  std::uint64_t RecordError(Side s, std::string_view what);
  void RecordSuccess(Side s);  // Resets the consecutive error count.

  // Queues a repair of `id` on `target` (the side is degraded until it is done). False when it
  // was already queued.
  bool QueueRepair(const BlobId& id, Side target, std::string reason);
  void RepairDone(const BlobId& id, Side target);
  // Counts a failed attempt; returns the attempts so far. kRepairFailed is raised once per side
  // until a repair there succeeds or the side is marked healthy (no alert storm while it is down).
  int RepairFailed(const BlobId& id, Side target, const std::string& reason);
  void ForgetBlob(const BlobId& id);  // The blob was deleted: drop its repairs.
  // The queue, oldest first: what the pool persists and what an admin sees.
  std::vector<RepairItem> PendingRepairs() const;
  // Restores persisted entries (after a restart); returns how many were new.
  std::size_t RestoreRepairs(const std::vector<RepairItem>& items);

  void AddObserver(PairObserver observer);

 private:
  struct SideData {
    bool failed = false;
    bool resilvering = false;
    std::uint64_t consecutive = 0, total = 0;
    std::string last_error;
    bool repair_alerted = false;  // kRepairFailed raised; again only after a repair succeeds.
  };
  SideState StateLocked(Side s) const;
  // Emits kStateChanged (and an alert) when `before` differs from the state now. Needs the lock.
  void NoteTransitionLocked(Side s, SideState before, std::string detail,
                            std::vector<PairEvent>& events, std::vector<Alert>& alerts);
  void Deliver(const std::vector<PairEvent>& events, const std::vector<Alert>& alerts);

  std::string ids_[2];  // Guarded by mutex_ (a replace renames a side).
  const std::shared_ptr<AlertSink> alerts_;
  const std::uint32_t fail_after_errors_;
  mutable std::mutex mutex_;
  SideData sides_[2];                    // Guarded by mutex_.
  RepairQueue queue_;                    // Guarded by mutex_.
  std::vector<PairObserver> observers_;  // Guarded by mutex_.
};

}  // namespace nimbus::storage
