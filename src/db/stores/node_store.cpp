// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/stores/node_store.h"

#include <fmt/core.h>

#include <algorithm>
#include <string>
#include <vector>

#include "db/stores/like_pattern.h"
#include "db/stores/row_mapping.h"

namespace nimbus::db {
namespace {

constexpr std::string_view kCols =
    "id, owner_id, parent_id, name, sort_name, type, size, blob_id, sha256, version, trash_id, "
    "created_at, modified_at";
constexpr std::string_view kColsN =
    "n.id, n.owner_id, n.parent_id, n.name, n.sort_name, n.type, n.size, n.blob_id, n.sha256, "
    "n.version, n.trash_id, n.created_at, n.modified_at";
constexpr std::string_view kTrashCols =
    "t.id, t.owner_id, t.node_id, t.original_parent_id, t.original_path, t.size, t.deleted_at, "
    "n.name, n.type, t.deleted_by, u.name, u.email";
// What kTrashCols reads from: an item, its node, and who deleted it (NULL: the owner).
constexpr std::string_view kTrashFrom =
    "trash_items t JOIN nodes n ON n.id = t.node_id LEFT JOIN users u ON u.id = t.deleted_by";
// Bound on tree depth in recursive walks (a guard against a cycle, which moves never create).
constexpr int kMaxDepth = 4096;

// Moves the texts out of `r` (a page of 1,000 children is 7,000 strings: copy them once, not
// twice).
NodeRow ToNode(Row& r) {
  return NodeRow{r.TakeText(0),  r.Int(1),  r.TakeText(2), r.TakeText(3), r.TakeText(4),
                 r.TakeText(5),  r.Int(6),  r.TakeText(7), r.TakeText(8), r.Int(9),
                 r.TakeText(10), r.Int(11), r.Int(12)};
}

NodeRow ToNode(const RowView& r) {
  return NodeRow{std::string(r.Text(0)),
                 r.Int(1),
                 std::string(r.Text(2)),
                 std::string(r.Text(3)),
                 std::string(r.Text(4)),
                 std::string(r.Text(5)),
                 r.Int(6),
                 std::string(r.Text(7)),
                 std::string(r.Text(8)),
                 r.Int(9),
                 std::string(r.Text(10)),
                 r.Int(11),
                 r.Int(12)};
}

TrashRow ToTrash(const Row& r) {
  return TrashRow{r.Text(0),
                  r.Int(1),
                  r.Text(2),
                  r.Text(3),
                  r.Text(4),
                  r.Int(5),
                  r.Int(6),
                  r.Text(7),
                  r.Text(8),
                  r.OptInt(9),
                  r.OptText(10).value_or(""),
                  r.OptText(11).value_or("")};
}

Value NullIfEmpty(std::string_view s) { return s.empty() ? Value() : Value(s); }

// ToNode is overloaded (Row&, RowView): these pick the Row& one.
Result<std::optional<NodeRow>> One(Result<std::optional<Row>> row) {
  return MapOne(std::move(row), [](Row& r) { return ToNode(r); });
}

Result<std::vector<NodeRow>> Many(Result<std::vector<Row>> rows) {
  return MapAll(std::move(rows), [](Row& r) { return ToNode(r); });
}

Result<std::vector<TrashRow>> ManyTrash(Result<std::vector<Row>> rows) {
  return MapAll(std::move(rows), ToTrash);
}

Result<std::int64_t> Scalar(Result<std::optional<Row>> row) {
  if (!row) return std::unexpected(std::move(row.error()));
  return *row ? (*row)->Int(0) : 0;
}

}  // namespace

Result<std::optional<NodeRow>> NodeStore::Find(Transaction& tx, std::string_view id) {
  return One(tx.QueryOne(fmt::format("SELECT {} FROM nodes WHERE id = ?", kCols), {id}));
}

Result<std::optional<NodeRow>> NodeStore::FindLive(Transaction& tx, std::int64_t owner_id,
                                                   std::string_view id) {
  return One(tx.QueryOne(
      fmt::format("SELECT {} FROM nodes WHERE id = ? AND owner_id = ? AND trash_id IS NULL", kCols),
      {id, owner_id}));
}

Result<std::optional<std::string>> NodeStore::RootId(Transaction& tx, std::int64_t owner_id) {
  auto row = tx.QueryOne("SELECT root_id FROM users WHERE id = ?", {owner_id});
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>((*row)->Text(0));
}

Result<std::string> NodeStore::PathOf(Transaction& tx, std::string_view id) {
  // Most paths are a few folders deep: one indexed lookup per level (a cached statement) costs
  // less than the recursive query's set-up and sort, which every upload and listing pays. Deeper
  // than kLookups levels, the recursive query does it in one statement.
  constexpr int kLookups = 16;
  std::vector<std::string> names;
  std::string at(id);
  for (int level = 0; level < kLookups; ++level) {
    auto row = tx.QueryOne("SELECT name, parent_id FROM nodes WHERE id = ?", {at});
    if (!row) return std::unexpected(std::move(row.error()));
    if (!*row || (*row)->IsNull(1)) {  // Past the root (which contributes nothing), or no node.
      std::string path;
      for (auto it = names.rbegin(); it != names.rend(); ++it) {
        path += '/';
        path += *it;
      }
      return path.empty() ? std::string("/") : path;
    }
    names.push_back((*row)->Text(0));
    at = (*row)->Text(1);
  }
  auto rows = tx.Query(
      "WITH RECURSIVE up(id, parent_id, name, depth) AS ("
      " SELECT id, parent_id, name, 0 FROM nodes WHERE id = ?"
      " UNION ALL SELECT n.id, n.parent_id, n.name, up.depth + 1 FROM nodes n"
      " JOIN up ON n.id = up.parent_id WHERE up.depth < ?)"
      " SELECT name, parent_id FROM up ORDER BY depth DESC",
      {id, kMaxDepth});
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::string path;
  for (const Row& r : *rows) {
    if (r.IsNull(1)) continue;  // The root contributes nothing.
    path += '/';
    path += r.Text(0);
  }
  return path.empty() ? std::string("/") : path;
}

Result<std::optional<NodeRow>> NodeStore::FindLiveChild(Transaction& tx, std::string_view parent_id,
                                                        std::string_view name) {
  return One(tx.QueryOne(
      fmt::format("SELECT {} FROM nodes WHERE parent_id = ? AND name = ? AND trash_id IS NULL",
                  kCols),
      {parent_id, name}));
}

Result<std::vector<std::string>> NodeStore::LiveChildNamesWithPrefix(Transaction& tx,
                                                                     std::string_view parent_id,
                                                                     std::string_view prefix) {
  // A range on the unique (parent_id, name) index: names in [prefix, prefix + U+10FFFF).
  std::string end(prefix);
  end += "\xF4\x8F\xBF\xBF";
  auto rows = tx.Query(
      "SELECT name FROM nodes WHERE parent_id = ? AND trash_id IS NULL AND name >= ? AND name < ?",
      {parent_id, prefix, end});
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<std::string> out;
  for (const Row& r : *rows) out.push_back(r.Text(0));
  return out;
}

Result<void> NodeStore::Insert(Transaction& tx, const NodeRow& n) {
  return tx.Exec(
      fmt::format("INSERT INTO nodes ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", kCols),
      {n.id, n.owner_id, NullIfEmpty(n.parent_id), n.name, n.sort_name, n.type, n.size,
       NullIfEmpty(n.blob_id), NullIfEmpty(n.sha256), n.version, NullIfEmpty(n.trash_id),
       n.created_at, n.modified_at});
}

Result<bool> NodeStore::SetContent(Transaction& tx, std::string_view id, std::int64_t size,
                                   std::string_view blob_id, std::string_view sha256,
                                   std::int64_t now_ms) {
  auto n = tx.ExecCount(
      "UPDATE nodes SET size = ?, blob_id = ?, sha256 = ?, version = version + 1, "
      "modified_at = ? WHERE id = ? AND type = 'file'",
      {size, blob_id, sha256, now_ms, id});
  if (!n) return std::unexpected(std::move(n.error()));
  return *n > 0;
}

Result<void> NodeStore::Rename(Transaction& tx, std::string_view id, std::string_view parent_id,
                               std::string_view name, std::string_view sort_name) {
  return tx.Exec(
      "UPDATE nodes SET parent_id = ?, name = ?, sort_name = ?, version = version + 1 "
      "WHERE id = ?",
      {parent_id, name, sort_name, id});
}

Result<void> NodeStore::SetModifiedAt(Transaction& tx, std::string_view id, std::int64_t ms) {
  return tx.Exec("UPDATE nodes SET modified_at = ?, version = version + 1 WHERE id = ?", {ms, id});
}

Result<std::vector<NodeRow>> NodeStore::Subtree(Transaction& tx, std::string_view id) {
  return Many(tx.Query(
      fmt::format("WITH RECURSIVE sub(id, depth) AS ("
                  " SELECT id, 0 FROM nodes WHERE id = ?"
                  " UNION ALL SELECT c.id, sub.depth + 1 FROM nodes c"
                  " JOIN sub ON c.parent_id = sub.id WHERE sub.depth < ?)"
                  " SELECT {} FROM sub JOIN nodes n ON n.id = sub.id ORDER BY sub.depth, n.id",
                  kColsN),
      {id, kMaxDepth}));
}

Result<bool> NodeStore::IsSelfOrBelow(Transaction& tx, std::string_view ancestor,
                                      std::string_view descendant) {
  auto row = tx.QueryOne(
      "WITH RECURSIVE up(id, parent_id, depth) AS ("
      " SELECT id, parent_id, 0 FROM nodes WHERE id = ?"
      " UNION ALL SELECT n.id, n.parent_id, up.depth + 1 FROM nodes n"
      " JOIN up ON n.id = up.parent_id WHERE up.depth < ?)"
      " SELECT COUNT(*) FROM up WHERE id = ?",
      {descendant, kMaxDepth, ancestor});
  auto n = Scalar(std::move(row));
  if (!n) return std::unexpected(std::move(n.error()));
  return *n > 0;
}

std::string NodeStore::ListChildrenSql(NodeOrder order, bool descending, bool with_after) {
  std::string_view column = order == NodeOrder::kSortName     ? "sort_name"
                            : order == NodeOrder::kModifiedAt ? "modified_at"
                                                              : "size";
  std::string_view dir = descending ? "DESC" : "ASC";
  std::string sql = fmt::format(
      "SELECT {} FROM nodes WHERE parent_id = ? AND type = ? AND trash_id IS NULL", kCols);
  // By date or size, ties go by name (the indexes end with sort_name, id).
  const bool ties_by_name = order != NodeOrder::kSortName;
  if (with_after) {
    sql += fmt::format(" AND ({}{}, id) {} (?, {}?)", column, ties_by_name ? ", sort_name" : "",
                       descending ? "<" : ">", ties_by_name ? "?, " : "");
  }
  if (ties_by_name) {
    sql += fmt::format(" ORDER BY {} {}, sort_name {}, id {} LIMIT ?", column, dir, dir, dir);
  } else {
    sql += fmt::format(" ORDER BY {} {}, id {} LIMIT ?", column, dir, dir);
  }
  return sql;
}

Result<std::vector<NodeRow>> NodeStore::ListChildren(Transaction& tx, std::string_view parent_id,
                                                     std::string_view type, NodeOrder order,
                                                     bool descending,
                                                     const std::optional<NodeKey>& after,
                                                     int limit) {
  std::vector<Value> params{Value(parent_id), Value(type)};
  if (after) {
    if (order != NodeOrder::kSortName) params.emplace_back(after->int_key);
    params.emplace_back(after->text_key);
    params.emplace_back(after->id);
  }
  params.emplace_back(limit);
  // Rows read in place (a page may be 1,000 rows): no Row per row, each text copied once.
  std::vector<NodeRow> out;
  out.reserve(static_cast<std::size_t>(std::max(limit, 0)));
  auto add = [&out](const RowView& r) -> Result<void> {
    out.push_back(ToNode(r));
    return {};
  };
  auto read = tx.QueryEach(ListChildrenSql(order, descending, after.has_value()), params, add);
  if (!read) return std::unexpected(std::move(read.error()));
  return out;
}

Result<std::int64_t> NodeStore::MarkSubtreeTrashed(Transaction& tx, std::string_view id,
                                                   std::string_view trash_id) {
  auto marked = tx.Exec(
      "WITH RECURSIVE sub(id, depth) AS ("
      " SELECT id, 0 FROM nodes WHERE id = ? AND trash_id IS NULL"
      " UNION ALL SELECT c.id, sub.depth + 1 FROM nodes c JOIN sub ON c.parent_id = sub.id"
      " WHERE c.trash_id IS NULL AND sub.depth < ?)"
      " UPDATE nodes SET trash_id = ? WHERE id IN (SELECT id FROM sub)",
      {id, kMaxDepth, trash_id});
  if (!marked) return std::unexpected(std::move(marked.error()));
  return Scalar(tx.QueryOne(
      "SELECT COALESCE(SUM(size), 0) FROM nodes WHERE trash_id = ? AND type = 'file'", {trash_id}));
}

Result<void> NodeStore::InsertTrash(Transaction& tx, const TrashRow& t) {
  return tx.Exec(
      "INSERT INTO trash_items (id, owner_id, node_id, original_parent_id, original_path, size, "
      "deleted_at, deleted_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {t.id, t.owner_id, t.node_id, t.original_parent_id, t.original_path, t.size, t.deleted_at,
       t.deleted_by ? Value(*t.deleted_by) : Value()});
}

