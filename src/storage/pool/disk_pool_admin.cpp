// SPDX-License-Identifier: AGPL-3.0-or-later
// DiskPool: what the admin and the health/recovery code change and read (states, spares, list).
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "db/stores/blob_store.h"
#include "db/stores/disk_store.h"
#include "db/stores/disk_task_store.h"
#include "db/stores/repair_queue_store.h"
#include "storage/open_volume.h"
#include "storage/pool/disk_pool.h"
#include "storage/pool/disk_rows.h"

namespace nimbus::storage {

namespace {

template <class T>
std::unexpected<Error> Pass(Result<T>& r) {
  return std::unexpected(std::move(r.error()));
}

// Owners of a disk: those of its pair, whose allocations name the primary.
std::int64_t OwnersOf(const db::DiskRow& d, const std::map<std::string, std::int64_t>& owners) {
  const std::string* key = nullptr;
  if (d.role == "primary") key = &d.id;
  if (d.role == "mirror" && d.mirror_id) key = &*d.mirror_id;
  if (!key) return 0;
  auto it = owners.find(*key);
  return it == owners.end() ? 0 : it->second;
}

Result<db::DiskRow> MustGet(db::DiskStore& store, std::string_view id) {
  auto row = store.GetDisk(id);
  if (!row) return Pass(row);
  if (!*row) return Fail(Errc::kNotFound, "no disk '{}'", id);
  return std::move(**row);
}

}  // namespace

Result<DiskInfo> DiskPool::ShowIn(db::Transaction& tx, std::string_view disk_id) {
  db::DiskStore store(tx);
  auto row = MustGet(store, disk_id);
  if (!row) return Pass(row);
  auto owners = store.OwnersByPrimary();
  if (!owners) return Pass(owners);
  return pool_internal::ToInfo(*row, OwnersOf(*row, *owners));
}

// Fills d.repairs_pending from the repair queue: entries of its pair for its side.
static Result<void> CountRepairs(db::Transaction& tx, DiskInfo& d) {
  if (d.role == DiskRole::kSpare) return {};
  const bool primary = d.role == DiskRole::kPrimary;
  auto n = db::RepairQueueStore(tx).CountFor(primary ? d.id : d.mirror_id,
                                             primary ? "primary" : "mirror");
  if (!n) return std::unexpected(std::move(n.error()));
  d.repairs_pending = *n;
  return {};
}

std::string_view ShownStateName(const DiskInfo& d) {
  if (d.state == DiskState::kHealthy && d.repairs_pending > 0) return "degraded";
  return DiskStateName(d.state);
}

Result<DiskInfo> DiskPool::Show(std::string_view disk_id) {
  return deps_.db.Read([&](db::Transaction& tx) -> Result<DiskInfo> {
    auto d = ShowIn(tx, disk_id);
    if (!d) return d;
    if (auto r = CountRepairs(tx, *d); !r) return std::unexpected(std::move(r.error()));
    return d;
  });
}

Result<std::vector<DiskInfo>> DiskPool::List() {
  return deps_.db.Read([&](db::Transaction& tx) -> Result<std::vector<DiskInfo>> {
    db::DiskStore store(tx);
    auto rows = store.ListDisks();
    if (!rows) return Pass(rows);
    auto owners = store.OwnersByPrimary();
    if (!owners) return Pass(owners);
    std::vector<DiskInfo> out;
    for (const db::DiskRow& r : *rows) {
      auto info = pool_internal::ToInfo(r, OwnersOf(r, *owners));
      if (!info) return Pass(info);
      if (auto c = CountRepairs(tx, *info); !c) return std::unexpected(std::move(c.error()));
      out.push_back(std::move(*info));
    }
    return out;
  });
}

Result<DiskInfo> DiskPool::Attach(const config::Spare& spare) {
  if (auto bad = config::DiskIdProblem(spare.id); !bad.empty()) {
    return Fail(Errc::kInvalidArgument, "disk id {}", bad);
  }
  if (auto uri = CheckVolumeUri(spare.id, spare.uri); !uri) return Pass(uri);
  {
    std::lock_guard op(op_mu_);
    const std::int64_t now = NowMs();
    auto check = [&](db::Transaction& tx) -> Result<void> {
      auto rows = db::DiskStore(tx).ListDisks();
      if (!rows) return Pass(rows);
      for (const db::DiskRow& r : *rows) {
        if (r.id == spare.id) return Fail(Errc::kConflict, "disk '{}' exists already", spare.id);
        if (r.uri == spare.uri)
          return Fail(Errc::kConflict, "\"{}\" is already disk '{}'", spare.uri, r.id);
      }
      return {};
    };
    if (auto known = deps_.db.Read(check); !known) return Pass(known);
    // The capacity after that check: a taken id or place is refused before the probe's warnings.
    std::uint64_t capacity = spare.capacity_bytes;
    if (capacity == 0 && deps_.default_capacity) {
      auto probed = deps_.default_capacity(spare.uri);
      if (!probed) return Pass(probed);
      capacity = *probed;
    }
    if (capacity == 0 ||
        capacity > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return Fail(Errc::kInvalidArgument, "spare '{}' ({}): capacity {} is not usable", spare.id,
                  spare.uri, capacity);
    }
    // Opening the volume first creates a file: disk's directory and marker (or refuses a
    // directory that belongs to another disk) before the spare is recorded.
    DiskInfo info;
    info.id = spare.id;
    info.uri = spare.uri;
    info.capacity_bytes = capacity;
    auto volume = deps_.open_volume(info);
    if (!volume) {
      return Fail(volume.error().code, "cannot attach disk '{}' ({}): {}", spare.id, spare.uri,
                  volume.error().message);
    }
    auto added = deps_.db.Write([&](db::Transaction& tx) -> Result<void> {
      if (auto known = check(tx); !known) return known;
      db::DiskStore store(tx);
      db::DiskRow row;
      row.id = spare.id;
      row.role = "spare";
      row.uri = spare.uri;
      row.capacity_bytes = static_cast<std::int64_t>(capacity);
      row.state = "spare";
      row.created_at = row.updated_at = now;
      return store.InsertDisk(row);
    });
    if (!added) return Pass(added);
    std::lock_guard lock(state_mu_);
    volumes_[spare.id] = std::shared_ptr<Volume>(std::move(*volume));
  }
  // A category that was refused for lack of spares may get its pair now.
  if (auto r = CheckNearFull(); !r) return Pass(r);
  return Show(spare.id);
}

Result<void> DiskPool::MarkFailed(std::string_view disk_id) {
  std::lock_guard op(op_mu_);
  const std::int64_t now = NowMs();
  std::optional<Alert> alert;
  auto r = deps_.db.Write([&](db::Transaction& tx) -> Result<void> {
    db::DiskStore store(tx);
    auto row = MustGet(store, disk_id);
    if (!row) return Pass(row);
    if (row->state == "failed") return {};
    if (auto s = store.SetState(disk_id, "failed", now); !s) return s;
    // The partner keeps its own state: it is not missing anything, it just serves alone now
    // (and its pair takes no new owners, see PairView::writable).
    const std::string partner = row->mirror_id.value_or("");
    bool partner_down = false;
    if (!partner.empty()) {
      auto p = store.GetDisk(partner);
      if (!p) return Pass(p);
      partner_down = *p && ((*p)->state == "failed" || (*p)->state == "resilvering");
    }
    std::string message =
        partner.empty() ? fmt::format("disk '{}' ({}) failed", disk_id, row->uri)
        : partner_down  ? fmt::format(
                              "disk '{}' ({}) failed, and its partner '{}' is not serving either: "
                               "the owners of this pair cannot reach their files until one of the "
                               "two is back",
                              disk_id, row->uri, partner)
                       : fmt::format(
                             "disk '{}' ({}) failed: its partner '{}' serves its owners alone "
                             "until it is replaced",
                             disk_id, row->uri, partner);
    alert = Alert{AlertKind::kDiskFailed, std::string(disk_id), std::move(message)};
    alert->users_cut_off = partner_down;
    return {};
  });
  if (r && alert) deps_.alerts.Raise(*alert);
  return r;
}

Result<void> DiskPool::RefuseFailingLastCopy(std::string_view disk_id,
                                             std::string_view how_to_force) {
  auto disk = Show(disk_id);
  if (!disk) return Pass(disk);
  if (disk->state == DiskState::kFailed || disk->mirror_id.empty() || disk->owner_count == 0) {
    return {};
  }
  auto partner = Show(disk->mirror_id);
  if (!partner) return Pass(partner);
  // A partner that lacks some blobs (degraded: writes it missed, repairs pending) has no copy of
  // those: this disk holds the only one (QA pass 17: 300 such files answered 404 after a fail).
  const bool partner_out =
      partner->state == DiskState::kFailed || partner->state == DiskState::kResilvering;
  if (!partner_out && partner->repairs_pending == 0) return {};
  if (!partner_out) {
    return Fail(Errc::kConflict,
                "disk '{}' holds the only copy of {} file(s): its partner '{}' is degraded and "
                "still lacks them (repairs pending). Failing it would leave their owners "
                "without them until it is back. Let the repairs finish (`nimbus admin disk show "
                "{}`), or {} (a drill).",
                disk_id, partner->repairs_pending, partner->id, partner->id, how_to_force);
  }
  return Fail(Errc::kConflict,
              "disk '{}' holds the only working copy of the files of {} user(s): its partner '{}' "
              "is {}. Failing it would leave them without their files until one of the two is "
              "back. Heal or replace '{}' first, or {} (a drill).",
              disk_id, disk->owner_count, partner->id, DiskStateName(partner->state), partner->id,
              how_to_force);
}

Result<void> DiskPool::MarkHealthy(std::string_view disk_id) {
  std::lock_guard op(op_mu_);
  const std::int64_t now = NowMs();
  std::optional<Alert> alert;
  auto r = deps_.db.Write([&](db::Transaction& tx) -> Result<void> {
    db::DiskStore store(tx);
    auto row = MustGet(store, disk_id);
    if (!row) return Pass(row);
    const std::string state = row->role == "spare" ? "spare" : "healthy";
    if (row->state == state) return {};
    if (auto s = store.SetState(disk_id, state, now); !s) return s;
    const bool spare = row->role == "spare";
    alert = Alert{AlertKind::kDiskRecovered, std::string(disk_id),
                  spare ? fmt::format("disk '{}' ({}) is a usable spare again (was {}): it is in "
                                      "no pair, and the pool may attach it where a category "
                                      "fills up or use it for a replace",
                                      disk_id, row->uri, row->state)
                        : fmt::format("disk '{}' ({}) is {} again (was {})", disk_id, row->uri,
                                      state, row->state)};
    alert->to_spare = spare;
    return {};
  });
  if (r && alert) deps_.alerts.Raise(*alert);
  return r;
}

Result<DiskPair> DiskPool::Replace(std::string_view disk_id, std::string_view spare_id) {
  std::lock_guard op(op_mu_);
  const std::int64_t now = NowMs();
  std::optional<Alert> alert;
  auto r = deps_.db.Write([&](db::Transaction& tx) -> Result<DiskPair> {
    db::DiskStore store(tx);
    auto old = MustGet(store, disk_id);
    if (!old) return Pass(old);
    auto spare = MustGet(store, spare_id);
    if (!spare) return Pass(spare);
    if (old->role == "spare") return Fail(Errc::kConflict, "disk '{}' is a spare", disk_id);
    if (old->state != "failed") {
      return Fail(Errc::kConflict, "disk '{}' is {}, not failed: fail it first", disk_id,
                  old->state);
    }
    if (spare->role != "spare" || spare->state != "spare") {
      return Fail(Errc::kConflict, "disk '{}' is not an unused spare ({} {})", spare_id,
                  spare->role, spare->state);
    }
    if (spare->capacity_bytes < old->allocated_bytes || spare->capacity_bytes < old->used_bytes) {
      return Fail(Errc::kNoCapacity, "spare '{}' ({}) is smaller than what disk '{}' holds ({})",
                  spare_id, pool_internal::Gib(spare->capacity_bytes), disk_id,
                  pool_internal::Gib(std::max(old->allocated_bytes, old->used_bytes)));
    }
    const std::string partner = old->mirror_id.value_or("");
    auto placed = store.UpdatePlacement(spare_id, old->role, old->category, old->mirror_id,
                                        "resilvering", now);
    if (!placed) return Pass(placed);
    auto counted = store.SetCounters(spare_id, old->allocated_bytes, old->used_bytes, now);
    if (!counted) return Pass(counted);
    if (!partner.empty()) {
      auto other = MustGet(store, partner);
      if (!other) return Pass(other);
      auto relinked = store.UpdatePlacement(partner, other->role, other->category,
                                            std::string(spare_id), other->state, now);
      if (!relinked) return Pass(relinked);
    }
    if (old->role == "primary") {
      // The pair is known by its primary: owners, blobs and queued repairs follow the spare.
      auto moved = store.MovePrimary(disk_id, spare_id, now);
      if (!moved) return Pass(moved);
      auto blobs = db::BlobStore(tx).MovePrimary(disk_id, spare_id);
      if (!blobs) return Pass(blobs);
      auto repairs = db::RepairQueueStore(tx).MovePair(disk_id, spare_id);
      if (!repairs) return Pass(repairs);
    }
    // The resilver task is recorded with the replace, so a crash right after it still resumes.
    auto task = db::DiskTaskStore(tx).Create("resilver", spare_id, std::nullopt, now);
    if (!task) return Pass(task);
    auto retired =
        store.UpdatePlacement(disk_id, "spare", std::nullopt, std::nullopt, "failed", now);
    if (!retired) return Pass(retired);
    auto zeroed = store.SetCounters(disk_id, 0, 0, now);
    if (!zeroed) return Pass(zeroed);
    alert = Alert{AlertKind::kSpareAttached, std::string(spare_id),
                  fmt::format("spare '{}' replaces failed disk '{}' in category {}; it is "
                              "resilvered from '{}'",
                              spare_id, disk_id, old->category.value_or(""), partner)};
    const bool primary = old->role == "primary";
    DiskPair pair;
    pair.category = old->category.value_or("");
    pair.primary_id = primary ? std::string(spare_id) : partner;
    pair.mirror_id = primary ? partner : std::string(spare_id);
    return pair;
  });
  if (!r) return r;
  if (alert) deps_.alerts.Raise(*alert);
  // The states as stored now (the partner's may be anything).
  auto p = Show(r->primary_id);
  auto m = Show(r->mirror_id);
  if (p) r->primary_state = p->state;
  if (m) r->mirror_state = m->state;
  {
    // A cached Volume of the retired id must not be reused for its new role.
    std::lock_guard lock(state_mu_);
    volumes_.erase(std::string(disk_id));
  }
  return r;
}

Result<DiskPair> DiskPool::Retire(std::string_view disk_id) {
  std::lock_guard op(op_mu_);
  const std::int64_t now = NowMs();
  auto r = deps_.db.Write([&](db::Transaction& tx) -> Result<DiskPair> {
    db::DiskStore store(tx);
    auto first = MustGet(store, disk_id);
    if (!first) return Pass(first);
    if (first->role == "spare")
      return Fail(Errc::kConflict, "disk '{}' is a spare already", disk_id);
    std::vector<db::DiskRow> pair{*first};
    if (first->mirror_id) {
      auto other = MustGet(store, *first->mirror_id);
      if (!other) return Pass(other);
      pair.push_back(std::move(*other));
    }
    DiskPair out;
    out.category = first->category.value_or("");
    for (const db::DiskRow& d : pair) (d.role == "primary" ? out.primary_id : out.mirror_id) = d.id;
    const std::string& primary = out.primary_id.empty() ? first->id : out.primary_id;
    // Everything that still needs the pair, in words for the operator.
    std::vector<std::string> held;
    auto use = store.UseOfPair(primary);
    if (!use) return Pass(use);
    if (use->owners > 0) held.push_back(fmt::format("{} owner(s) placed on it", use->owners));
    if (use->moves_in > 0) held.push_back(fmt::format("{} move(s) heading to it", use->moves_in));
    if (use->erasures > 0) {
      held.push_back(
          fmt::format("{} deleted file(s) whose bytes wait to be erased from it", use->erasures));
    }
    auto blobs = db::BlobStore(tx).TotalsByPrimary(primary);
    if (!blobs) return Pass(blobs);
    if (blobs->blobs > 0) held.push_back(fmt::format("{} blob(s) recorded on it", blobs->blobs));
    for (const db::DiskRow& d : pair) {
      if (d.allocated_bytes > 0 || d.used_bytes > 0) {
        held.push_back(fmt::format("disk '{}' counts {} allocated and {} used", d.id,
                                   pool_internal::Gib(d.allocated_bytes),
                                   pool_internal::Gib(d.used_bytes)));
      }
      auto repairs = db::RepairQueueStore(tx).CountFor(primary, d.role);
      if (!repairs) return Pass(repairs);
      if (*repairs > 0) held.push_back(fmt::format("{} repair(s) queued for '{}'", *repairs, d.id));
      auto task = db::DiskTaskStore(tx).LatestFor(d.id, "resilver");
      if (!task) return Pass(task);
      if (*task && ((*task)->state == "queued" || (*task)->state == "running")) {
        held.push_back(fmt::format("the resilver of '{}' is {}", d.id, (*task)->state));
      }
    }
    // A category keeps a pair: without one, the pool's next check attaches spares to it at once
    // (the smallest: often the very disks retired), so retiring its last pair does nothing.
    auto all = store.ListDisks();
    if (!all) return Pass(all);
    const bool another = std::ranges::any_of(*all, [&](const db::DiskRow& d) {
      return d.role == "primary" && d.id != primary && d.category == first->category;
    });
    if (!another) {
      held.push_back(
          fmt::format("it is the only pair of category {} (a category keeps one: "
                      "without it the pool attaches spares to it again at once)",
                      out.category));
    }
    if (!held.empty()) {
      return Fail(Errc::kConflict,
                  "the pair of disk '{}' stays where it is: {}. Only an empty pair, and not "
                  "the last of its category, goes back to the spares",
                  disk_id, fmt::join(held, ", "));
    }
    for (const db::DiskRow& d : pair) {
      const std::string state = d.state == "failed" ? "failed" : "spare";
      auto placed = store.UpdatePlacement(d.id, "spare", std::nullopt, std::nullopt, state, now);
      if (!placed) return Pass(placed);
    }
    return out;
  });
  if (!r) return r;
  std::lock_guard lock(state_mu_);
  for (const std::string& id : {r->primary_id, r->mirror_id}) volumes_.erase(id);
  return r;
}

Result<void> DiskPool::SetState(std::string_view disk_id, DiskState state) {
  std::lock_guard op(op_mu_);
  const std::int64_t now = NowMs();
  return deps_.db.Write([&](db::Transaction& tx) -> Result<void> {
    return db::DiskStore(tx).SetState(disk_id, DiskStateName(state), now);
  });
}

Result<std::shared_ptr<Volume>> DiskPool::VolumeOf(std::string_view disk_id) {
  {
    std::lock_guard lock(state_mu_);
    if (auto it = volumes_.find(disk_id); it != volumes_.end()) return it->second;
  }
  auto info = Show(disk_id);
  if (!info) return Pass(info);
  std::lock_guard lock(state_mu_);
  // Checked again: another thread may have opened it meanwhile; the factory runs once per disk.
  if (auto it = volumes_.find(disk_id); it != volumes_.end()) return it->second;
  auto volume = deps_.open_volume(*info);
  if (!volume) return Pass(volume);
  if (!*volume) return Fail(Errc::kInternal, "the volume factory gave nothing for '{}'", disk_id);
  std::shared_ptr<Volume> out = std::move(*volume);
  if (!info->set_up) {  // Opened (set up) now: from here on, missing means absent.
    auto marked = deps_.db.Write(
        [&](db::Transaction& tx) { return db::DiskStore(tx).MarkOpened(disk_id, NowMs()); });
    if (!marked) return Pass(marked);
  }
  volumes_.emplace(std::string(disk_id), out);
  return out;
}

}  // namespace nimbus::storage
