// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/put_blob.h"

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

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

// The chunks of one PutBlob in a ring, through three stages in order: the reader fills them from
// the source, the hasher adds them to the SHA-256 and checksums whole blocks (on `hash_pool`
// when given, so that hashing does not hold the thread that reads the network), the writer
// appends them. Each stage waits only when the ring is empty or full. With two chunks in lockstep,
// every step lasted as long as the slower of "read the next MiB" and "write this MiB to both
// disks", so a slow moment of either side was lost for good. Indices go through thread-safe
// channels (PutBlob may run on an executor with several threads); a chunk belongs to one stage
// at a time.
constexpr std::size_t kRing = 4;
constexpr std::size_t kEnd = kRing;  // Sent by the reader after the last chunk.
using IndexChannel = net::experimental::concurrent_channel<void(boost::system::error_code, std::size_t)>;

struct Ring {
  Ring(const net::any_io_executor& ex, std::size_t chunk_size)
      : free(ex, kRing), filled(ex, kRing + 1), hashed(ex, kRing + 1) {
    for (std::size_t i = 0; i < kRing; ++i) chunks.emplace_back(chunk_size);
  }
  std::vector<Chunk> chunks;
  IndexChannel free;    // Chunks the reader may fill.
  IndexChannel filled;  // Chunks to hash, then kEnd.
  IndexChannel hashed;  // Chunks to append, then kEnd.
  Sha256 hash;          // Hasher only.
  std::uint64_t total = 0;               // Reader only.
  std::optional<Error> reader_error;     // Reader only, read after both ended.
  std::optional<Error> writer_error;     // Writer only, read after both ended.
  std::atomic<bool> reader_failed{false};  // Lets the writer stop early.
};

// Appends a filled chunk, with its block checksum when it is a whole block. (Not a co_await in
// each arm of a ?: — with GCC 12 that was a double free in PutBlobTest.)
net::awaitable<Result<void>> AppendChunk(BlobWriter& writer, const Chunk& chunk) {
  std::span<const char> data(chunk.bytes.get(), chunk.filled);
  if (chunk.checksum) co_return co_await writer.AppendBlock(data, *chunk.checksum);
  co_return co_await writer.Append(data);
}

net::awaitable<void> ReadChunks(Ring& ring, ByteSource& source, const BlobId& id,
                                std::optional<std::uint64_t> expected_size) {
  for (;;) {
    auto [ec, i] = co_await ring.free.async_receive(net::as_tuple(net::use_awaitable));
    if (ec) break;  // The writer stopped.
    Chunk& chunk = ring.chunks[i];
    auto ok = co_await FillChunk(source, chunk);
    if (!ok) {
      ring.reader_error = ok.error();
      break;
    }
    ring.total += chunk.filled;
    if (expected_size && ring.total > *expected_size) {
      ring.reader_error = LongerThanAnnounced(id, *expected_size);
      break;
    }
    if (chunk.filled > 0) ring.filled.try_send(boost::system::error_code{}, i);
    if (chunk.eof) break;
  }
  if (ring.reader_error) ring.reader_failed = true;
  ring.filled.try_send(boost::system::error_code{}, kEnd);
}

net::awaitable<void> HashChunks(Ring& ring, WorkerPool* pool) {
  for (;;) {
    auto [ec, i] = co_await ring.filled.async_receive(net::as_tuple(net::use_awaitable));
    if (ec || i == kEnd) break;
    Chunk& chunk = ring.chunks[i];
    if (pool != nullptr) {
      auto hash_fn = [&chunk, &ring] { HashChunk(chunk, ring.hash); };
      co_await RunBlocking(*pool, std::move(hash_fn));
    } else {
      HashChunk(chunk, ring.hash);
    }
    ring.hashed.try_send(boost::system::error_code{}, i);
  }
  ring.hashed.try_send(boost::system::error_code{}, kEnd);
}

net::awaitable<void> WriteChunks(Ring& ring, BlobWriter& writer) {
  for (;;) {
    auto [ec, i] = co_await ring.hashed.async_receive(net::as_tuple(net::use_awaitable));
    if (ec || i == kEnd || ring.reader_failed) break;
    Chunk& chunk = ring.chunks[i];
    auto appended = co_await AppendChunk(writer, chunk);
    if (!appended) {
      ring.writer_error = appended.error();
      ring.free.close();  // The reader stops at its next chunk.
      break;
    }
    ring.free.try_send(boost::system::error_code{}, i);
  }
}

}  // namespace

net::awaitable<Result<BlobInfo>> PutBlob(Volume& volume, const BlobId& id, ByteSource& source,
                                         std::optional<std::uint64_t> expected_size,
                                         WorkerPool* hash_pool) {
  auto created = co_await volume.Create(id);
  if (!created) co_return Fail(created.error());
  std::unique_ptr<BlobWriter> writer = std::move(*created);
  const std::size_t chunk_size = ChunkSizeFor(expected_size);
  Ring ring(co_await net::this_coro::executor, chunk_size);
  std::optional<Error> error;
  // The first chunk: a blob that fits in it (most small files) is appended without the ring.
  Chunk& first = ring.chunks[0];
  auto read = co_await FillChunk(source, first);
  if (!read) {
    error = read.error();
  } else if (expected_size && first.filled > *expected_size) {
    error = LongerThanAnnounced(id, *expected_size);
  } else if (first.eof) {
    HashChunk(first, ring.hash);  // Small: not worth a trip to the pool.
    ring.total = first.filled;
    if (first.filled > 0) {
      auto appended = co_await AppendChunk(*writer, first);
      if (!appended) error = appended.error();
    }
  } else {
    ring.total = first.filled;
    ring.filled.try_send(boost::system::error_code{}, 0);
    for (std::size_t i = 1; i < kRing; ++i) ring.free.try_send(boost::system::error_code{}, i);
    co_await (ReadChunks(ring, source, id, expected_size) && HashChunks(ring, hash_pool) &&
              WriteChunks(ring, *writer));
    if (ring.writer_error) error = ring.writer_error;
    else if (ring.reader_error) error = ring.reader_error;
  }
  if (!error && expected_size && ring.total != *expected_size) {
    error = Error{Errc::kInvalidArgument,
                  fmt::format("blob {}: the body has {} bytes, {} were announced", id.str(),
                              ring.total, *expected_size)};
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
  co_return BlobInfo{id, *size, ring.hash.FinishHex()};
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
