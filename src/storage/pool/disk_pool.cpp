// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/pool/disk_pool.h"

#include <fmt/core.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "db/stores/disk_store.h"
#include "storage/pool/disk_rows.h"

namespace nimbus::storage {

using pool_internal::AddToPair;
using pool_internal::FindPair;
using pool_internal::Gib;
using pool_internal::PairOf;
using pool_internal::PairsOf;
using pool_internal::PairView;
using pool_internal::RefuseBelowHeld;
using pool_internal::RefuseWhileMoving;

namespace {

constexpr auto kMaxBytes = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

template <class T>
std::unexpected<Error> Pass(Result<T>& r) {
  return std::unexpected(std::move(r.error()));
}

}  // namespace

std::uint64_t DiskPool::SmallestPlanBytes(const std::string& category) const {
  for (const config::Category& c : categories_) {
    if (c.name == category) return static_cast<std::uint64_t>(std::max(c.min_gb, 0)) << 30;
  }
  return 0;
}

// The unused spares that can hold a plan of `need` bytes (a capacity of 0 is unknown: taken);
// `all`, when given, counts every unused spare.
static std::vector<const db::DiskRow*> SparesFor(const std::vector<db::DiskRow>& disks,
                                                 std::uint64_t need, std::size_t* all = nullptr) {
  std::vector<const db::DiskRow*> out;
  for (const db::DiskRow& d : disks) {
    if (d.role != "spare" || d.state != "spare") continue;
    if (all) ++*all;
    if (d.capacity_bytes == 0 || static_cast<std::uint64_t>(d.capacity_bytes) >= need) {
      out.push_back(&d);
    }
  }
  return out;
}

// Attaches two spares to `category` as primary and mirror: the two smallest (ties by id) that
// can each hold the category's smallest plan, so that a pair is never attached where no plan of
// the category fits, and its two disks are alike (QA pass 19: a 60 GiB disk was paired with a
// 300 GiB one for plans of 75 GB and more, using up the last spare). A spare of unknown size
// (capacity 0) is taken as fitting. False when fewer than two such spares are left.
Result<bool> DiskPool::AttachSparePair(db::Transaction& tx, const std::string& category,
                                       Alerts& out) {
  db::DiskStore store(tx);
  auto disks = store.ListDisks();
  if (!disks) return Pass(disks);
  std::size_t all_spares = 0;
  std::vector<const db::DiskRow*> spares =
      SparesFor(*disks, SmallestPlanBytes(category), &all_spares);
  if (spares.size() < 2) return false;
  std::ranges::stable_sort(spares, [](const db::DiskRow* a, const db::DiskRow* b) {
    return a->capacity_bytes < b->capacity_bytes;
  });
  const std::string primary = spares[0]->id, mirror = spares[1]->id;
  const std::int64_t now = NowMs();
  auto p = store.UpdatePlacement(primary, "primary", category, mirror, "healthy", now);
  if (!p) return Pass(p);
  auto m = store.UpdatePlacement(mirror, "mirror", category, primary, "healthy", now);
  if (!m) return Pass(m);
  // The spares also stand in for failed disks (`admin disk replace`): say when none is left.
  const std::size_t left = all_spares - 2;
  const std::string after =
      left == 0   ? " No spare is left now: attach new spares (`nimbus admin disk attach`) so that "
                    "a failed disk can be replaced."
      : left == 1 ? " One spare is left for replacing a failed disk."
                  : fmt::format(" {} spares are left.", left);
  out.raise.push_back({AlertKind::kSpareAttached, primary,
                       fmt::format("category {} passed {:.0f}% full or has no healthy pair: "
                                   "attached spares '{}' (primary) and '{}' (mirror) as a new "
                                   "pair.{}",
                                   category, near_full_ratio_ * 100, primary, mirror, after)});
  out.refilled.push_back(category);
  return true;
}

// Attaches spare pairs while `category` (with `extra` more bytes allocated) is past
// near_full_ratio. Adds a kNoCapacity alert when it stays past it; the caller decides whether
// that refuses anything.
Result<void> DiskPool::FillCategory(db::Transaction& tx, const std::string& category,
                                    std::uint64_t extra, Alerts& out, bool placing) {
  db::DiskStore store(tx);
  for (int round = 0; round < 64; ++round) {  // Each round uses two spares; bounded anyway.
    auto disks = store.ListDisks();
    if (!disks) return Pass(disks);
    std::uint64_t capacity = 0, allocated = 0, used = 0;
    bool any_writable = false;
    for (const PairView& p : PairsOf(*disks, category)) {
      any_writable = any_writable || p.writable;
      if (placing && !p.writable) continue;
      capacity += p.capacity;
      allocated += p.allocated;
      used += p.used;
    }
    const double limit = near_full_ratio_ * static_cast<double>(capacity);
    if (capacity > 0 && static_cast<double>(allocated + extra) <= limit &&
        static_cast<double>(used) <= limit) {
      // Every pair out of service: the spares wait (see the header), but when no pair of them
      // is left for the next newcomer either, that is said now, not at a refused sign-up.
      if (!any_writable && SparesFor(*disks, SmallestPlanBytes(category)).size() < 2) {
        out.full.emplace_back(
            category,
            Alert{AlertKind::kNoCapacity, "",
                  fmt::format("no capacity left in category {}: none of its pairs is in service "
                              "and no pair of spares that can hold its smallest plan ({}) is "
                              "left to attach for a new account; attach two spares of at least "
                              "that size, or bring its disks back",
                              category, Gib(SmallestPlanBytes(category)))});
      }
      return {};
    }
    auto attached = AttachSparePair(tx, category, out);
    if (!attached) return Pass(attached);
    if (*attached) continue;
    const std::string spares = fmt::format(
        "no pair of spares that can hold its smallest plan ({}) left to attach; "
        "attach two spares of at least that size",
        Gib(SmallestPlanBytes(category)));
    std::string msg =
        capacity == 0
            ? fmt::format("no capacity left in category {}: it has no healthy pair and {}",
                          category, spares)
            : fmt::format(
                  "no capacity left in category {}: {} of {} allocated{} and {} used on its "
                  "healthy pairs (near_full_ratio {:.2f}) and {}",
                  category, Gib(allocated), Gib(capacity),
                  extra ? fmt::format(" ({} more asked)", Gib(extra)) : std::string(), Gib(used),
                  near_full_ratio_, spares);
    out.full.emplace_back(category, Alert{AlertKind::kNoCapacity, "", std::move(msg)});
    return {};
  }
  return Fail(Errc::kInternal, "category {}: attaching spares did not converge", category);
}

void DiskPool::Deliver(Alerts& alerts) {
  std::vector<Alert> send = std::move(alerts.raise);
  {
    std::lock_guard lock(state_mu_);
    for (const std::string& c : alerts.refilled) full_alerted_.erase(c);
    for (auto& [category, alert] : alerts.full) {
      if (full_alerted_.insert(category).second) send.push_back(alert);
    }
  }
  for (const Alert& a : send) deps_.alerts.Raise(a);
}

Result<DiskPair> DiskPool::Allocate(std::int64_t owner_id, std::uint64_t bytes) {
  auto category = CategoryForBytes(categories_, bytes);
  if (!category) return Pass(category);
  if (bytes > kMaxBytes) return Fail(Errc::kInvalidArgument, "plan of {} bytes", bytes);
  std::lock_guard op(op_mu_);
  // First make room (its own transaction, so attached spares stay attached even if this
  // allocation then fails), then place.
  Alerts alerts;
  auto fill = [&](db::Transaction& tx) -> Result<void> {
    auto existing = db::DiskStore(tx).GetAllocation(owner_id);
    if (!existing) return Pass(existing);
    if (*existing) {
      return Fail(Errc::kConflict, "owner {} already has an allocation on disk '{}'", owner_id,
                  (*existing)->primary_id);
    }
    return FillCategory(tx, *category, bytes, alerts, /*placing=*/true);
  };
  auto filled = deps_.db.Write(fill);
  if (!filled) return Pass(filled);
  const bool full = !alerts.full.empty();
  std::string full_message = full ? alerts.full.front().second.message : "";
  Deliver(alerts);
  if (full) return Fail(Errc::kNoCapacity, "{}", full_message);

  Alerts placed_alerts;
  auto place = [&](db::Transaction& tx) {
    return PlaceIn(tx, owner_id, *category, bytes, placed_alerts);
  };
  auto placed = deps_.db.Write(place);
  if (placed) Deliver(placed_alerts);  // Only a committed attach is announced.
  return placed;
}

// Picks the pair for `bytes` in `category` and reserves them on both its disks. When no pair has
// room (the category is not near full but fragmented, or the plan is large), one spare pair is
// attached and tried.
Result<DiskPair> DiskPool::ReservePair(db::Transaction& tx, const std::string& category,
                                       std::uint64_t bytes, Alerts& alerts) {
  db::DiskStore store(tx);
  std::optional<DiskPair> chosen;
  std::uint64_t most_free = 0;
  for (int attempt = 0; attempt < 2 && !chosen; ++attempt) {
    if (attempt == 1) {
      auto attached = AttachSparePair(tx, category, alerts);
      if (!attached) return Pass(attached);
      if (!*attached) break;
    }
    auto disks = store.ListDisks();
    if (!disks) return Pass(disks);
    const PairView* best = nullptr;
    const std::vector<PairView> pairs = PairsOf(*disks, category);
    // Ordered by id, and only a strictly larger free space replaces `best`: ties go to the
    // smallest id.
    for (const PairView& p : pairs) {
      if (!p.writable || p.allocated > p.capacity) continue;
      const std::uint64_t free = p.capacity - p.allocated;
      if (free >= bytes && (!best || free > best->capacity - best->allocated)) best = &p;
      most_free = std::max(most_free, free);
    }
    if (best) chosen = PairOf(*best);
  }
  if (!chosen) {
    return Fail(Errc::kNoCapacity,
                "no capacity left in category {}: no healthy pair has {} unallocated (the most "
                "is {}) and no spare pair left to attach",
                category, Gib(bytes), Gib(most_free));
  }
  auto add = AddToPair(store, chosen->primary_id, chosen->mirror_id, false,
                       static_cast<std::int64_t>(bytes), NowMs());
  if (!add) return Pass(add);
  return *chosen;
}

// Records the allocation on the pair ReservePair picks.
Result<DiskPair> DiskPool::PlaceIn(db::Transaction& tx, std::int64_t owner_id,
                                   const std::string& category, std::uint64_t bytes,
                                   Alerts& alerts) {
  db::DiskStore store(tx);
  auto existing = store.GetAllocation(owner_id);
  if (!existing) return Pass(existing);
  if (*existing) {
    return Fail(Errc::kConflict, "owner {} already has an allocation on disk '{}'", owner_id,
                (*existing)->primary_id);
  }
  auto pair = ReservePair(tx, category, bytes, alerts);
  if (!pair) return pair;
  const std::int64_t now = NowMs();
  db::AllocationRow row{owner_id, pair->primary_id, static_cast<std::int64_t>(bytes), 0, now, now};
  if (auto r = store.InsertAllocation(row); !r) return Pass(r);
  return pair;
}

Result<DiskPair> DiskPool::Resize(std::int64_t owner_id, std::uint64_t new_bytes) {
  auto category = CategoryForBytes(categories_, new_bytes);
  if (!category) return Pass(category);
  if (new_bytes > kMaxBytes) return Fail(Errc::kInvalidArgument, "plan of {} bytes", new_bytes);
  std::lock_guard op(op_mu_);
  const std::int64_t now = NowMs();
  auto resized = deps_.db.Write([&](db::Transaction& tx) -> Result<DiskPair> {
    db::DiskStore store(tx);
    auto a = store.GetAllocation(owner_id);
    if (!a) return Pass(a);
    if (!*a) return Fail(Errc::kNotFound, "owner {} has no allocation", owner_id);
    if (auto busy = RefuseWhileMoving(store, owner_id); !busy) return Pass(busy);
    auto disks = store.ListDisks();
    if (!disks) return Pass(disks);
    auto pair = FindPair(*disks, (*a)->primary_id);
    if (!pair) return Pass(pair);
    const std::string current = pair->primary->category.value_or("");
    if (current != *category) {
      return Fail(Errc::kConflict,
                  "a plan of {} is in category {}, but owner {} lives in category {} (disk "
                  "'{}'): changing category moves the owner",
                  Gib(new_bytes), *category, owner_id, current, pair->primary->id);
    }
    if (auto fits = RefuseBelowHeld(store, owner_id, (*a)->used_bytes, new_bytes); !fits) {
      return Pass(fits);
    }
    const std::int64_t delta = static_cast<std::int64_t>(new_bytes) - (*a)->bytes;
    if (delta > 0 && pair->allocated + static_cast<std::uint64_t>(delta) > pair->capacity) {
      return Fail(Errc::kNoCapacity,
                  "no capacity left on disk pair '{}'/'{}' (category {}): {} of {} allocated, "
                  "{} more asked",
                  pair->primary->id, pair->primary->mirror_id.value_or(""), current,
                  Gib(pair->allocated), Gib(pair->capacity),
                  Gib(static_cast<std::uint64_t>(delta)));
    }
    DiskPair out = PairOf(*pair);
    if (auto r = store.SetAllocationBytes(owner_id, static_cast<std::int64_t>(new_bytes), now); !r)
      return Pass(r);
    auto add = AddToPair(store, (*a)->primary_id, out.mirror_id, false, delta, now);
    if (!add) return Pass(add);
    return out;
  });
  if (!resized) return resized;
  // A larger plan may take the category past near_full_ratio: attach spares now, so the next
  // Allocate finds room. Existing owners never fail because of it.
  Alerts alerts;
  auto fill = [&](db::Transaction& tx) {
    return FillCategory(tx, *category, 0, alerts, /*placing=*/false);
  };
  auto filled = deps_.db.Write(fill);
  if (!filled) return Pass(filled);
  Deliver(alerts);
  return resized;
}

Result<void> DiskPool::Release(std::int64_t owner_id) {
  std::lock_guard op(op_mu_);
  const std::int64_t now = NowMs();
  return deps_.db.Write([&](db::Transaction& tx) -> Result<void> {
    db::DiskStore store(tx);
    auto a = store.GetAllocation(owner_id);
    if (!a) return Pass(a);
    if (!*a) return Fail(Errc::kNotFound, "owner {} has no allocation", owner_id);
    if (auto busy = RefuseWhileMoving(store, owner_id); !busy) return busy;
    if ((*a)->used_bytes != 0) {
      return Fail(Errc::kConflict,
                  "owner {} still has {} bytes on disk '{}': delete their blobs before releasing "
                  "the allocation",
                  owner_id, (*a)->used_bytes, (*a)->primary_id);
    }
    auto primary = store.GetDisk((*a)->primary_id);
    if (!primary) return Pass(primary);
    if (!*primary) return Fail(Errc::kInternal, "disk '{}' vanished", (*a)->primary_id);
    if (auto r = store.DeleteAllocation(owner_id); !r) return r;
    return AddToPair(store, (*a)->primary_id, (*primary)->mirror_id.value_or(""), false,
                     -(*a)->bytes, now);
  });
}

Result<Placement> DiskPool::Locate(std::int64_t owner_id) {
  return deps_.db.Read([&](db::Transaction& tx) -> Result<Placement> {
    db::DiskStore store(tx);
    auto a = store.GetAllocation(owner_id);
    if (!a) return Pass(a);
    if (!*a) return Fail(Errc::kNotFound, "owner {} has no allocation", owner_id);
    auto disks = store.ListDisks();
    if (!disks) return Pass(disks);
    auto pair = FindPair(*disks, (*a)->primary_id);
    if (!pair) return Pass(pair);
    return Placement{owner_id, PairOf(*pair), static_cast<std::uint64_t>((*a)->bytes),
                     static_cast<std::uint64_t>((*a)->used_bytes)};
  });
}

Result<void> DiskPool::AddUsed(db::Transaction& tx, std::int64_t owner_id, std::int64_t delta) {
  db::DiskStore store(tx);
  const std::int64_t now = NowMs();
  auto a = store.GetAllocation(owner_id);
  if (!a) return Pass(a);
  if (!*a) return Fail(Errc::kNotFound, "owner {} has no allocation", owner_id);
  auto primary = store.GetDisk((*a)->primary_id);
  if (!primary) return Pass(primary);
  if (!*primary) return Fail(Errc::kInternal, "disk '{}' vanished", (*a)->primary_id);
  if (auto r = store.AddAllocationUsed(owner_id, delta, now); !r) return r;
  return AddToPair(store, (*a)->primary_id, (*primary)->mirror_id.value_or(""), true, delta, now);
}

Result<void> DiskPool::CheckNearFull() {
  std::lock_guard op(op_mu_);
  for (const config::Category& c : categories_) {
    Alerts alerts;  // Per transaction: a rolled-back attach is never announced.
    auto fill = [&](db::Transaction& tx) {
      return FillCategory(tx, c.name, 0, alerts, /*placing=*/false);
    };
    if (auto r = deps_.db.Write(fill); !r) return r;
    Deliver(alerts);
  }
  return {};
}

}  // namespace nimbus::storage
