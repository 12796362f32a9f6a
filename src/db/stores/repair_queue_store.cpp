// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/stores/repair_queue_store.h"

namespace nimbus::db {

Result<void> RepairQueueStore::Upsert(const RepairRow& r) {
  return tx_.Exec(
      "INSERT INTO repair_queue (primary_id, blob_id, target, reason, created_at) "
      "VALUES (?, ?, ?, ?, ?) ON CONFLICT (primary_id, blob_id, target) DO NOTHING",
      {r.primary_id, r.blob_id, r.target, r.reason, r.created_at});
}

Result<void> RepairQueueStore::Remove(std::string_view primary_id, std::string_view blob_id,
                                      std::string_view target) {
  return tx_.Exec("DELETE FROM repair_queue WHERE primary_id = ? AND blob_id = ? AND target = ?",
                  {primary_id, blob_id, target});
}

Result<std::vector<RepairRow>> RepairQueueStore::ListByPair(std::string_view primary_id) {
  auto rows = tx_.Query(
      "SELECT primary_id, blob_id, target, reason, created_at FROM repair_queue "
      "WHERE primary_id = ? ORDER BY created_at, blob_id",
      {primary_id});
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<RepairRow> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) {
    out.push_back(RepairRow{r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Int(4)});
  }
  return out;
}

Result<std::int64_t> RepairQueueStore::MovePair(std::string_view from, std::string_view to) {
  return tx_.ExecCount("UPDATE repair_queue SET primary_id = ? WHERE primary_id = ?", {to, from});
}

Result<std::int64_t> RepairQueueStore::RemoveTarget(std::string_view primary_id,
                                                    std::string_view target) {
  return tx_.ExecCount("DELETE FROM repair_queue WHERE primary_id = ? AND target = ?",
                       {primary_id, target});
}

Result<std::int64_t> RepairQueueStore::CountFor(std::string_view primary_id,
                                               std::string_view target) {
  auto row = tx_.QueryOne("SELECT COUNT(*) FROM repair_queue WHERE primary_id = ? AND target = ?",
                          {primary_id, target});
  if (!row) return std::unexpected(std::move(row.error()));
  return *row ? (**row)[0].AsInt() : 0;
}

}  // namespace nimbus::db
