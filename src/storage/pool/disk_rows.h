// Internal to storage/pool: turning db::DiskRow into DiskInfo and viewing disks as pairs, shared
// by disk_pool.cpp and disk_pool_setup.cpp. SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "db/stores/disk_store.h"
#include "storage/pool/disk_pool.h"

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

// "12.50 GiB": sizes in messages an operator reads.
std::string Gib(std::uint64_t bytes);

}  // namespace nimbus::storage::pool_internal
