// OwnerBlobs: an owner's bytes as the files layer stores them: written to the pair of the owner's
// allocation, recorded and forgotten in the caller's transaction with exact used bytes, read from
// whichever pair holds them (also during and after a move), and plan changes (resize in place,
// or a background move to a pair of another category). SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "db/stores/blob_store.h"
#include "storage/byte_stream.h"
#include "storage/engine/mover.h"
#include "storage/pool/disk_pool.h"
#include "storage/put_blob.h"
#include "storage/volume.h"
#include "util/clock.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::storage {

// Blobs written or removed at once by one operation on many (a copy of a folder, emptying the
// trash): enough for the small ones to share disk commits, few enough to leave the disks to
// everyone else too.
inline constexpr std::size_t kConcurrentBlobs = 16;

class StorageEngine;

// A blob written and durable on a pair, not yet recorded.
struct StoredBlob {
  BlobInfo info;
  std::string primary_id;  // The pair holding the bytes.
  // Counts the write as in flight for a move of its owner until the last copy of this
  // StoredBlob is destroyed: keep it until the transaction that records it has ended.
  std::shared_ptr<void> in_flight;
};

// Where an owner's next blob goes (OwnerBlobs::Target), counted as a write in flight.
struct WriteTarget {
  std::int64_t owner_id = 0;
  std::string primary_id;           // The pair of the owner's allocation.
  std::shared_ptr<void> in_flight;  // As StoredBlob::in_flight, from before the pair was read.
  std::optional<BlobId> id;         // The new blob's id when named ahead (ReserveWrites).
};

struct PlanChange {
  bool moving = false;  // False: resized in place. True: a move to `pair` has started.
  DiskPair pair;        // The owner's pair after a resize; the target pair of a move.
  std::optional<MovePlan> move;
};

// Thread-safe. The engine, database, workers and clock must outlive it; its destructor stops the
// background moves (they resume at the next ResumeMoves).
class OwnerBlobs {
 public:
  OwnerBlobs(StorageEngine& engine, db::Database& db, WorkerPool& workers, const Clock& clock,
             MoverOptions mover_options = {});
  ~OwnerBlobs();
  OwnerBlobs(const OwnerBlobs&) = delete;
  OwnerBlobs& operator=(const OwnerBlobs&) = delete;

  // Writes everything `source` yields as a new blob (random id) on the pair of the owner's
  // allocation, both sides durable (or one, the other queued for repair). Records nothing: a
  // crash before Record leaves an orphan for scrub. kNotFound when the owner has no allocation;
  // kUnavailable when the pair is not open or both its disks are failed; kInvalidArgument when
  // `expected_size` is given and the source yields another size; the source's and the volume's
  // errors (kIoError, …) as they are.
  net::awaitable<Result<StoredBlob>> Write(std::int64_t owner_id, ByteSource& source,
                                           std::optional<std::uint64_t> expected_size = {});
  // Write's first step in the caller's transaction, so that an upload's checks and the pair's
  // lookup share one trip to the database: counts the write as in flight for a move of the
  // owner (`executor` runs what its end may start), then reads the owner's pair. Blocking.
  // kNotFound when the owner has no allocation.
  Result<WriteTarget> Target(db::Transaction& tx, std::int64_t owner_id,
                             const net::any_io_executor& executor);
  // Names `count` new blobs of the owner, to be written under quota reservation
  // `reservation_id`, in the caller's write transaction (reservation_blobs), and returns their
  // targets (each counted in flight, as Target, with its id set). The rows go with the
  // reservation: the transaction that records the blobs deletes it, or the release of an undone
  // write. A process killed in between leaves them to the sweep of stale reservations at the
  // next start, which queues their bytes for EraseLeftovers instead of leaving orphans. Blocking.
  // kNotFound when the owner has no allocation.
  Result<std::vector<WriteTarget>> ReserveWrites(db::Transaction& tx, std::int64_t owner_id,
                                                 std::string_view reservation_id, std::size_t count,
                                                 const net::any_io_executor& executor);
  // Write to a target from Target (taken over: its count ends with the StoredBlob's).
  net::awaitable<Result<StoredBlob>> Write(WriteTarget target, ByteSource& source,
                                           std::optional<std::uint64_t> expected_size = {});
  // Records the blob (owner, pair, size, SHA-256) and adds its size to the owner's used bytes,
  // in the caller's write transaction. kConflict if the blob id is recorded already; kNotFound
  // without an allocation; DB errors as they are.
  Result<void> Record(db::Transaction& tx, std::int64_t owner_id, const StoredBlob& blob);

