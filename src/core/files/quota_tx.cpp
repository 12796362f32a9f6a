// SPDX-License-Identifier: AGPL-3.0-or-later
// The quota inside a transaction: allocations.bytes is the plan, allocations.used_bytes every
// recorded blob (OwnerBlobs::Record/Forget keep it exact), reservations the uploads in flight.
// InsertReservation checks and inserts in the caller's write transaction, which is serialized
// with every other writer: two uploads can never both take the last free bytes.
#include "core/files/quota_tx.h"

#include <fmt/core.h>

#include <algorithm>

#include "core/billing/standing_check.h"
#include "db/stores/node_store.h"

namespace nimbus::core::files {

namespace {
Error NoRoomForPlan(std::string_view kind, std::uint64_t bytes, std::int64_t free,
                    std::int64_t quota);
}  // namespace

std::int64_t QuotaState::free_bytes() const {
  return std::max<std::int64_t>(0, quota_bytes - used_bytes - reserved_bytes);
}

Result<QuotaState> LoadQuota(db::Transaction& tx, std::int64_t owner_id) {
  auto row = tx.QueryOne(
      // During a move to another category (a plan change) the new plan is the quota at once.
      "SELECT COALESCE((SELECT m.target_bytes FROM allocation_moves m"
      " WHERE m.owner_id = a.owner_id), a.bytes), a.used_bytes, "
      "(SELECT COALESCE(SUM(r.bytes), 0) FROM reservations r WHERE r.owner_id = a.owner_id) "
      "FROM allocations a WHERE a.owner_id = ?",
      {owner_id});
  if (!row) return std::unexpected(row.error());
  if (!*row) return Fail(Errc::kNotFound, "user {} has no storage allocation", owner_id);
  QuotaState q;
  q.quota_bytes = (*row)->Int(0);
  q.used_bytes = (*row)->Int(1);
  q.reserved_bytes = (*row)->Int(2);
  return q;
}

Error NoRoomFor(std::string_view kind, std::uint64_t bytes, std::int64_t free, std::int64_t quota,
                std::int64_t held) {
  Error e = NoRoomForPlan(kind, bytes, free, quota);
  if (held > 0 && free >= 0 && bytes <= static_cast<std::uint64_t>(free + held)) {
    e.message += fmt::format(
        " {} of it is held by uploads not finished yet (in progress, or unfinished ones listed "
        "on the Usage page); it is freed when they finish or are discarded.",
        HumanBytes(held));
  }
  return e;
}

Error WithTrashHint(db::Transaction& tx, std::int64_t owner_id, Error e) {
  if (e.code != Errc::kQuotaExceeded) return e;
  auto trash = db::NodeStore::TrashBytes(tx, owner_id);
  if (trash && *trash > 0) {
    e.message += fmt::format(
        " Deleted items in the trash take {} of it until they are purged: emptying the trash "
        "frees that space.",
        HumanBytes(*trash));
  }
  return e;
}

namespace {
Error NoRoomForPlan(std::string_view kind, std::uint64_t bytes, std::int64_t free,
                    std::int64_t quota) {
  std::string need = HumanBytes(static_cast<std::int64_t>(
      std::min<std::uint64_t>(bytes, static_cast<std::uint64_t>(INT64_MAX))));
  const char* what = kind == "copy" ? "copy" : "upload";
  // Nothing free, or all of it ("only 1.0 GB of your 1 GB is free" read oddly): said plainly.
  // (" your " becomes " their " for a folder shared by its owner: OwnersSpace.)
  if (free <= 0) {
    return Error{Errc::kQuotaExceeded, fmt::format("This {} needs {} but your {} plan is full.",
                                                   what, need, HumanBytes(quota))};
  }
  if (free >= quota || bytes > static_cast<std::uint64_t>(std::max<std::int64_t>(quota, 0))) {
    return Error{Errc::kQuotaExceeded,
                 fmt::format("This {} needs {}, more than your whole plan of {}.", what, need,
                             HumanBytes(quota))};
  }
  std::string have = HumanBytes(free);
  // "needs 39.1 KB but only 39.1 KB", "needs 4 GB but only 4.0 GB" (QA pass 21b): the same when
  // shown, so the exact bytes instead.
  auto shown = [](std::string t) {
    if (auto dot = t.find(".0 "); dot != std::string::npos) t.erase(dot, 2);
    return t;
  };
  if (shown(need) == shown(have)) {
    need = fmt::format("{} bytes", bytes);
    have = fmt::format("{} bytes", free);
  }
  return Error{Errc::kQuotaExceeded, fmt::format("This {} needs {} but only {} of your {} is free.",
                                                 what, need, have, HumanBytes(quota))};
}
}  // namespace

Result<void> InsertReservation(db::Transaction& tx, std::int64_t owner_id, std::string_view id,
                               std::uint64_t bytes, std::string_view kind, std::int64_t now_ms,
                               std::uint64_t pending_bytes) {
  auto quota = LoadQuota(tx, owner_id);
  if (!quota) return std::unexpected(quota.error());
  quota->reserved_bytes += static_cast<std::int64_t>(pending_bytes);
  auto free = static_cast<std::uint64_t>(quota->free_bytes());
  if (bytes > free) {
    Error e =
        NoRoomFor(kind, bytes, quota->free_bytes(), quota->quota_bytes, quota->reserved_bytes);
    // Larger than the whole plan: emptying the trash would not make it fit (QA pass 21b).
    if (bytes > static_cast<std::uint64_t>(std::max<std::int64_t>(quota->quota_bytes, 0))) {
      return std::unexpected(std::move(e));
    }
    return std::unexpected(WithTrashHint(tx, owner_id, std::move(e)));
  }
  return tx.Exec(
      "INSERT INTO reservations (id, owner_id, bytes, kind, created_at) VALUES (?, ?, ?, ?, ?)",
      {id, owner_id, static_cast<std::int64_t>(bytes), kind, now_ms});
}

Result<std::int64_t> DeleteRequestReservations(db::Transaction& tx) {
  // The blobs their copies and uploads named and did not record (reservation_blobs): their
  // bytes, written or not, are queued for removal (blob_erasures) rather than left as orphans.
  constexpr char kNotTus[] =
      " WHERE reservation_id NOT IN (SELECT id FROM reservations WHERE kind = 'tus')";
  if (auto r = tx.Exec(std::string("INSERT INTO blob_erasures"
                                   " (blob_id, owner_id, primary_id, size, sha256, created_at)"
                                   " SELECT blob_id, owner_id, primary_id, 0, '', created_at"
                                   " FROM reservation_blobs") +
                           kNotTus + " ON CONFLICT (blob_id) DO NOTHING",
                       {});
      !r) {
    return std::unexpected(r.error());
  }
  if (auto r = tx.Exec(std::string("DELETE FROM reservation_blobs") + kNotTus, {}); !r) {
    return std::unexpected(r.error());
  }
  return tx.ExecCount("DELETE FROM reservations WHERE kind IN ('upload', 'copy')");
}

Result<std::optional<std::int64_t>> DeleteReservation(db::Transaction& tx, std::string_view id) {
  if (auto r = tx.Exec("DELETE FROM reservation_blobs WHERE reservation_id = ?", {id}); !r) {
    return std::unexpected(r.error());
  }
  auto rows = tx.Query("DELETE FROM reservations WHERE id = ? RETURNING owner_id", {id});
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>((*rows)[0].Int(0));
}

std::string OwnerLabel(const NodeOwner& o) {
  return o.name.empty() ? o.email : fmt::format("{} ({})", o.name, o.email);
}

Result<void> RequireGoodStanding(db::Transaction& tx, const Node& folder) {
  return billing::RequireGoodStanding(tx, folder.owner_id,
                                      folder.owner ? OwnerLabel(*folder.owner) : std::string());
}

std::string HumanBytes(std::int64_t bytes) {
  if (bytes < 1024) return fmt::format("{} {}", bytes, bytes == 1 ? "byte" : "bytes");
  static constexpr const char* kUnits[] = {"KB", "MB", "GB", "TB", "PB", "EB"};
  double v = static_cast<double>(bytes) / 1024.0;
  int unit = 0;
  while (v >= 1023.95 && unit < 5) {  // Also when "{:.1f}" would show 1024.0.
    v /= 1024.0;
    ++unit;
  }
  // "1 GB" rather than "1.0 GB" for whole numbers (plans), one decimal otherwise.
  if (v == static_cast<double>(static_cast<std::int64_t>(v))) {
    return fmt::format("{} {}", static_cast<std::int64_t>(v), kUnits[unit]);
  }
  return fmt::format("{:.1f} {}", v, kUnits[unit]);
}

}  // namespace nimbus::core::files
