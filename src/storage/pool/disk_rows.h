// Internal to storage/pool: turning db::DiskRow into DiskInfo and viewing disks as pairs, shared
// by disk_pool.cpp and disk_pool_setup.cpp. SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/stores/disk_store.h"
#include "storage/pool/disk_pool.h"

namespace nimbus::storage {

// Alerts gathered inside a transaction, raised (DiskPool::Deliver) only once it committed.
struct DiskPool::Alerts {
  std::vector<Alert> raise;
  std::vector<std::pair<std::string, Alert>> full;  // Per category, raised once.
  std::vector<std::string> refilled;                // Categories that got a new pair.
};

}  // namespace nimbus::storage

namespace nimbus::storage::pool_internal {

// The row as the pool reports it; an unknown role/state word (a bug or a hand-edited DB) is
// kInternal naming the disk.
Result<DiskInfo> ToInfo(const db::DiskRow& row, std::int64_t owner_count);

// One primary of a category with its mirror (nullptr when the mirror row is missing).
struct PairView {
  const db::DiskRow* primary = nullptr;
  const db::DiskRow* mirror = nullptr;
  std::uint64_t capacity = 0;   // min(primary, mirror).
  std::uint64_t allocated = 0;  // The primary's counter (the mirror's is the same).
  std::uint64_t used = 0;
  bool writable = false;  // Both disks healthy: new owners may be placed here.
};
// Every primary of `category`, ordered by id. Pointers point into `disks`.
std::vector<PairView> PairsOf(const std::vector<db::DiskRow>& disks, const std::string& category);

// The pair as callers see it (states parsed; an unknown word reads as failed).
DiskPair PairOf(const PairView& p);
// The pair whose primary is `primary_id`; kInternal if it is not a primary.
Result<PairView> FindPair(const std::vector<db::DiskRow>& disks, std::string_view primary_id);
// Adds `delta` to one counter (used or allocated) of both disks of a pair: a mirror holds the
// same bytes. An empty mirror id is skipped.
Result<void> AddToPair(db::DiskStore& store, std::string_view primary_id,
                       std::string_view mirror_id, bool used, std::int64_t delta, std::int64_t now);

// kConflict "owner N is being moved to …" while the owner has a move in progress.
Result<void> RefuseWhileMoving(db::DiskStore& store, std::int64_t owner_id);

// kBelowUsage when a plan of `new_bytes` would not hold what the owner holds: every recorded
// blob (files and trash, allocations.used_bytes) plus the uploads and copies in flight (their
// reservations). Checked in the transaction that changes the plan, which is serialized with the
// transactions that make reservations, so an upload started during a downgrade cannot slip in.
Result<void> RefuseBelowHeld(db::DiskStore& store, std::int64_t owner_id, std::int64_t used_bytes,
                             std::uint64_t new_bytes);

// "12.50 GiB": sizes in messages an operator reads.
std::string Gib(std::uint64_t bytes);

}  // namespace nimbus::storage::pool_internal
