// SPDX-License-Identifier: AGPL-3.0-or-later
// StorageEngine: keeping the pairs in step with the database while the process runs (a replace,
// an attach, a fail or heal recorded by the admin CLI in another process).
#include <spdlog/spdlog.h>

#include <optional>
#include <set>
#include <string>

#include "storage/engine/storage_engine.h"

namespace nimbus::storage {

Result<std::size_t> StorageEngine::AddPairLocked(const DiskInfo& d) {
  auto p = pool_->VolumeOf(d.id);
  if (!p)
    return Fail(p.error().code, "cannot open disk {} ({}): {}", d.id, d.uri, p.error().message);
  auto m = pool_->VolumeOf(d.mirror_id);
  if (!m) {
    return Fail(m.error().code, "cannot open disk {}: {}", d.mirror_id, m.error().message);
  }
  MirrorOptions options;
  options.state = std::make_shared<PairState>(d.id, d.mirror_id, alerts_, 0);
  options.alerts = alerts_;
  options.metrics = &deps_.metrics;
  // Repairs persisted by an earlier run come back before the journal watches, so restoring them
  // does not write them again.
  auto restored = journal_->Load(d.id);
  if (!restored) return Fail(restored.error());
  if (!restored->empty()) {
    const std::size_t n = options.state->RestoreRepairs(*restored);
    spdlog::info("storage: pair {}/{}: {} queued repairs restored", d.id, d.mirror_id, n);
  }
  journal_->Watch(*options.state);
  auto pair = std::make_shared<MirroredVolume>(*p, *m, options);
  pairs_[d.id] = PairEntry{d.category, pair};
  sides_[d.id] = {d.id, Side::kPrimary};
  sides_[d.mirror_id] = {d.id, Side::kMirror};
  if (repair_executor_) pair->StartRepairLoop(*repair_executor_);
  return std::size_t{1};
}

Result<std::size_t> StorageEngine::SyncPairLocked(const DiskInfo& d) {
  std::string key;
  for (const std::string& id : {d.id, d.mirror_id}) {
    if (auto it = sides_.find(id); it != sides_.end()) {
      key = it->second.first;
      break;
    }
  }
  if (key.empty()) {
    auto added = AddPairLocked(d);
    if (added && opened_) {
      spdlog::info("storage: pair {}/{} in category {} is in use", d.id, d.mirror_id, d.category);
    }
    return added;
  }
  std::shared_ptr<MirroredVolume> pair = pairs_[key].volume;
  std::size_t changed = 0;
  for (Side s : {Side::kPrimary, Side::kMirror}) {
    const std::string& want = s == Side::kPrimary ? d.id : d.mirror_id;
    const std::string have = pair->state()->disk_id(s);
    if (have == want) continue;
    auto v = pool_->VolumeOf(want);
    if (!v) return Fail(v.error().code, "cannot open disk {}: {}", want, v.error().message);
    pair->ReplaceSide(s, *v);
    pair->state()->MarkResilvering(s, want);  // ApplyStates sets what the database says.
    sides_.erase(have);
    sides_[want] = {key, s};
    spdlog::info("storage: disk {} replaces {} as the {} of pair {}", want, have, SideName(s), key);
    ++changed;
  }
  if (key != d.id) {
    // The primary was replaced: the pair is known by its new primary from now on.
    pairs_[d.id] = pairs_[key];
    pairs_.erase(key);
    sides_[d.id] = {d.id, Side::kPrimary};
    sides_[d.mirror_id] = {d.id, Side::kMirror};
    if (auto moved = journal_->MovePair(key, d.id); !moved) return Fail(moved.error());
  }
  return changed;
}

std::size_t StorageEngine::ApplyStates(const std::vector<DiskInfo>& disks) {
  std::size_t changed = 0;
  for (const DiskInfo& d : disks) {
    std::shared_ptr<PairState> state;
    Side side = Side::kPrimary;
    {
      std::shared_lock lock(topo_mu_);
      auto it = sides_.find(d.id);
      if (it == sides_.end()) continue;
      state = pairs_.find(it->second.first)->second.volume->state();
      side = it->second.second;
    }
    if (state->disk_id(side) != d.id) continue;  // Renamed meanwhile; the next round applies it.
    const bool resilvering = state->Resilvering(side);
    // Another process (the CLI) changed the state through DiskPool, which mailed the alert
    // already: applied here with the alert logged and counted, not mailed a second time.
    if (d.state == DiskState::kFailed && state->Usable(side)) {
      state->MarkFailed(side, "marked failed in the database", /*alert=*/true, /*mail=*/false);
      ++changed;
    } else if (d.state == DiskState::kResilvering && !resilvering) {
      state->MarkResilvering(side, d.id);
      ++changed;
    } else if ((d.state == DiskState::kHealthy || d.state == DiskState::kDegraded) &&
               (!state->Usable(side) || resilvering)) {
      state->MarkHealthy(side, /*alert=*/true, /*mail=*/false);
      ++changed;
    }
  }
  return changed;
}

Result<std::size_t> StorageEngine::SyncStatesFromDb() {
  if (!deps_.open_volumes) return std::size_t{0};
  auto disks = pool_->List();
  if (!disks) return Fail(disks.error());
  std::size_t changed = 0;
  std::optional<Error> first_error;
  {
    std::unique_lock lock(topo_mu_);
    for (const DiskInfo& d : *disks) {
      if (d.role != DiskRole::kPrimary || d.mirror_id.empty()) continue;
      auto r = SyncPairLocked(d);
      if (r) {
        changed += *r;
      } else if (!first_error) {
        first_error = r.error();
      }
    }
    // A pair the pool gave back to the spares (`admin disk retire`): forgotten here, so that
    // its disks start afresh wherever the pool attaches them next.
    std::set<std::string, std::less<>> primaries;
    for (const DiskInfo& d : *disks) {
      if (d.role == DiskRole::kPrimary && !d.mirror_id.empty()) primaries.insert(d.id);
    }
    for (auto it = pairs_.begin(); it != pairs_.end();) {
      if (primaries.contains(it->first)) {
        ++it;
        continue;
      }
      const std::shared_ptr<MirroredVolume> gone = it->second.volume;
      gone->StopRepairLoop();
      const std::string p = gone->state()->disk_id(Side::kPrimary);
      const std::string m = gone->state()->disk_id(Side::kMirror);
      for (const std::string& id : {p, m}) {
        if (auto side = sides_.find(id); side != sides_.end() && side->second.first == it->first) {
          sides_.erase(side);
        }
      }
      spdlog::info("storage: pair {}/{} is no longer in use: its disks are spares", p, m);
      it = pairs_.erase(it);
      ++changed;
    }
    std::vector<std::string> spares;
    for (const DiskInfo& d : *disks) {
      if (d.role != DiskRole::kSpare || d.state == DiskState::kFailed) continue;
      if (auto v = pool_->VolumeOf(d.id); v) {
        spares.push_back(d.id);
      } else if (!first_error) {
        first_error = Error{v.error().code, fmt::format("cannot open spare {} ({}): {}", d.id,
                                                        d.uri, v.error().message)};
      }
    }
    spare_ids_ = std::move(spares);
  }
  changed += ApplyStates(*disks);
  if (first_error) return Fail(std::move(*first_error));
  return changed;
}

}  // namespace nimbus::storage
