// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/stores/blob_store.h"

#include <fmt/core.h>

namespace nimbus::db {
namespace {

constexpr std::string_view kColumns = "id, owner_id, primary_id, size, sha256, created_at";

BlobRow ToBlob(const Row& r) {
  return BlobRow{r.Text(0), r.Int(1), r.Text(2), r.Int(3), r.Text(4), r.Int(5)};
}

Result<std::vector<BlobRow>> ToBlobs(Result<std::vector<Row>> rows) {
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<BlobRow> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back(ToBlob(r));
  return out;
}

Result<void> ExpectOne(Result<std::int64_t> n, std::string_view id) {
  if (!n) return std::unexpected(std::move(n.error()));
  if (*n == 0) return Fail(Errc::kNotFound, "blob {} not found", id);
  return {};
}

Result<BlobStore::Totals> ToTotals(Result<std::optional<Row>> row) {
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return BlobStore::Totals{};
  return BlobStore::Totals{(*row)->Int(0), (*row)->IsNull(1) ? 0 : (*row)->Int(1)};
}

}  // namespace

Result<void> BlobStore::Insert(const BlobRow& b) {
  return tx_.Exec(fmt::format("INSERT INTO blobs ({}) VALUES (?, ?, ?, ?, ?, ?)", kColumns),
                  {b.id, b.owner_id, b.primary_id, b.size, b.sha256, b.created_at});
}

Result<std::optional<BlobRow>> BlobStore::Get(std::string_view id) {
  auto row = tx_.QueryOne(fmt::format("SELECT {} FROM blobs WHERE id = ?", kColumns), {id});
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<BlobRow>();
  return std::optional<BlobRow>(ToBlob(**row));
}

Result<std::vector<BlobRow>> BlobStore::ListByOwner(std::int64_t owner_id, std::string_view after,
                                                    std::int64_t limit) {
  return ToBlobs(tx_.Query(
      fmt::format("SELECT {} FROM blobs WHERE owner_id = ? AND id > ? ORDER BY id LIMIT ?",
                  kColumns),
      {owner_id, after, limit}));
}

Result<std::vector<BlobRow>> BlobStore::ListByPrimary(std::string_view primary_id,
                                                      std::string_view after, std::int64_t limit) {
  return ToBlobs(tx_.Query(
      fmt::format("SELECT {} FROM blobs WHERE primary_id = ? AND id > ? ORDER BY id LIMIT ?",
                  kColumns),
      {primary_id, after, limit}));
}

Result<BlobStore::Totals> BlobStore::TotalsByPrimary(std::string_view primary_id) {
  return ToTotals(
      tx_.QueryOne("SELECT COUNT(*), SUM(size) FROM blobs WHERE primary_id = ?", {primary_id}));
}

Result<BlobStore::Totals> BlobStore::TotalsByOwner(std::int64_t owner_id) {
  return ToTotals(
      tx_.QueryOne("SELECT COUNT(*), SUM(size) FROM blobs WHERE owner_id = ?", {owner_id}));
}

Result<void> BlobStore::SetPrimary(std::string_view id, std::string_view primary_id) {
  return ExpectOne(tx_.ExecCount("UPDATE blobs SET primary_id = ? WHERE id = ?", {primary_id, id}),
                   id);
}

Result<std::int64_t> BlobStore::MovePrimary(std::string_view from, std::string_view to) {
  return tx_.ExecCount("UPDATE blobs SET primary_id = ? WHERE primary_id = ?", {to, from});
}

Result<void> BlobStore::Delete(std::string_view id) {
  return ExpectOne(tx_.ExecCount("DELETE FROM blobs WHERE id = ?", {id}), id);
}

Result<void> BlobStore::QueueErasure(const BlobRow& b) {
  return tx_.Exec(
      "INSERT INTO blob_erasures (blob_id, owner_id, primary_id, size, sha256, created_at)"
      " VALUES (?, ?, ?, ?, ?, ?)",
      {b.id, b.owner_id, b.primary_id, b.size, b.sha256, b.created_at});
}

Result<std::vector<BlobRow>> BlobStore::ListErasures(std::int64_t limit) {
  return ToBlobs(tx_.Query(
      "SELECT blob_id, owner_id, primary_id, size, sha256, created_at FROM blob_erasures"
      " ORDER BY blob_id LIMIT ?",
      {limit}));
}

Result<void> BlobStore::DeleteErasure(std::string_view id) {
  return tx_.Exec("DELETE FROM blob_erasures WHERE blob_id = ?", {id});
}

Result<void> BlobStore::AddReservationBlob(std::string_view reservation_id,
                                           std::string_view blob_id, std::int64_t owner_id,
                                           std::string_view primary_id, std::int64_t created_at) {
  return tx_.Exec(
      "INSERT INTO reservation_blobs (blob_id, reservation_id, owner_id, primary_id, created_at)"
      " VALUES (?, ?, ?, ?, ?)",
      {blob_id, reservation_id, owner_id, primary_id, created_at});
}

}  // namespace nimbus::db
