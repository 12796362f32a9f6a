// SPDX-License-Identifier: AGPL-3.0-or-later
// Mover: copy passes, the switch transaction, cleanup of old copies, and sweeps of stray blobs.
// Background runs, write tokens and progress are in mover_tasks.cpp.
#include "storage/engine/mover.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <set>

#include "db/stores/disk_store.h"
#include "storage/engine/storage_engine.h"
#include "storage/put_blob.h"
#include "util/run_blocking.h"
#include "util/sha256.h"

namespace nimbus::storage {
namespace {

constexpr std::chrono::milliseconds kDrainPoll{20};
constexpr std::int64_t kLogEvery = 1000;  // Progress log line every this many blobs copied.

// Hashes what a Get delivers.
class HashSink final : public ByteSink {
 public:
  net::awaitable<Result<void>> Write(std::span<const char> data) override {
    hash.Update(data);
    co_return Result<void>{};
  }
  Sha256 hash;
};

net::awaitable<Result<std::string>> HashOf(Volume& volume, const BlobId& id) {
  HashSink sink;
  auto got = co_await volume.Get(id, ByteRange{}, sink);
  if (!got) co_return Fail(got.error());
  co_return sink.hash.FinishHex();
}

// The error of a run that stops because its target pair is not whole (Mover::TargetNotWhole).
Error TargetWaits(std::int64_t owner_id, const std::string& target, const std::string& why) {
  return Error{Errc::kUnavailable,
               fmt::format("owner {}: {}; the move waits until both disks of pair {} are in "
                           "service, and the files stay on their current pair meanwhile",
                           owner_id, why, target)};
}

}  // namespace

std::string Mover::TargetNotWhole(const std::string& target) {
  auto volume = engine_.VolumeForPair(target);
  if (!volume) return fmt::format("pair {} is not open", target);
  const PairSnapshot snap = volume->state()->Snapshot();
  for (const SideSnapshot* side : {&snap.primary, &snap.mirror}) {
    if (side->state == SideState::kFailed) return fmt::format("disk {} is failed", side->disk_id);
    if (side->resilvering) return fmt::format("disk {} is being rebuilt", side->disk_id);
    // Blobs written to the other side alone (this move's copies among them, when a disk went
    // away during the copy) have one copy until they are repaired.
    if (side->missing > 0) {
      return fmt::format("disk {} lacks {} blob(s) waiting for repair", side->disk_id,
                         side->missing);
    }
  }
  return "";
}

namespace {

// As Mover::TargetNotWhole, from the disks' rows: a disk failed from the CLI (or by another
// process) is failed there before this process's health round notices. "" when both disks of
// pair `target` are in service.
Result<std::string> TargetNotWholeInDb(db::Transaction& tx, const std::string& target) {
  db::DiskStore disks(tx);
  auto primary = disks.GetDisk(target);
  if (!primary) return Fail(primary.error());
  if (!*primary) return fmt::format("disk {} is gone", target);
  std::vector<db::DiskRow> pair{**primary};
  if ((*primary)->mirror_id) {
    auto mirror = disks.GetDisk(*(*primary)->mirror_id);
    if (!mirror) return Fail(mirror.error());
    if (!*mirror) return fmt::format("disk {} is gone", *(*primary)->mirror_id);
    pair.push_back(**mirror);
  }
  for (const db::DiskRow& d : pair) {
    if (d.state == "failed" || d.state == "resilvering" || d.state == "degraded") {
      return fmt::format("disk {} is {}", d.id,
                         d.state == "resilvering" ? "being rebuilt" : d.state);
    }
  }
  return std::string();
}

}  // namespace

// Marks the owner busy for the life of a run or sweep.
class Mover::Claim {
 public:
  Claim(Mover& m, std::int64_t owner) : m_(m), owner_(owner) {
    std::lock_guard lock(m_.mu_);
    ok_ = m_.busy_.insert(owner).second;
  }
  ~Claim() {
    if (!ok_) return;
    std::lock_guard lock(m_.mu_);
    m_.busy_.erase(owner_);
  }
  bool ok() const { return ok_; }

