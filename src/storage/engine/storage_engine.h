// StorageEngine: the storage layer as the running product uses it: the DiskPool of disks.toml, one
// Volume per disk (OpenVolume), one MirroredVolume per primary/mirror pair (kept in step with the
// database: fail, heal, replace, attach), alerts, disk health, resilver and the disk gauges.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "config/disks.h"
#include "db/database.h"
#include "storage/alerts.h"
#include "storage/engine/resilver.h"
#include "storage/mirror/mirrored_volume.h"
#include "storage/mirror/repair_journal.h"
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
  // With open_volumes: false opens the volumes without sweeping tmp/ (a one-off job next to a
  // running server, whose in-flight writes live there). Only for the default open_volume.
  bool sweep_tmp = true;
  bool check_capacity_at_open = true;  // DiskPoolDeps::check_capacity_at_open.
};

// The result of probing one disk.
struct DiskProbe {
  std::string disk_id;
  Result<void> result;
  // What the disk can still take (Volume::Space), when the probe passed and it could be told.
  std::optional<VolumeSpace> space{};
};

// Thread-safe after Open. References in EngineDeps must outlive the engine.
// The pairs can change while the engine runs (SyncStatesFromDb applies what the admin CLI
// recorded): callers hold the shared_ptr a lookup returned, which stays valid.
class StorageEngine {
 public:
  // Opens the pool (recording new disks), then, with open_volumes, every disk's Volume: a disk
  // that cannot be opened (wrong marker, unusable directory) fails the whole Open with
  // "disk <id> (<uri>): <why>". Builds one MirroredVolume per pair and applies the states
  // recorded in the database, and the repair queues persisted by an earlier run (from then on
  // every queued and finished repair is persisted). On the first start (no disk recorded yet, or
  // a file: disk without its marker, which this Open creates) logs the layout.
  static Result<std::unique_ptr<StorageEngine>> Open(const config::DisksConfig& config,
                                                     EngineDeps deps);
  ~StorageEngine();

  DiskPool& pool() { return *pool_; }
  const config::DisksConfig& config() const { return config_; }
  AlertSink& alerts() { return *alerts_; }

  // The pair whose primary is `primary_id`; nullptr when there is none (or no volumes opened).
  // On a miss with volumes open it first brings the pairs in step with the database
  // (SyncStatesFromDb: blocking, but only for a pair attached or renamed since the last round).
  std::shared_ptr<MirroredVolume> VolumeForPair(std::string_view primary_id);
  // Primary ids of every pair, ordered.
  std::vector<std::string> PairIds() const;

  // Starts / stops every pair's background repair loop (pairs added later start theirs too).
  // Stop is idempotent and also asks running resilvers to stop after their current blob.
  void StartRepairLoops(const boost::asio::any_io_executor& executor);
  void StopRepairLoops();

  // Probes every opened disk (pair sides and spares) concurrently; does not change any state.
  boost::asio::awaitable<std::vector<DiskProbe>> ProbeDisks();
  // Marks the disk failed in the database and, for a pair side, in its PairState so reads and
  // writes go to the other side at once; one kDiskFailed alert. Blocking (DB). kNotFound.
  Result<void> FailDisk(std::string_view disk_id, const std::string& reason);
  // Re-reads the disks from the database (an admin may have run `nimbus admin disk fail`, `heal`,
  // `replace` or `attach`) and applies them (nothing without opened volumes):
  // - a pair side now held by another disk (replace): its volume is opened and swapped in
  //   (MirroredVolume::ReplaceSide; a replaced primary renames the pair and its persisted repairs);
  // - a pair the engine does not have (spares attached to a category): opened and added;
  // - new spares are opened (and probed);
  // - states: failed -> side failed; resilvering -> side takes writes, serves no reads;
  //   healthy or degraded while failed or resilvering -> side healthy.
  // Returns how many pairs and sides changed. A disk that cannot be opened is skipped (the others
  // are still applied) and reported as the error. Blocking (DB, opening volumes).
  Result<std::size_t> SyncStatesFromDb();

