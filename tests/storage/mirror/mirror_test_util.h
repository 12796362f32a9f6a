// Helpers for the MirroredVolume tests: a recording alert sink, a sink that records every write
// and checks the bytes arrive in order exactly once, and SHA-256 of a string.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <sodium.h>

#include <array>
#include <mutex>
#include <string>
#include <vector>

#include "storage/alerts.h"
#include "storage/byte_stream.h"

namespace nimbus::storage::testing {

class RecordingAlerts final : public AlertSink {
 public:
  void Raise(const Alert& alert) override {
    std::lock_guard lock(mutex_);
    alerts_.push_back(alert);
  }
  std::vector<Alert> alerts() const {
    std::lock_guard lock(mutex_);
    return alerts_;
  }
  int Count(AlertKind kind, const std::string& disk) const {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (const auto& a : alerts_) n += (a.kind == kind && a.disk_id == disk) ? 1 : 0;
    return n;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Alert> alerts_;
};

inline std::string Sha256Hex(const std::string& data) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> d{};
  crypto_hash_sha256(d.data(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
  std::string hex(2 * d.size() + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), d.data(), d.size());
  hex.pop_back();
  return hex;
}

// Keeps what it receives; `fail_after`: fails with kCancelled once it holds that many bytes.
class RecordingSink final : public ByteSink {
 public:
  explicit RecordingSink(std::uint64_t fail_after = UINT64_MAX) : fail_after_(fail_after) {}
  net::awaitable<Result<void>> Write(std::span<const char> data) override {
    ++writes;
    if (out.size() >= fail_after_) co_return Fail(Errc::kCancelled, "client went away");
    out.append(data.data(), data.size());
    co_return Result<void>{};
  }
  std::string out;
  int writes = 0;

 private:
  std::uint64_t fail_after_;
};

}  // namespace nimbus::storage::testing
