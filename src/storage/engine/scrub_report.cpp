// SPDX-License-Identifier: AGPL-3.0-or-later
// Scrub around the scrub itself: running it to completion on a thread, finding the pair of a
// disk (opening its volumes in the admin CLI), the report as JSON and text, the last scrub.
#include <fmt/core.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <exception>

#include "db/stores/disk_store.h"
#include "db/stores/disk_task_store.h"
#include "storage/engine/scrub.h"
#include "storage/memory/memory_volume.h"

namespace nimbus::storage {
namespace {

namespace json = boost::json;

json::object SideJson(const ScrubSideReport& s, const char* role) {
  return {{"disk", s.disk_id},
          {"role", role},
          {"skipped", s.skipped},
          {"skip_reason", s.skip_reason},
          {"bytes_read", s.bytes_read},
          {"missing", s.missing},
          {"corrupt", s.corrupt},
          {"repaired", s.repaired},
          {"repair_failed", s.repair_failed},
          {"listed", s.listed},
          {"orphans", s.orphans},
          {"orphan_bytes", s.orphan_bytes},
          {"orphans_deleted", s.orphans_deleted},
          {"orphans_kept_young", s.orphans_kept_young},
          {"strays", s.strays},
          {"strays_deleted", s.strays_deleted}};
}

json::array Strings(const std::vector<std::string>& v) {
  json::array out;
  for (const auto& s : v) out.emplace_back(s);
  return out;
}

// "3.40 MiB": sizes in text an operator reads.
std::string Size(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes) / 1024.0;
  int u = 0;
  while (v >= 1024.0 && u < 3) {
    v /= 1024.0;
    ++u;
  }
  return fmt::format("{:.2f} {}", v, units[u]);
}

std::string SideLine(const ScrubSideReport& s, const char* role) {
  if (s.skipped && s.bytes_read == 0) {
    return fmt::format("  {:<7} ({}): not read: {}\n", s.disk_id, role, s.skip_reason);
  }
  std::string line = fmt::format(
      "  {:<7} ({}): {} read, {} missing, {} corrupt, {} repaired, {} not repaired, "
      "{} orphan(s) ({}){}{}{}\n",
      s.disk_id, role, Size(s.bytes_read), s.missing, s.corrupt, s.repaired, s.repair_failed,
      s.orphans, Size(s.orphan_bytes),
      s.orphans_deleted > 0 ? fmt::format(", {} deleted", s.orphans_deleted) : "",
      s.orphans_kept_young > 0
          ? fmt::format(", {} kept (younger than an hour: run again later)", s.orphans_kept_young)
          : "",
      s.strays > 0
          ? fmt::format(
                ", {} belonging to other pairs{}", s.strays,
                s.strays_deleted > 0 ? fmt::format(" ({} stale, deleted)", s.strays_deleted) : "")
          : "");
  if (s.skipped) line += fmt::format("           skipped part-way: {}\n", s.skip_reason);
  return line;
}

std::string Summary(const json::object& r) {
  auto num = [&r](const char* key) -> std::int64_t {
    const json::value* v = r.if_contains(key);
    return v != nullptr && v->is_number() ? v->to_number<std::int64_t>() : 0;
  };
  std::int64_t orphans = 0;
  for (const char* side : {"primary", "mirror"}) {
    const json::value* s = r.if_contains(side);
    if (s != nullptr && s->is_object()) {
      const json::value* o = s->as_object().if_contains("orphans");
      if (o != nullptr && o->is_number()) orphans += o->to_number<std::int64_t>();
    }
  }
  return fmt::format("{} blobs checked: {} ok, {} repaired, {} not repaired, {} lost; {} orphan(s)",
                     num("blobs_checked"), num("ok"), num("repaired"), num("unrepaired"),
                     num("lost"), orphans);
}

}  // namespace

bool ScrubReport::clean() const {
  for (Side s : {Side::kPrimary, Side::kMirror}) {
    const ScrubSideReport& r = side(s);
    if (r.skipped || r.missing || r.corrupt || r.orphans || r.strays) return false;
  }
  return lost == 0 && unrepaired == 0 && !counters.mismatch;
}

bool ScrubReport::needs_attention() const {
  return lost > 0 || unrepaired > 0 || primary.skipped || mirror.skipped ||
         primary.repair_failed > 0 || mirror.repair_failed > 0;
}

