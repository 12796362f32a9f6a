// SPDX-License-Identifier: AGPL-3.0-or-later
// DiskPool: the bookkeeping of moving an owner to another category (reserve, switch, abort). The
// copying of blobs is the caller's; this keeps the counters exact at every step.
#include <fmt/core.h>

#include <algorithm>

#include "db/stores/disk_store.h"
#include "storage/pool/disk_pool.h"
#include "storage/pool/disk_rows.h"

namespace nimbus::storage {

using pool_internal::AddToPair;
using pool_internal::FindPair;
using pool_internal::PairOf;

namespace {

template <class T>
std::unexpected<Error> Pass(Result<T>& r) {
  return std::unexpected(std::move(r.error()));
}

// The move and the allocation it belongs to, both required.
struct MoveRows {
  db::MoveRow move;
  db::AllocationRow allocation;
};

Result<MoveRows> GetMoveRows(db::DiskStore& store, std::int64_t owner_id) {
  auto m = store.GetMove(owner_id);
  if (!m) return Pass(m);
  if (!*m) return Fail(Errc::kNotFound, "owner {} is not being moved", owner_id);
  auto a = store.GetAllocation(owner_id);
  if (!a) return Pass(a);
  if (!*a) return Fail(Errc::kInternal, "owner {} is being moved but has no allocation", owner_id);
  return MoveRows{std::move(**m), std::move(**a)};
}

Result<MovePlan> PlanOf(db::DiskStore& store, const MoveRows& rows) {
  auto disks = store.ListDisks();
  if (!disks) return Pass(disks);
  auto from = FindPair(*disks, rows.allocation.primary_id);
  if (!from) return Pass(from);
  auto to = FindPair(*disks, rows.move.target_primary_id);
  if (!to) return Pass(to);
  return MovePlan{rows.allocation.owner_id,
                  PairOf(*from),
                  PairOf(*to),
                  static_cast<std::uint64_t>(rows.allocation.bytes),
                  static_cast<std::uint64_t>(rows.move.target_bytes),
                  rows.move.started_at};
}

}  // namespace

namespace pool_internal {

Result<void> RefuseBelowHeld(db::DiskStore& store, std::int64_t owner_id, std::int64_t used_bytes,
                             std::uint64_t new_bytes) {
  auto reserved = store.ReservedBytes(owner_id);
  if (!reserved) return Pass(reserved);
  const auto held = static_cast<std::uint64_t>(std::max<std::int64_t>(0, used_bytes + *reserved));
  if (new_bytes < held) {
    return Fail(Errc::kBelowUsage,
                "owner {} holds {} (files and trash {}, uploads in progress {}), more than a "
                "plan of {}",
                owner_id, Gib(held), Gib(static_cast<std::uint64_t>(used_bytes)),
                Gib(static_cast<std::uint64_t>(*reserved)), Gib(new_bytes));
  }
  return {};
}

Result<void> RefuseWhileMoving(db::DiskStore& store, std::int64_t owner_id) {
  auto m = store.GetMove(owner_id);
  if (!m) return Pass(m);
  if (*m) {
    return Fail(Errc::kConflict,
                "owner {} is being moved to disk '{}': commit or abort the move first", owner_id,
                (*m)->target_primary_id);
  }
  return {};
}

}  // namespace pool_internal

Result<MovePlan> DiskPool::BeginMove(std::int64_t owner_id, std::uint64_t new_bytes) {
  auto category = CategoryForBytes(categories_, new_bytes);
  if (!category) return Pass(category);
  std::lock_guard op(op_mu_);
  // Check, then make room in the target category (committed on its own, as in Allocate).
  Alerts alerts;
  auto fill = [&](db::Transaction& tx) -> Result<void> {
    db::DiskStore store(tx);
    auto a = store.GetAllocation(owner_id);
    if (!a) return Pass(a);
    if (!*a) return Fail(Errc::kNotFound, "owner {} has no allocation", owner_id);
    if (auto busy = pool_internal::RefuseWhileMoving(store, owner_id); !busy) return busy;
    auto primary = store.GetDisk((*a)->primary_id);
    if (!primary) return Pass(primary);
    if (*primary && (*primary)->category == *category) {
      return Fail(Errc::kInvalidArgument,
                  "owner {} already lives in category {}: a plan of {} is a resize, not a move",
                  owner_id, *category, pool_internal::Gib(new_bytes));
    }
    return FillCategory(tx, *category, new_bytes, alerts, /*placing=*/true);
  };
  auto filled = deps_.db.Write(fill);
  if (!filled) return Pass(filled);
  const bool full = !alerts.full.empty();
  std::string full_message = full ? alerts.full.front().second.message : "";
  Deliver(alerts);
  if (full) return Fail(Errc::kNoCapacity, "{}", full_message);

  Alerts reserve_alerts;
  auto reserve = [&](db::Transaction& tx) -> Result<MovePlan> {
    db::DiskStore store(tx);
    if (auto busy = pool_internal::RefuseWhileMoving(store, owner_id); !busy) return Pass(busy);
    auto a = store.GetAllocation(owner_id);
    if (!a) return Pass(a);
    if (!*a) return Fail(Errc::kNotFound, "owner {} has no allocation", owner_id);
    if (auto fits = pool_internal::RefuseBelowHeld(store, owner_id, (*a)->used_bytes, new_bytes);
        !fits) {
      return Pass(fits);
    }
    auto target = ReservePair(tx, *category, new_bytes, reserve_alerts);
    if (!target) return Pass(target);
    db::MoveRow move{owner_id, target->primary_id, static_cast<std::int64_t>(new_bytes), NowMs()};
    if (auto r = store.InsertMove(move); !r) return Pass(r);
    auto rows = GetMoveRows(store, owner_id);
    if (!rows) return Pass(rows);
    return PlanOf(store, *rows);
  };
  auto plan = deps_.db.Write(reserve);
  if (plan) Deliver(reserve_alerts);
  return plan;
}

Result<void> DiskPool::CheckRoom(std::int64_t owner_id, std::uint64_t new_bytes) {
  auto category = CategoryForBytes(categories_, new_bytes);
  if (!category) return Pass(category);
  std::lock_guard op(op_mu_);
  // What Resize or BeginMove would do, in a transaction that is always rolled back: this error
  // ends it when the plan would fit.
  const Error fits{Errc::kCancelled, "fits (a dry run)"};
  Alerts full;  // A category with no room is told to the admins, as BeginMove would tell them.
  auto dry = deps_.db.Write([&](db::Transaction& tx) -> Result<void> {
    db::DiskStore store(tx);
    auto a = store.GetAllocation(owner_id);
    if (!a) return Pass(a);
    if (!*a) return Fail(Errc::kNotFound, "owner {} has no allocation", owner_id);
    auto disks = store.ListDisks();
    if (!disks) return Pass(disks);
    auto pair = FindPair(*disks, (*a)->primary_id);
    if (!pair) return Pass(pair);
    if (pair->primary->category == *category) {
      const std::int64_t delta = static_cast<std::int64_t>(new_bytes) - (*a)->bytes;
      if (delta > 0 && pair->allocated + static_cast<std::uint64_t>(delta) > pair->capacity) {
        return Fail(Errc::kNoCapacity, "no capacity left on disk pair '{}' (category {})",
                    pair->primary->id, *category);
      }
      return std::unexpected(fits);
    }
    if (auto r = FillCategory(tx, *category, new_bytes, full, /*placing=*/true); !r) return r;
    if (!full.full.empty()) {
      return Fail(Errc::kNoCapacity, "{}", full.full.front().second.message);
    }
    Alerts alerts;
    auto target = ReservePair(tx, *category, new_bytes, alerts);
    if (!target) return Pass(target);
    return std::unexpected(fits);
  });
  if (!dry && dry.error().code == Errc::kCancelled) return {};
  if (!dry && dry.error().code == Errc::kNoCapacity && !full.full.empty()) {
    full.raise.clear();  // Spares attached in the rolled-back transaction are not attached.
    full.refilled.clear();
    Deliver(full);
  }
  return dry;
}

Result<MovePlan> DiskPool::MoveOf(std::int64_t owner_id) {
  return deps_.db.Read([&](db::Transaction& tx) -> Result<MovePlan> {
    db::DiskStore store(tx);
    auto rows = GetMoveRows(store, owner_id);
    if (!rows) return Pass(rows);
    return PlanOf(store, *rows);
  });
}

Result<DiskPair> DiskPool::CommitMove(db::Transaction& tx, std::int64_t owner_id) {
  db::DiskStore store(tx);
  auto rows = GetMoveRows(store, owner_id);
  if (!rows) return Pass(rows);
  auto plan = PlanOf(store, *rows);
  if (!plan) return Pass(plan);
  const db::AllocationRow& a = rows->allocation;
  const std::int64_t now = NowMs();
  // Old pair: its reservation and the owner's bytes leave. Target: the bytes arrive (its
  // reservation was made by BeginMove).
  auto r = AddToPair(store, plan->from.primary_id, plan->from.mirror_id, false, -a.bytes, now);
  if (!r) return Pass(r);
  r = AddToPair(store, plan->from.primary_id, plan->from.mirror_id, true, -a.used_bytes, now);
  if (!r) return Pass(r);
  r = AddToPair(store, plan->to.primary_id, plan->to.mirror_id, true, a.used_bytes, now);
  if (!r) return Pass(r);
  r = store.DeleteMove(owner_id);
  if (!r) return Pass(r);
  r = store.SetAllocationPlacement(owner_id, plan->to.primary_id, rows->move.target_bytes, now);
  if (!r) return Pass(r);
  return plan->to;
}

Result<void> DiskPool::AbortMove(std::int64_t owner_id) {
  std::lock_guard op(op_mu_);
  return deps_.db.Write([&](db::Transaction& tx) -> Result<void> {
    db::DiskStore store(tx);
    auto rows = GetMoveRows(store, owner_id);
    if (!rows) return Pass(rows);
    auto plan = PlanOf(store, *rows);
    if (!plan) return Pass(plan);
    if (auto r = store.DeleteMove(owner_id); !r) return r;
    return AddToPair(store, plan->to.primary_id, plan->to.mirror_id, false,
                     -rows->move.target_bytes, NowMs());
  });
}

}  // namespace nimbus::storage
