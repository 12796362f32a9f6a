// MirroredVolume: a Volume over two Volumes (a primary disk and its mirror). Writes go to both at
// once and are acknowledged when both are durable (or the surviving side alone, the other queued
// for repair); reads come from the primary and continue from the mirror mid-stream, at the same
// offset, on an I/O error, a missing blob or a checksum mismatch. SPDX-License-Identifier:
// AGPL-3.0-or-later
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "storage/alerts.h"
#include "storage/mirror/pair_state.h"
#include "storage/volume.h"
#include "util/metrics.h"

namespace nimbus::storage {

struct MirrorOptions {
  // Shared with the pool and the health job; nullptr: the volume makes its own.
  std::shared_ptr<PairState> state;
  // Where alerts go when the volume makes its own PairState; nullptr: a LoggingAlertSink.
  std::shared_ptr<AlertSink> alerts;
  util::Metrics* metrics = nullptr;  // Failover and repair counters when set.
  // For an own PairState: consecutive errors on a side before it is marked failed (0: never,
  // the health job decides).
  std::uint32_t fail_after_errors = 0;
  // How often the background repair loop retries what is still queued.
  std::chrono::milliseconds repair_interval{5000};
  // Failed attempts after which a repair is only retried once its side is marked healthy again.
  int max_repair_attempts = 5;
};

struct RepairStats {
  std::size_t repaired = 0;  // Copied (verified) or found good on the target.
  std::size_t deferred = 0;  // A side is failed or the item gave up for now; still queued.
  std::size_t failed = 0;    // Tried and failed this round; still queued.
  std::size_t dropped = 0;   // The blob is gone from both sides; dequeued.
};

struct SideProbes {
  Result<void> primary;
  Result<void> mirror;
};

// Thread-safe like every Volume. The background repair loop needs the volume to be owned by a
// std::shared_ptr (it keeps it alive until it stops).
class MirroredVolume final : public Volume, public std::enable_shared_from_this<MirroredVolume> {
 public:
  MirroredVolume(std::shared_ptr<Volume> primary, std::shared_ptr<Volume> mirror,
                 MirrorOptions options = {});
  ~MirroredVolume() override;

  // The primary's id: the pair is known by its primary disk (a replaced primary renames it; the
  // reference stays valid for the volume's lifetime).
  const std::string& id() const override;
  // Writers for both usable sides; kIoError only when neither side can take the blob.
  using Volume::Create;
  net::awaitable<Result<std::unique_ptr<BlobWriter>>> Create(const BlobId& id,
                                                             WriteCaching caching) override;
  // See the class comment; the sink receives every byte of the range exactly once. Errors from
  // the sink are returned without failover.
  net::awaitable<Result<void>> Get(const BlobId& id, ByteRange range, ByteSink& sink) override;
  // From the primary; from the mirror when the primary is failed, lacks it or errs.
  net::awaitable<Result<BlobStat>> Stat(const BlobId& id) override;
  // From both sides (a copy missing on one side is fine); kNotFound when neither had it. Queued
  // repairs of the blob are dropped. A failed side is skipped (its copy is an orphan for scrub).
  net::awaitable<Result<void>> Remove(const BlobId& id) override;
  // The union of both usable sides, each blob once (the primary's size when both have it). A
  // side whose listing fails is skipped when the other side's succeeds; visitor errors stop it.
  net::awaitable<Result<void>> ForEach(BlobVisitor visit) override;
  // Probes both sides (failed ones too); kIoError naming the side(s) that failed.
  net::awaitable<Result<void>> Probe() override;
  // The smaller free (and total) space of the usable sides.
  net::awaitable<Result<VolumeSpace>> Space() override;

  // Each side's probe result, for the health job (does not change the state).
  net::awaitable<SideProbes> ProbeSides();
  // One pass over the repair queue: copies each queued blob from the good side to the side that
  // needs it (verified by SHA-256 of the bytes read back), one at a time. Runs at most once
  // concurrently (a second call returns empty stats).
  net::awaitable<RepairStats> RepairPending();
  // Starts the background loop that runs RepairPending() whenever a repair is queued or a side
  // comes back, and every repair_interval. Requires shared_ptr ownership. Idempotent.
  void StartRepairLoop(const net::any_io_executor& executor);
  // Asks the loop to stop after the current blob; it releases the volume when it ends.
  void StopRepairLoop();

  std::shared_ptr<PairState> state() const { return state_; }
  std::shared_ptr<Volume> side(Side s) const;
  // Swaps in another volume for one side (a spare, during replace) and renames the side (and the
  // pair, for the primary) after it. The PairState then decides its use: MarkResilvering while
  // it is rebuilt (writes only), MarkHealthy once resilvered. Thread-safe; operations already
  // running finish on the old volume (a write that missed the new side is queued for repair).
  void ReplaceSide(Side s, std::shared_ptr<Volume> volume);
  std::uint64_t failovers() const { return failovers_.load(); }

 private:
  struct Waker;
  enum class RepairOutcome { kRepaired, kDeferred, kFailed, kGone };
  static net::awaitable<void> RepairLoop(std::shared_ptr<MirroredVolume> self,
                                         std::shared_ptr<net::steady_timer> timer);
  net::awaitable<RepairOutcome> RepairOne(const RepairItem& item, std::string& error);
  net::awaitable<Result<void>> ForEachSide(Side s, const BlobVisitor& visit, bool& visitor_failed);
  void InitWaker();
  void CountRepair(Side target, const char* result);
  Error NoSideServes(const BlobId& id, const std::array<std::optional<Error>, 2>& errors) const;

  mutable std::mutex sides_mutex_;
  std::shared_ptr<Volume> sides_[2];  // Guarded by sides_mutex_.
  std::deque<std::string> names_;     // Every id the pair had (id() refs). Guarded by sides_mutex_.
  std::atomic<const std::string*> id_;  // Into names_: the current primary's id.
  std::shared_ptr<PairState> state_;
  MirrorOptions options_;
  std::shared_ptr<Waker> waker_;
  std::atomic<bool> repairing_{false};
  std::atomic<std::uint64_t> failovers_{0};
  util::CounterFamily* failover_counter_ = nullptr;
  util::CounterFamily* repair_counter_ = nullptr;
};

}  // namespace nimbus::storage
