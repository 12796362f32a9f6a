// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/stores/link_store.h"

#include <fmt/core.h>

#include "db/stores/row_mapping.h"

namespace nimbus::db {
namespace {

constexpr std::string_view kLinkCols =
    "l.id, l.token, l.node_id, l.owner_id, l.password_hash, l.expires_at, l.download_count,"
    " l.created_at";

LinkRow ToLink(Row& r) {
  return LinkRow{r.TakeText(0), r.TakeText(1), r.TakeText(2), r.Int(3),
                 r.OptText(4),  r.OptInt(5),   r.Int(6),      r.Int(7)};
}

}  // namespace

Result<void> LinkStore::Insert(Transaction& tx, const LinkRow& l) {
  return tx.Exec(
      "INSERT INTO links (id, token, node_id, owner_id, password_hash, expires_at,"
      " download_count, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {l.id, l.token, l.node_id, l.owner_id, l.password_hash, l.expires_at, l.download_count,
       l.created_at});
}

Result<std::optional<LinkRow>> LinkStore::Find(Transaction& tx, std::string_view id) {
  return MapOne(tx.QueryOne(fmt::format("SELECT {} FROM links l WHERE l.id = ?", kLinkCols), {id}),
                ToLink);
}

Result<std::optional<LinkRow>> LinkStore::FindByToken(Transaction& tx, std::string_view token) {
  return MapOne(
      tx.QueryOne(fmt::format("SELECT {} FROM links l WHERE l.token = ?", kLinkCols), {token}),
      ToLink);
}

Result<std::vector<LinkRow>> LinkStore::ListByOwner(
    Transaction& tx, std::int64_t owner_id, std::string_view node_id,
    const std::optional<std::pair<std::int64_t, std::string>>& after, int limit) {
  std::string sql = fmt::format(
      "SELECT {} FROM links l JOIN nodes n ON n.id = l.node_id"
      " WHERE l.owner_id = ? AND n.trash_id IS NULL",
      kLinkCols);
  std::vector<Value> params{owner_id};
  if (!node_id.empty()) {
    sql += " AND l.node_id = ?";
    params.emplace_back(node_id);
  }
  AppendCreatedPage(sql, params, "l", after, limit);
  return MapAll(tx.Query(sql, params), ToLink);
}

Result<bool> LinkStore::ShowsNode(Transaction& tx, std::string_view node_id, std::int64_t now_ms) {
  auto row = tx.QueryOne(
      "WITH RECURSIVE up(id, parent_id) AS ("
      " SELECT id, parent_id FROM nodes WHERE id = ?"
      " UNION ALL SELECT n.id, n.parent_id FROM nodes n JOIN up ON n.id = up.parent_id)"
      " SELECT 1 FROM links l JOIN up ON l.node_id = up.id"
      " WHERE l.expires_at IS NULL OR l.expires_at > ? LIMIT 1",
      {node_id, now_ms});
  if (!row) return std::unexpected(std::move(row.error()));
  return row->has_value();
}

Result<bool> LinkStore::Delete(Transaction& tx, std::string_view id) {
  if (auto r = tx.Exec("DELETE FROM share_activity WHERE link_id = ?", {id}); !r) {
    return std::unexpected(r.error());
  }
  auto n = tx.ExecCount("DELETE FROM links WHERE id = ?", {id});
  if (!n) return std::unexpected(std::move(n.error()));
  return *n > 0;
}

Result<void> LinkStore::CountDownload(Transaction& tx, std::string_view id) {
  return tx.Exec("UPDATE links SET download_count = download_count + 1 WHERE id = ?", {id});
}

}  // namespace nimbus::db