Result<std::optional<TrashRow>> NodeStore::FindTrash(Transaction& tx, std::int64_t owner_id,
                                                     std::string_view trash_id) {
  auto row = tx.QueryOne(
      fmt::format("SELECT {} FROM {} WHERE t.id = ? AND t.owner_id = ?", kTrashCols, kTrashFrom),
      {trash_id, owner_id});
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<TrashRow>();
  return std::optional<TrashRow>(ToTrash(**row));
}

Result<std::vector<TrashRow>> NodeStore::ListTrash(
    Transaction& tx, std::int64_t owner_id, std::string_view original_parent_id,
    const std::optional<std::pair<std::int64_t, std::string>>& after, int limit) {
  std::string sql = fmt::format("SELECT {} FROM {} WHERE t.owner_id = ?", kTrashCols, kTrashFrom);
  std::vector<Value> params{Value(owner_id)};
  if (!original_parent_id.empty()) {
    sql += " AND t.original_parent_id = ?";
    params.emplace_back(original_parent_id);
  }
  if (after) {
    sql += " AND (t.deleted_at, t.id) < (?, ?)";
    params.emplace_back(after->first);
    params.emplace_back(after->second);
  }
  sql += " ORDER BY t.deleted_at DESC, t.id DESC LIMIT ?";
  params.emplace_back(limit);
  return ManyTrash(tx.Query(sql, params));
}

