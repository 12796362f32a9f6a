// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/engine/storage_engine.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "db/stores/disk_store.h"
#include "db/stores/disk_task_store.h"
#include "storage/open_volume.h"
#include "storage/pool/capacity_probe.h"

namespace nimbus::storage {

namespace {

constexpr DiskState kAllStates[] = {DiskState::kHealthy, DiskState::kDegraded, DiskState::kFailed,
                                    DiskState::kResilvering, DiskState::kSpare};

Result<bool> NoDiskRecorded(db::Database& db) {
  return db.Read([](db::Transaction& tx) -> Result<bool> {
    auto rows = db::DiskStore(tx).ListDisks();
    if (!rows) return Fail(rows.error());
    return rows->empty();
  });
}

// True when a file: disk has no marker yet: this start creates it.
bool CreatesADisk(const std::vector<DiskInfo>& disks) {
  for (const DiskInfo& d : disks) {
    std::string_view uri = d.uri;
    // A failed disk's directory may well be gone (pulled, unmounted): not a new disk.
    if (!uri.starts_with("file:") || d.state == DiskState::kFailed) continue;
    uri.remove_prefix(5);
    if (uri.starts_with("//")) uri.remove_prefix(2);
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::path(uri) / ".nimbus-disk", ec)) return true;
  }
  return false;
}

void LogLayout(const std::vector<DiskInfo>& disks) {
  spdlog::info("storage: new disks; the layout ({} disks):", disks.size());
  for (const DiskInfo& d : disks) {
    spdlog::info("storage:   {:<7} {:<8} category {:<2} mirror {:<7} {} ({} bytes)", d.id,
                 DiskRoleName(d.role), d.category.empty() ? "-" : d.category,
                 d.mirror_id.empty() ? "-" : d.mirror_id, d.uri, d.capacity_bytes);
  }
}

}  // namespace

StorageEngine::StorageEngine(const config::DisksConfig& config, EngineDeps deps)
    : config_(config), deps_(std::move(deps)) {
  alerts_ = deps_.alerts ? deps_.alerts : std::make_shared<LoggingAlertSink>(&deps_.metrics);
  util::Metrics& m = deps_.metrics;
  state_gauge_ = &m.AddGauge("nimbus_disk_state", "1 for the current state of each disk.",
                             {"disk", "category", "state"});
  capacity_gauge_ =
      &m.AddGauge("nimbus_disk_capacity_bytes", "Capacity of each disk.", {"disk", "category"});
  allocated_gauge_ = &m.AddGauge("nimbus_disk_allocated_bytes",
                                 "Plan bytes allocated on each disk.", {"disk", "category"});
  used_gauge_ = &m.AddGauge("nimbus_disk_used_bytes", "Bytes used by blobs on each disk.",
                            {"disk", "category"});
  resilver_gauge_ =
      &m.AddGauge("nimbus_disk_resilver_progress_ratio",
                  "Share of the bytes copied by the latest resilver of each disk.", {"disk"});
  journal_ = std::make_shared<RepairJournal>(deps_.db, deps_.workers, deps_.clock);
  resilvers_ = std::make_shared<Resilvers>();
}

StorageEngine::~StorageEngine() {
  StopRepairLoops();
  journal_->Close();
}

Result<std::unique_ptr<StorageEngine>> StorageEngine::Open(const config::DisksConfig& config,
                                                           EngineDeps deps) {
  std::unique_ptr<StorageEngine> engine(new StorageEngine(config, std::move(deps)));
  StorageEngine& e = *engine;
  auto first = NoDiskRecorded(e.deps_.db);
  if (!first) return Fail(first.error().code, "storage: {}", first.error().message);

  VolumeFactory factory = e.deps_.open_volume;
  if (!factory) {
    // Written into every disk's marker: another installation's disks are refused.
    const std::string fresh = BlobId::Random().str();
    const std::int64_t now = ToUnixMs(e.deps_.clock.Now());
    auto installation = e.deps_.db.Write(
        [&](db::Transaction& tx) { return db::DiskStore(tx).InstallationId(fresh, now); });
    if (!installation) {
      return Fail(installation.error().code, "storage: {}", installation.error().message);
    }
    WorkerPool* workers = &e.deps_.workers;
    const bool sweep_tmp = e.deps_.sweep_tmp;
    factory = [workers, sweep_tmp, installation = *installation](const DiskInfo& d) {
      return OpenVolume(d.id, d.uri, d.capacity_bytes, *workers, sweep_tmp, d.set_up, installation);
    };
  }
  CapacityProbe probe =
      e.deps_.default_capacity ? e.deps_.default_capacity : FreeSpaceShare(config);
  auto pool =
      DiskPool::Open(config, DiskPoolDeps{e.deps_.db, std::move(factory), *e.alerts_, e.deps_.clock,
                                          std::move(probe), e.deps_.check_capacity_at_open});
  if (!pool) return Fail(pool.error().code, "storage: {}", pool.error().message);
  e.pool_ = std::move(*pool);
  if (e.deps_.open_volumes) {
    if (auto opened = e.OpenVolumes(*first); !opened) return Fail(opened.error());
  }
  if (auto gauges = e.UpdateGauges(); !gauges) return Fail(gauges.error());
  return engine;
}

