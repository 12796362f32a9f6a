// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/stores/tus_store.h"

#include <fmt/core.h>

namespace nimbus::db {
namespace {

constexpr std::string_view kColumns =
    "id, owner_id, parent_id, path, on_conflict, length, upload_offset, metadata, state, "
    "node_id, error, created_at, updated_at, modified_at";

TusUploadRecord ToRecord(const Row& r) {
  return TusUploadRecord{r.Text(0),  r.Int(1),  r.Text(2), r.Text(3),   r.Text(4),
                         r.Int(5),   r.Int(6),  r.Text(7), r.Text(8),   r.OptText(9).value_or(""),
                         r.Text(10), r.Int(11), r.Int(12), r.OptInt(13)};
}

Result<std::vector<TusUploadRecord>> ToRecords(Result<std::vector<Row>> rows) {
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<TusUploadRecord> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back(ToRecord(r));
  return out;
}

}  // namespace

Result<void> TusStore::Insert(Transaction& tx, const TusUploadRecord& r) {
  return tx.Exec(
      fmt::format("INSERT INTO tus_uploads ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  kColumns),
      {r.id, r.owner_id, r.parent_id, r.path, r.on_conflict, r.length, r.upload_offset, r.metadata,
       r.state, r.node_id.empty() ? Value() : Value(r.node_id), r.error, r.created_at, r.updated_at,
       r.modified_at});
}

Result<std::optional<TusUploadRecord>> TusStore::Find(Transaction& tx, std::string_view id) {
  auto row = tx.QueryOne(fmt::format("SELECT {} FROM tus_uploads WHERE id = ?", kColumns), {id});
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<TusUploadRecord>();
  return std::optional<TusUploadRecord>(ToRecord(**row));
}

Result<bool> TusStore::SetOffset(Transaction& tx, std::string_view id, std::int64_t offset,
                                 std::string_view state, std::int64_t now_ms) {
  auto n = tx.ExecCount(
      "UPDATE tus_uploads SET upload_offset = ?, state = ?, updated_at = ? WHERE id = ?",
      {offset, state, now_ms, id});
  if (!n) return std::unexpected(std::move(n.error()));
  return *n > 0;
}

Result<void> TusStore::SetDone(Transaction& tx, std::string_view id, std::string_view node_id,
                               std::int64_t now_ms) {
  return tx.Exec(
      "UPDATE tus_uploads SET state = 'done', node_id = ?, error = '', updated_at = ? "
      "WHERE id = ?",
      {node_id, now_ms, id});
}

Result<void> TusStore::SetFailed(Transaction& tx, std::string_view id, std::string_view error,
                                 std::int64_t now_ms) {
  return tx.Exec("UPDATE tus_uploads SET state = 'failed', error = ?, updated_at = ? WHERE id = ?",
                 {error, now_ms, id});
}

Result<void> TusStore::SetWaiting(Transaction& tx, std::string_view id, std::string_view error,
                                  std::int64_t now_ms) {
  return tx.Exec(
      "UPDATE tus_uploads SET error = ?, updated_at = ? WHERE id = ? AND state = 'assembling'",
      {error, now_ms, id});
}

Result<void> TusStore::SetOnConflict(Transaction& tx, std::string_view id,
                                     std::string_view on_conflict, std::int64_t now_ms) {
  return tx.Exec(
      "UPDATE tus_uploads SET on_conflict = ?, error = '', updated_at = ? WHERE id = ? AND "
      "state IN ('receiving', 'assembling')",
      {on_conflict, now_ms, id});
}

Result<void> TusStore::DeleteReservation(Transaction& tx, std::string_view id) {
  return tx.Exec("DELETE FROM reservations WHERE id = ? AND kind = 'tus'", {id});
}

Result<bool> TusStore::Delete(Transaction& tx, std::string_view id) {
  auto n = tx.ExecCount("DELETE FROM tus_uploads WHERE id = ?", {id});
  if (!n) return std::unexpected(std::move(n.error()));
  return *n > 0;
}

Result<std::vector<TusUploadRecord>> TusStore::ListPendingAssembly(Transaction& tx) {
  return ToRecords(tx.Query(
      fmt::format("SELECT {} FROM tus_uploads WHERE (state = 'assembling' AND error = '') OR "
                  "(state = 'receiving' AND upload_offset = length) ORDER BY created_at, id",
                  kColumns)));
}

Result<std::vector<TusUploadRecord>> TusStore::ListByOwner(Transaction& tx, std::int64_t owner_id) {
  return ToRecords(
      tx.Query(fmt::format("SELECT {} FROM tus_uploads WHERE owner_id = ? ORDER BY created_at, id",
                           kColumns),
               {owner_id}));
}

Result<std::vector<TusUploadRecord>> TusStore::ListUnfinishedFor(Transaction& tx,
                                                                 std::int64_t user_id) {
  return ToRecords(tx.Query(
      fmt::format("SELECT {} FROM tus_uploads WHERE state IN ('receiving', 'assembling') AND "
                  "(owner_id = ? OR id IN (SELECT id FROM reservations WHERE owner_id = ? AND "
                  "kind = 'tus')) ORDER BY created_at, id",
                  kColumns),
      {user_id, user_id}));
}

Result<std::optional<std::int64_t>> TusStore::SpaceOwnerOf(Transaction& tx, std::string_view id) {
  auto row = tx.QueryOne("SELECT owner_id FROM reservations WHERE id = ? AND kind = 'tus'", {id});
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>((*row)->Int(0));
}

Result<std::vector<TusUploadRecord>> TusStore::ListIdleSince(Transaction& tx,
                                                             std::int64_t before_ms) {
  return ToRecords(tx.Query(
      fmt::format("SELECT {} FROM tus_uploads WHERE (state <> 'assembling' OR error <> '') AND "
                  "updated_at < ? ORDER BY updated_at, id",
                  kColumns),
      {before_ms}));
}

Result<bool> TusStore::Exists(Transaction& tx, std::string_view id) {
  auto row = tx.QueryOne("SELECT 1 FROM tus_uploads WHERE id = ?", {id});
  if (!row) return std::unexpected(std::move(row.error()));
  return row->has_value();
}

}  // namespace nimbus::db
