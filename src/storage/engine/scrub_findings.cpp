// SPDX-License-Identifier: AGPL-3.0-or-later
// The scrub of one pair, part 2: the orphan listing, the used-bytes check, progress and the end
// of the task (report JSON, alerts, gauges).
#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "db/stores/blob_store.h"
#include "db/stores/disk_store.h"
#include "db/stores/disk_task_store.h"
#include "storage/engine/scrub_internal.h"
#include "util/run_blocking.h"

namespace nimbus::storage::scrub_internal {

std::string DefaultLeaseOwner() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  return fmt::format("scrub:{}:{}", host.data(), ::getpid());
}

net::awaitable<Result<void>> Scrubber::FindOrphans(Side s) {
  ScrubSideReport& side = report_.side(s);
  if (side.skipped) co_return Result<void>{};
  progress_.disk = side.disk_id;
  auto p = co_await Progress("orphans", true);
  if (!p) co_return p;
  std::vector<Listed> listed;
  BlobVisitor visit = [&listed](const BlobId& id, std::uint64_t size) -> Result<void> {
    Listed l{};
    std::copy_n(id.str().data(), l.id.size(), l.id.data());
    l.size = size;
    listed.push_back(l);
    return {};
  };
  auto walked = co_await VolumeOf(s).ForEach(std::move(visit));
  if (!walked) {
    SkipSide(s, fmt::format("listing its blobs failed: {}", walked.error().message));
    co_return Result<void>{};
  }
  side.listed = true;
  // Which listed ids the catalog knows, and on which pair; in batches, one read each.
  const std::size_t kBatch = 512;
  for (std::size_t begin = 0; begin < listed.size(); begin += kBatch) {
    const std::size_t end = std::min(listed.size(), begin + kBatch);
    std::vector<std::optional<std::string>> where(end - begin);
    // For a blob of another pair: whether its owner is moving (a move recorded, or a move or
    // sweep task running), when its copy here may still be needed.
    std::vector<bool> moving(end - begin, false);
    auto lookup = [&]() -> Result<void> {
      return deps_.db.Read([&](db::Transaction& tx) -> Result<void> {
        db::BlobStore blobs(tx);
        for (std::size_t i = begin; i < end; ++i) {
          auto row = blobs.Get(listed[i].Id());
          if (!row) return Fail(row.error());
          if (!*row) continue;
          where[i - begin] = (*row)->primary_id;
          if ((*row)->primary_id == report_.pair) continue;
          auto busy = tx.QueryOne(
              "SELECT (SELECT COUNT(*) FROM allocation_moves WHERE owner_id = ?) + (SELECT "
              "COUNT(*) FROM disk_tasks WHERE owner_id = ? AND state = 'running')",
              {(*row)->owner_id, (*row)->owner_id});
          if (!busy) return Fail(busy.error());
          moving[i - begin] = !*busy || (**busy).Int(0) > 0;
        }
        return {};
      });
    };
    auto looked = co_await RunBlocking(deps_.workers, lookup);
    if (!looked) co_return Fail(looked.error());
    for (std::size_t i = begin; i < end; ++i) {
      const auto& w = where[i - begin];
      if (w && *w == report_.pair) continue;
      const std::string id_text = listed[i].Id();
      if (w) {
        ++side.strays;
        // A copy a finished move could not delete (its disk was out then; QA pass 19: 77 stale
        // copies that nothing removed): with delete_orphans, once old enough and no move of
        // its owner is recorded or running, it goes. The catalog's pair holds the blob (the
        // move verified its copies before the switch; the scrub of that pair checks them).
        auto stale_id = BlobId::Parse(id_text);
        std::optional<std::chrono::seconds> stale_age;
        if (stale_id && options_.delete_orphans && !moving[i - begin]) {
          auto age_of = [&] { return options_.blob_age(VolumeOf(s), *stale_id); };
          stale_age = co_await RunBlocking(deps_.workers, age_of);
        }
        if (stale_age && *stale_age >= options_.orphan_min_age) {
          auto rm = co_await VolumeOf(s).Remove(*stale_id);
          if (rm || rm.error().code == Errc::kNotFound) {
            ++side.strays_deleted;
            Problem(fmt::format("stale copy {} on {} ({} bytes; the file is on pair {}) deleted",
                                id_text, side.disk_id, listed[i].size, *w));
            continue;
          }
        }
        Problem(fmt::format("blob {} on {} belongs to pair {} ({})", id_text, side.disk_id, *w,
                            moving[i - begin] ? "its owner is being moved"
                            : options_.delete_orphans
                                ? "a stale copy (left by a move, or from a pair this disk "
                                  "was in before), kept: too young to be sure"
                                : "a stale copy (left by a move, or from a pair this disk was "
                                  "in before): --delete-orphans removes it"));
        continue;
      }
      ++side.orphans;
      side.orphan_bytes += listed[i].size;
      auto id = BlobId::Parse(id_text);
      std::optional<std::chrono::seconds> age;
      if (id && options_.delete_orphans) {
        auto age_of = [&] { return options_.blob_age(VolumeOf(s), *id); };
        age = co_await RunBlocking(deps_.workers, age_of);
      }
      if (id && age && *age >= options_.orphan_min_age) {
        auto rm = co_await VolumeOf(s).Remove(*id);
        if (rm || rm.error().code == Errc::kNotFound) {
          ++side.orphans_deleted;
          Problem(fmt::format("orphan {} on {} ({} bytes) deleted", id_text, side.disk_id,
                              listed[i].size));
          continue;
        }
      } else if (id && age) {
        // Said, not only counted: an admin asking for the deletion must see why some stayed.
        ++side.orphans_kept_young;
        Problem(fmt::format(
            "orphan {} on {} ({} bytes) kept: written {} min ago, and one younger than {} min "
            "may be an upload still being recorded",
            id_text, side.disk_id, listed[i].size, age->count() / 60,
            options_.orphan_min_age.count() / 60));
        continue;
      }
      if (id && options_.delete_orphans) {
        Problem(fmt::format(
            "orphan {} on {} ({} bytes) kept: when it was written is not known (stored by an "
            "older version of Nimbus), and a young one may be an upload still being recorded",
            id_text, side.disk_id, listed[i].size));
        continue;
      }
      Problem(fmt::format("orphan {} on {} ({} bytes), not in the catalog", id_text, side.disk_id,
                          listed[i].size));
    }
  }
  if (orphans_gauge_ != nullptr) {
    orphans_gauge_->WithLabels({side.disk_id}).Set(static_cast<double>(side.orphans));
  }
  co_return Result<void>{};
}