Result<void> StorageEngine::OpenVolumes(bool first_start) {
  auto disks = pool_->List();
  if (!disks) return Fail(disks.error().code, "storage: {}", disks.error().message);
  if (first_start || CreatesADisk(*disks)) LogLayout(*disks);
  // Every disk is opened here, so one that cannot be stops the start naming it; the pairs are
  // then built by SyncStatesFromDb from the opened (cached) volumes.
  // Said first: after a crash the file systems may take a while (QA pass 17b: a start that
  // logged nothing for 34 s, in the kernel's writeback).
  // A retired disk (failed spare) is not opened: it may be gone.
  auto retired = [](const DiskInfo& d) {
    return d.role == DiskRole::kSpare && d.state == DiskState::kFailed;
  };
  spdlog::info(
      "storage: opening {} disks (markers, leftovers of a crash)",
      std::count_if(disks->begin(), disks->end(), [&](const DiskInfo& d) { return !retired(d); }));
  std::map<std::string, std::shared_ptr<Volume>> volumes;
  for (const DiskInfo& d : *disks) {
    if (retired(d)) continue;
    const auto started = std::chrono::steady_clock::now();
    auto v = pool_->VolumeOf(d.id);
    if (!v) {
      return Fail(v.error().code, "cannot open disk {} ({}): {}", d.id, d.uri, v.error().message);
    }
    const auto took = std::chrono::steady_clock::now() - started;
    if (took > std::chrono::seconds(2)) {
      spdlog::warn("storage: disk {} ({}) took {} s to open", d.id, d.uri,
                   std::chrono::duration_cast<std::chrono::seconds>(took).count());
    }
    volumes[d.id] = *v;
  }
  auto synced = SyncStatesFromDb();
  if (!synced) return Fail(synced.error());
  std::unique_lock lock(topo_mu_);
  opened_ = true;
  spdlog::info("storage: {} disks open, {} mirrored pairs, {} spares", volumes.size(),
               pairs_.size(), spare_ids_.size());
  return {};
}

std::shared_ptr<MirroredVolume> StorageEngine::VolumeForPair(std::string_view primary_id) {
  {
    std::shared_lock lock(topo_mu_);
    auto it = pairs_.find(primary_id);
    if (it != pairs_.end()) return it->second.volume;
    if (!deps_.open_volumes || primary_id.empty()) return nullptr;
  }
  // A pair attached since the last health round (Allocate attaching spares to a full category,
  // or a replace): bring the topology in step now rather than fail the owner until then. Rare,
  // so the blocking read is accepted here.
  if (auto synced = SyncStatesFromDb(); !synced) {
    spdlog::warn("storage: looking up pair {}: {}", primary_id, synced.error().message);
  }
  std::shared_lock lock(topo_mu_);
  auto it = pairs_.find(primary_id);
  return it == pairs_.end() ? nullptr : it->second.volume;
}

std::vector<std::string> StorageEngine::PairIds() const {
  std::shared_lock lock(topo_mu_);
  std::vector<std::string> out;
  for (const auto& [id, entry] : pairs_) out.push_back(id);
  return out;
}

void StorageEngine::StartRepairLoops(const boost::asio::any_io_executor& executor) {
  std::unique_lock lock(topo_mu_);
  repair_executor_ = executor;
  for (auto& [id, entry] : pairs_) entry.volume->StartRepairLoop(executor);
}

void StorageEngine::StopRepairLoops() {
  StopResilvers();
  std::unique_lock lock(topo_mu_);
  repair_executor_.reset();
  for (auto& [id, entry] : pairs_) entry.volume->StopRepairLoop();
}

