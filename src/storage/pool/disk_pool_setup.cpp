// SPDX-License-Identifier: AGPL-3.0-or-later
// DiskPool: the words for roles and states, plan size -> category, and Open (config vs DB).
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "storage/pool/disk_pool.h"
#include "storage/pool/disk_rows.h"

namespace nimbus::storage {

std::string_view DiskRoleName(DiskRole role) {
  switch (role) {
    case DiskRole::kPrimary:
      return "primary";
    case DiskRole::kMirror:
      return "mirror";
    case DiskRole::kSpare:
      return "spare";
  }
  return "?";
}

std::string_view DiskStateName(DiskState state) {
  switch (state) {
    case DiskState::kHealthy:
      return "healthy";
    case DiskState::kDegraded:
      return "degraded";
    case DiskState::kFailed:
      return "failed";
    case DiskState::kResilvering:
      return "resilvering";
    case DiskState::kSpare:
      return "spare";
  }
  return "?";
}

Result<DiskRole> ParseDiskRole(std::string_view text) {
  for (DiskRole r : {DiskRole::kPrimary, DiskRole::kMirror, DiskRole::kSpare}) {
    if (DiskRoleName(r) == text) return r;
  }
  return Fail(Errc::kInvalidArgument, "unknown disk role \"{}\"", text);
}

Result<DiskState> ParseDiskState(std::string_view text) {
  for (DiskState s : {DiskState::kHealthy, DiskState::kDegraded, DiskState::kFailed,
                      DiskState::kResilvering, DiskState::kSpare}) {
    if (DiskStateName(s) == text) return s;
  }
  return Fail(Errc::kInvalidArgument, "unknown disk state \"{}\"", text);
}

Result<std::string> CategoryForBytes(std::span<const config::Category> categories,
                                     std::uint64_t bytes) {
  // Plans are whole GB; a size that is not is rounded up so it never lands in a smaller band.
  const std::uint64_t gb = bytes / kGiB + (bytes % kGiB != 0 ? 1 : 0);
  for (const config::Category& c : categories) {
    if (gb >= static_cast<std::uint64_t>(c.min_gb) && gb <= static_cast<std::uint64_t>(c.max_gb))
      return c.name;
  }
  std::vector<std::string> bands;
  for (const config::Category& c : categories)
    bands.push_back(fmt::format("{} = {}-{} GB", c.name, c.min_gb, c.max_gb));
  return Fail(Errc::kInvalidArgument, "no disk category holds a plan of {} bytes ({} GB): {}",
              bytes, gb, fmt::join(bands, ", "));
}

namespace pool_internal {

Result<DiskInfo> ToInfo(const db::DiskRow& row, std::int64_t owner_count) {
  auto role = ParseDiskRole(row.role);
  auto state = ParseDiskState(row.state);
  if (!role || !state) {
    return Fail(Errc::kInternal, "disk '{}' has role \"{}\" and state \"{}\" in the database",
                row.id, row.role, row.state);
  }
  // Named fields: positional ones put created_at into repairs_pending once a field was added
  // (QA pass 14, finding 12).
  return DiskInfo{.id = row.id,
                  .category = row.category.value_or(""),
                  .role = *role,
                  .state = *state,
                  .mirror_id = row.mirror_id.value_or(""),
                  .uri = row.uri,
                  .capacity_bytes = static_cast<std::uint64_t>(row.capacity_bytes),
                  .allocated_bytes = static_cast<std::uint64_t>(row.allocated_bytes),
                  .used_bytes = static_cast<std::uint64_t>(row.used_bytes),
                  .owner_count = owner_count,
                  .repairs_pending = 0,
                  .created_at = row.created_at,
                  .updated_at = row.updated_at,
                  .set_up = row.opened_at.has_value()};
}

std::vector<PairView> PairsOf(const std::vector<db::DiskRow>& disks, const std::string& category) {
  std::map<std::string, const db::DiskRow*> by_id;
  for (const db::DiskRow& d : disks) by_id.emplace(d.id, &d);
  std::vector<PairView> out;
  for (const db::DiskRow& d : disks) {  // Already ordered by id.
    if (d.role != "primary" || d.category != category) continue;
    PairView p;
    p.primary = &d;
    if (d.mirror_id) {
      auto it = by_id.find(*d.mirror_id);
      if (it != by_id.end()) p.mirror = it->second;
    }
    std::int64_t cap = d.capacity_bytes;
    if (p.mirror) cap = std::min(cap, p.mirror->capacity_bytes);
    p.capacity = static_cast<std::uint64_t>(cap);
    p.allocated = static_cast<std::uint64_t>(d.allocated_bytes);
    p.used = static_cast<std::uint64_t>(d.used_bytes);
    p.writable = d.state == "healthy" && p.mirror && p.mirror->state == "healthy";
    out.push_back(p);
  }
  return out;
}

DiskPair PairOf(const PairView& p) {
  DiskPair out;
  out.category = p.primary->category.value_or("");
  out.primary_id = p.primary->id;
  out.mirror_id = p.primary->mirror_id.value_or("");
  out.primary_state = ParseDiskState(p.primary->state).value_or(DiskState::kFailed);
  out.mirror_state =
      p.mirror ? ParseDiskState(p.mirror->state).value_or(DiskState::kFailed) : DiskState::kFailed;
  return out;
}

Result<PairView> FindPair(const std::vector<db::DiskRow>& disks, std::string_view primary_id) {
  for (const db::DiskRow& d : disks) {
    if (d.id != primary_id) continue;
    for (const PairView& p : PairsOf(disks, d.category.value_or(""))) {
      if (p.primary->id == primary_id) return p;
    }
  }
  return Fail(Errc::kInternal, "disk '{}' is not the primary of a pair", primary_id);
}

Result<void> AddToPair(db::DiskStore& store, std::string_view primary_id,
                       std::string_view mirror_id, bool used, std::int64_t delta,
                       std::int64_t now) {
  for (std::string_view id : {primary_id, mirror_id}) {
    if (id.empty()) continue;
    auto r = used ? store.AddUsed(id, delta, now) : store.AddAllocated(id, delta, now);
    if (!r) return r;
  }
  return {};
}

std::string Gib(std::uint64_t bytes) {
  return fmt::format("{:.2f} GiB", static_cast<double>(bytes) / static_cast<double>(kGiB));
}

}  // namespace pool_internal

DiskPool::DiskPool(const config::DisksConfig& config, DiskPoolDeps deps)
    : deps_(std::move(deps)),
      categories_(config.categories.empty() ? config::DefaultCategories() : config.categories),
      near_full_ratio_(config.near_full_ratio) {}

Result<std::unique_ptr<DiskPool>> DiskPool::Open(const config::DisksConfig& config,
                                                 DiskPoolDeps deps) {
  const bool check = deps.check_capacity_at_open;
  std::unique_ptr<DiskPool> pool(new DiskPool(config, std::move(deps)));
  if (auto r = pool->Reconcile(config); !r) return std::unexpected(std::move(r.error()));
  // A category may have filled while the server was down, or spares may have been added.
  if (check) {
    if (auto r = pool->CheckNearFull(); !r) return std::unexpected(std::move(r.error()));
  }
  return pool;
}

namespace {

struct Wanted {  // One configured disk or spare, as the DB should record it.
  std::string id, uri, role, category, mirror;
  std::uint64_t capacity = 0;
};

std::vector<Wanted> WantedDisks(const config::DisksConfig& config) {
  std::vector<Wanted> out;
  for (const config::Disk& d : config.disks)
    out.push_back({d.id, d.uri, d.role, d.category, d.mirror, d.capacity_bytes});
  for (const config::Spare& s : config.spares)
    out.push_back({s.id, s.uri, "spare", "", "", s.capacity_bytes});
  return out;
}

// Why configured disk `w` cannot be the recorded `r` (the same id): another place, or another
// category. A disk the pool retired or attached as a spare is the database's business: so is a
// configured disk that left its configured pair (replaced, healed as a spare, then attached
// elsewhere by the pool; QA pass 19: `serve` then refused to start over its own change).
// `partner` is the other disk of w's configured pair.
std::vector<std::string> MismatchesOf(const Wanted& w, const db::DiskRow& r,
                                      const std::string& partner) {
  std::vector<std::string> out;
  if (r.uri != w.uri) {
    out.push_back(fmt::format("disk '{}' is recorded at \"{}\" but configured at \"{}\"", w.id,
                              r.uri, w.uri));
  }
  const bool in_its_pair = r.mirror_id.value_or("") == partner;
  if (w.role != "spare" && r.role != "spare" && in_its_pair &&
      r.category.value_or("") != w.category) {
    out.push_back(
        fmt::format("disk '{}' is recorded in category \"{}\" but configured in category \"{}\"",
                    w.id, r.category.value_or("(none: a spare)"), w.category));
  }
  return out;
}

std::string PlaceTaken(const Wanted& w, const db::DiskRow& other) {
  return fmt::format("disk '{}' is configured at \"{}\", where disk '{}' is recorded", w.id, w.uri,
                     other.id);
}

// CompareDiskConfig over the rows already read.
DiskConfigDiff Compare(const std::vector<db::DiskRow>& rows, const config::DisksConfig& config) {
  std::map<std::string, const db::DiskRow*> by_id, by_uri;
  for (const db::DiskRow& r : rows) {
    by_id.emplace(r.id, &r);
    by_uri.emplace(r.uri, &r);
  }
  std::map<std::string, std::string> partner;  // Configured pairs, both ways.
  for (const config::Disk& d : config.disks) {
    if (d.role == "primary" && !d.mirror.empty()) {
      partner[d.id] = d.mirror;
      partner[d.mirror] = d.id;
    }
  }
  DiskConfigDiff diff;
  std::set<std::string> named;
  for (const Wanted& w : WantedDisks(config)) {
    named.insert(w.id);
    if (auto found = by_id.find(w.id); found != by_id.end()) {
      for (std::string& m : MismatchesOf(w, *found->second, partner[w.id])) {
        diff.problems.push_back(std::move(m));
      }
    } else if (auto other = by_uri.find(w.uri); other != by_uri.end()) {
      diff.problems.push_back(PlaceTaken(w, *other->second));
    } else {
      diff.added.push_back(w.id);
    }
  }
  for (const db::DiskRow& r : rows) {
    if (!named.contains(r.id)) diff.unlisted.push_back(r.id);
  }
  return diff;
}

}  // namespace

Result<DiskConfigDiff> CompareDiskConfig(db::Transaction& tx, const config::DisksConfig& config) {
  auto rows = db::DiskStore(tx).ListDisks();
  if (!rows) return std::unexpected(std::move(rows.error()));
  return Compare(*rows, config);
}

Result<void> DiskPool::Reconcile(const config::DisksConfig& config) {
  const std::int64_t now = NowMs();
  return deps_.db.Write([&](db::Transaction& tx) -> Result<void> {
    db::DiskStore store(tx);
    auto rows = store.ListDisks();
    if (!rows) return std::unexpected(std::move(rows.error()));
    // A known disk at a different place or in a different category means the wrong disk or a
    // hand-edited config: refused. Otherwise the DB keeps its state, role and counters.
    const DiskConfigDiff diff = Compare(*rows, config);
    if (!diff.problems.empty()) {
      return Fail(Errc::kConflict,
                  "disks.toml does not match the disks recorded in the database: {}",
                  fmt::join(diff.problems, "; "));
    }
    std::map<std::string, std::int64_t> recorded_capacity;
    for (const db::DiskRow& r : *rows) recorded_capacity.emplace(r.id, r.capacity_bytes);
    for (const Wanted& w : WantedDisks(config)) {
      std::uint64_t capacity = w.capacity;
      if (capacity > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return Fail(Errc::kInvalidArgument, "disk '{}': capacity {} is too large", w.id, capacity);
      if (auto known = recorded_capacity.find(w.id); known != recorded_capacity.end()) {
        if (capacity != 0 && static_cast<std::int64_t>(capacity) != known->second) {
          auto set = store.SetCapacity(w.id, static_cast<std::int64_t>(capacity), now);
          if (!set) return set;
        }
        continue;
      }
      // Probed once, when the disk is first recorded: probing again at every start would shrink
      // the capacity as the disk fills.
      if (capacity == 0 && deps_.default_capacity) {
        auto probed = deps_.default_capacity(w.uri);
        if (!probed) return std::unexpected(std::move(probed.error()));
        capacity = std::min<std::uint64_t>(
            *probed, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
      }
      if (capacity == 0)
        return Fail(Errc::kInvalidArgument, "disk '{}' ({}): no capacity configured", w.id, w.uri);
      db::DiskRow row;
      row.id = w.id;
      row.role = w.role;
      row.uri = w.uri;
      row.capacity_bytes = static_cast<std::int64_t>(capacity);
      if (w.role != "spare") {
        row.category = w.category;
        row.mirror_id = w.mirror;
      }
      row.state = w.role == "spare" ? "spare" : "healthy";
      row.created_at = row.updated_at = now;
      if (auto ins = store.InsertDisk(row); !ins) return ins;
    }
    return Result<void>{};
  });
}

}  // namespace nimbus::storage
