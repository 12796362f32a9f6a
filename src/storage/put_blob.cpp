// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/put_blob.h"

#include <memory>
#include <vector>

#include "util/sha256.h"

namespace nimbus::storage {
namespace {

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

}  // namespace

net::awaitable<Result<BlobInfo>> PutBlob(Volume& volume, const BlobId& id, ByteSource& source,
                                         std::optional<std::uint64_t> expected_size) {
  auto created = co_await volume.Create(id);
  if (!created) co_return Fail(created.error());
  std::unique_ptr<BlobWriter> writer = std::move(*created);
  Sha256 hash;
  std::vector<char> buf(kChunk);
  std::uint64_t total = 0;
  std::optional<Error> error;
  bool eof = false;
  while (!eof && !error) {
    // Fill the buffer (sources often return small reads) so the volume sees ~1 MiB appends.
    std::size_t filled = 0;
    while (filled < buf.size()) {
      auto n = co_await source.Read(std::span<char>(buf.data() + filled, buf.size() - filled));
      if (!n) {
        error = n.error();
        break;
      }
      if (*n == 0) {
        eof = true;
        break;
      }
      filled += *n;
    }
    if (error || filled == 0) break;
    total += filled;
    if (expected_size && total > *expected_size) {
      error = Error{Errc::kInvalidArgument,
                    fmt::format("blob {}: the body is longer than the announced {} bytes", id.str(),
                                *expected_size)};
      break;
    }
    std::span<const char> chunk(buf.data(), filled);
    hash.Update(chunk);
    auto ok = co_await writer->Append(chunk);
    if (!ok) error = ok.error();
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
