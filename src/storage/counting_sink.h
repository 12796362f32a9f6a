// CountingSink: a ByteSink that passes bytes on to another and counts what reached it, and
// whether the inner sink itself failed — what a read that continues elsewhere (failover to the
// mirror, a blob that moved) needs to resume at the right offset. SPDX-License-Identifier:
// AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <span>

#include "storage/byte_stream.h"

namespace nimbus::storage {

class CountingSink final : public ByteSink {
 public:
  explicit CountingSink(ByteSink& inner) : inner_(inner) {}
  net::awaitable<Result<void>> Write(std::span<const char> data) override {
    auto r = co_await inner_.Write(data);
    if (!r) {
      sink_failed_ = true;
      co_return r;
    }
    count_ += data.size();
    co_return r;
  }
  // Bytes the inner sink accepted.
  std::uint64_t count() const { return count_; }
  // True once the inner sink returned an error (the caller's problem: no failover then).
  bool sink_failed() const { return sink_failed_; }

 private:
  ByteSink& inner_;
  std::uint64_t count_ = 0;
  bool sink_failed_ = false;
};

}  // namespace nimbus::storage
