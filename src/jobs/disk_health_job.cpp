// SPDX-License-Identifier: AGPL-3.0-or-later
#include "jobs/disk_health_job.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <exception>
#include <future>
#include <vector>

#include "core/files/quota_tx.h"

namespace nimbus::jobs {

DiskHealth::DiskHealth(storage::StorageEngine& engine, net::any_io_executor io, int fail_after,
                       std::chrono::milliseconds probe_timeout)
    : engine_(engine),
      io_(std::move(io)),
      fail_after_(static_cast<std::uint32_t>(fail_after < 1 ? 1 : fail_after)),
      probe_timeout_(probe_timeout) {}

std::uint32_t DiskHealth::ConsecutiveFailures(std::string_view disk_id) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(disk_id);
  return it == failures_.end() ? 0 : it->second;
}

Result<std::string> DiskHealth::RunRound() {
  std::lock_guard round(round_mu_);
  auto synced = engine_.SyncStatesFromDb();
  if (!synced) return Fail(synced.error());

  std::future<std::vector<storage::DiskProbe>> pending =
      net::co_spawn(io_, engine_.ProbeDisks(), net::use_future);
  if (pending.wait_for(probe_timeout_) != std::future_status::ready) {
    return Fail(Errc::kUnavailable, "disk probes did not finish within {} ms",
                probe_timeout_.count());
  }
  std::vector<storage::DiskProbe> probes;
  try {
    probes = pending.get();
  } catch (const std::exception& e) {
    return Fail(Errc::kInternal, "disk probes threw: {}", e.what());
  }

  auto disks = engine_.pool().List();
  if (!disks) return Fail(disks.error());
  std::map<std::string, storage::DiskState, std::less<>> states;
  for (const auto& d : *disks) states[d.id] = d.state;

  std::vector<std::string> to_fail;
  std::string failing;
  bool news = false;  // A disk in service failing its probe: worth a warning each round.
  std::size_t ok = 0;
  {
    std::lock_guard lock(mu_);
    for (const auto& p : probes) {
      if (p.result) {
        failures_[p.disk_id] = 0;
        ++ok;
        continue;
      }
      const std::uint32_t n = ++failures_[p.disk_id];
      failing += fmt::format("{}{} ({}/{}: {})", failing.empty() ? "" : "; ", p.disk_id, n,
                             fail_after_, p.result.error().message);
      auto st = states.find(p.disk_id);
      const bool already_failed = st != states.end() && st->second == storage::DiskState::kFailed;
      news = news || !already_failed;
      if (n >= fail_after_ && !already_failed) to_fail.push_back(p.disk_id);
    }
  }
  // Room left on each disk (its file system, or its configured capacity): the category's
  // near-full check counts plan bytes against capacity and misses a file system filling up for
  // other reasons (orphans, other data, a thin-provisioned capacity) until writes fail with
  // ENOSPC (QA pass 14, finding 10).
  std::vector<storage::Alert> low;
  {
    std::lock_guard lock(mu_);
    for (const auto& p : probes) {
      if (!p.space || p.space->total_bytes == 0) continue;
      const std::uint64_t total = p.space->total_bytes;
      const std::uint64_t free = p.space->free_bytes;
      // 5% of the disk, between 64 MiB and 1 GiB.
      const std::uint64_t line = std::clamp<std::uint64_t>(total / 20, 64ull << 20, 1ull << 30);
      if (free >= line + line / 5) {
        low_space_.erase(p.disk_id);
      } else if (free < line && low_space_.insert(p.disk_id).second) {
        // The units of every other message (1 KB = 1024 bytes): "88 MB free of 100 GB".
        auto human = [](std::uint64_t b) {
          return core::files::HumanBytes(static_cast<std::int64_t>(b));
        };
        low.push_back(storage::Alert{
            storage::AlertKind::kNearFull, p.disk_id,
            fmt::format("disk {} has only {} free of {}: once it is full, uploads of its users "
                        "fail with 'storage full'. Free space on it, or move users to another "
                        "disk.",
                        p.disk_id, human(free), human(total))});
      }
    }
  }
  for (const storage::Alert& a : low) engine_.alerts().Raise(a);

  for (const std::string& id : to_fail) {
    const std::string reason = fmt::format("{} health probes failed in a row", fail_after_);
    spdlog::error("disk-health: failing disk {}: {}", id, reason);
    if (auto failed = engine_.FailDisk(id, reason); !failed) return Fail(failed.error());
  }
  if (auto near = engine_.pool().CheckNearFull(); !near) return Fail(near.error());
  // Spares attached just now become pairs; a replace interrupted elsewhere resumes here.
  if (auto synced = engine_.SyncStatesFromDb(); !synced) return Fail(synced.error());
  auto resumed = engine_.ResumeResilvers(io_);
  if (!resumed) return Fail(resumed.error());
  if (auto gauges = engine_.UpdateGauges(); !gauges) return Fail(gauges.error());
  // Failed now: as the database said at the start of the round (an admin's heal applied), and
  // those this round failed.
  std::set<std::string, std::less<>> failed_now(to_fail.begin(), to_fail.end());
  for (const auto& [id, state] : states) {
    if (state == storage::DiskState::kFailed) failed_now.insert(id);
  }
  std::vector<std::string> back;
  for (const std::string& id : failed_) {
    if (!failed_now.contains(id)) back.push_back(id);
  }
  failed_ = std::move(failed_now);
  if (!back.empty() && on_disk_back_) on_disk_back_(back);

  std::string summary = fmt::format("{} disks probed, {} ok", probes.size(), ok);
  if (!failing.empty()) summary += "; failing: " + failing;
  if (!to_fail.empty()) summary += fmt::format("; marked failed: {}", fmt::join(to_fail, ", "));
  if (*resumed > 0) summary += fmt::format("; {} resilver(s) resumed", *resumed);
  // A disk already failed keeps failing its probe until it is replaced or healed: the admins
  // were told when it failed, so its rounds stay in the job's record, out of the log.
  if (news) spdlog::warn("disk-health: {}", summary);
  return summary;
}

JobSpec DiskHealthJob(std::shared_ptr<DiskHealth> health, int interval_s) {
  JobSpec spec;
  spec.name = std::string(kDiskHealthJobName);
  spec.schedule = Schedule::Every(std::chrono::seconds(interval_s < 1 ? 1 : interval_s));
  spec.run = [health = std::move(health)] { return health->RunRound(); };
  spec.lease = std::chrono::minutes(5);
  return spec;
}

}  // namespace nimbus::jobs