Result<std::vector<TrashRow>> NodeStore::ListTrashDeletedBefore(Transaction& tx,
                                                                std::int64_t cutoff_ms, int limit) {
  return ManyTrash(
      tx.Query(fmt::format("SELECT {} FROM {} WHERE t.deleted_at <= ? ORDER BY t.deleted_at, t.id "
                           "LIMIT ?",
                           kTrashCols, kTrashFrom),
               {cutoff_ms, limit}));
}

Result<std::vector<TrashRow>> NodeStore::ListAllTrash(Transaction& tx, std::int64_t owner_id) {
  return ManyTrash(
      tx.Query(fmt::format("SELECT {} FROM {} WHERE t.owner_id = ? ORDER BY t.deleted_at, t.id",
                           kTrashCols, kTrashFrom),
               {owner_id}));
}

Result<void> NodeStore::UnmarkTrash(Transaction& tx, std::string_view trash_id) {
  if (auto n = tx.Exec("UPDATE nodes SET trash_id = NULL WHERE trash_id = ?", {trash_id}); !n) {
    return n;
  }
  return tx.Exec("DELETE FROM trash_items WHERE id = ?", {trash_id});
}

Result<std::vector<std::string>> NodeStore::TrashBlobIds(Transaction& tx,
                                                         std::string_view trash_id) {
  auto rows = tx.Query(
      "SELECT blob_id FROM nodes WHERE trash_id = ? AND type = 'file' AND blob_id IS NOT NULL",
      {trash_id});
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<std::string> out;
  for (const Row& r : *rows) out.push_back(r.Text(0));
  return out;
}

