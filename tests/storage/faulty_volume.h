// FaultyVolume: a test decorator over any Volume that counts calls and injects faults: offline
// (every call fails with kIoError) and a Get that fails with kIoError after delivering N bytes
// of the blob (a bad sector, a disk pulled mid-read). SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>

#include "storage/volume.h"

namespace nimbus::storage::testing {

class FaultyVolume final : public Volume {
 public:
  explicit FaultyVolume(std::shared_ptr<Volume> inner) : inner_(std::move(inner)) {}

  std::atomic<bool> offline{false};
  // Logical blob offset at which Get stops with kIoError (after the bytes before it).
  std::atomic<std::uint64_t> fail_get_at{std::numeric_limits<std::uint64_t>::max()};
  std::atomic<bool> fail_get_once{false};  // Clear fail_get_at after the first injected failure.
  std::atomic<int> gets{0}, creates{0}, removes{0};

  const std::string& id() const override { return inner_->id(); }
  using Volume::Create;
  net::awaitable<Result<std::unique_ptr<BlobWriter>>> Create(const BlobId& id,
                                                             WriteCaching caching) override {
    ++creates;
    if (offline) co_return Down("create");
    co_return co_await inner_->Create(id, caching);
  }
  net::awaitable<Result<void>> Get(const BlobId& id, ByteRange range, ByteSink& sink) override {
    ++gets;
    if (offline) co_return Down("get");
    const std::uint64_t fail_at = fail_get_at;
    if (fail_at == std::numeric_limits<std::uint64_t>::max()) {
      co_return co_await inner_->Get(id, range, sink);
    }
    CutSink cut(sink, range.offset, fail_at);
    auto r = co_await inner_->Get(id, range, cut);
    if (!cut.cut) co_return r;
    if (fail_get_once) fail_get_at = std::numeric_limits<std::uint64_t>::max();
    co_return Fail(Errc::kIoError, "{}: injected EIO at byte {}", inner_->id(), fail_at);
  }
  net::awaitable<Result<BlobStat>> Stat(const BlobId& id) override {
    if (offline) co_return Down("stat");
    co_return co_await inner_->Stat(id);
  }
  net::awaitable<Result<void>> Remove(const BlobId& id) override {
    ++removes;
    if (offline) co_return Down("remove");
    co_return co_await inner_->Remove(id);
  }
  net::awaitable<Result<void>> ForEach(BlobVisitor visit) override {
    if (offline) co_return Down("list");
    co_return co_await inner_->ForEach(std::move(visit));
  }
  net::awaitable<Result<void>> Probe() override {
    if (offline) co_return Down("probe");
    co_return co_await inner_->Probe();
  }
  net::awaitable<Result<VolumeSpace>> Space() override {
    if (offline) co_return Down("space");
    co_return co_await inner_->Space();
  }

 private:
  // Passes the bytes before blob offset `fail_at`, then stops the read and remembers the cut.
  class CutSink final : public ByteSink {
   public:
    CutSink(ByteSink& inner, std::uint64_t pos, std::uint64_t fail_at)
        : inner_(inner), pos_(pos), fail_at_(fail_at) {}
    net::awaitable<Result<void>> Write(std::span<const char> data) override {
      const std::uint64_t room = fail_at_ > pos_ ? fail_at_ - pos_ : 0;
      if (room >= data.size()) {
        pos_ += data.size();
        co_return co_await inner_.Write(data);
      }
      if (room > 0) {
        auto r = co_await inner_.Write(data.first(room));
        if (!r) co_return r;  // The real sink's own error.
      }
      cut = true;
      co_return Fail(Errc::kCancelled, "cut");  // Stops the inner Get; turned into kIoError.
    }
    bool cut = false;

   private:
    ByteSink& inner_;
    std::uint64_t pos_;
    std::uint64_t fail_at_;
  };

  std::unexpected<Error> Down(const char* op) const {
    return Fail(Errc::kIoError, "{}: {} failed: EIO (injected, offline)", inner_->id(), op);
  }

  std::shared_ptr<Volume> inner_;
};

}  // namespace nimbus::storage::testing
