// The disk-health job: probes every disk of the storage engine on the io executor, counts failed
// probes in a row per disk and fails a disk after `fail_after` of them (the pool records it, the
// pair serves from the other side at once, an alert is raised). SPDX-License-Identifier:
// AGPL-3.0-or-later
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/scheduler.h"
#include "storage/engine/storage_engine.h"
#include "util/result.h"

namespace nimbus::jobs {

inline constexpr std::string_view kDiskHealthJobName = "disk-health";

// The state of the health checks between rounds. Thread-safe (rounds are serialized).
class DiskHealth {
 public:
  // `engine` must outlive it; `io` runs the probes (it must be running while a round waits for
  // them). A round gives up waiting after `probe_timeout`.
  DiskHealth(storage::StorageEngine& engine, net::any_io_executor io, int fail_after,
             std::chrono::milliseconds probe_timeout = std::chrono::seconds(60));

  // One round, blocking (run it on a worker, never on an io thread): applies the disk states an
  // admin changed in the database, probes every disk, resets the count of a disk whose probe
  // succeeded and counts a failure otherwise; a disk reaching fail_after failures in a row that
  // is not failed yet is failed (StorageEngine::FailDisk). Then attaches spares to near-full
  // categories, brings the pairs in step with the database (new pairs, replaced sides), resumes
  // the resilvers nobody runs (their lease expired: the admin CLI was interrupted) in the
  // background on `io`, and refreshes the disk gauges. Returns a one-line summary; kUnavailable
  // when the probes did not finish in time, database errors as they come.
  Result<std::string> RunRound();

  // Failed probes in a row of `disk_id` (0 after a success or when never probed).
  std::uint32_t ConsecutiveFailures(std::string_view disk_id) const;

  // Called at the end of a round (on the worker running it) when a disk that was failed at the
  // end of the previous round is in service again (healed by an admin), e.g. to remove the
  // bytes of deleted files that were left queued while it was out. Set it before the first round.
  void OnDiskBack(std::function<void(const std::vector<std::string>& disk_ids)> f) {
    on_disk_back_ = std::move(f);
  }

 private:
  storage::StorageEngine& engine_;
  net::any_io_executor io_;
  const std::uint32_t fail_after_;
  const std::chrono::milliseconds probe_timeout_;
  std::mutex round_mu_;  // One round at a time.
  mutable std::mutex mu_;
  std::map<std::string, std::uint32_t, std::less<>> failures_;  // Guarded by mu_.
  // Disks told to be nearly out of room (one alert until they have room again). Guarded by mu_.
  std::set<std::string, std::less<>> low_space_;
  std::set<std::string, std::less<>> failed_;  // At the end of the last round (round_mu_).
  std::function<void(const std::vector<std::string>&)> on_disk_back_;
};

// The job spec ("disk-health", every `interval_s` seconds). `health` is kept alive by the spec.
JobSpec DiskHealthJob(std::shared_ptr<DiskHealth> health, int interval_s);

}  // namespace nimbus::jobs
