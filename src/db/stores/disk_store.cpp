// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/stores/disk_store.h"

#include <fmt/core.h>

namespace nimbus::db {
namespace {

constexpr std::string_view kDiskColumns =
    "id, category, role, uri, capacity_bytes, mirror_id, state, allocated_bytes, used_bytes, "
    "created_at, updated_at, opened_at";
constexpr std::string_view kAllocationColumns =
    "owner_id, primary_id, bytes, used_bytes, created_at, updated_at";

DiskRow ToDisk(const Row& r) {
  return DiskRow{r.Text(0), r.OptText(1), r.Text(2), r.Text(3), r.Int(4),  r.OptText(5),
                 r.Text(6), r.Int(7),     r.Int(8),  r.Int(9),  r.Int(10), r.OptInt(11)};
}

AllocationRow ToAllocation(const Row& r) {
  return AllocationRow{r.Int(0), r.Text(1), r.Int(2), r.Int(3), r.Int(4), r.Int(5)};
}

Result<void> ExpectOne(Result<std::int64_t> n, std::string_view what) {
  if (!n) return std::unexpected(std::move(n.error()));
  if (*n == 0) return Fail(Errc::kNotFound, "{} not found", what);
  return {};
}

}  // namespace

Result<std::string> DiskStore::InstallationId(std::string_view fresh, std::int64_t now_ms) {
  auto row = tx_.QueryOne("SELECT id FROM installation WHERE k = 0");
  if (!row) return std::unexpected(std::move(row.error()));
  if (*row) return (*row)->Text(0);
  if (auto r = tx_.Exec("INSERT INTO installation (k, id, created_at) VALUES (0, ?, ?)",
                        {fresh, now_ms});
      !r) {
    return std::unexpected(std::move(r.error()));
  }
  return std::string(fresh);
}

Result<std::vector<DiskRow>> DiskStore::ListDisks() {
  auto rows = tx_.Query(fmt::format("SELECT {} FROM disks ORDER BY id", kDiskColumns));
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<DiskRow> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back(ToDisk(r));
  return out;
}

Result<std::optional<DiskRow>> DiskStore::GetDisk(std::string_view id) {
  auto row = tx_.QueryOne(fmt::format("SELECT {} FROM disks WHERE id = ?", kDiskColumns), {id});
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<DiskRow>();
  return std::optional<DiskRow>(ToDisk(**row));
}

Result<void> DiskStore::InsertDisk(const DiskRow& d) {
  return tx_.Exec(fmt::format("INSERT INTO disks ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              kDiskColumns),
                  {d.id, d.category, d.role, d.uri, d.capacity_bytes, d.mirror_id, d.state,
                   d.allocated_bytes, d.used_bytes, d.created_at, d.updated_at, d.opened_at});
}

Result<void> DiskStore::UpdatePlacement(std::string_view id, std::string_view role,
                                        const std::optional<std::string>& category,
                                        const std::optional<std::string>& mirror_id,
                                        std::string_view state, std::int64_t now_ms) {
  return ExpectOne(tx_.ExecCount("UPDATE disks SET role = ?, category = ?, mirror_id = ?, "
                                 "state = ?, updated_at = ? WHERE id = ?",
                                 {role, category, mirror_id, state, now_ms, id}),
                   fmt::format("disk '{}'", id));
}

Result<void> DiskStore::SetCapacity(std::string_view id, std::int64_t capacity_bytes,
                                    std::int64_t now_ms) {
  return ExpectOne(tx_.ExecCount("UPDATE disks SET capacity_bytes = ?, updated_at = ? WHERE id = ?",
                                 {capacity_bytes, now_ms, id}),
                   fmt::format("disk '{}'", id));
}

Result<void> DiskStore::SetCounters(std::string_view id, std::int64_t allocated_bytes,
                                    std::int64_t used_bytes, std::int64_t now_ms) {
  return ExpectOne(tx_.ExecCount("UPDATE disks SET allocated_bytes = ?, used_bytes = ?, "
                                 "updated_at = ? WHERE id = ?",
                                 {allocated_bytes, used_bytes, now_ms, id}),
                   fmt::format("disk '{}'", id));
}

Result<std::optional<MoveRow>> DiskStore::GetMove(std::int64_t owner_id) {
  auto row = tx_.QueryOne(
      "SELECT owner_id, target_primary_id, target_bytes, started_at FROM allocation_moves "
      "WHERE owner_id = ?",
      {owner_id});
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<MoveRow>();
  const Row& r = **row;
  return std::optional<MoveRow>(MoveRow{r.Int(0), r.Text(1), r.Int(2), r.Int(3)});
}

Result<void> DiskStore::InsertMove(const MoveRow& m) {
  return tx_.Exec(
      "INSERT INTO allocation_moves (owner_id, target_primary_id, target_bytes, started_at) "
      "VALUES (?, ?, ?, ?)",
      {m.owner_id, m.target_primary_id, m.target_bytes, m.started_at});
}

Result<void> DiskStore::DeleteMove(std::int64_t owner_id) {
  return ExpectOne(tx_.ExecCount("DELETE FROM allocation_moves WHERE owner_id = ?", {owner_id}),
                   fmt::format("move of owner {}", owner_id));
}

Result<void> DiskStore::SetAllocationPlacement(std::int64_t owner_id, std::string_view primary_id,
                                               std::int64_t bytes, std::int64_t now_ms) {
  return ExpectOne(tx_.ExecCount("UPDATE allocations SET primary_id = ?, bytes = ?, updated_at = ? "
                                 "WHERE owner_id = ?",
                                 {primary_id, bytes, now_ms, owner_id}),
                   fmt::format("allocation of owner {}", owner_id));
}

Result<std::int64_t> DiskStore::MovePrimary(std::string_view from, std::string_view to,
                                            std::int64_t now_ms) {
  auto moves = tx_.Exec(
      "UPDATE allocation_moves SET target_primary_id = ? WHERE target_primary_id = ?", {to, from});
  if (!moves) return std::unexpected(std::move(moves.error()));
  return tx_.ExecCount("UPDATE allocations SET primary_id = ?, updated_at = ? WHERE primary_id = ?",
                       {to, now_ms, from});
}

Result<void> DiskStore::SetState(std::string_view id, std::string_view state, std::int64_t now_ms) {
  return ExpectOne(
      tx_.ExecCount("UPDATE disks SET state = ?, updated_at = ? WHERE id = ?", {state, now_ms, id}),
      fmt::format("disk '{}'", id));
}

Result<void> DiskStore::MarkOpened(std::string_view id, std::int64_t now_ms) {
  return tx_.Exec("UPDATE disks SET opened_at = ? WHERE id = ? AND opened_at IS NULL",
                  {now_ms, id});
}

Result<void> DiskStore::AddCounter(std::string_view column, std::string_view id, std::int64_t delta,
                                   std::int64_t now_ms) {
  // The bound check is in the statement itself, so a counter can never be observed negative.
  auto n = tx_.ExecCount(fmt::format("UPDATE disks SET {0} = {0} + ?, updated_at = ? "
                                     "WHERE id = ? AND {0} + ? >= 0",
                                     column),
                         {delta, now_ms, id, delta});
  if (!n) return std::unexpected(std::move(n.error()));
  if (*n == 1) return {};
  auto disk = GetDisk(id);
  if (!disk) return std::unexpected(std::move(disk.error()));
  if (!*disk) return Fail(Errc::kNotFound, "disk '{}' not found", id);
  return Fail(Errc::kConflict, "disk '{}': {} would go below zero ({} {:+})", id, column,
              column == "used_bytes" ? (*disk)->used_bytes : (*disk)->allocated_bytes, delta);
}

Result<void> DiskStore::AddAllocated(std::string_view id, std::int64_t delta, std::int64_t now_ms) {
  return AddCounter("allocated_bytes", id, delta, now_ms);
}

Result<void> DiskStore::AddUsed(std::string_view id, std::int64_t delta, std::int64_t now_ms) {
  return AddCounter("used_bytes", id, delta, now_ms);
}

Result<std::optional<AllocationRow>> DiskStore::GetAllocation(std::int64_t owner_id) {
  auto row = tx_.QueryOne(
      fmt::format("SELECT {} FROM allocations WHERE owner_id = ?", kAllocationColumns), {owner_id});
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<AllocationRow>();
  return std::optional<AllocationRow>(ToAllocation(**row));
}

Result<std::int64_t> DiskStore::ReservedBytes(std::int64_t owner_id) {
  auto row = tx_.QueryOne("SELECT COALESCE(SUM(bytes), 0) FROM reservations WHERE owner_id = ?",
                          {owner_id});
  if (!row) return std::unexpected(std::move(row.error()));
  return *row ? (*row)->Int(0) : 0;
}

Result<void> DiskStore::InsertAllocation(const AllocationRow& a) {
  return tx_.Exec(
      fmt::format("INSERT INTO allocations ({}) VALUES (?, ?, ?, ?, ?, ?)", kAllocationColumns),
      {a.owner_id, a.primary_id, a.bytes, a.used_bytes, a.created_at, a.updated_at});
}

Result<void> DiskStore::SetAllocationBytes(std::int64_t owner_id, std::int64_t bytes,
                                           std::int64_t now_ms) {
  return ExpectOne(tx_.ExecCount("UPDATE allocations SET bytes = ?, updated_at = ? "
                                 "WHERE owner_id = ?",
                                 {bytes, now_ms, owner_id}),
                   fmt::format("allocation of owner {}", owner_id));
}

Result<void> DiskStore::AddAllocationUsed(std::int64_t owner_id, std::int64_t delta,
                                          std::int64_t now_ms) {
  auto n = tx_.ExecCount(
      "UPDATE allocations SET used_bytes = used_bytes + ?, updated_at = ? "
      "WHERE owner_id = ? AND used_bytes + ? >= 0",
      {delta, now_ms, owner_id, delta});
  if (!n) return std::unexpected(std::move(n.error()));
  if (*n == 1) return {};
  auto a = GetAllocation(owner_id);
  if (!a) return std::unexpected(std::move(a.error()));
  if (!*a) return Fail(Errc::kNotFound, "owner {} has no allocation", owner_id);
  return Fail(Errc::kConflict, "owner {}: used_bytes would go below zero ({} {:+})", owner_id,
              (*a)->used_bytes, delta);
}

Result<void> DiskStore::DeleteAllocation(std::int64_t owner_id) {
  return ExpectOne(tx_.ExecCount("DELETE FROM allocations WHERE owner_id = ?", {owner_id}),
                   fmt::format("allocation of owner {}", owner_id));
}

Result<std::map<std::string, std::int64_t>> DiskStore::OwnersByPrimary() {
  auto rows =
      tx_.Query("SELECT primary_id, COUNT(*) FROM allocations GROUP BY primary_id ORDER BY 1");
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::map<std::string, std::int64_t> out;
  for (const Row& r : *rows) out.emplace(r.Text(0), r.Int(1));
  return out;
}

Result<DiskStore::PairUse> DiskStore::UseOfPair(std::string_view primary_id) {
  auto row = tx_.QueryOne(
      "SELECT (SELECT COUNT(*) FROM allocations WHERE primary_id = ?),"
      " (SELECT COUNT(*) FROM allocation_moves WHERE target_primary_id = ?),"
      " (SELECT COUNT(*) FROM blob_erasures WHERE primary_id = ?)",
      {primary_id, primary_id, primary_id});
  if (!row) return std::unexpected(std::move(row.error()));
  PairUse use;
  if (*row) use = PairUse{(*row)->Int(0), (*row)->Int(1), (*row)->Int(2)};
  return use;
}

}  // namespace nimbus::db
