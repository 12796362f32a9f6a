// MirroredVolume repairs: copy a queued blob from the good side to the side that misses it (or
// holds a bad copy), verified by reading it back; and the background loop that drains the queue.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "storage/mirror/mirrored_volume.h"
#include "util/log_throttle.h"

namespace nimbus::storage {

namespace {

// Hashes (SHA-256) and counts what it receives.
class HashSink : public ByteSink {
 public:
  HashSink() { crypto_hash_sha256_init(&state_); }
  net::awaitable<Result<void>> Write(std::span<const char> data) override {
    Hash(data);
    co_return Result<void>{};
  }
  std::array<unsigned char, crypto_hash_sha256_BYTES> Digest() {
    std::array<unsigned char, crypto_hash_sha256_BYTES> out{};
    crypto_hash_sha256_final(&state_, out.data());
    return out;
  }
  std::uint64_t bytes() const { return bytes_; }

 protected:
  void Hash(std::span<const char> data) {
    crypto_hash_sha256_update(&state_, reinterpret_cast<const unsigned char*>(data.data()),
                              data.size());
    bytes_ += data.size();
  }

 private:
  crypto_hash_sha256_state state_;
  std::uint64_t bytes_ = 0;
};

// Appends what it receives to a writer, hashing it on the way.
class CopySink final : public HashSink {
 public:
  explicit CopySink(BlobWriter& writer) : writer_(writer) {}
  net::awaitable<Result<void>> Write(std::span<const char> data) override {
    auto r = co_await writer_.Append(data);
    if (r) Hash(data);
    co_return r;
  }

