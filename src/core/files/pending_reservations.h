// PendingReservations: the quota reservations of small uploads, held in this process instead of
// a reservations row, so that such an upload costs one write transaction (the record) instead of
// two. Internal to core/files (FileService); header-only.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace nimbus::core::files {

// Declared sizes up to this many bytes are reserved here (the body of such an upload is read in
// one piece); larger ones get a reservations row, visible to other processes.
inline constexpr std::uint64_t kPendingReservationMax = 64 * 1024;

// Thread-safe. Lost with the process, as a row would be swept at the next start.
class PendingReservations {
 public:
  // Reserves `bytes` for `owner` under `id` when they fit in `free_in_db` (the owner's quota
  // minus used and reserved-in-the-table bytes, read just before) minus what this process
  // already holds for the owner. Returns false (nothing reserved) when they do not; then
  // `*free` is what was free.
  bool TryAdd(const std::string& id, std::int64_t owner, std::uint64_t bytes,
              std::int64_t free_in_db, std::int64_t* free) {
    std::lock_guard lock(mutex_);
    std::int64_t left = free_in_db - static_cast<std::int64_t>(SumLocked(owner, {}));
    if (left < 0) left = 0;
    if (bytes > static_cast<std::uint64_t>(left)) {
      *free = left;
      return false;
    }
    entries_[id] = Entry{owner, bytes};
    return true;
  }
  // The owner's bytes held here, without the entry `except` (may be "").
  std::uint64_t Sum(std::int64_t owner, const std::string& except = {}) const {
    std::lock_guard lock(mutex_);
    return SumLocked(owner, except);
  }
  bool Contains(const std::string& id) const {
    std::lock_guard lock(mutex_);
    return entries_.contains(id);
  }
  // The owner `id` was reserved for; nullopt when it is not held here.
  std::optional<std::int64_t> OwnerOf(const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return std::nullopt;
    return it->second.owner;
  }
  // Drops `id`; returns its owner (nullopt when it was not held here).
  std::optional<std::int64_t> Remove(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return std::nullopt;
    std::int64_t owner = it->second.owner;
    entries_.erase(it);
    return owner;
  }

 private:
  struct Entry {
    std::int64_t owner = 0;
    std::uint64_t bytes = 0;
  };
  std::uint64_t SumLocked(std::int64_t owner, const std::string& except) const {
    std::uint64_t sum = 0;
    for (const auto& [id, e] : entries_) {
      if (e.owner == owner && id != except) sum += e.bytes;
    }
    return sum;
  }

  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;  // A few entries: one per small upload in flight.
};

}  // namespace nimbus::core::files
