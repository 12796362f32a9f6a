// SmallBlobs: the blobs of a local disk under kSmallBlobMax, kept as rows of one SQLite file on
// that disk (<root>/small.sqlite) instead of a file each. A file costs the file system an inode,
// a rename and two fsyncs (the file's and its directory's); a row costs an append to the WAL and
// one fsync, and commits that arrive together share it (db::GroupCommitter). Every commit is
// durable before it returns (synchronous=FULL). Each row keeps the blob's BlockChecksum, checked
// on every read as the blocks of a blob file are. Freed pages go back to the file system
// (auto_vacuum=INCREMENTAL). Several processes may open the same disk (SQLite's locks). The
// connections are let go when the disk has been idle (CloseIfIdle, from the health probe), so
// that an idle or failed disk can be unmounted while the server runs; the next call opens them
// again, on the same disk only (its marker). Blocking (but PutAsync); LocalVolume calls it on its
// WorkerPool.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/database.h"
#include "db/group_commit.h"
#include "storage/blob_id.h"
#include "util/result.h"

namespace nimbus::storage::local {

// Blobs up to this size that are whole in the writer's buffer at Commit are kept as rows.
inline constexpr std::size_t kSmallBlobMax = 64 * 1024;
inline constexpr char kSmallBlobsName[] = "small.sqlite";

class SmallBlobs {
 public:
  // Opens (creating if needed) <root>/small.sqlite of disk `disk`. kIoError on failure. Writes
  // are committed by a task on `pool`, which must outlive this.
  static Result<std::unique_ptr<SmallBlobs>> Open(const std::string& disk, const std::string& root,
                                                  WorkerPool& pool);
  ~SmallBlobs();

  // Stores blob `id` durably, together with the other blobs put at the same time (one commit,
  // one fsync), without blocking: `done` is called on a pool thread once it is stored, or with
  // kNameTaken if it is stored already, or with the error of `check` (run first, on the pool
  // thread: the caller's own test, may be empty), or kIoError. `data` must stay valid until then.
  void PutAsync(const BlobId& id, std::span<const char> data, std::uint64_t checksum,
                std::function<Result<void>()> check, db::GroupCommitter::Done done);
  // The blob's bytes, checked against their checksum (kChecksumMismatch), or nullopt if absent.
  Result<std::optional<std::vector<char>>> Get(const BlobId& id);
  // The blob's size, or nullopt if absent.
  Result<std::optional<std::uint64_t>> Size(const BlobId& id);
  // How long ago the blob was stored; nullopt if absent or unknown (stored by an older version
  // after this file was first opened by this one).
  Result<std::optional<std::chrono::seconds>> Age(const BlobId& id);
  // Deletes blob `id` durably and returns its size; nullopt if it was not here.
  Result<std::optional<std::uint64_t>> Remove(const BlobId& id);
  // Remove, without blocking, committed with the other puts and removals of the moment (one
  // commit, one fsync): `done` is called on a pool thread.
  using RemoveDone = std::move_only_function<void(Result<std::optional<std::uint64_t>>)>;
  void RemoveAsync(const BlobId& id, RemoveDone done);
  // Up to `limit` blobs with their sizes, in id order, after the blob named `after` ("" first).
  Result<std::vector<std::pair<BlobId, std::uint64_t>>> List(const std::string& after, int limit);
  // Sum of the sizes of the blobs stored, as counted at Open.
  std::uint64_t bytes_at_open() const { return bytes_at_open_; }
  // kIoError when small.sqlite is no longer at its path, or is another file than the one open
  // (removed, replaced). For the health probe.
  Result<void> Check();
  // Closes the database (its files) if no call used it for `idle` and none is running. True
  // when it is closed now.
  bool CloseIfIdle(std::chrono::milliseconds idle);

 private:
  SmallBlobs(std::string disk, std::string root, WorkerPool& pool);
  // The open database, opened again if it was closed. kIoError when the file opened is no longer
  // at its path, or, to open again, when the directory no longer holds this disk (its marker)
  // or small.sqlite: a disk pulled, unmounted or renamed fails at once, as a missing blob
  // directory does, instead of writing to a file nobody finds.
  Result<std::shared_ptr<db::Database>> Db();
  // Deletes the row of `id`; sets *removed to its size when there was one.
  static db::GroupCommitter::Step RemoveStep(const BlobId& id,
                                             std::shared_ptr<std::optional<std::uint64_t>> removed);
  Result<std::shared_ptr<db::Database>> OpenDb(bool create);  // open_mu_ held.
  // kIoError when small.sqlite is not at its path, or (while open) is another file than the one
  // open. open_mu_ held.
  Result<void> SameFile() const;
  Error Wrap(const Error& e, std::string_view what) const;
  Error Gone(int err) const;  // small.sqlite is no longer at its path (errno `err`).

  std::string disk_;
  std::string root_;
  std::string path_;
  std::uint64_t bytes_at_open_ = 0;
  std::mutex open_mu_;
  std::shared_ptr<db::Database> db_;  // Null while closed. Guarded by open_mu_.
  dev_t dev_ = 0;                     // Of the file db_ opened. Guarded by open_mu_.
  ino_t ino_ = 0;
  std::atomic<std::int64_t> last_use_ms_{0};  // Steady clock.
  db::GroupCommitter committer_;              // Of PutAsync.
};

}  // namespace nimbus::storage::local