boost::asio::awaitable<std::vector<DiskProbe>> StorageEngine::ProbeDisks() {
  std::vector<std::shared_ptr<MirroredVolume>> pairs;
  std::vector<std::string> spares;
  {
    std::shared_lock lock(topo_mu_);  // Never held across a co_await.
    for (const auto& [id, entry] : pairs_) pairs.push_back(entry.volume);
    spares = spare_ids_;
  }
  std::vector<DiskProbe> out;
  for (const auto& pair : pairs) {
    // The ids before the probe: a replace may rename a side meanwhile.
    std::string primary = pair->state()->disk_id(Side::kPrimary);
    std::string mirror = pair->state()->disk_id(Side::kMirror);
    SideProbes probes = co_await pair->ProbeSides();
    out.push_back(DiskProbe{std::move(primary), probes.primary});
    out.push_back(DiskProbe{std::move(mirror), probes.mirror});
  }
  for (const std::string& id : spares) {
    auto v = pool_->VolumeOf(id);  // Cached: no blocking open.
    if (!v) {
      out.push_back(DiskProbe{id, Fail(v.error())});
      continue;
    }
    Result<void> r = co_await (*v)->Probe();
    out.push_back(DiskProbe{id, std::move(r)});
  }
  for (DiskProbe& p : out) {
    if (!p.result) continue;
    auto v = pool_->VolumeOf(p.disk_id);  // Cached by now.
    if (!v) continue;
    if (auto space = co_await (*v)->Space(); space) p.space = *space;
  }
  co_return out;
}

Result<void> StorageEngine::FailDisk(std::string_view disk_id, const std::string& reason) {
  {
    std::shared_lock lock(topo_mu_);
    auto it = sides_.find(disk_id);
    if (it != sides_.end()) {
      auto pair = pairs_.find(it->second.first);
      // The pool raises the one kDiskFailed alert below.
      pair->second.volume->state()->MarkFailed(it->second.second, reason, /*alert=*/false);
    }
  }
  return pool_->MarkFailed(disk_id);
}

Result<void> StorageEngine::UpdateGauges() {
  auto disks = pool_->List();
  if (!disks) return Fail(disks.error());
  for (const DiskInfo& d : *disks) {
    const std::string_view category = d.category;
    // As the admin sees it: a healthy disk waiting for repairs is "degraded" (ShownStateName).
    const std::string_view shown = ShownStateName(d);
    for (DiskState s : kAllStates) {
      state_gauge_->WithLabels({d.id, category, DiskStateName(s)})
          .Set(DiskStateName(s) == shown ? 1 : 0);
    }
    capacity_gauge_->WithLabels({d.id, category}).Set(static_cast<double>(d.capacity_bytes));
    allocated_gauge_->WithLabels({d.id, category}).Set(static_cast<double>(d.allocated_bytes));
    used_gauge_->WithLabels({d.id, category}).Set(static_cast<double>(d.used_bytes));
  }
  auto tasks = deps_.db.Read([&](db::Transaction& tx) -> Result<std::vector<db::DiskTaskRow>> {
    std::vector<db::DiskTaskRow> out;
    for (const DiskInfo& d : *disks) {
      if (d.role == DiskRole::kSpare) continue;
      auto t = db::DiskTaskStore(tx).LatestFor(d.id, "resilver");
      if (!t) return std::unexpected(std::move(t.error()));
      if (*t) out.push_back(std::move(**t));
    }
    return out;
  });
  if (!tasks) return Fail(tasks.error());
  for (const db::DiskTaskRow& t : *tasks) {
    double ratio = 1.0;
    if (t.state != "done") {
      ratio = t.total_bytes > 0
                  ? static_cast<double>(t.done_bytes) / t.total_bytes
                  : (t.total_blobs > 0 ? static_cast<double>(t.done_blobs) / t.total_blobs : 0.0);
    }
    resilver_gauge_->WithLabels({t.disk_id}).Set(ratio);
  }
  return {};
}

Result<void> StorageEngine::CheckWritable() const {
  std::shared_lock lock(topo_mu_);
  if (pairs_.empty()) return {};
  std::map<std::string, bool> writable;  // Category (of some pair) -> has a usable pair.
  for (const auto& [id, entry] : pairs_) {
    const PairState& s = *entry.volume->state();
    bool& ok = writable[entry.category];
    ok = ok || s.Readable(Side::kPrimary) || s.Readable(Side::kMirror);
  }
  std::string missing;
  for (const auto& [category, ok] : writable) {
    if (ok) continue;
    if (!missing.empty()) missing += ", ";
    missing += category;
  }
  if (missing.empty()) return {};
  return Fail(Errc::kUnavailable, "storage: no writable disk pair in category {}", missing);
}

std::vector<std::string> StorageEngine::PairsOutOfService() const {
  std::shared_lock lock(topo_mu_);
  std::vector<std::string> out;
  for (const auto& [id, entry] : pairs_) {
    const PairState& s = *entry.volume->state();
    if (s.Readable(Side::kPrimary) || s.Readable(Side::kMirror)) continue;
    out.push_back(fmt::format(
        "storage: pair {}/{} (category {}) is out of service: the files of its users can be "
        "neither read nor written",
        s.disk_id(Side::kPrimary), s.disk_id(Side::kMirror), entry.category));
  }
  return out;
}

}  // namespace nimbus::storage