Result<void> NodeStore::DeleteTrash(Transaction& tx, std::string_view trash_id) {
  if (auto n = tx.Exec("DELETE FROM nodes WHERE trash_id = ?", {trash_id}); !n) return n;
  return tx.Exec("DELETE FROM trash_items WHERE id = ?", {trash_id});
}

Result<std::int64_t> NodeStore::LiveBytes(Transaction& tx, std::int64_t owner_id) {
  return Scalar(tx.QueryOne(
      "SELECT COALESCE(SUM(size), 0) FROM nodes WHERE owner_id = ? AND type = 'file' AND "
      "trash_id IS NULL",
      {owner_id}));
}

Result<std::int64_t> NodeStore::TrashBytes(Transaction& tx, std::int64_t owner_id) {
  return Scalar(tx.QueryOne(
      "SELECT COALESCE(SUM(size), 0) FROM nodes WHERE owner_id = ? AND type = 'file' AND "
      "trash_id IS NOT NULL",
      {owner_id}));
}

Result<std::int64_t> NodeStore::DirectFileBytes(Transaction& tx, std::string_view folder_id) {
  return Scalar(tx.QueryOne(
      "SELECT COALESCE(SUM(size), 0) FROM nodes WHERE parent_id = ? AND type = 'file' AND "
      "trash_id IS NULL",
      {folder_id}));
}

