// SPDX-License-Identifier: AGPL-3.0-or-later
#include "jobs/scrub_job.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <vector>

#include "storage/engine/scrub.h"

namespace nimbus::jobs {

Result<std::string> ScrubAllPairs(const ScrubJobDeps& deps) {
  auto ids = storage::ScrubPairIds(deps.engine);
  if (!ids) return Fail(ids.error());
  std::int64_t checked = 0, ok = 0, repaired = 0, unrepaired = 0, lost = 0, orphans = 0;
  std::vector<std::string> busy, unreadable, bad;
  for (const std::string& id : *ids) {
    auto target = storage::ScrubTargetFor(deps.engine, id);
    if (!target) {
      unreadable.push_back(fmt::format("{} ({})", id, target.error().message));
      continue;
    }
    storage::ScrubOptions options;
    options.skip_disks = target->skip_disks;
    storage::ScrubDeps scrub_deps{.db = deps.db,
                                  .workers = deps.workers,
                                  .alerts = deps.engine.alerts(),
                                  .clock = deps.clock,
                                  .metrics = &deps.metrics};
    auto report = storage::ScrubPairNow(*target->pair, scrub_deps, std::move(options));
    if (!report) {
      if (report.error().code != Errc::kConflict) return Fail(report.error());
      busy.push_back(id);
      continue;
    }
    const storage::ScrubReport& r = *report;
    spdlog::info("scrub: {}", storage::ScrubReportText(r));
    checked += r.blobs_checked;
    ok += r.ok;
    repaired += r.repaired;
    unrepaired += r.unrepaired;
    lost += r.lost;
    orphans += r.primary.orphans + r.mirror.orphans;
    if (r.primary.skipped || r.mirror.skipped) unreadable.push_back(id);
    if (r.lost > 0 || r.unrepaired > 0) bad.push_back(id);
  }
  std::string summary = fmt::format(
      "{} pairs: {} blobs checked, {} ok, {} repaired, {} not repaired, {} lost; {} orphans",
      ids->size() - busy.size(), checked, ok, repaired, unrepaired, lost, orphans);
  if (!busy.empty()) {
    summary += fmt::format("; skipped (being scrubbed elsewhere): {}", fmt::join(busy, ", "));
  }
  if (!bad.empty()) {
    return Fail(Errc::kChecksumMismatch, "{}; blobs lost or not repaired on {}", summary,
                fmt::join(bad, ", "));
  }
  if (!unreadable.empty()) {
    return Fail(Errc::kIoError, "{}; disks not read on {}", summary, fmt::join(unreadable, ", "));
  }
  return summary;
}

Result<JobSpec> ScrubJob(ScrubJobDeps deps, std::string_view daily_at) {
  auto schedule = Schedule::Parse(fmt::format("daily {}", daily_at));
  if (!schedule) {
    return Fail(Errc::kInvalidArgument, "disks.toml: scrub_at: {}", schedule.error().message);
  }
  storage::RegisterScrubMetrics(deps.metrics);  // On /metrics before the first run.
  JobSpec spec;
  spec.name = std::string(kScrubJobName);
  spec.schedule = *schedule;
  spec.run = [deps] { return ScrubAllPairs(deps); };
  spec.lease = std::chrono::minutes(30);
  return spec;
}

}  // namespace nimbus::jobs
