// Internal to storage/engine: the Scrubber behind ScrubPair (scrub.h), split over scrub.cpp
// (the catalog walk and repairs) and scrub_findings.cpp (orphans, counters, progress, the end).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "db/stores/blob_store.h"
#include "storage/engine/scrub.h"
#include "util/sha256.h"

namespace nimbus::storage::scrub_internal {

inline constexpr int kMaxIoErrorsInARow = 5;
inline constexpr std::size_t kMaxListed = 100;

// Hashes (SHA-256) and counts what a Get delivers; keeps nothing.
class HashingSink final : public ByteSink {
 public:
  net::awaitable<Result<void>> Write(std::span<const char> data) override {
    hash.Update(data);
    bytes += data.size();
    co_return Result<void>{};
  }
  Sha256 hash;
  std::uint64_t bytes = 0;
};

enum class CopyState { kGood, kMissing, kBad, kSkipped };

struct CopyCheck {
  CopyState state = CopyState::kGood;
  std::string detail;  // Why it is bad or missing.
};

// One listed blob of a side (compact: a listing may hold millions).
struct Listed {
  std::array<char, 32> id;
  std::uint64_t size = 0;
  std::string Id() const { return std::string(id.data(), id.size()); }
};

// "scrub:<host>:<pid>".
std::string DefaultLeaseOwner();

// One run of ScrubPair; not reusable.
class Scrubber {
 public:
  Scrubber(MirroredVolume& pair, ScrubDeps deps, ScrubOptions options)
      : pair_(pair), deps_(deps), options_(std::move(options)) {
    if (options_.lease_owner.empty()) options_.lease_owner = DefaultLeaseOwner();
    if (!options_.blob_age) {
      options_.blob_age = [](Volume& volume, const BlobId& id) { return volume.BlobAge(id); };
    }
    if (options_.page_size < 1) options_.page_size = 1;
    if (deps_.metrics != nullptr) {
      const ScrubMetrics m = RegisterScrubMetrics(*deps_.metrics);
      blobs_counter_ = m.blobs;
      orphans_gauge_ = m.orphans;
      last_run_gauge_ = m.last_run;
    }
  }

  net::awaitable<Result<ScrubReport>> Run();

 private:
  std::int64_t NowMs() const { return ToUnixMs(deps_.clock.Now()); }
  Volume& VolumeOf(Side s) { return *sides_[Index(s)]; }
  void Problem(std::string text) {
    if (report_.problems.size() < kMaxListed) report_.problems.push_back(std::move(text));
  }
  void Count(const char* result) {
    if (blobs_counter_ != nullptr) blobs_counter_->WithLabels({result}).Inc();
  }
  void SkipSide(Side s, std::string reason) {
    ScrubSideReport& r = report_.side(s);
    if (r.skipped) return;
    r.skipped = true;
    r.skip_reason = reason;
    Problem(fmt::format("disk {} ({}) skipped: {}", r.disk_id, SideName(s), reason));
  }

  net::awaitable<Result<void>> Begin();
  net::awaitable<Result<void>> CheckBlobs();
  net::awaitable<Result<void>> CheckBlob(const db::BlobRow& row);
  net::awaitable<CopyCheck> CheckCopy(Side s, const db::BlobRow& row);
  net::awaitable<Result<bool>> StillOnPair(const db::BlobRow& row);
  net::awaitable<bool> Repair(Side target, const db::BlobRow& row, std::string& error);
  net::awaitable<Result<void>> FindOrphans(Side s);
  net::awaitable<Result<void>> CheckCounters();
  net::awaitable<Result<void>> Progress(const char* phase, bool force);
  net::awaitable<void> End(const Error* error);

  MirroredVolume& pair_;
  ScrubDeps deps_;
  ScrubOptions options_;
  std::shared_ptr<Volume> sides_[2];
  int io_errors_[2] = {0, 0};  // I/O errors in a row per side.
  ScrubReport report_;
  ScrubProgress progress_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_progress_;
  bool task_open_ = false;
  util::CounterFamily* blobs_counter_ = nullptr;
  util::GaugeFamily* orphans_gauge_ = nullptr;
  util::GaugeFamily* last_run_gauge_ = nullptr;
};
}  // namespace nimbus::storage::scrub_internal
