// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/engine/storage_engine.h"

#include <filesystem>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "db/stores/disk_store.h"
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
    if (!uri.starts_with("file:")) continue;
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
  used_gauge_ =
      &m.AddGauge("nimbus_disk_used_bytes", "Bytes used by blobs on each disk.", {"disk", "category"});
}

StorageEngine::~StorageEngine() { StopRepairLoops(); }

Result<std::unique_ptr<StorageEngine>> StorageEngine::Open(const config::DisksConfig& config,
                                                           EngineDeps deps) {
  std::unique_ptr<StorageEngine> engine(new StorageEngine(config, std::move(deps)));
  StorageEngine& e = *engine;
  auto first = NoDiskRecorded(e.deps_.db);
  if (!first) return Fail(first.error().code, "storage: {}", first.error().message);

  VolumeFactory factory = e.deps_.open_volume;
  if (!factory) {
    WorkerPool* workers = &e.deps_.workers;
    factory = [workers](const DiskInfo& d) {
      return OpenVolume(d.id, d.uri, d.capacity_bytes, *workers);
    };
  }
  CapacityProbe probe = e.deps_.default_capacity ? e.deps_.default_capacity : FreeSpaceShare(config);
  auto pool = DiskPool::Open(config, DiskPoolDeps{e.deps_.db, std::move(factory), *e.alerts_,
                                                  e.deps_.clock, std::move(probe)});
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
  std::map<std::string, std::shared_ptr<Volume>> volumes;
  for (const DiskInfo& d : *disks) {
    // A retired disk (failed spare) is not opened: it may be gone.
    if (d.role == DiskRole::kSpare && d.state == DiskState::kFailed) continue;
    auto v = pool_->VolumeOf(d.id);
    if (!v) {
      return Fail(v.error().code, "cannot open disk {} ({}): {}", d.id, d.uri, v.error().message);
    }
    volumes[d.id] = *v;
    if (d.role == DiskRole::kSpare) spare_ids_.push_back(d.id);
  }
  for (const DiskInfo& d : *disks) {
    if (d.role != DiskRole::kPrimary || d.mirror_id.empty()) continue;
    auto p = volumes.find(d.id);
    auto m = volumes.find(d.mirror_id);
    if (p == volumes.end() || m == volumes.end()) {
      return Fail(Errc::kInternal, "storage: pair {}/{} has no volume", d.id, d.mirror_id);
    }
    MirrorOptions options;
    options.state = std::make_shared<PairState>(d.id, d.mirror_id, alerts_, 0);
    options.alerts = alerts_;
    options.metrics = &deps_.metrics;
    auto pair = std::make_shared<MirroredVolume>(p->second, m->second, options);
    pairs_[d.id] = PairEntry{d.category, pair};
    sides_[d.id] = {d.id, Side::kPrimary};
    sides_[d.mirror_id] = {d.id, Side::kMirror};
  }
  auto synced = SyncStatesFromDb();
  if (!synced) return Fail(synced.error());
  spdlog::info("storage: {} disks open, {} mirrored pairs, {} spares", volumes.size(),
               pairs_.size(), spare_ids_.size());
  return {};
}

std::shared_ptr<MirroredVolume> StorageEngine::VolumeForPair(std::string_view primary_id) const {
  auto it = pairs_.find(primary_id);
  return it == pairs_.end() ? nullptr : it->second.volume;
}

std::vector<std::string> StorageEngine::PairIds() const {
  std::vector<std::string> out;
  for (const auto& [id, entry] : pairs_) out.push_back(id);
  return out;
}

void StorageEngine::StartRepairLoops(const boost::asio::any_io_executor& executor) {
  for (auto& [id, entry] : pairs_) entry.volume->StartRepairLoop(executor);
}

void StorageEngine::StopRepairLoops() {
  for (auto& [id, entry] : pairs_) entry.volume->StopRepairLoop();
}

boost::asio::awaitable<std::vector<DiskProbe>> StorageEngine::ProbeDisks() {
  std::vector<DiskProbe> out;
  for (const auto& [id, entry] : pairs_) {
    SideProbes probes = co_await entry.volume->ProbeSides();
    out.push_back(DiskProbe{entry.volume->state()->disk_id(Side::kPrimary), probes.primary});
    out.push_back(DiskProbe{entry.volume->state()->disk_id(Side::kMirror), probes.mirror});
  }
  for (const std::string& id : spare_ids_) {
    auto v = pool_->VolumeOf(id);  // Cached: no blocking open.
    if (!v) {
      out.push_back(DiskProbe{id, Fail(v.error())});
      continue;
    }
    Result<void> r = co_await (*v)->Probe();
    out.push_back(DiskProbe{id, std::move(r)});
  }
  co_return out;
}

Result<void> StorageEngine::FailDisk(std::string_view disk_id, const std::string& reason) {
  auto it = sides_.find(disk_id);
  if (it != sides_.end()) {
    auto pair = pairs_.find(it->second.first);
    pair->second.volume->state()->MarkFailed(it->second.second, reason);
  }
  return pool_->MarkFailed(disk_id);
}

Result<std::size_t> StorageEngine::SyncStatesFromDb() {
  if (pairs_.empty()) return std::size_t{0};
  auto disks = pool_->List();
  if (!disks) return Fail(disks.error());
  std::size_t changed = 0;
  for (const DiskInfo& d : *disks) {
    auto it = sides_.find(d.id);
    if (it == sides_.end()) continue;
    PairState& state = *pairs_.find(it->second.first)->second.volume->state();
    const Side side = it->second.second;
    const bool failed_in_db = d.state == DiskState::kFailed;
    if (failed_in_db && state.Usable(side)) {
      state.MarkFailed(side, "marked failed in the database");
      ++changed;
    } else if (!failed_in_db && !state.Usable(side) &&
               (d.state == DiskState::kHealthy || d.state == DiskState::kDegraded)) {
      state.MarkHealthy(side);
      ++changed;
    }
  }
  return changed;
}

Result<void> StorageEngine::UpdateGauges() {
  auto disks = pool_->List();
  if (!disks) return Fail(disks.error());
  for (const DiskInfo& d : *disks) {
    const std::string_view category = d.category;
    for (DiskState s : kAllStates) {
      state_gauge_->WithLabels({d.id, category, DiskStateName(s)}).Set(s == d.state ? 1 : 0);
    }
    capacity_gauge_->WithLabels({d.id, category}).Set(static_cast<double>(d.capacity_bytes));
    allocated_gauge_->WithLabels({d.id, category}).Set(static_cast<double>(d.allocated_bytes));
    used_gauge_->WithLabels({d.id, category}).Set(static_cast<double>(d.used_bytes));
  }
  return {};
}

Result<void> StorageEngine::CheckWritable() const {
  if (pairs_.empty()) return {};
  std::map<std::string, bool> writable;  // Category (of some pair) -> has a usable pair.
  for (const auto& [id, entry] : pairs_) {
    const PairState& s = *entry.volume->state();
    bool& ok = writable[entry.category];
    ok = ok || s.Usable(Side::kPrimary) || s.Usable(Side::kMirror);
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

}  // namespace nimbus::storage