Result<std::vector<std::tuple<std::string, std::string, std::int64_t>>> NodeStore::FolderTotals(
    Transaction& tx, std::string_view folder_id) {
  auto rows = tx.Query(
      "WITH RECURSIVE sub(top, id, depth) AS ("
      " SELECT id, id, 0 FROM nodes WHERE parent_id = ? AND type = 'folder' AND trash_id IS NULL"
      " UNION ALL SELECT sub.top, c.id, sub.depth + 1 FROM nodes c JOIN sub ON c.parent_id = sub.id"
      " WHERE c.trash_id IS NULL AND sub.depth < ?)"
      " SELECT t.id, t.name, COALESCE(SUM(CASE WHEN n.type = 'file' THEN n.size ELSE 0 END), 0)"
      " AS bytes FROM sub JOIN nodes n ON n.id = sub.id JOIN nodes t ON t.id = sub.top"
      " GROUP BY t.id, t.name ORDER BY bytes DESC, t.name",
      {folder_id, kMaxDepth});
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<std::tuple<std::string, std::string, std::int64_t>> out;
  for (const Row& r : *rows) out.emplace_back(r.Text(0), r.Text(1), r.Int(2));
  return out;
}

Result<std::vector<NodeRow>> NodeStore::LargestFiles(Transaction& tx, std::int64_t owner_id,
                                                     int limit) {
  return Many(tx.Query(
      fmt::format("SELECT {} FROM nodes WHERE owner_id = ? AND type = 'file' AND trash_id IS NULL"
                  " ORDER BY size DESC, id LIMIT ?",
                  kCols),
      {owner_id, limit}));
}

namespace {

// LIKE's pattern for "contains `t`", `t` as typed.
std::string ContainsPattern(std::string_view t) { return '%' + LikeEscaped(t) + '%'; }

constexpr std::string_view kNameMatches =
    "(name LIKE ? ESCAPE '\\' OR sort_name LIKE ? ESCAPE '\\') ORDER BY type DESC, sort_name, "
    "id LIMIT ?";

}  // namespace

Result<std::vector<NodeRow>> NodeStore::SearchByName(Transaction& tx, std::int64_t owner_id,
                                                     std::string_view text, std::string_view folded,
                                                     int limit) {
  return Many(tx.Query(
      fmt::format("SELECT {} FROM nodes WHERE owner_id = ? AND trash_id IS NULL AND parent_id IS "
                  "NOT NULL AND {}",
                  kCols, kNameMatches),
      {owner_id, ContainsPattern(text), ContainsPattern(folded.empty() ? text : folded), limit}));
}

Result<std::vector<NodeRow>> NodeStore::SearchSharedByName(Transaction& tx, std::int64_t grantee_id,
                                                           std::string_view text,
                                                           std::string_view folded, int limit) {
  return Many(tx.Query(
      fmt::format("WITH RECURSIVE shared(id) AS ("
                  "SELECT node_id FROM shares WHERE grantee_id = ? "
                  "UNION SELECT n.id FROM nodes n JOIN shared s ON n.parent_id = s.id "
                  "WHERE n.trash_id IS NULL) "
                  "SELECT {} FROM nodes WHERE id IN (SELECT id FROM shared) AND trash_id IS NULL "
                  "AND owner_id <> ? AND {}",
                  kCols, kNameMatches),
      {grantee_id, grantee_id, ContainsPattern(text),
       ContainsPattern(folded.empty() ? text : folded), limit}));
}

}  // namespace nimbus::db