ScrubMetrics RegisterScrubMetrics(util::Metrics& metrics) {
  ScrubMetrics m;
  m.blobs = &metrics.AddCounter("nimbus_scrub_blobs_total", "Blobs checked by scrub, by result.",
                                {"result"});
  for (std::string_view result : {"ok", "repaired", "unrepaired", "lost"}) {
    m.blobs->WithLabels({result});
  }
  m.orphans = &metrics.AddGauge("nimbus_scrub_orphans",
                                "Orphan blobs found on each disk by its last scrub.", {"disk"});
  m.last_run = &metrics.AddGauge("nimbus_scrub_last_run_timestamp_seconds",
                                 "When the last scrub of a pair finished (0: never).");
  m.last_run->WithLabels({});
  return m;
}

Result<ScrubReport> ScrubPairNow(MirroredVolume& pair, ScrubDeps deps, ScrubOptions options) {
  boost::asio::io_context ioc;
  std::optional<Result<ScrubReport>> out;
  std::exception_ptr thrown;
  auto done = [&out, &thrown](std::exception_ptr e, Result<ScrubReport> r) {
    if (e) {
      thrown = e;
    } else {
      out = std::move(r);
    }
  };
  boost::asio::co_spawn(ioc, ScrubPair(pair, deps, std::move(options)), done);
  ioc.run();
  if (thrown) std::rethrow_exception(thrown);  // A bug, not an error value.
  return std::move(*out);
}

Result<ScrubTarget> ScrubTargetFor(StorageEngine& engine, std::string_view disk_id) {
  DiskPool& pool = engine.pool();
  auto disk = pool.Show(disk_id);
  if (!disk) return Fail(disk.error());
  if (disk->role == DiskRole::kSpare) {
    return Fail(Errc::kInvalidArgument,
                "disk {} is a spare: it is in no pair, so there is nothing to check it against "
                "(copies it kept from a pair it left are found, and removed with "
                "--delete-orphans, by a scrub once it is in a pair again)",
                disk->id);
  }
  const std::string primary_id = disk->role == DiskRole::kPrimary ? disk->id : disk->mirror_id;
  auto primary = pool.Show(primary_id);
  if (!primary) return Fail(primary.error());
  if (primary->mirror_id.empty()) {
    return Fail(Errc::kInvalidArgument, "disk {} has no mirror: there is no pair to scrub",
                primary_id);
  }
  auto mirror = pool.Show(primary->mirror_id);
  if (!mirror) return Fail(mirror.error());

  ScrubTarget target;
  for (const DiskInfo* d : {&*primary, &*mirror}) {
    if (d->state == DiskState::kFailed) target.skip_disks[d->id] = "the disk is failed";
    if (d->state == DiskState::kResilvering) {
      target.skip_disks[d->id] = "the disk is being resilvered";
    }
  }
  target.pair = engine.VolumeForPair(primary_id);
  if (target.pair) return target;

  // No volumes in this process (the admin CLI): open just these two.
  std::shared_ptr<Volume> sides[2];
  for (const DiskInfo* d : {&*primary, &*mirror}) {
    if (target.skip_disks.contains(d->id) && d->state == DiskState::kFailed) continue;
    auto v = pool.VolumeOf(d->id);
    if (!v) {
      target.skip_disks[d->id] = fmt::format("cannot open it: {}", v.error().message);
      continue;
    }
    sides[d == &*primary ? 0 : 1] = *v;
  }
  // A side that could not be opened is stood in for by an empty, failed placeholder volume.
  for (int i = 0; i < 2; ++i) {
    if (!sides[i]) {
      sides[i] = std::make_shared<MemoryVolume>(i == 0 ? primary->id : mirror->id);
    }
  }
  auto state = std::make_shared<PairState>(primary->id, mirror->id, nullptr, 0);
  for (Side s : {Side::kPrimary, Side::kMirror}) {
    auto skip = target.skip_disks.find(state->disk_id(s));
    if (skip != target.skip_disks.end()) state->MarkFailed(s, skip->second);
  }
  MirrorOptions options;
  options.state = state;
  target.pair = std::make_shared<MirroredVolume>(sides[0], sides[1], options);
  return target;
}

Result<std::vector<std::string>> ScrubPairIds(StorageEngine& engine) {
  auto disks = engine.pool().List();
  if (!disks) return Fail(disks.error());
  std::vector<std::string> out;
  for (const DiskInfo& d : *disks) {
    if (d.role == DiskRole::kPrimary && !d.mirror_id.empty()) out.push_back(d.id);
  }
  return out;
}