// The catalog's bytes on the pair against each disk's used_bytes, read in one snapshot (a blob
// row and the counters change in the same transaction).
net::awaitable<Result<void>> Scrubber::CheckCounters() {
  ScrubCounters c;
  const std::string& primary = report_.primary.disk_id;
  const std::string& mirror = report_.mirror.disk_id;
  auto read = [&]() -> Result<void> {
    return deps_.db.Read([&](db::Transaction& tx) -> Result<void> {
      auto totals = db::BlobStore(tx).TotalsByPrimary(primary);
      if (!totals) return Fail(totals.error());
      db::DiskStore disks(tx);
      auto p = disks.GetDisk(primary);
      if (!p) return Fail(p.error());
      auto m = disks.GetDisk(mirror);
      if (!m) return Fail(m.error());
      c.catalog_blobs = totals->blobs;
      c.catalog_bytes = totals->bytes;
      c.primary_used = *p ? (*p)->used_bytes : 0;
      c.mirror_used = *m ? (*m)->used_bytes : 0;
      return {};
    });
  };
  auto done = co_await RunBlocking(deps_.workers, read);
  if (!done) co_return Fail(done.error());
  c.checked = true;
  c.mismatch = c.primary_used != c.catalog_bytes || c.mirror_used != c.catalog_bytes;
  if (c.mismatch) {
    Problem(fmt::format(
        "used bytes do not match the catalog ({} bytes in {} blobs): {} counts {}, "
        "{} counts {}",
        c.catalog_bytes, c.catalog_blobs, primary, c.primary_used, mirror, c.mirror_used));
  }
  report_.counters = c;
  co_return Result<void>{};
}

