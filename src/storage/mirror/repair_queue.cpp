// RepairQueue: an ordered set of (blob, target side) with O(log n) insert and remove.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/mirror/repair_queue.h"

namespace nimbus::storage {

bool RepairQueue::Push(RepairItem item) {
  Key key{item.id.str(), static_cast<int>(item.target)};
  if (index_.contains(key)) return false;
  const Side target = item.target;
  items_.push_back(std::move(item));
  index_.emplace(std::move(key), std::prev(items_.end()));
  ++count_[Index(target)];
  return true;
}

bool RepairQueue::Remove(const BlobId& id, Side target) {
  auto it = index_.find(Key{id.str(), static_cast<int>(target)});
  if (it == index_.end()) return false;
  items_.erase(it->second);
  index_.erase(it);
  --count_[Index(target)];
  return true;
}

std::size_t RepairQueue::RemoveBlob(const BlobId& id) {
  std::size_t n = 0;
  if (Remove(id, Side::kPrimary)) ++n;
  if (Remove(id, Side::kMirror)) ++n;
  return n;
}

int RepairQueue::NoteFailure(const BlobId& id, Side target, const std::string& reason) {
  auto it = index_.find(Key{id.str(), static_cast<int>(target)});
  if (it == index_.end()) return 0;
  it->second->reason = reason;
  return ++it->second->attempts;
}

void RepairQueue::ResetAttempts(Side target) {
  for (auto& item : items_) {
    if (item.target == target) item.attempts = 0;
  }
}

std::vector<RepairItem> RepairQueue::Items() const { return {items_.begin(), items_.end()}; }

}  // namespace nimbus::storage
