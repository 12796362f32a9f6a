// LocalVolume: a Volume in a local directory (normally one disk's mount point), laid out as in
// storage.md: <root>/.nimbus-disk marker, blobs/ab/cd/<id> (data + per-block XXH3 footer, see
// local/blob_format.h), small.sqlite for blobs under 64 KiB (local/small_blobs.h), tmp/ for
// uploads in progress (swept at Open).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "storage/volume.h"
#include "util/worker_pool.h"

namespace nimbus::storage {

namespace local {
class SmallBlobs;
}  // namespace local

struct LocalVolumeOptions {
  std::string id;                    // Disk id ("a1"), checked against the marker.
  std::string root;                  // Absolute directory.
  std::uint64_t capacity_bytes = 0;  // 0 = the file system's size.
  bool create_if_missing = true;     // Create `root` when it does not exist.
  bool sweep_tmp = true;             // False: leave tmp/ alone (another process owns the disk).
  // The database says the disk was opened here before: a missing directory or one without a
  // marker is kNotFound (local::PrepareRoot), never set up as a new disk.
  bool set_up_before = false;
  // This installation's id, checked against (or written into) the disk's marker; "" = no check
  // (local::PrepareRoot).
  std::string installation = {};
};

class LocalVolume final : public Volume {
 public:
  // Opens (and if new, initialises) the disk at options.root; blocking, call at start-up or on
  // the WorkerPool. Sweeps tmp/ of leftovers; temp files a live writer holds (flock), e.g. of the
  // server while the admin CLI opens the same disk, are left alone. Refuses (kInvalidArgument,
  // nothing written) a directory whose marker names another disk, or a non-empty directory without
  // a marker. Sweeps tmp/. kIoError on failure. The pool must outlive the volume.
  static Result<std::unique_ptr<LocalVolume>> Open(const LocalVolumeOptions& options,
                                                   WorkerPool& pool);
  ~LocalVolume() override;

  const std::string& id() const override { return id_; }
  // Writers must be committed, aborted or destroyed before the volume is destroyed. Blob
  // files are created in tmp/ (at the first full block written, or at Commit) and renamed into
  // blobs/ab/cd/ at Commit; Create itself does no I/O, an existing id is kNameTaken at Commit.
  // Destroying an uncommitted writer closes and unlinks its temp file right away (a small blocking
  // call).
  using Volume::Create;
  net::awaitable<Result<std::unique_ptr<BlobWriter>>> Create(const BlobId& id,
                                                             WriteCaching caching) override;
  // kChecksumMismatch also when the blob file is truncated or its footer is damaged.
  net::awaitable<Result<void>> Get(const BlobId& id, ByteRange range, ByteSink& sink) override;
  // Reads the trailer: kChecksumMismatch when it is damaged or the file truncated.
  net::awaitable<Result<BlobStat>> Stat(const BlobId& id) override;
  net::awaitable<Result<void>> Remove(const BlobId& id) override;
  // Walks blobs/ab/cd/ (one WorkerPool call per top-level fan-out directory), skipping names
  // that are not blob ids in their right place. A blob whose trailer cannot be read (damaged,
  // truncated, or a read error) is still visited, with size 0, so scrub finds it (its Get then
  // reports kChecksumMismatch or kIoError). kIoError when a directory cannot be listed.
  net::awaitable<Result<void>> ForEach(BlobVisitor visit) override;
  // Also closes small.sqlite when the disk's small blobs have been idle for 2 s (they open again
  // at the next use), so that an idle or failed disk can be unmounted while the server runs.
  net::awaitable<Result<void>> Probe() override;
  // statvfs; with a configured capacity: total = capacity, free = min(capacity - used, fs free).
  net::awaitable<Result<VolumeSpace>> Space() override;

  // The blob file's modification time, or when its small.sqlite row was stored.
  std::optional<std::chrono::seconds> BlobAge(const BlobId& id) override;

  const std::string& root() const { return root_; }
  // Where blob `id` lives when it is kept as a file (tests use it to damage files). A blob under
  // local::kSmallBlobMax is a row of small.sqlite instead.
  std::string BlobPath(const BlobId& id) const;
  // Bytes of the blob files (data + footers) and of the small blobs on this disk, kept up to
  // date by Commit/Remove.
  std::uint64_t used_bytes() const { return used_bytes_.load(); }
  // Temp files removed from tmp/ by Open (partial uploads of a crashed process).
  std::size_t swept_at_open() const { return swept_at_open_; }

  // For the writer (local_writer.cpp).
  WorkerPool& pool() { return pool_; }
  local::SmallBlobs& small_blobs() { return *small_; }
  std::mutex& commit_mutex() { return commit_mu_; }
  void AddUsed(std::int64_t delta) { used_bytes_ += static_cast<std::uint64_t>(delta); }

 private:
  LocalVolume(const LocalVolumeOptions& options, WorkerPool& pool);

  std::string id_;
  std::string root_;
  std::uint64_t capacity_;
  WorkerPool& pool_;
  std::mutex commit_mu_;  // Serialises "exists? then rename" so a second commit gets kNameTaken.
  std::atomic<std::uint64_t> used_bytes_{0};
  std::size_t swept_at_open_ = 0;
  std::unique_ptr<local::SmallBlobs> small_;
};

namespace local {
// Creates the writer of blob `id` on `volume` (local_writer.cpp). No I/O: the writer creates
// its temp file on the pool when it first writes.
Result<std::unique_ptr<BlobWriter>> NewLocalWriter(LocalVolume& volume, const BlobId& id,
                                                   WriteCaching caching);
}  // namespace local

}  // namespace nimbus::storage