  // Streams `range` of the blob into `sink` from the pair its row names; when that pair fails
  // because the blob has just been moved, continues from the new pair at the same offset.
  // kNotFound for an unknown blob; kInvalidArgument for a malformed id or a range past the end;
  // kUnavailable when its pair is not open; the volume's and the sink's errors otherwise.
  net::awaitable<Result<void>> Read(std::string_view blob_id, ByteRange range, ByteSink& sink);
  // The blob's row. kNotFound for an unknown blob.
  net::awaitable<Result<db::BlobRow>> Stat(std::string_view blob_id);
  // Whether Read could start now: kStorageUnavailable when the pair holding the blob is not open
  // or neither of its disks is readable (for a response that must fail before its first byte,
  // such as a zip); kNotFound for an unknown blob. Reads no bytes.
  net::awaitable<Result<void>> CheckReadable(std::string_view blob_id);

  // Deletes the blob's row and subtracts its size from the owner's used bytes, in the caller's
  // write transaction, and queues the bytes for removal in it (blob_erasures); returns the row
  // for EraseForgotten. kNotFound for an unknown blob.
  Result<db::BlobRow> Forget(db::Transaction& tx, std::string_view blob_id);
  // After the transaction of Forget committed: removes each blob's bytes from the pair its row
  // named, then drops them from the queue. One that cannot be removed now (its pair not open,
  // a volume error) is logged and stays queued for EraseLeftovers. Returns how many were removed.
  net::awaitable<std::size_t> EraseForgotten(std::vector<db::BlobRow> rows);
  // Removes the bytes of every queued blob (left by a process killed between a Forget's commit
  // and its EraseForgotten, or by a failed removal): at start-up and by the trash purge. Returns
  // how many were removed; DB errors.
  net::awaitable<Result<std::size_t>> EraseLeftovers();
  // Removes the bytes of a blob that was never recorded (a write whose record failed). A blob
  // already absent is fine. kUnavailable when the pair is not open; volume errors (the bytes
  // are then an orphan for scrub).
  net::awaitable<Result<void>> Erase(const db::BlobRow& row);

  // A new plan size for the owner. Same category: DiskPool::Resize. Another category:
  // DiskPool::BeginMove, then the move runs in the background (on this coroutine's executor)
  // and this returns at once. The pool's errors as they are (kNoCapacity, kConflict while a move
  // runs, kNotFound without an allocation, kInvalidArgument for a size of no category).
  net::awaitable<Result<PlanChange>> ChangePlan(std::int64_t owner_id, std::uint64_t new_bytes);
  // Starts every move recorded in the database (call once the engine is open). Blocking (DB);
  // returns how many.
  Result<std::size_t> ResumeMoves(const net::any_io_executor& executor);
  // Progress of moves run by this process (admin view).
  std::optional<MoveProgress> MoveProgressOf(std::int64_t owner_id) const;
  std::vector<MoveProgress> Moves() const;
  // Stops background moves after their current blob (shutdown); they resume at the next start.
  void StopMoves();

  Mover& mover() { return *mover_; }

 private:
  net::awaitable<Result<db::BlobRow>> Lookup(std::string_view blob_id);

  StorageEngine& engine_;
  db::Database& db_;
  WorkerPool& workers_;
  const Clock& clock_;
  std::shared_ptr<Mover> mover_;
};

}  // namespace nimbus::storage