 private:
  BlobWriter& writer_;
};

bool IsCopyError(Errc code) {
  return code == Errc::kIoError || code == Errc::kNotFound || code == Errc::kChecksumMismatch;
}

}  // namespace

struct MirroredVolume::Waker {
  std::mutex mutex;
  std::function<void()> poke;  // Guarded by mutex; set while the loop runs.
  bool running = false;        // Guarded by mutex.
  std::atomic<bool> pending{false};
  std::atomic<bool> urgent{false};  // A side came back: retry now even after failures.
  std::atomic<bool> stop{false};
  void Wake(bool side_back = false) {
    if (side_back) urgent = true;
    pending = true;
    std::function<void()> p;
    {
      std::lock_guard lock(mutex);
      p = poke;
    }
    if (p) p();
  }
};

void MirroredVolume::InitWaker() {
  waker_ = std::make_shared<Waker>();
  state_->AddObserver([w = waker_](const PairEvent& e) {
    if (e.kind == PairEvent::Kind::kRepairQueued) w->Wake();
    if (e.kind == PairEvent::Kind::kStateChanged && e.old_state == SideState::kFailed) {
      w->Wake(/*side_back=*/true);
    }
  });
}

MirroredVolume::~MirroredVolume() {
  std::lock_guard lock(waker_->mutex);
  waker_->poke = nullptr;
}

void MirroredVolume::CountRepair(Side target, const char* result) {
  if (repair_counter_ != nullptr) {
    repair_counter_->WithLabels({state_->disk_id(target), result}).Inc();
  }
}

net::awaitable<MirroredVolume::RepairOutcome> MirroredVolume::RepairOne(const RepairItem& item,
                                                                        std::string& error) {
  const Side target = item.target;
  const Side source = Other(target);
  // The source must serve reads; the target may be a side being resilvered (a write missed it).
  if (!state_->Usable(target) || !state_->Readable(source)) co_return RepairOutcome::kDeferred;
  auto dst = side(target);
  auto src = side(source);
  const BlobId& id = item.id;

  // 1. Maybe the target's copy is fine after all (a transient error, or repaired already).
  HashSink existing;
  auto have = co_await dst->Get(id, ByteRange{}, existing);
  if (have) {
    auto st = co_await src->Stat(id);
    if (st ? st->size == existing.bytes() : st.error().code == Errc::kNotFound) {
      co_return RepairOutcome::kRepaired;
    }
  } else if (!IsCopyError(have.error().code)) {
    error = fmt::format("reading the copy on {}: {}", dst->id(), have.error().message);
    co_return RepairOutcome::kFailed;
  }
  const bool target_has_copy = have || have.error().code != Errc::kNotFound;

  // 2. A bad copy is only removed once the source has been read back whole and verified.
  if (target_has_copy) {
    HashSink check;
    auto ok = co_await src->Get(id, ByteRange{}, check);
    if (!ok) {
      error =
          fmt::format("both copies are bad: {} ({}), {} ({})", dst->id(),
                      have ? "size differs" : have.error().message, src->id(), ok.error().message);
      co_return RepairOutcome::kFailed;
    }
    auto rm = co_await dst->Remove(id);
    if (!rm && rm.error().code != Errc::kNotFound) {
      error = fmt::format("removing the bad copy on {}: {}", dst->id(), rm.error().message);
      co_return RepairOutcome::kFailed;
    }
  }

  // 3. Copy, then read the new copy back and compare the SHA-256 of what was sent.
  auto writer = co_await dst->Create(id);
  if (!writer) {
    state_->RecordError(target, writer.error().message);
    error = fmt::format("creating on {}: {}", dst->id(), writer.error().message);
    co_return RepairOutcome::kFailed;
  }
  CopySink copy(**writer);
  auto sent = co_await src->Get(id, ByteRange{}, copy);
  if (!sent) {
    co_await (*writer)->Abort();
    if (sent.error().code == Errc::kNotFound && !target_has_copy) co_return RepairOutcome::kGone;
    error = fmt::format("copying from {} to {}: {}", src->id(), dst->id(), sent.error().message);
    co_return RepairOutcome::kFailed;
  }
  auto committed = co_await (*writer)->Commit();
  if (!committed) {
    error = fmt::format("committing on {}: {}", dst->id(), committed.error().message);
    co_return RepairOutcome::kFailed;
  }
  HashSink back;
  auto reread = co_await dst->Get(id, ByteRange{}, back);
  if (!reread || back.Digest() != copy.Digest()) {
    error = fmt::format("the new copy on {} does not read back right{}", dst->id(),
                        reread ? "" : ": " + reread.error().message);
    co_return RepairOutcome::kFailed;
  }
  state_->RecordSuccess(target);
  co_return RepairOutcome::kRepaired;
}

net::awaitable<RepairStats> MirroredVolume::RepairPending() {
  RepairStats stats;
  if (repairing_.exchange(true)) co_return stats;
  struct Release {
    std::atomic<bool>& flag;
    ~Release() { flag = false; }
  } release{repairing_};
  const std::vector<RepairItem> items = state_->PendingRepairs();
  for (const RepairItem& item : items) {
    if (waker_->stop) break;
    if (item.attempts >= options_.max_repair_attempts) {
      ++stats.deferred;
      continue;
    }
    std::string error;
    const RepairOutcome outcome = co_await RepairOne(item, error);
    switch (outcome) {
      case RepairOutcome::kRepaired: {
        static LogThrottle throttle;
        const std::string target = state_->disk_id(item.target);
        const LogThrottle::Verdict said = throttle.Take(target);
        if (said.held > 0) {
          spdlog::info("{} more blobs were repaired on {} (not logged one by one)", said.held,
                       target);
        }
        if (said.log) spdlog::info("blob {} repaired on {}", item.id.str(), target);
      }
        state_->RepairDone(item.id, item.target);
        CountRepair(item.target, "repaired");
        ++stats.repaired;
        break;
      case RepairOutcome::kGone:
        state_->RepairDone(item.id, item.target);
        CountRepair(item.target, "gone");
        ++stats.dropped;
        break;
      case RepairOutcome::kDeferred:
        ++stats.deferred;
        break;
      case RepairOutcome::kFailed:
        spdlog::warn("blob {}: repair on {} failed: {}", item.id.str(),
                     state_->disk_id(item.target), error);
        state_->RepairFailed(item.id, item.target, error);
        CountRepair(item.target, "failed");
        ++stats.failed;
        break;
    }
  }
  co_return stats;
}

net::awaitable<void> MirroredVolume::RepairLoop(std::shared_ptr<MirroredVolume> self,
                                                std::shared_ptr<net::steady_timer> timer) {
  Waker& w = *self->waker_;
  while (!w.stop) {
    w.pending = false;
    w.urgent = false;
    const RepairStats stats = co_await self->RepairPending();
    if (w.stop) break;
    if (w.urgent || (w.pending && stats.failed == 0)) continue;
    // Wait for the interval; a wake-up cuts it short only when the last round had no failures
    // (a side that is down but not marked failed must not be hammered on every queued blob).
    const auto deadline = std::chrono::steady_clock::now() + self->options_.repair_interval;
    while (!w.stop && std::chrono::steady_clock::now() < deadline) {
      timer->expires_at(deadline);
      co_await timer->async_wait(net::as_tuple(net::use_awaitable));
      if (w.urgent || (w.pending && stats.failed == 0)) break;
    }
  }
  std::lock_guard lock(w.mutex);
  w.poke = nullptr;
  w.running = false;
}

void MirroredVolume::StartRepairLoop(const net::any_io_executor& executor) {
  std::lock_guard lock(waker_->mutex);
  if (waker_->running) return;
  waker_->running = true;
  waker_->stop = false;
  auto strand = net::make_strand(executor);
  auto timer = std::make_shared<net::steady_timer>(strand);
  waker_->poke = [strand, timer] { net::post(strand, [timer] { timer->cancel(); }); };
  net::co_spawn(strand, RepairLoop(shared_from_this(), timer), [](std::exception_ptr e) {
    if (e) spdlog::error("mirror repair loop ended by an exception");
  });
}

void MirroredVolume::StopRepairLoop() {
  waker_->stop = true;
  waker_->Wake();
}

}  // namespace nimbus::storage