 private:
  Mover& m_;
  std::int64_t owner_;
  bool ok_ = false;
};


net::awaitable<Result<MoveProgress>> Mover::Run(std::int64_t owner_id) {
  Claim claim(*this, owner_id);
  if (!claim.ok()) co_return Fail(Errc::kConflict, "owner {} is already being moved", owner_id);
  auto r = co_await RunClaimed(owner_id);
  co_await CloseTask(owner_id, r ? nullptr : &r.error());
  if (!r) {
    const std::string state = r.error().code == Errc::kCancelled ? "cancelled" : "failed";
    const std::string message = r.error().message;
    Update(owner_id, [&](MoveProgress& p) {
      p.state = state;
      p.last_error = message;
    });
  }
  co_return r;
}

net::awaitable<Result<MoveProgress>> Mover::RunClaimed(std::int64_t owner_id) {
  DiskPool& pool = engine_.pool();
  auto move_of = [&pool, owner_id] { return pool.MoveOf(owner_id); };
  auto plan = co_await RunBlocking(workers_, move_of);
  if (!plan) co_return Fail(plan.error());
  Update(owner_id, [&](MoveProgress& p) {
    p.from = plan->from.primary_id;
    p.to = plan->to.primary_id;
    p.state = "copying";
    p.copied_blobs = p.copied_bytes = p.removed_old = 0;
    p.rounds = 0;
    ++p.attempts;
    p.last_error.clear();
  });
  if (auto opened = co_await OpenTask(owner_id, plan->to.primary_id); !opened) {
    co_return Fail(opened.error());
  }
  spdlog::info("storage: moving owner {} from pair {} to pair {} (plan {} -> {} bytes)", owner_id,
               plan->from.primary_id, plan->to.primary_id, plan->from_bytes, plan->to_bytes);

  CopiedMap copied;
  std::vector<std::string> vanished;
  std::string switched_to;
  for (int round = 1; round <= options_.max_rounds && switched_to.empty(); ++round) {
    // The target may have changed (a replaced primary gets a new id): read it each round.
    auto current = co_await RunBlocking(workers_, move_of);
    if (!current) co_return Fail(current.error());
    const std::string target = current->to.primary_id;
    Update(owner_id, [&](MoveProgress& p) {
      p.rounds = round;
      p.to = target;
      p.state = "copying";
    });
    // Not onto a pair with one disk: the old pair keeps two copies until the target has two.
    // Checked before copying and again before the switch (a disk may fail during the copy).
    if (std::string why = TargetNotWhole(target); !why.empty())
      co_return Fail(TargetWaits(owner_id, target, why));
    auto pass = co_await CopyPass(owner_id, target, copied);
    if (!pass) co_return Fail(pass.error());
    if (std::string why = TargetNotWhole(target); !why.empty())
      co_return Fail(TargetWaits(owner_id, target, why));

    Update(owner_id, [](MoveProgress& p) { p.state = "switching"; });
    bool missed = false;
    auto do_switch = [&]() -> Result<void> {
      vanished.clear();
      return db_.Write([&](db::Transaction& tx) -> Result<void> {
        auto move = db::DiskStore(tx).GetMove(owner_id);
        if (!move) return Fail(move.error());
        if (!*move) return Fail(Errc::kNotFound, "owner {} is no longer being moved", owner_id);
        const std::string to = (*move)->target_primary_id;
        auto not_whole = TargetNotWholeInDb(tx, to);
        if (!not_whole) return Fail(not_whole.error());
        if (!not_whole->empty()) return Fail(TargetWaits(owner_id, to, *not_whole));
        db::BlobStore blobs(tx);
        std::string after;
        for (;;) {  // Every blob not on the target must have been copied there.
          auto rows = blobs.ListByOwner(owner_id, after, options_.page_size);
          if (!rows) return Fail(rows.error());
          for (const db::BlobRow& row : *rows) {
            if (row.primary_id == to || copied.contains(row.id)) continue;
            missed = true;
            return Fail(Errc::kConflict, "owner {}: blob {} arrived during the copy", owner_id,
                        row.id);
          }
          if (static_cast<std::int64_t>(rows->size()) < options_.page_size) break;
          after = rows->back().id;
        }
        auto pair = pool.CommitMove(tx, owner_id);
        if (!pair) return Fail(pair.error());
        for (const auto& [id, c] : copied) {
          auto set = blobs.SetPrimary(id, pair->primary_id);
          if (set) continue;
          if (set.error().code != Errc::kNotFound) return set;
          vanished.push_back(id);  // Deleted meanwhile: its copy on the target is ours to remove.
        }
        switched_to = pair->primary_id;
        return {};
      });
    };
    auto switched = co_await RunBlocking(workers_, do_switch);
    if (!switched) {
      switched_to.clear();
      if (missed) continue;
      co_return Fail(switched.error());
    }
  }
  if (switched_to.empty()) {
    co_return Fail(Errc::kUnavailable,
                   "owner {}: new blobs kept arriving on the old pair for {} copy passes; the "
                   "switch will be tried again",
                   owner_id, options_.max_rounds);
  }
  std::uint64_t switch_seq = 0;
  {
    std::lock_guard lock(mu_);
    switch_seq = next_seq_;
    switched_at_[owner_id] = switch_seq;
  }
  spdlog::info("storage: owner {} switched to pair {} ({} blobs copied)", owner_id, switched_to,
               copied.size());
  Update(owner_id, [](MoveProgress& p) { p.state = "cleaning"; });
  const std::int64_t removed = co_await Cleanup(copied, vanished, switched_to);
  Update(owner_id, [&](MoveProgress& p) { p.removed_old = removed; });
  co_await WaitForWritesBefore(owner_id, switch_seq);
  auto swept = co_await SweepClaimed(owner_id);
  if (!swept) {
    spdlog::warn("storage: owner {} moved, but the sweep of late writes failed: {}", owner_id,
                 swept.error().message);
    MarkStray(owner_id);  // Swept again when the next write of the owner ends.
  }
  Update(owner_id, [](MoveProgress& p) { p.state = "done"; });
  auto done = Progress(owner_id);
  spdlog::info("storage: move of owner {} done: {} blobs, {} bytes copied, {} old copies freed",
               owner_id, done->copied_blobs, done->copied_bytes, done->removed_old);
  co_return *done;
}

net::awaitable<Result<MoveProgress>> Mover::FinishSwitched(std::int64_t owner_id) {
  Claim claim(*this, owner_id);
  if (!claim.ok()) co_return Fail(Errc::kConflict, "owner {} is being moved or swept", owner_id);
  auto r = co_await FinishSwitchedClaimed(owner_id);
  co_await CloseTask(owner_id, r ? nullptr : &r.error());
  co_return r;
}

net::awaitable<Result<MoveProgress>> Mover::FinishSwitchedClaimed(std::int64_t owner_id) {
  DiskPool& pool = engine_.pool();
  auto locate = [&pool, owner_id] { return pool.Locate(owner_id); };
  auto placement = co_await RunBlocking(workers_, locate);
  if (!placement) co_return Fail(placement.error());
  auto move_of = [&pool, owner_id] { return pool.MoveOf(owner_id); };
  auto recorded = co_await RunBlocking(workers_, move_of);
  if (recorded) {
    co_return Fail(Errc::kConflict, "owner {} has a move recorded: it resumes instead", owner_id);
  }
  if (recorded.error().code != Errc::kNotFound) co_return Fail(recorded.error());
  const std::string target = placement->pair.primary_id;
  if (auto opened = co_await OpenTask(owner_id, target); !opened) co_return Fail(opened.error());
  Update(owner_id, [&](MoveProgress& p) {
    p = MoveProgress{};
    p.to = target;
    p.state = "cleaning";
    p.attempts = 1;
  });
  spdlog::info("storage: owner {}: deleting the old copies a move to pair {} left when its process "
               "stopped after the switch", owner_id, target);
  // Only this owner's rows, and the owner is claimed: no copy of theirs is being made elsewhere.
  std::int64_t removed = 0;
  const std::vector<std::string> pairs = engine_.PairIds();
  std::string after;
  for (;;) {
    auto rows = co_await PageOf(owner_id, after);
    if (!rows) co_return Fail(rows.error());
    for (const db::BlobRow& row : *rows) {
      auto id = BlobId::Parse(row.id);
      if (!id) continue;
      for (const std::string& pair : pairs) {
        if (pair == row.primary_id) continue;
        auto volume = engine_.VolumeForPair(pair);
        if (!volume) continue;
        auto r = co_await volume->Remove(*id);
        if (r) {
          ++removed;
        } else if (r.error().code != Errc::kNotFound) {
          spdlog::warn("storage: removing the old copy of blob {} from pair {}: {}; left for scrub",
                       row.id, pair, r.error().message);
        }
      }
    }
    if (static_cast<std::int64_t>(rows->size()) < options_.page_size) break;
    after = rows->back().id;
  }
  Update(owner_id, [&](MoveProgress& p) { p.removed_old = removed; });
  if (auto swept = co_await SweepClaimed(owner_id); !swept) {
    spdlog::warn("storage: owner {}: the sweep of late writes failed: {}", owner_id,
                 swept.error().message);
    MarkStray(owner_id);  // Swept again when the next write of the owner ends.
  }
  Update(owner_id, [](MoveProgress& p) { p.state = "done"; });
  spdlog::info("storage: owner {}: {} old copies deleted after an interrupted move", owner_id,
               removed);
  co_return *Progress(owner_id);
}

net::awaitable<Result<std::vector<db::BlobRow>>> Mover::PageOf(std::int64_t owner_id,
                                                               const std::string& after) {
  auto list = [&] {
    return db_.Read([&](db::Transaction& tx) {
      return db::BlobStore(tx).ListByOwner(owner_id, after, options_.page_size);
    });
  };
  co_return co_await RunBlocking(workers_, list);
}

net::awaitable<Result<void>> Mover::CopyPass(std::int64_t owner_id, const std::string& target,
                                             CopiedMap& copied) {
  std::string after;
  for (;;) {
    auto rows = co_await PageOf(owner_id, after);
    if (!rows) co_return Fail(rows.error());
    for (const db::BlobRow& row : *rows) {
      {
        std::lock_guard lock(mu_);
        if (stopped_) co_return Fail(Errc::kCancelled, "owner {}: the move was stopped", owner_id);
      }
      if (row.primary_id == target || copied.contains(row.id)) continue;
      auto one = co_await CopyOne(row, target);
      if (!one) {
        if (one.error().code == Errc::kNotFound) {  // Deleted since it was listed?
          const std::string id = row.id;
          auto get = [&] {
            return db_.Read([&](db::Transaction& tx) { return db::BlobStore(tx).Get(id); });
          };
          auto still = co_await RunBlocking(workers_, get);
          if (still && !*still) continue;
        }
        co_return Fail(one.error());
      }
      copied.emplace(row.id, Copied{row});
      std::int64_t blobs_so_far = 0, bytes_so_far = 0;
      Update(owner_id, [&](MoveProgress& p) {
        blobs_so_far = ++p.copied_blobs;
        bytes_so_far = p.copied_bytes += row.size;
      });
      if (blobs_so_far % kLogEvery == 0) {
        spdlog::info("storage: owner {}: {} blobs ({} bytes) copied to pair {}", owner_id,
                     blobs_so_far, bytes_so_far, target);
      }
      if (auto beat = co_await Heartbeat(owner_id, false); !beat) co_return beat;
      if (options_.after_copy) co_await options_.after_copy(row);
    }
    if (static_cast<std::int64_t>(rows->size()) < options_.page_size) break;
    after = rows->back().id;
  }
  co_return Result<void>{};
}

net::awaitable<Result<void>> Mover::CopyOne(const db::BlobRow& row, const std::string& target) {
  auto id = BlobId::Parse(row.id);
  if (!id) co_return Fail(Errc::kInternal, "blob row with a bad id '{}'", row.id);
  auto from = engine_.VolumeForPair(row.primary_id);
  if (!from) {
    co_return Fail(Errc::kUnavailable, "blob {}: the disk pair {} holding it is not open", row.id,
                   row.primary_id);
  }
  auto to = engine_.VolumeForPair(target);
  if (!to) co_return Fail(Errc::kUnavailable, "the target disk pair {} is not open", target);
  auto copy = co_await CopyBlob(*from, *to, *id, row.sha256);
  if (!copy && copy.error().code == Errc::kNameTaken) {
    // A copy from an interrupted run, on one side of the pair or both (the run may have been
    // killed between the two sides' commits): each side keeps its copy if it reads back with the
    // recorded hash, and gets a fresh one otherwise.
    co_return co_await CompleteInterruptedCopy(row, *from, *to, *id);
  }
  if (!copy) {
    co_return Fail(copy.error().code, "copying blob {} from pair {} to pair {}: {}", row.id,
                   row.primary_id, target, copy.error().message);
  }
  if (static_cast<std::int64_t>(copy->size) != row.size) {
    (void)co_await to->Remove(*id);
    co_return Fail(Errc::kChecksumMismatch, "blob {}: copied {} bytes, {} recorded", row.id,
                   copy->size, row.size);
  }
  co_return Result<void>{};
}

net::awaitable<Result<void>> Mover::CompleteInterruptedCopy(const db::BlobRow& row, Volume& from,
                                                            MirroredVolume& to, const BlobId& id) {
  for (Side s : {Side::kPrimary, Side::kMirror}) {
    if (!to.state()->Usable(s)) continue;  // A failed side is rebuilt in full when replaced.
    std::shared_ptr<Volume> side = to.side(s);
    auto hash = co_await HashOf(*side, id);
    if (hash && *hash == row.sha256) continue;
    spdlog::warn("storage: blob {} on disk {} (from an interrupted move) {}; copying it again",
                 row.id, side->id(), hash ? "does not verify" : "is missing");
    (void)co_await side->Remove(id);
    auto copy = co_await CopyBlob(from, *side, id, row.sha256);
    if (copy && static_cast<std::int64_t>(copy->size) == row.size) continue;
    (void)co_await side->Remove(id);
    co_return Fail(copy ? Errc::kChecksumMismatch : copy.error().code,
                   "copying blob {} from pair {} to disk {}: {}", row.id, row.primary_id,
                   side->id(),
                   copy ? fmt::format("copied {} bytes, {} recorded", copy->size, row.size)
                        : copy.error().message);
  }
  co_return Result<void>{};
}

net::awaitable<std::int64_t> Mover::Cleanup(const CopiedMap& copied,
                                            const std::vector<std::string>& vanished,
                                            const std::string& target) {
  std::int64_t removed = 0;
  const std::set<std::string> gone(vanished.begin(), vanished.end());
  for (const auto& [id_text, c] : copied) {
    const bool is_gone = gone.contains(id_text);
    const std::string& pair_id = is_gone ? target : c.row.primary_id;
    if (!is_gone && pair_id == target) continue;
    auto id = BlobId::Parse(id_text);
    auto volume = engine_.VolumeForPair(pair_id);
    if (!id || !volume) {
      spdlog::warn("storage: cannot remove blob {} from pair {} (not open); left for scrub",
                   id_text, pair_id);
      continue;
    }
    auto r = co_await volume->Remove(*id);
    if (r) {
      removed += is_gone ? 0 : 1;
    } else if (r.error().code != Errc::kNotFound) {
      spdlog::warn("storage: removing the old copy of blob {} from pair {}: {}; left for scrub",
                   id_text, pair_id, r.error().message);
    }
  }
  co_return removed;
}

net::awaitable<void> Mover::WaitForWritesBefore(std::int64_t owner_id, std::uint64_t seq) {
  const auto rounds = options_.drain_timeout / kDrainPoll;
  for (std::int64_t i = 0; i <= rounds; ++i) {
    {
      std::lock_guard lock(mu_);
      auto it = in_flight_.find(owner_id);
      if (it == in_flight_.end() || it->second.empty() || *it->second.begin() >= seq) co_return;
      if (stopped_) co_return;
    }
    co_await Sleep(kDrainPoll);
  }
  spdlog::info("storage: owner {}: writes that started before the switch are still running; "
               "they are swept when they end", owner_id);
}

net::awaitable<Result<std::int64_t>> Mover::Sweep(std::int64_t owner_id) {
  Claim claim(*this, owner_id);
  if (!claim.ok()) co_return Fail(Errc::kConflict, "owner {} is being moved or swept", owner_id);
  co_return co_await SweepClaimed(owner_id);
}

net::awaitable<Result<std::int64_t>> Mover::SweepClaimed(std::int64_t owner_id) {
  DiskPool& pool = engine_.pool();
  auto locate = [&pool, owner_id] { return pool.Locate(owner_id); };
  auto placement = co_await RunBlocking(workers_, locate);
  if (!placement) co_return Fail(placement.error());
  const std::string target = placement->pair.primary_id;
  {
    std::lock_guard lock(mu_);
    strays_.erase(owner_id);  // A stray recorded from here on marks the owner again.
  }
  CopiedMap copied;
  auto pass = co_await CopyPass(owner_id, target, copied);
  if (!pass) co_return Fail(pass.error());
  if (copied.empty()) co_return std::int64_t{0};

  CopiedMap repointed;
  std::vector<std::string> vanished;
  auto repoint = [&]() -> Result<void> {
    repointed.clear();
    vanished.clear();
    return db_.Write([&](db::Transaction& tx) -> Result<void> {
      auto a = db::DiskStore(tx).GetAllocation(owner_id);
      if (!a) return Fail(a.error());
      if (!*a || (*a)->primary_id != target) {
        return Fail(Errc::kConflict, "owner {} left pair {} during the sweep", owner_id, target);
      }
      db::BlobStore blobs(tx);
      for (const auto& [id, c] : copied) {
        auto row = blobs.Get(id);
        if (!row) return Fail(row.error());
        if (*row && (*row)->primary_id == target) continue;  // Someone else re-homed it.
        if (!*row || (*row)->primary_id != c.row.primary_id) {
          vanished.push_back(id);  // Deleted (or moved elsewhere): our target copy is extra.
          continue;
        }
        if (auto set = blobs.SetPrimary(id, target); !set) return set;
        repointed.emplace(id, c);
      }
      return {};
    });
  };
  auto done = co_await RunBlocking(workers_, repoint);
  if (!done) co_return Fail(done.error());
  CopiedMap to_clean = repointed;
  for (const std::string& id : vanished) to_clean.emplace(id, copied.at(id));
  const std::int64_t removed = co_await Cleanup(to_clean, vanished, target);
  spdlog::info("storage: owner {}: {} blobs written to a pair they had left re-homed to pair {}",
               owner_id, repointed.size(), target);
  Update(owner_id, [&](MoveProgress& p) { p.removed_old += removed; });
  co_return static_cast<std::int64_t>(repointed.size());
}


}  // namespace nimbus::storage
