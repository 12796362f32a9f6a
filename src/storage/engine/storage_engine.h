// StorageEngine: the storage layer as the running product uses it: the DiskPool of disks.toml, one
// Volume per disk (OpenVolume), one MirroredVolume per primary/mirror pair, alerts, disk health
// (probes, failover) and the disk gauges. SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/disks.h"
#include "db/database.h"
#include "storage/alerts.h"
#include "storage/mirror/mirrored_volume.h"
#include "storage/pool/disk_pool.h"
#include "util/clock.h"
#include "util/metrics.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::storage {

struct EngineDeps {
  db::Database& db;  // Migrated.
  WorkerPool& workers;
  util::Metrics& metrics;
  const Clock& clock;
  // Null: OpenVolume(id, uri, capacity, workers). Tests pass MemoryVolumes.
  VolumeFactory open_volume = nullptr;
  // Null: FreeSpaceShare(config).
  CapacityProbe default_capacity = nullptr;
  // Null: a LoggingAlertSink counting nimbus_storage_alerts_total{kind,disk} in `metrics`.
  std::shared_ptr<AlertSink> alerts = nullptr;
  // False (admin CLI): only the pool is opened; no Volume is opened (no tmp sweep, which would
  // hurt a running server), so there are no pairs and probes.
  bool open_volumes = true;
};

// The result of probing one disk.
struct DiskProbe {
  std::string disk_id;
  Result<void> result;
};

// Thread-safe after Open. References in EngineDeps must outlive the engine.
class StorageEngine {
 public:
  // Opens the pool (recording new disks), then, with open_volumes, every disk's Volume: a disk
  // that cannot be opened (wrong marker, unusable directory) fails the whole Open with
  // "disk <id> (<uri>): <why>". Builds one MirroredVolume per pair and applies the states
  // recorded in the database. On the first start (no disk recorded yet, or a file: disk without
  // its marker, which this Open creates) logs the layout.
  static Result<std::unique_ptr<StorageEngine>> Open(const config::DisksConfig& config,
                                                     EngineDeps deps);
  ~StorageEngine();

  DiskPool& pool() { return *pool_; }
  const config::DisksConfig& config() const { return config_; }
  AlertSink& alerts() { return *alerts_; }

  // The pair whose primary is `primary_id`; nullptr when there is none (or no volumes opened).
  std::shared_ptr<MirroredVolume> VolumeForPair(std::string_view primary_id) const;
  // Primary ids of every pair, ordered.
  std::vector<std::string> PairIds() const;

  // Starts / stops every pair's background repair loop. Stop is idempotent.
  void StartRepairLoops(const boost::asio::any_io_executor& executor);
  void StopRepairLoops();

  // Probes every opened disk (pair sides and spares) concurrently; does not change any state.
  boost::asio::awaitable<std::vector<DiskProbe>> ProbeDisks();
  // Marks the disk failed in the database (alert kDiskFailed) and, for a pair side, in its
  // PairState so reads and writes go to the other side at once. Blocking (DB). kNotFound.
  Result<void> FailDisk(std::string_view disk_id, const std::string& reason);
  // Re-reads the disk states from the database (an admin may have run `nimbus admin disk fail`
  // or `heal`) and applies them to the pairs: failed in the DB -> side failed; healthy or
  // degraded in the DB while the side is failed -> side healthy. Returns how many sides changed.
  // Blocking (DB).
  Result<std::size_t> SyncStatesFromDb();
  // Refreshes nimbus_disk_state{disk,category,state} and the capacity/allocated/used gauges.
  // Blocking (DB).
  Result<void> UpdateGauges();
  // For /readyz: kUnavailable naming the categories whose pairs all have both sides failed.
  // Does not block (in-memory pair states). Ok when no volumes were opened.
  Result<void> CheckWritable() const;

 private:
  struct PairEntry {
    std::string category;
    std::shared_ptr<MirroredVolume> volume;
  };
  explicit StorageEngine(const config::DisksConfig& config, EngineDeps deps);
  Result<void> OpenVolumes(bool first_start);

  config::DisksConfig config_;
  EngineDeps deps_;
  std::shared_ptr<AlertSink> alerts_;
  std::unique_ptr<DiskPool> pool_;
  std::map<std::string, PairEntry, std::less<>> pairs_;  // By primary id; fixed after Open.
  // Disk id -> (primary id of its pair, side). Fixed after Open.
  std::map<std::string, std::pair<std::string, Side>, std::less<>> sides_;
  std::vector<std::string> spare_ids_;  // Spares with an opened volume.
  util::GaugeFamily* state_gauge_ = nullptr;
  util::GaugeFamily* capacity_gauge_ = nullptr;
  util::GaugeFamily* allocated_gauge_ = nullptr;
  util::GaugeFamily* used_gauge_ = nullptr;
};

}  // namespace nimbus::storage