std::string ScrubReportJson(const ScrubReport& r) {
  json::object counters{{"checked", r.counters.checked},
                        {"catalog_blobs", r.counters.catalog_blobs},
                        {"catalog_bytes", r.counters.catalog_bytes},
                        {"primary_used_bytes", r.counters.primary_used},
                        {"mirror_used_bytes", r.counters.mirror_used},
                        {"mismatch", r.counters.mismatch}};
  json::object out{{"pair", r.pair},
                   {"task_id", r.task_id},
                   {"started_at", r.started_at},
                   {"finished_at", r.finished_at},
                   {"duration_ms", r.duration.count()},
                   {"blobs_checked", r.blobs_checked},
                   {"bytes_read", r.bytes_read},
                   {"ok", r.ok},
                   {"repaired", r.repaired},
                   {"unrepaired", r.unrepaired},
                   {"lost", r.lost},
                   {"vanished", r.vanished},
                   {"lost_blobs", Strings(r.lost_blobs)},
                   {"primary", SideJson(r.primary, "primary")},
                   {"mirror", SideJson(r.mirror, "mirror")},
                   {"counters", std::move(counters)},
                   {"clean", r.clean()},
                   {"needs_attention", r.needs_attention()},
                   {"problems", Strings(r.problems)}};
  return json::serialize(out);
}

std::string ScrubReportText(const ScrubReport& r) {
  std::string out = fmt::format(
      "scrub of pair {}/{}: {} blobs checked, {} read in {:.1f} s: {} ok, {} repaired, "
      "{} not repaired, {} lost\n",
      r.primary.disk_id, r.mirror.disk_id, r.blobs_checked, Size(r.bytes_read),
      static_cast<double>(r.duration.count()) / 1000.0, r.ok, r.repaired, r.unrepaired, r.lost);
  out += SideLine(r.primary, "primary");
  out += SideLine(r.mirror, "mirror");
  if (r.counters.checked) {
    out += fmt::format("  used bytes: catalog {} in {} blobs; {} counts {}, {} counts {}: {}\n",
                       r.counters.catalog_bytes, r.counters.catalog_blobs, r.primary.disk_id,
                       r.counters.primary_used, r.mirror.disk_id, r.counters.mirror_used,
                       r.counters.mismatch ? "MISMATCH" : "match");
  }
  if (r.vanished > 0) {
    out += fmt::format("  {} blob(s) deleted or moved while the scrub ran (skipped)\n", r.vanished);
  }
  for (const std::string& p : r.problems) out += "  - " + p + "\n";
  out += r.clean()             ? "  result: clean\n"
         : r.needs_attention() ? "  result: NEEDS ATTENTION\n"
                               : "  result: repaired / reported\n";
  return out;
}

Result<std::optional<LastScrub>> LastScrubOf(db::Database& db, std::string_view disk_id) {
  return db.Read([&](db::Transaction& tx) -> Result<std::optional<LastScrub>> {
    auto disk = db::DiskStore(tx).GetDisk(disk_id);
    if (!disk) return Fail(disk.error());
    if (!*disk) return Fail(Errc::kNotFound, "no disk {}", disk_id);
    std::string pair = (*disk)->id;
    if ((*disk)->role == "mirror" && (*disk)->mirror_id) pair = *(*disk)->mirror_id;
    auto row = db::DiskTaskStore(tx).LatestFor(pair, "scrub");
    if (!row) return Fail(row.error());
    if (!*row) return std::optional<LastScrub>{};
    const db::DiskTaskRow& t = **row;
    LastScrub last{.task_id = t.id,
                   .state = t.state,
                   .started_at = t.created_at,
                   .finished_at = t.finished_at,
                   .result_json = t.result,
                   .error = t.error,
                   .summary = ""};
    if (t.state == "running" || t.state == "queued") {
      last.summary =
          fmt::format("{}: {} of {} blobs checked", t.state, t.done_blobs, t.total_blobs);
      return last;
    }
    std::error_code ec;
    json::value parsed = json::parse(t.result, ec);
    last.summary = !ec && parsed.is_object() ? Summary(parsed.as_object()) : t.state;
    if (!t.error.empty()) last.summary = fmt::format("{}: {}", t.state, t.error);
    return last;
  });
}

}  // namespace nimbus::storage
