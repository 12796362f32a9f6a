// SPDX-License-Identifier: AGPL-3.0-or-later
// The scrub of one pair, part 1: the task row, the catalog walk (verify both copies) and repairs.
// Orphans, counters, progress and the end are in scrub_findings.cpp; the report in
// scrub_report.cpp.
#include "storage/engine/scrub.h"

#include <fmt/core.h>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "db/stores/blob_store.h"
#include "db/stores/disk_task_store.h"
#include "storage/engine/scrub_internal.h"
#include "storage/put_blob.h"
#include "util/process_gone.h"
#include "util/run_blocking.h"

namespace nimbus::storage {
namespace scrub_internal {

net::awaitable<Result<ScrubReport>> Scrubber::Run() {
  started_ = std::chrono::steady_clock::now();
  last_progress_ = started_;
  const PairState& state = *pair_.state();
  report_.pair = state.disk_id(Side::kPrimary);
  report_.started_at = NowMs();
  progress_.pair = report_.pair;
  for (Side s : {Side::kPrimary, Side::kMirror}) {
    sides_[Index(s)] = pair_.side(s);
    report_.side(s).disk_id = state.disk_id(s);
    auto skip = options_.skip_disks.find(state.disk_id(s));
    if (skip != options_.skip_disks.end()) {
      SkipSide(s, skip->second);
    } else if (!state.Usable(s)) {
      SkipSide(s, "the disk is failed");
    }
  }
  Result<void> step = co_await Begin();
  if (step) step = co_await CheckBlobs();
  for (Side s : {Side::kPrimary, Side::kMirror}) {
    if (step) step = co_await FindOrphans(s);
  }
  if (step) step = co_await CheckCounters();
  co_await End(step ? nullptr : &step.error());
  if (!step) co_return Fail(step.error());
  co_return report_;
}

// Opens the task row: an unfinished scrub of the pair whose lease expired is marked failed; one
// whose lease is held by someone else makes this scrub give way (kConflict).
net::awaitable<Result<void>> Scrubber::Begin() {
  const std::int64_t now = NowMs();
  const std::int64_t until = now + options_.lease.count();
  const std::string& owner = options_.lease_owner;
  const std::string& pair = report_.pair;
  std::int64_t task_id = 0;
  db::BlobStore::Totals totals;
  auto begin = [&]() -> Result<void> {
    return deps_.db.Write([&](db::Transaction& tx) -> Result<void> {
      db::DiskTaskStore tasks(tx);
      auto latest = tasks.LatestFor(pair, "scrub");
      if (!latest) return Fail(latest.error());
      if (*latest && ((*latest)->state == "running" || (*latest)->state == "queued")) {
        const db::DiskTaskRow& old = **latest;
        // A scrub killed on this host (kill -9) left its lease: taken over at once.
        auto gone = [](std::string_view holder) { return TaggedHolderIsGone(holder, "scrub"); };
        auto leased = tasks.TryLease(old.id, owner, now, until, gone);
        if (!leased) {
          if (leased.error().code != Errc::kConflict) return Fail(leased.error());
          return Fail(Errc::kConflict, "a scrub of pair {} is already running (task {}, {})", pair,
                      old.id, leased.error().message);
        }
        auto ended =
            tasks.Finish(old.id, owner, "failed", "",
                         "abandoned: the process running it stopped before it finished", now);
        if (!ended) return Fail(ended.error());
      }
      auto id = tasks.Create("scrub", pair, std::nullopt, now);
      if (!id) return Fail(id.error());
      task_id = *id;
      if (auto leased = tasks.TryLease(task_id, owner, now, until); !leased) {
        return Fail(leased.error());
      }
      auto t = db::BlobStore(tx).TotalsByPrimary(pair);
      if (!t) return Fail(t.error());
      totals = *t;
      return {};
    });
  };
  auto begun = co_await RunBlocking(deps_.workers, begin);
  if (!begun) co_return Fail(begun.error());
  task_open_ = true;
  report_.task_id = task_id;
  progress_.total_blobs = totals.blobs;
  progress_.total_bytes = static_cast<std::uint64_t>(totals.bytes);
  co_return co_await Progress("blobs", true);
}

net::awaitable<Result<void>> Scrubber::CheckBlobs() {
  std::string after;
  const std::string& pair = report_.pair;
  for (;;) {
    std::vector<db::BlobRow> page;
    auto list = [&]() -> Result<void> {
      return deps_.db.Read([&](db::Transaction& tx) -> Result<void> {
        auto rows = db::BlobStore(tx).ListByPrimary(pair, after, options_.page_size);
        if (!rows) return Fail(rows.error());
        page = std::move(*rows);
        return {};
      });
    };
    auto listed = co_await RunBlocking(deps_.workers, list);
    if (!listed) co_return Fail(listed.error());
    if (page.empty()) co_return co_await Progress("blobs", true);  // The final count.
    for (const db::BlobRow& row : page) {
      auto checked = co_await CheckBlob(row);
      if (!checked) co_return checked;
      auto progress = co_await Progress("blobs", false);
      if (!progress) co_return progress;
      // One blob at a time, and let other work on this executor run between blobs.
      co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
    }
    after = page.back().id;
  }
}

net::awaitable<CopyCheck> Scrubber::CheckCopy(Side s, const db::BlobRow& row) {
  ScrubSideReport& side = report_.side(s);
  if (side.skipped) co_return CopyCheck{CopyState::kSkipped, side.skip_reason};
  auto id = BlobId::Parse(row.id);
  if (!id) co_return CopyCheck{CopyState::kBad, id.error().message};
  HashingSink sink;
  auto got = co_await VolumeOf(s).Get(*id, ByteRange{}, sink);
  side.bytes_read += sink.bytes;
  report_.bytes_read += sink.bytes;
  if (!got) {
    const Error& e = got.error();
    if (e.code == Errc::kNotFound) co_return CopyCheck{CopyState::kMissing, "missing"};
    pair_.state()->RecordError(s, e.message);
    if (e.code == Errc::kIoError && ++io_errors_[Index(s)] >= kMaxIoErrorsInARow) {
      SkipSide(s,
               fmt::format("{} read errors in a row, the last: {}", kMaxIoErrorsInARow, e.message));
    }
    co_return CopyCheck{CopyState::kBad, e.message};
  }
  io_errors_[Index(s)] = 0;
  pair_.state()->RecordSuccess(s);
  if (sink.bytes != static_cast<std::uint64_t>(row.size)) {
    co_return CopyCheck{CopyState::kBad,
                        fmt::format("size {} bytes, the catalog says {}", sink.bytes, row.size)};
  }
  std::string hex = sink.hash.FinishHex();
  if (hex != row.sha256) {
    co_return CopyCheck{CopyState::kBad,
                        fmt::format("SHA-256 {}, the catalog says {}", hex, row.sha256)};
  }
  co_return CopyCheck{CopyState::kGood, ""};
}

// Whether the row is still in the catalog on this pair with the same content (a user may delete
// the file, or a move may take it elsewhere, while the scrub runs).
net::awaitable<Result<bool>> Scrubber::StillOnPair(const db::BlobRow& row) {
  auto get = [&]() -> Result<bool> {
    return deps_.db.Read([&](db::Transaction& tx) -> Result<bool> {
      auto now = db::BlobStore(tx).Get(row.id);
      if (!now) return Fail(now.error());
      return *now && (*now)->primary_id == row.primary_id && (*now)->sha256 == row.sha256 &&
             (*now)->size == row.size;
    });
  };
  co_return co_await RunBlocking(deps_.workers, get);
}

net::awaitable<Result<void>> Scrubber::CheckBlob(const db::BlobRow& row) {
  CopyCheck copies[2];
  copies[0] = co_await CheckCopy(Side::kPrimary, row);
  copies[1] = co_await CheckCopy(Side::kMirror, row);
  ++progress_.done_blobs;
  progress_.done_bytes += static_cast<std::uint64_t>(row.size);
  auto needs_work = [](const CopyCheck& c) {
    return c.state == CopyState::kMissing || c.state == CopyState::kBad;
  };
  if (!needs_work(copies[0]) && !needs_work(copies[1])) {
    ++report_.blobs_checked;
    ++report_.ok;
    Count("ok");
    co_return Result<void>{};
  }
  auto still = co_await StillOnPair(row);
  if (!still) co_return Fail(still.error());
  if (!*still) {
    ++report_.vanished;
    co_return Result<void>{};
  }
  ++report_.blobs_checked;
  for (Side s : {Side::kPrimary, Side::kMirror}) {
    const CopyCheck& c = copies[Index(s)];
    if (c.state == CopyState::kMissing) ++report_.side(s).missing;
    if (c.state == CopyState::kBad) ++report_.side(s).corrupt;
  }
  const bool good[2] = {copies[0].state == CopyState::kGood, copies[1].state == CopyState::kGood};
  if (!good[0] && !good[1] && copies[0].state != CopyState::kSkipped &&
      copies[1].state != CopyState::kSkipped) {
    ++report_.lost;
    if (report_.lost_blobs.size() < kMaxListed) report_.lost_blobs.push_back(row.id);
    Count("lost");
    Problem(fmt::format("blob {} (owner {}) is lost: {}: {}; {}: {}", row.id, row.owner_id,
                        report_.primary.disk_id, copies[0].detail, report_.mirror.disk_id,
                        copies[1].detail));
    co_return Result<void>{};
  }
  bool all_repaired = true;
  for (Side target : {Side::kPrimary, Side::kMirror}) {
    const CopyCheck& c = copies[Index(target)];
    if (!needs_work(c)) continue;
    const std::string& disk = report_.side(target).disk_id;
    if (!good[Index(Other(target))]) {
      // The other side is skipped: no verified copy to repair from now.
      ++report_.side(target).repair_failed;
      all_repaired = false;
      Problem(fmt::format("blob {} on {}: {}; not repaired: the other disk was not read", row.id,
                          disk, c.detail));
      continue;
    }
    std::string error;
    if (co_await Repair(target, row, error)) {
      ++report_.side(target).repaired;
      Problem(fmt::format("blob {} on {}: {}; repaired from {}", row.id, disk, c.detail,
                          report_.side(Other(target)).disk_id));
    } else {
      ++report_.side(target).repair_failed;
      all_repaired = false;
      Problem(fmt::format("blob {} on {}: {}; repair failed: {}", row.id, disk, c.detail, error));
    }
  }
  if (all_repaired) {
    ++report_.repaired;
    Count("repaired");
  } else {
    ++report_.unrepaired;
    Count("unrepaired");
  }
  co_return Result<void>{};
}

// Rewrites the copy on `target` from the other side: the bad copy is removed (the good side was
// just read whole and verified against the catalog), CopyBlob commits only bytes that hash to the
// catalog's SHA-256, and the new copy is read back and verified once more.
net::awaitable<bool> Scrubber::Repair(Side target, const db::BlobRow& row, std::string& error) {
  auto id = BlobId::Parse(row.id);
  if (!id) {
    error = id.error().message;
    co_return false;
  }
  Volume& dst = VolumeOf(target);
  Volume& src = VolumeOf(Other(target));
  auto removed = co_await dst.Remove(*id);
  if (!removed && removed.error().code != Errc::kNotFound) {
    error = fmt::format("removing the bad copy: {}", removed.error().message);
  } else {
    auto copied = co_await CopyBlob(src, dst, *id, row.sha256);
    // kNameTaken: a repair loop or a new write put a copy there meanwhile; verify it below.
    if (!copied && copied.error().code != Errc::kNameTaken) {
      error = copied.error().message;
    } else {
      HashingSink back;
      auto reread = co_await dst.Get(*id, ByteRange{}, back);
      report_.side(target).bytes_read += back.bytes;
      report_.bytes_read += back.bytes;
      if (!reread) {
        error = fmt::format("the new copy does not read back: {}", reread.error().message);
      } else if (back.bytes != static_cast<std::uint64_t>(row.size) ||
                 back.hash.FinishHex() != row.sha256) {
        error = "the new copy does not match the catalog when read back";
      }
    }
  }
  if (!error.empty()) {
    pair_.state()->QueueRepair(*id, target, fmt::format("scrub: {}", error));
    co_return false;
  }
  pair_.state()->RepairDone(*id, target);
  co_return true;
}

}  // namespace scrub_internal

net::awaitable<Result<ScrubReport>> ScrubPair(MirroredVolume& pair, ScrubDeps deps,
                                              ScrubOptions options) {
  scrub_internal::Scrubber scrubber(pair, deps, std::move(options));
  co_return co_await scrubber.Run();
}

}  // namespace nimbus::storage
