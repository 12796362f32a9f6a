// DiskStore: the SQL of the storage pool's `disks` and `allocations` tables (migration 0002).
// Plain rows only; placement rules live in storage/pool/disk_pool.h. Every method runs inside the
// caller's transaction, so byte counters change atomically with whatever the caller changes.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "util/result.h"

namespace nimbus::db {

// One row of `disks`. Times are milliseconds since the Unix epoch (UTC).
struct DiskRow {
  std::string id{};
  std::optional<std::string> category{};  // nullopt for an unattached spare.
  std::string role{};                     // "primary" | "mirror" | "spare"
  std::string uri{};
  std::int64_t capacity_bytes = 0;
  std::optional<std::string> mirror_id{};  // The other disk of the pair.
  std::string state{};  // "healthy" | "degraded" | "failed" | "resilvering" | "spare"
  std::int64_t allocated_bytes = 0;
  std::int64_t used_bytes = 0;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  // When its directory was first opened as this disk; nullopt until then (0019_disk_opened).
  std::optional<std::int64_t> opened_at{};
};

// One row of `allocations`: the space an owner's plan reserves on a pair (named by its primary).
struct AllocationRow {
  std::int64_t owner_id = 0;
  std::string primary_id{};
  std::int64_t bytes = 0;
  std::int64_t used_bytes = 0;  // What the owner's blobs take on each disk of the pair.
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

// One row of `allocation_moves`: an owner on their way to another category's pair.
struct MoveRow {
  std::int64_t owner_id = 0;
  std::string target_primary_id{};
  std::int64_t target_bytes = 0;
  std::int64_t started_at = 0;
};

// Bound to one open transaction; cheap to make (`DiskStore(tx).AddUsed(...)`). Not thread-safe,
// like the transaction. SQL errors are passed back as the driver reports them.
class DiskStore {
 public:
  explicit DiskStore(Transaction& tx) : tx_(tx) {}

  // This installation's id (written into every disk's marker), recorded as `fresh` (a new random
  // id) at `now_ms` when there is none yet.
  Result<std::string> InstallationId(std::string_view fresh, std::int64_t now_ms);
  // Every disk, ordered by id.
  Result<std::vector<DiskRow>> ListDisks();
  // The disk, or nullopt.
  Result<std::optional<DiskRow>> GetDisk(std::string_view id);
  // Inserts a new disk (created_at/updated_at as given). kConflict if the id or uri exists.
  Result<void> InsertDisk(const DiskRow& row);
  // Sets role, category, mirror_id and state of a disk (attaching a spare). kNotFound if absent.
  Result<void> UpdatePlacement(std::string_view id, std::string_view role,
                               const std::optional<std::string>& category,
                               const std::optional<std::string>& mirror_id, std::string_view state,
                               std::int64_t now_ms);
  // Sets the capacity (disks.toml changed it). kNotFound if the disk is absent.
  Result<void> SetCapacity(std::string_view id, std::int64_t capacity_bytes, std::int64_t now_ms);
  // Sets both counters (a spare taking over a failed disk's place). kNotFound if absent.
  Result<void> SetCounters(std::string_view id, std::int64_t allocated_bytes,
                           std::int64_t used_bytes, std::int64_t now_ms);
  // Sets the state. kNotFound if the disk is absent.
  Result<void> SetState(std::string_view id, std::string_view state, std::int64_t now_ms);
  // Records that the disk's directory was opened as this disk, once (opened_at stays the first).
  Result<void> MarkOpened(std::string_view id, std::int64_t now_ms);
  // Adds `delta` (may be negative) to allocated_bytes / used_bytes. kNotFound if the disk is
  // absent; kConflict if the counter would go below zero (nothing changes then).
  Result<void> AddAllocated(std::string_view id, std::int64_t delta, std::int64_t now_ms);
  Result<void> AddUsed(std::string_view id, std::int64_t delta, std::int64_t now_ms);

  // The owner's allocation, or nullopt.
  Result<std::optional<AllocationRow>> GetAllocation(std::int64_t owner_id);
  // kConflict if the owner already has one.
  Result<void> InsertAllocation(const AllocationRow& row);
  // Sets the reserved bytes. kNotFound if the owner has no allocation.
  Result<void> SetAllocationBytes(std::int64_t owner_id, std::int64_t bytes, std::int64_t now_ms);
  // Adds `delta` to the owner's used_bytes. kNotFound without an allocation; kConflict if it
  // would go below zero.
  Result<void> AddAllocationUsed(std::int64_t owner_id, std::int64_t delta, std::int64_t now_ms);
  // The bytes the owner's uploads and copies in flight hold (their quota reservations).
  Result<std::int64_t> ReservedBytes(std::int64_t owner_id);
  // Deletes the owner's allocation. kNotFound if there is none.
  Result<void> DeleteAllocation(std::int64_t owner_id);
  // The owner's move in progress, or nullopt.
  Result<std::optional<MoveRow>> GetMove(std::int64_t owner_id);
  // kConflict if the owner already has one (or has no allocation).
  Result<void> InsertMove(const MoveRow& row);
  // kNotFound if there is none.
  Result<void> DeleteMove(std::int64_t owner_id);
  // Sets the owner's pair and plan size (the switch at the end of a move). kNotFound if absent.
  Result<void> SetAllocationPlacement(std::int64_t owner_id, std::string_view primary_id,
                                      std::int64_t bytes, std::int64_t now_ms);
  // Points every allocation (and move target) on primary `from` at `to`; returns how many
  // allocations moved.
  Result<std::int64_t> MovePrimary(std::string_view from, std::string_view to, std::int64_t now_ms);
  // Number of owners per primary disk id (primaries without owners are absent).
  Result<std::map<std::string, std::int64_t>> OwnersByPrimary();
  // What still uses the pair named by `primary_id`: owners placed on it, moves heading to it,
  // blobs of deleted files whose bytes wait to be erased from it.
  struct PairUse {
    std::int64_t owners = 0;
    std::int64_t moves_in = 0;
    std::int64_t erasures = 0;
  };
  Result<PairUse> UseOfPair(std::string_view primary_id);

 private:
  Result<void> AddCounter(std::string_view column, std::string_view id, std::int64_t delta,
                          std::int64_t now_ms);
  Transaction& tx_;
};

}  // namespace nimbus::db