  // Runs, or resumes, the resilver of `disk_id` (a disk in state resilvering after `replace`):
  // takes the lease of its latest resilver task (a new task when there is none or the last one
  // failed), makes sure this process's pair writes to the disk, copies every blob from its
  // partner (RunResilver), then marks it healthy (database and pair; alert kDiskRecovered).
  // kConflict when the disk is not resilvering, its partner is failed, or another live process
  // holds the task's lease; kNotFound for an unknown disk; RunResilver's errors. An incomplete
  // run (failed copies, or stopped) leaves the disk resilvering and returns the report.
  net::awaitable<Result<ResilverReport>> Resilver(std::string disk_id, ResilverOptions options);
  // Starts, in the background on `executor`, the resilver of every unfinished resilver task whose
  // lease is free, expired or held by a process of this host that is gone, and that this process
  // is not running yet (the server calls it each health round, so a replace interrupted by Ctrl-C
  // or kill -9 resumes). A task queued less than a lease ago with no owner is left to the process
  // that queued it, unless it is the task of disk `queued_for` (this process queued it, an API
  // replace: it starts now). Returns how many it
  // started. Nothing without opened volumes or before StartRepairLoops (a one-off CLI job would
  // exit in the middle of a resilver). A stopped run releases its lease. Blocking (DB).
  Result<std::size_t> ResumeResilvers(const boost::asio::any_io_executor& executor,
                                      std::string_view queued_for = {});
  // Refreshes nimbus_disk_state{disk,category,state}, the capacity/allocated/used gauges and
  // nimbus_disk_resilver_progress_ratio{disk} (latest resilver task per disk). Blocking (DB).
  Result<void> UpdateGauges();
  // For /readyz: kUnavailable naming the categories whose pairs have no readable side (failed,
  // or a lone side still resilvering).
  // Does not block (in-memory pair states). Ok when no volumes were opened.
  Result<void> CheckWritable() const;
  // "pair a1/a1m (category A) is out of service: ..." for each pair with no readable disk.
  std::vector<std::string> PairsOutOfService() const;

 private:
  struct PairEntry {
    std::string category;
    std::shared_ptr<MirroredVolume> volume;
  };
  struct Resilvers {  // The resilvers running in this process.
    std::mutex mu;
    std::set<std::string, std::less<>> running;  // Disk ids. Guarded by mu.
    std::atomic<bool> stop{false};               // StopRepairLoops: stop between two blobs.
  };
  struct PreparedResilver;
  explicit StorageEngine(const config::DisksConfig& config, EngineDeps deps);
  Result<void> OpenVolumes(bool first_start);
  // Brings the pair of primary row `primary` in step (see SyncStatesFromDb). Needs topo_mu_.
  Result<std::size_t> SyncPairLocked(const DiskInfo& primary);
  Result<std::size_t> AddPairLocked(const DiskInfo& primary);
  std::size_t ApplyStates(const std::vector<DiskInfo>& disks);
  Result<PreparedResilver> PrepareResilver(const std::string& disk_id,
                                           const ResilverOptions& options);
  Result<void> CompleteResilver(const std::string& disk_id);
  void StopResilvers();
  static net::awaitable<void> ResilverInBackground(StorageEngine* engine,
                                                   std::shared_ptr<Resilvers> running,
                                                   std::string disk_id);

  config::DisksConfig config_;
  EngineDeps deps_;
  std::shared_ptr<AlertSink> alerts_;
  std::unique_ptr<DiskPool> pool_;
  std::shared_ptr<RepairJournal> journal_;
  std::shared_ptr<Resilvers> resilvers_;
  mutable std::shared_mutex topo_mu_;
  std::map<std::string, PairEntry, std::less<>> pairs_;  // By primary id. Guarded by topo_mu_.
  // Disk id -> (primary id of its pair, side). Guarded by topo_mu_.
  std::map<std::string, std::pair<std::string, Side>, std::less<>> sides_;
  std::vector<std::string> spare_ids_;  // Spares with an opened volume. Guarded by topo_mu_.
  // Where repair loops run once started (new pairs start theirs). Guarded by topo_mu_.
  std::optional<boost::asio::any_io_executor> repair_executor_;
  bool opened_ = false;  // Open has built the first pairs. Guarded by topo_mu_.
  util::GaugeFamily* state_gauge_ = nullptr;
  util::GaugeFamily* capacity_gauge_ = nullptr;
  util::GaugeFamily* allocated_gauge_ = nullptr;
  util::GaugeFamily* used_gauge_ = nullptr;
  util::GaugeFamily* resilver_gauge_ = nullptr;
};

}  // namespace nimbus::storage
