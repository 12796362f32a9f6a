// Volume: where blobs live — a local directory (normally one disk's mount point), an S3 prefix
// later, or memory in tests. Blobs are immutable, named by a random BlobId, written once through
// a BlobWriter and read back in verified ranges. MirroredVolume is a Volume over two Volumes.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "storage/blob_id.h"
#include "storage/byte_stream.h"
#include "util/result.h"

namespace nimbus::storage {

namespace net = boost::asio;

// Block size of the per-block checksums: every read is verified a block at a time.
inline constexpr std::size_t kBlockSize = 1 << 20;

// The checksum of one block (XXH3-64), the same on every volume.
std::uint64_t BlockChecksum(std::span<const char> block);

struct ByteRange {
  std::uint64_t offset = 0;
  std::optional<std::uint64_t> length;  // nullopt: to the end of the blob.
};

struct BlobStat {
  std::uint64_t size = 0;  // Logical size (the bytes a client gets), not the bytes on disk.
};

struct VolumeSpace {
  std::uint64_t total_bytes = 0;  // Of the file system or the configured capacity.
  std::uint64_t free_bytes = 0;   // What can still be written.
};

// Writes one blob. Bytes appended are not visible under the id until Commit() succeeds; an
// uncommitted writer (aborted, destroyed or crashed) leaves nothing visible under the id. Not
// thread-safe: one coroutine uses a writer at a time.
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;  // Aborts when not committed.
  // Appends bytes. kIoError (EIO, ENOSPC: the message says which) on failure; the writer is then
  // unusable and must be aborted.
  virtual net::awaitable<Result<void>> Append(std::span<const char> data) = 0;
  // Appends one whole kBlockSize block that starts at a block boundary of the blob, with its
  // BlockChecksum already computed by the caller: PutBlob computes it once for both copies of a
  // mirror, while the disks are still writing the previous block, instead of each disk computing
  // it between two writes. The default ignores `checksum` and appends.
  virtual net::awaitable<Result<void>> AppendBlock(std::span<const char> block,
                                                   std::uint64_t checksum) {
    (void)checksum;
    return Append(block);
  }
  // Makes the blob durable and visible: data and checksums flushed (fdatasync), renamed into
  // place, directory fsynced. Returns the blob's logical size. kIoError on failure (nothing
  // visible), kNameTaken if a blob with this id already exists.
  virtual net::awaitable<Result<std::uint64_t>> Commit() = 0;
  // Discards what was written (removes the temporary data). Safe to call twice.
  virtual net::awaitable<void> Abort() = 0;
};

// How a new blob's whole blocks meet the page cache.
// - kBypass (the default): a local disk writes whole blocks handed over in page-aligned buffers
//   with O_DIRECT (the mirror side of an upload): on a 2-core machine copying every block into
//   the page cache is a large share of the CPU, and these bytes are not read soon.
// - kKeepForReads: a blob that is likely read soon (an upload: another device syncs it, a
//   preview is made, the uploader opens it). A local disk writes it through the page cache; a
//   MirroredVolume does so only on the side that serves reads, and bypasses the cache on the
//   other, which is read only on failover, scrub and resilver.
// Durability is the same either way: Commit flushes (fdatasync) before the blob is visible.
enum class WriteCaching { kBypass, kKeepForReads };

// The blob visitor of Volume::ForEach; returning an error stops the walk with that error.
using BlobVisitor = std::function<Result<void>(const BlobId& id, std::uint64_t size)>;

// Implementations are safe to call concurrently from any executor; blocking file I/O runs on the
// WorkerPool they were built with, never on the calling (I/O) thread.
class Volume {
 public:
  virtual ~Volume() = default;

  // The disk id ("a1"), as in disks.toml and the marker file.
  virtual const std::string& id() const = 0;

  // Starts writing blob `id`. kIoError if the volume cannot take writes now. `caching` says
  // whether the blob's whole blocks may bypass the page cache (see WriteCaching).
  virtual net::awaitable<Result<std::unique_ptr<BlobWriter>>> Create(const BlobId& id,
                                                                     WriteCaching caching) = 0;
  net::awaitable<Result<std::unique_ptr<BlobWriter>>> Create(const BlobId& id) {
    return Create(id, WriteCaching::kBypass);
  }

  // Streams `range` of blob `id` into `sink`, verifying every block before any byte of it
  // reaches the sink. kNotFound if absent; kIoError on a read error; kChecksumMismatch when a
  // block does not match its checksum (the sink has then received only the verified bytes
  // before that block); kInvalidArgument when the range starts past the end. Errors from the
  // sink are returned as they are.
  virtual net::awaitable<Result<void>> Get(const BlobId& id, ByteRange range, ByteSink& sink) = 0;

  virtual net::awaitable<Result<BlobStat>> Stat(const BlobId& id) = 0;  // kNotFound, kIoError.
  // Deletes the blob; kNotFound if absent.
  virtual net::awaitable<Result<void>> Remove(const BlobId& id) = 0;
  // Visits every committed blob (scrub, orphan sweep, resilver), in no particular order.
  virtual net::awaitable<Result<void>> ForEach(BlobVisitor visit) = 0;
  // Health probe: writes, fsyncs, reads back and deletes a small probe file. kIoError with what
  // failed.
  virtual net::awaitable<Result<void>> Probe() = 0;
  virtual net::awaitable<Result<VolumeSpace>> Space() = 0;
  // How long ago blob `id` was written, where the volume keeps that (scrub keeps a younger
  // orphan: it may be an upload still being recorded); nullopt when absent or unknown.
  // Blocking: call it on the WorkerPool.
  virtual std::optional<std::chrono::seconds> BlobAge(const BlobId&) { return std::nullopt; }
};

}  // namespace nimbus::storage