// Calls on_progress and writes the progress row (renewing the lease) at most every
// progress_interval unless forced. kConflict when another process took the task's lease.
net::awaitable<Result<void>> Scrubber::Progress(const char* phase, bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_progress_ < options_.progress_interval) co_return Result<void>{};
  last_progress_ = now;
  progress_.phase = phase;
  if (options_.on_progress) options_.on_progress(progress_);
  const db::DiskTaskProgress counters{progress_.total_blobs, progress_.done_blobs,
                                      static_cast<std::int64_t>(progress_.total_bytes),
                                      static_cast<std::int64_t>(progress_.done_bytes)};
  const std::int64_t now_ms = NowMs();
  const std::int64_t until = now_ms + options_.lease.count();
  auto write = [&]() -> Result<void> {
    return deps_.db.Write([&](db::Transaction& tx) -> Result<void> {
      return db::DiskTaskStore(tx).UpdateProgress(report_.task_id, options_.lease_owner, counters,
                                                  now_ms, until);
    });
  };
  auto written = co_await RunBlocking(deps_.workers, write);
  if (!written) {
    co_return Fail(written.error().code, "scrub of pair {}: cannot record progress: {}",
                   report_.pair, written.error().message);
  }
  co_return Result<void>{};
}

// Finishes the task row (best effort when the scrub itself failed), raises the alerts and sets
// the gauges.
net::awaitable<void> Scrubber::End(const Error* error) {
  report_.finished_at = NowMs();
  report_.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started_);
  if (task_open_) {
    progress_.phase = "done";
    if (options_.on_progress) options_.on_progress(progress_);
    const std::string json = ScrubReportJson(report_);
    const std::string state = error == nullptr ? "done" : "failed";
    const std::string text = error == nullptr ? "" : error->message;
    const std::int64_t now_ms = report_.finished_at;
    auto finish = [&]() -> Result<void> {
      return deps_.db.Write([&](db::Transaction& tx) -> Result<void> {
        return db::DiskTaskStore(tx).Finish(report_.task_id, options_.lease_owner, state, json,
                                            text, now_ms);
      });
    };
    auto finished = co_await RunBlocking(deps_.workers, finish);
    if (!finished) {
      spdlog::warn("scrub of pair {}: cannot record the end of task {}: {}", report_.pair,
                   report_.task_id, finished.error().message);
    }
  }
  if (error != nullptr) co_return;
  if (last_run_gauge_ != nullptr) {
    last_run_gauge_->WithLabels({}).Set(static_cast<double>(report_.finished_at) / 1000.0);
  }
  const std::string pair_name =
      fmt::format("{}/{}", report_.primary.disk_id, report_.mirror.disk_id);
  if (report_.lost > 0) {
    std::string ids;
    for (std::size_t i = 0; i < report_.lost_blobs.size() && i < 10; ++i) {
      ids += (i == 0 ? "" : ", ") + report_.lost_blobs[i];
    }
    deps_.alerts.Raise(
        Alert{AlertKind::kRepairFailed, report_.pair,
              fmt::format("scrub of pair {}: {} blob(s) lost, no good copy on "
                          "either disk: {}{}",
                          pair_name, report_.lost, ids, report_.lost > 10 ? ", ..." : "")});
  }
  const std::int64_t orphans = report_.primary.orphans + report_.mirror.orphans;
  const std::int64_t bad = report_.primary.missing + report_.primary.corrupt +
                           report_.mirror.missing + report_.mirror.corrupt;
  if (orphans > 0 || bad > 0 || report_.counters.mismatch) {
    deps_.alerts.Raise(Alert{
        AlertKind::kScrubFindings, report_.pair,
        fmt::format(
            "scrub of pair {}: {} missing, {} corrupt ({} repaired), {} orphan(s){}", pair_name,
            report_.primary.missing + report_.mirror.missing,
            report_.primary.corrupt + report_.mirror.corrupt,
            report_.primary.repaired + report_.mirror.repaired, orphans,
            report_.counters.mismatch ? ", used-bytes counters differ from the catalog" : "")});
  }
}

}  // namespace nimbus::storage::scrub_internal
