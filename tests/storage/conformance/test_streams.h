// Test helpers for volumes: a ByteSource over a string, a ByteSink into a string (with an
// optional failure), deterministic test bytes, and WriteBlob/ReadBlob shortcuts.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "storage/volume.h"
#include "util/result.h"

namespace nimbus::storage::testing {

// `size` bytes that differ per `seed` and per position (not a repeating short pattern).
inline std::string TestBytes(std::size_t size, std::uint32_t seed = 1) {
  std::string out(size, '\0');
  std::uint64_t x = 0x9e3779b97f4a7c15ull * (seed + 1);
  for (std::size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x);
  }
  return out;
}

class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string data, std::size_t max_chunk = 64 * 1024)
      : data_(std::move(data)), max_chunk_(max_chunk) {}
  net::awaitable<Result<std::size_t>> Read(std::span<char> buf) override {
    std::size_t n = std::min({buf.size(), max_chunk_, data_.size() - pos_});
    std::memcpy(buf.data(), data_.data() + pos_, n);
    pos_ += n;
    co_return n;
  }
  std::size_t delivered() const { return pos_; }  // Bytes read so far.

 private:
  std::string data_;
  std::size_t max_chunk_;
  std::size_t pos_ = 0;
};

class StringSink final : public ByteSink {
 public:
  // `fail_after`: the sink fails with kCancelled once it holds that many bytes or more.
  explicit StringSink(std::uint64_t fail_after = UINT64_MAX) : fail_after_(fail_after) {}
  net::awaitable<Result<void>> Write(std::span<const char> data) override {
    if (out.size() >= fail_after_) co_return Fail(Errc::kCancelled, "sink closed by the test");
    out.append(data.data(), data.size());
    ++writes;
    co_return Result<void>{};
  }
  std::string out;
  int writes = 0;

 private:
  std::uint64_t fail_after_;
};

// Writes `data` as blob `id` in `chunk`-sized appends and commits it. Returns the committed size.
inline net::awaitable<Result<std::uint64_t>> WriteBlob(Volume& v, const BlobId& id, std::string data,
                                                       std::size_t chunk = 256 * 1024) {
  auto writer = co_await v.Create(id);
  if (!writer) co_return Fail(writer.error());
  for (std::size_t pos = 0; pos < data.size(); pos += chunk) {
    std::size_t n = std::min(chunk, data.size() - pos);
    auto ok = co_await (*writer)->Append(std::span<const char>(data.data() + pos, n));
    if (!ok) {
      co_await (*writer)->Abort();
      co_return Fail(ok.error());
    }
  }
  co_return co_await (*writer)->Commit();
}

// Reads `range` of blob `id` into a string.
inline net::awaitable<Result<std::string>> ReadBlob(Volume& v, const BlobId& id, ByteRange range = {}) {
  StringSink sink;
  auto ok = co_await v.Get(id, range, sink);
  if (!ok) co_return Fail(ok.error());
  co_return std::move(sink.out);
}

}  // namespace nimbus::storage::testing
