// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/put_blob.h"

#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "util/run_blocking.h"
#include "util/sha256.h"

namespace nimbus::storage {
namespace {

using namespace boost::asio::experimental::awaitable_operators;  // NOLINT: operator&&.

constexpr std::size_t kChunk = kBlockSize;

// A sink that appends to a writer and hashes what passes through.
class WriterSink final : public ByteSink {
 public:
  explicit WriterSink(BlobWriter& writer) : writer_(writer) {}
  net::awaitable<Result<void>> Write(std::span<const char> data) override {
    hash.Update(data);
    size += data.size();
    co_return co_await writer_.Append(data);
  }
  Sha256 hash;
  std::uint64_t size = 0;

 private:
  BlobWriter& writer_;
};

// Chunk buffers are page-aligned: a local disk writes a whole aligned block with O_DIRECT
// instead of copying it into the page cache (local_writer.cpp).
constexpr std::size_t kChunkAlign = 4096;
struct AlignedFree {
  void operator()(char* p) const { std::free(p); }
};

// One chunk of up to ~1 MiB read from the source (filled up: sources often return small reads),
// then hashed (HashChunk), then appended. The buffer is allocated at the first fill, uninitialised, and
// no larger than the blob needs (a 4 KiB upload does not touch 2 MiB of fresh memory).
struct Chunk {
  explicit Chunk(std::size_t cap) : capacity(cap) {}
  std::size_t capacity;
  std::unique_ptr<char[], AlignedFree> bytes;
  std::size_t filled = 0;
  bool eof = false;
  std::optional<std::uint64_t> checksum;  // BlockChecksum of a whole block.
};

// The chunk size for a blob of `expected_size` bytes: one byte more than announced (so a longer
// body is still noticed), at most kChunk.
std::size_t ChunkSizeFor(std::optional<std::uint64_t> expected_size) {
  if (!expected_size || *expected_size >= kChunk) return kChunk;
  return static_cast<std::size_t>(*expected_size) + 1;
}

net::awaitable<Result<void>> FillChunk(ByteSource& source, Chunk& chunk) {
  chunk.filled = 0;
  chunk.eof = false;
  if (chunk.bytes == nullptr) {
    const std::size_t rounded = (chunk.capacity + kChunkAlign - 1) / kChunkAlign * kChunkAlign;
    chunk.bytes.reset(static_cast<char*>(std::aligned_alloc(kChunkAlign, rounded)));
    if (chunk.bytes == nullptr) throw std::bad_alloc();
  }
  while (chunk.filled < chunk.capacity) {
    auto n = co_await source.Read(
        std::span<char>(chunk.bytes.get() + chunk.filled, chunk.capacity - chunk.filled));
    if (!n) co_return Fail(n.error());
    if (*n == 0) {
      chunk.eof = true;
      break;
    }
    chunk.filled += *n;
  }
  co_return Result<void>{};
}

// Adds a filled chunk to the blob's SHA-256 and, for a whole block, computes its BlockChecksum
// (chunks start at block boundaries), once for both copies of a mirror.
void HashChunk(Chunk& chunk, Sha256& hash) {
  std::span<const char> data(chunk.bytes.get(), chunk.filled);
  hash.Update(data);
  chunk.checksum.reset();
  if (chunk.filled == kBlockSize) chunk.checksum = BlockChecksum(data);
}

// The error of a body that goes on past the size it announced.
Error LongerThanAnnounced(const BlobId& id, std::uint64_t expected_size) {
  return Error{Errc::kInvalidArgument,
               fmt::format("blob {}: the body is longer than the announced {} bytes", id.str(), expected_size)};
}

// Appends a filled chunk, with its block checksum when it is a whole block. (Not a co_await in
// each arm of a ?: — with GCC 12 that was a double free in PutBlobTest.)
net::awaitable<Result<void>> AppendChunk(BlobWriter& writer, const Chunk& chunk) {
  std::span<const char> data(chunk.bytes.get(), chunk.filled);
  if (chunk.checksum) co_return co_await writer.AppendBlock(data, *chunk.checksum);
  co_return co_await writer.Append(data);
}

// Fills `chunk` from the source, then hashes it: on `pool` when given (a large upload's SHA-256
// then does not hold the thread that reads the network), else here.
net::awaitable<Result<void>> FillAndHash(ByteSource& source, Chunk& chunk, Sha256& hash, WorkerPool* pool) {
  auto filled = co_await FillChunk(source, chunk);
  if (!filled) co_return filled;
  if (pool != nullptr && chunk.filled == kBlockSize) {
    auto hash_fn = [&chunk, &hash] { HashChunk(chunk, hash); };
    co_await RunBlocking(*pool, std::move(hash_fn));
  } else {
    HashChunk(chunk, hash);
  }
  co_return Result<void>{};
}

}  // namespace

net::awaitable<Result<BlobInfo>> PutBlob(Volume& volume, const BlobId& id, ByteSource& source,
                                         std::optional<std::uint64_t> expected_size,
                                         WorkerPool* hash_pool) {
  auto created = co_await volume.Create(id, WriteCaching::kKeepForReads);
  if (!created) co_return Fail(created.error());
  std::unique_ptr<BlobWriter> writer = std::move(*created);
  Sha256 hash;
  // Two chunks in flight: while one is appended (the volume's blocking writes run on its worker
  // pool), the next is read from the source and hashed, so reading, hashing and writing overlap.
  // (A ring of four chunks with a stage per channel was tried: a few % faster, but it crashed
  // under two I/O threads without a strand, in VolumeConformance.ConcurrentPutsOfDifferentBlobs.)
  const std::size_t chunk_size = ChunkSizeFor(expected_size);
  Chunk chunks[2] = {Chunk(chunk_size), Chunk(chunk_size)};
  Chunk* current = &chunks[0];
  Chunk* next = &chunks[1];
  std::uint64_t total = 0;
  std::optional<Error> error;
  auto first = co_await FillAndHash(source, *current, hash, hash_pool);
  if (!first) error = first.error();
  while (!error && current->filled > 0) {
    total += current->filled;
    if (expected_size && total > *expected_size) {
      error = LongerThanAnnounced(id, *expected_size);
      break;
    }
    Result<void> appended, filled;
    if (current->eof) {
      appended = co_await AppendChunk(*writer, *current);
      next->filled = 0;
    } else {
      auto both = co_await (AppendChunk(*writer, *current) && FillAndHash(source, *next, hash, hash_pool));
      appended = std::move(std::get<0>(both));
      filled = std::move(std::get<1>(both));
    }
    if (!appended) error = appended.error();
    else if (!filled) error = filled.error();
    std::swap(current, next);
  }
  if (!error && expected_size && total != *expected_size) {
    error = Error{Errc::kInvalidArgument,
                  fmt::format("blob {}: the body has {} bytes, {} were announced", id.str(), total,
                              *expected_size)};
  }
  if (error) {
    co_await writer->Abort();
    co_return Fail(std::move(*error));
  }
  auto size = co_await writer->Commit();
  if (!size) {
    co_await writer->Abort();
    co_return Fail(size.error());
  }
  co_return BlobInfo{id, *size, hash.FinishHex()};
}

net::awaitable<Result<BlobInfo>> CopyBlob(Volume& from, Volume& to, const BlobId& id,
                                          std::optional<std::string> expected_sha256_hex) {
  auto created = co_await to.Create(id);
  if (!created) co_return Fail(created.error());
  std::unique_ptr<BlobWriter> writer = std::move(*created);
  WriterSink sink(*writer);
  auto got = co_await from.Get(id, ByteRange{}, sink);
  if (!got) {
    co_await writer->Abort();
    co_return Fail(got.error());
  }
  std::string hex = sink.hash.FinishHex();
  if (expected_sha256_hex && hex != *expected_sha256_hex) {
    co_await writer->Abort();
    co_return Fail(Errc::kChecksumMismatch,
                   "blob {}: copy from disk {} to {} has SHA-256 {}, expected {}; not committed",
                   id.str(), from.id(), to.id(), hex, *expected_sha256_hex);
  }
  auto size = co_await writer->Commit();
  if (!size) {
    co_await writer->Abort();
    co_return Fail(size.error());
  }
  co_return BlobInfo{id, *size, std::move(hex)};
}

}  // namespace nimbus::storage
