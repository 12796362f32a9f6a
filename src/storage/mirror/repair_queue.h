// RepairQueue: the blobs one side of a mirrored pair is missing (or holds a bad copy of), in the
// order they were found, without duplicates. Plain data; PairState owns one and guards it.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstddef>
#include <list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "storage/blob_id.h"

namespace nimbus::storage {

// The two halves of a mirrored pair.
enum class Side { kPrimary = 0, kMirror = 1 };
inline Side Other(Side s) { return s == Side::kPrimary ? Side::kMirror : Side::kPrimary; }
inline std::size_t Index(Side s) { return static_cast<std::size_t>(s); }
inline const char* SideName(Side s) { return s == Side::kPrimary ? "primary" : "mirror"; }

struct RepairItem {
  BlobId id;
  Side target = Side::kMirror;  // The side that needs a good copy (copied from the other side).
  std::string reason;           // Why ("write failed: EIO", "read: checksum mismatch at …").
  int attempts = 0;             // Failed repair attempts so far.
};

// Not thread-safe (PairState locks around it).
class RepairQueue {
 public:
  // Queues `item`; false (and no change) when the same (id, target) is already queued.
  bool Push(RepairItem item);
  // Removes (id, target); false when it was not queued.
  bool Remove(const BlobId& id, Side target);
  // Removes every entry of `id` (the blob was deleted); returns how many.
  std::size_t RemoveBlob(const BlobId& id);
  // Counts a failed attempt on (id, target); returns the new count (0 when not queued).
  int NoteFailure(const BlobId& id, Side target, const std::string& reason);
  // Sets attempts back to 0 for every entry whose target is `target` (the side came back).
  void ResetAttempts(Side target);
  std::vector<RepairItem> Items() const;  // In queue order.
  std::size_t size() const { return items_.size(); }
  std::size_t count(Side target) const { return count_[Index(target)]; }

 private:
  using Key = std::pair<std::string, int>;
  std::list<RepairItem> items_;
  std::map<Key, std::list<RepairItem>::iterator> index_;
  std::size_t count_[2] = {0, 0};
};

}  // namespace nimbus::storage
