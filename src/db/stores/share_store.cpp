// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/stores/share_store.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>

#include "db/stores/like_pattern.h"
#include "db/stores/row_mapping.h"

namespace nimbus::db {
namespace {

// Bound on tree depth in recursive walks (as in node_store.cpp).
constexpr int kMaxDepth = 4096;

constexpr std::string_view kShareCols =
    "s.id, s.node_id, s.owner_id, s.grantee_id, s.permission, s.created_at";

ShareRow ToShare(Row& r) {
  return ShareRow{r.TakeText(0), r.TakeText(1), r.Int(2), r.Int(3), r.TakeText(4), r.Int(5)};
}

// Shares of live nodes where `column` = `user`, keyset-paged by (created_at, id).
Result<std::vector<ShareRow>> ListLive(
    Transaction& tx, std::string_view column, std::int64_t user,
    const std::optional<std::pair<std::int64_t, std::string>>& after, int limit) {
  std::string sql = fmt::format(
      "SELECT {} FROM shares s JOIN nodes n ON n.id = s.node_id"
      " WHERE s.{} = ? AND n.trash_id IS NULL",
      kShareCols, column);
  std::vector<Value> params{user};
  AppendCreatedPage(sql, params, "s", after, limit);
  return MapAll(tx.Query(sql, params), ToShare);
}

}  // namespace

Result<std::vector<AccessStep>> ShareStore::AccessChain(Transaction& tx, std::string_view node_id,
                                                        std::int64_t grantee_id) {
  auto rows = tx.Query(
      "WITH RECURSIVE up(id, parent_id, name, depth) AS ("
      " SELECT id, parent_id, name, 0 FROM nodes WHERE id = ?"
      " UNION ALL SELECT n.id, n.parent_id, n.name, up.depth + 1 FROM nodes n"
      " JOIN up ON n.id = up.parent_id WHERE up.depth < ?)"
      " SELECT up.id, up.name, s.id, s.permission FROM up"
      " LEFT JOIN shares s ON s.node_id = up.id AND s.grantee_id = ?"
      " ORDER BY up.depth DESC",
      {node_id, kMaxDepth, grantee_id});
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<AccessStep> out;
  out.reserve(rows->size());
  for (Row& r : *rows) {
    AccessStep step{r.TakeText(0), r.TakeText(1), {}, {}};
    if (!r.IsNull(2)) {
      step.share_id = r.TakeText(2);
      step.permission = r.TakeText(3);
    }
    out.push_back(std::move(step));
  }
  return out;
}

Result<std::optional<std::pair<std::string, std::string>>> ShareStore::UserNameEmail(
    Transaction& tx, std::int64_t user_id) {
  auto row = tx.QueryOne("SELECT name, email FROM users WHERE id = ?", {user_id});
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<std::pair<std::string, std::string>>();
  return std::optional(std::pair((*row)->Text(0), (*row)->Text(1)));
}

Result<std::unordered_set<std::string>> ShareStore::SharedChildren(Transaction& tx,
                                                                   std::int64_t owner_id,
                                                                   std::string_view parent_id) {
  // Through the owner's shares and links (few) rather than the folder's children (many).
  auto rows = tx.Query(
      "SELECT s.node_id FROM shares s JOIN nodes n ON n.id = s.node_id"
      " WHERE s.owner_id = ? AND n.parent_id = ?"
      " UNION SELECT l.node_id FROM links l JOIN nodes n ON n.id = l.node_id"
      " WHERE l.owner_id = ? AND n.parent_id = ?",
      {owner_id, parent_id, owner_id, parent_id});
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::unordered_set<std::string> out;
  for (Row& r : *rows) out.insert(r.TakeText(0));
  return out;
}

Result<std::unordered_map<std::string, std::string>> ShareStore::EditableChildren(
    Transaction& tx, std::int64_t grantee_id, std::string_view parent_id) {
  auto rows = tx.Query(
      "SELECT s.node_id, s.id FROM shares s JOIN nodes n ON n.id = s.node_id"
      " WHERE s.grantee_id = ? AND s.permission = 'edit' AND n.parent_id = ?"
      " AND n.trash_id IS NULL",
      {grantee_id, parent_id});
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::unordered_map<std::string, std::string> out;
  for (Row& r : *rows) {
    std::string node = r.TakeText(0);
    out.emplace(std::move(node), r.TakeText(1));
  }
  return out;
}

Result<bool> ShareStore::IsShared(Transaction& tx, std::string_view node_id) {
  auto row = tx.QueryOne(
      "SELECT 1 FROM shares WHERE node_id = ? UNION ALL SELECT 1 FROM links WHERE node_id = ?"
      " LIMIT 1",
      {node_id, node_id});
  if (!row) return std::unexpected(std::move(row.error()));
  return row->has_value();
}

namespace {
constexpr std::string_view kTrashedNodes = "(SELECT id FROM nodes WHERE trash_id = ?)";

Result<void> ExecForTrashItem(Transaction& tx, std::string_view trash_id,
                              std::initializer_list<std::string_view> statements) {
  for (std::string_view sql : statements) {
    if (auto r = tx.Exec(fmt::format(fmt::runtime(sql), kTrashedNodes), {trash_id}); !r) return r;
  }
  return {};
}
}  // namespace

Result<void> ShareStore::DeleteLinksForTrashItem(Transaction& tx, std::string_view trash_id) {
  return ExecForTrashItem(
      tx, trash_id,
      {"DELETE FROM share_activity WHERE link_id IN (SELECT id FROM links WHERE node_id IN {})",
       "DELETE FROM links WHERE node_id IN {}"});
}

Result<void> ShareStore::DeleteForTrashItem(Transaction& tx, std::string_view trash_id) {
  if (auto r = DeleteLinksForTrashItem(tx, trash_id); !r) return r;
  return ExecForTrashItem(
      tx, trash_id,
      {"DELETE FROM share_activity WHERE share_id IN (SELECT id FROM shares WHERE node_id IN {})",
       "DELETE FROM shares WHERE node_id IN {}"});
}

Result<void> ShareStore::Insert(Transaction& tx, const ShareRow& s) {
  return tx.Exec(
      "INSERT INTO shares (id, node_id, owner_id, grantee_id, permission, created_at)"
      " VALUES (?, ?, ?, ?, ?, ?)",
      {s.id, s.node_id, s.owner_id, s.grantee_id, s.permission, s.created_at});
}

Result<std::optional<ShareRow>> ShareStore::Find(Transaction& tx, std::string_view id) {
  return MapOne(
      tx.QueryOne(fmt::format("SELECT {} FROM shares s WHERE s.id = ?", kShareCols), {id}),
      ToShare);
}

Result<std::optional<ShareRow>> ShareStore::FindByNodeAndGrantee(Transaction& tx,
                                                                 std::string_view node_id,
                                                                 std::int64_t grantee_id) {
  return MapOne(
      tx.QueryOne(fmt::format("SELECT {} FROM shares s WHERE s.node_id = ? AND s.grantee_id = ?",
                              kShareCols),
                  {node_id, grantee_id}),
      ToShare);
}

Result<void> ShareStore::SetPermission(Transaction& tx, std::string_view id,
                                       std::string_view permission) {
  return tx.Exec("UPDATE shares SET permission = ? WHERE id = ?", {permission, id});
}

Result<void> ShareStore::DeleteGrantedTo(Transaction& tx, std::int64_t grantee_id) {
  if (auto r = tx.Exec("DELETE FROM share_activity WHERE share_id IN (SELECT id FROM shares WHERE "
                       "grantee_id = ?)",
                       {grantee_id});
      !r) {
    return r;
  }
  return tx.Exec("DELETE FROM shares WHERE grantee_id = ?", {grantee_id});
}

Result<bool> ShareStore::Delete(Transaction& tx, std::string_view id) {
  if (auto r = tx.Exec("DELETE FROM share_activity WHERE share_id = ?", {id}); !r) {
    return std::unexpected(r.error());
  }
  auto n = tx.ExecCount("DELETE FROM shares WHERE id = ?", {id});
  if (!n) return std::unexpected(std::move(n.error()));
  return *n > 0;
}

Result<std::vector<ShareRow>> ShareStore::ListByOwner(
    Transaction& tx, std::int64_t owner_id,
    const std::optional<std::pair<std::int64_t, std::string>>& after, int limit) {
  return ListLive(tx, "owner_id", owner_id, after, limit);
}

Result<std::vector<ShareRow>> ShareStore::ListByGrantee(
    Transaction& tx, std::int64_t grantee_id,
    const std::optional<std::pair<std::int64_t, std::string>>& after, int limit) {
  return ListLive(tx, "grantee_id", grantee_id, after, limit);
}

Result<std::vector<ShareRow>> ShareStore::ListByNode(Transaction& tx, std::string_view node_id) {
  return MapAll(
      tx.Query(
          fmt::format("SELECT {} FROM shares s WHERE s.node_id = ? ORDER BY s.created_at, s.id",
                      kShareCols),
          {node_id}),
      ToShare);
}

Result<std::vector<std::string>> ShareStore::PastGranteeEmails(Transaction& tx,
                                                               std::int64_t owner_id,
                                                               std::string_view prefix, int limit) {
  std::string lower(prefix);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string pattern = LikeEscaped(lower) + '%';  // Wildcards in the prefix as typed.
  auto rows = tx.Query(
      "SELECT u.email, MAX(s.created_at) AS last FROM shares s JOIN users u ON u.id = s.grantee_id"
      " WHERE s.owner_id = ? AND lower(u.email) LIKE ? ESCAPE '\\'"
      " GROUP BY u.email ORDER BY last DESC, u.email LIMIT ?",
      {owner_id, pattern, limit});
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<std::string> out;
  for (Row& r : *rows) out.push_back(r.TakeText(0));
  return out;
}

}  // namespace nimbus::db
