// RepairQueueStore: the SQL of `repair_queue` (migration 0004): the blobs one side of a mirrored
// pair is missing, persisted so a restart does not forget a degraded blob.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "util/result.h"

namespace nimbus::db {

struct RepairRow {
  std::string primary_id{};  // The pair.
  std::string blob_id{};
  std::string target{};  // "primary" | "mirror": the side that needs a good copy.
  std::string reason{};
  std::int64_t created_at = 0;
};

// Bound to one open transaction; cheap to make. Not thread-safe, like the transaction.
class RepairQueueStore {
 public:
  explicit RepairQueueStore(Transaction& tx) : tx_(tx) {}

  // Records the entry; an entry with the same (pair, blob, target) is left as it is.
  Result<void> Upsert(const RepairRow& row);
  // Removes the entry if present.
  Result<void> Remove(std::string_view primary_id, std::string_view blob_id,
                      std::string_view target);
  // Every entry of the pair, oldest first.
  Result<std::vector<RepairRow>> ListByPair(std::string_view primary_id);
  // Points the entries of pair `from` at `to` (a spare replaced a primary); returns how many.
  Result<std::int64_t> MovePair(std::string_view from, std::string_view to);
  // Removes every entry of the pair with `target` (that side was rebuilt); returns how many.
  Result<std::int64_t> RemoveTarget(std::string_view primary_id, std::string_view target);
  // How many entries wait for the `target` side of pair `primary_id`.
  Result<std::int64_t> CountFor(std::string_view primary_id, std::string_view target);

 private:
  Transaction& tx_;
};

}  // namespace nimbus::db
