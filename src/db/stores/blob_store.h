// BlobStore: the SQL of the blob catalog (`blobs`, migration 0004): which owner a blob belongs
// to, which pair (named by its primary disk) holds its bytes, its size and its whole-blob
// SHA-256. Plain rows; every method runs inside the caller's transaction, so a blob is recorded
// in the same transaction as the used-bytes counters and whatever file node refers to it.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "util/result.h"

namespace nimbus::db {

struct BlobRow {
  std::string id{};
  std::int64_t owner_id = 0;
  std::string primary_id{};  // The pair holding the bytes.
  std::int64_t size = 0;
  std::string sha256{};  // 64 lowercase hex characters.
  std::int64_t created_at = 0;
};

// Bound to one open transaction; cheap to make. Not thread-safe, like the transaction.
class BlobStore {
 public:
  explicit BlobStore(Transaction& tx) : tx_(tx) {}

  // kConflict if the id is recorded already.
  Result<void> Insert(const BlobRow& row);
  // The blob, or nullopt.
  Result<std::optional<BlobRow>> Get(std::string_view id);
  // Up to `limit` blobs of the owner with id > `after`, ordered by id (page with the last id).
  Result<std::vector<BlobRow>> ListByOwner(std::int64_t owner_id, std::string_view after,
                                           std::int64_t limit);
  // Up to `limit` blobs held by the pair of `primary_id` with id > `after`, ordered by id.
  Result<std::vector<BlobRow>> ListByPrimary(std::string_view primary_id, std::string_view after,
                                             std::int64_t limit);
  // Number of blobs and their total size held by the pair of `primary_id`.
  struct Totals {
    std::int64_t blobs = 0;
    std::int64_t bytes = 0;
  };
  Result<Totals> TotalsByPrimary(std::string_view primary_id);
  Result<Totals> TotalsByOwner(std::int64_t owner_id);
  // Points the blob at another pair (a move copied it there). kNotFound if absent.
  Result<void> SetPrimary(std::string_view id, std::string_view primary_id);
  // Points every blob on pair `from` at `to` (a spare replaced a primary); returns how many.
  Result<std::int64_t> MovePrimary(std::string_view from, std::string_view to);
  // kNotFound if absent.
  Result<void> Delete(std::string_view id);

  // The queue of blobs whose row was deleted and whose bytes are still on their pair.
  Result<void> QueueErasure(const BlobRow& row);
  // Up to `limit` queued blobs, ordered by id.
  Result<std::vector<BlobRow>> ListErasures(std::int64_t limit);
  // Drops `id` from the queue (absent: nothing to do).
  Result<void> DeleteErasure(std::string_view id);

  // Names blob `blob_id` (not written yet) as written under quota reservation
  // `reservation_id` on pair `primary_id` (reservation_blobs: the row goes with the
  // reservation, and a stale reservation's rows are queued for erasure).
  Result<void> AddReservationBlob(std::string_view reservation_id, std::string_view blob_id,
                                  std::int64_t owner_id, std::string_view primary_id,
                                  std::int64_t created_at);

 private:
  Transaction& tx_;
};

}  // namespace nimbus::db
