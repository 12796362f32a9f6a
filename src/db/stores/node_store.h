// NodeStore: the SQL of the file tree (`nodes`) and the trash (`trash_items`) of 0007_files.
// Paths, subtrees and trash marking use recursive CTEs; children pages use the partial indexes
// of 0007 (keyset paging). Every method runs in the caller's transaction.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "db/database.h"
#include "util/result.h"

namespace nimbus::db {

// One row of `nodes`. Times are milliseconds since the Unix epoch (UTC).
struct NodeRow {
  std::string id{};
  std::int64_t owner_id = 0;
  std::string parent_id{};  // "" for a root.
  std::string name{};
  std::string sort_name{};
  std::string type{};  // "file" or "folder".
  std::int64_t size = 0;
  std::string blob_id{};
  std::string sha256{};
  std::int64_t version = 1;
  std::string trash_id{};  // "" when live.
  std::int64_t created_at = 0;
  std::int64_t modified_at = 0;
};

// One row of `trash_items`, with the top node's name and type.
struct TrashRow {
  std::string id{};
  std::int64_t owner_id = 0;
  std::string node_id{};
  std::string original_parent_id{};
  std::string original_path{};
  std::int64_t size = 0;
  std::int64_t deleted_at = 0;
  std::string name{};  // Of the node (joined).
  std::string type{};  // Of the node (joined).
  // Who deleted it when not the owner (a grantee with edit), with their name and email
  // (joined); nullopt: the owner.
  std::optional<std::int64_t> deleted_by{};
  std::string deleted_by_name{};
  std::string deleted_by_email{};
};

// Which column a children page is ordered by (then id).
enum class NodeOrder { kSortName, kModifiedAt, kSize };

// Where a children page starts: strictly after (key, id) in the requested direction; by date or
// size the key is (int_key, text_key), ties being listed by name.
struct NodeKey {
  std::string text_key{};    // The sort_name.
  std::int64_t int_key = 0;  // kModifiedAt, kSize.
  std::string id{};
};

// Stateless: every method takes the transaction to run in. SQL errors as Transaction documents.
class NodeStore {
 public:
  // ---- nodes ----
  // Any node by id (live or in the trash), or nullopt.
  static Result<std::optional<NodeRow>> Find(Transaction& tx, std::string_view id);
  // The owner's live node `id`, or nullopt (unknown, another owner's, or in the trash).
  static Result<std::optional<NodeRow>> FindLive(Transaction& tx, std::int64_t owner_id,
                                                 std::string_view id);
  // users.root_id of the owner, or nullopt for an unknown user.
  static Result<std::optional<std::string>> RootId(Transaction& tx, std::int64_t owner_id);
  // "/a/b/name" of node `id` from its root ("/" for a root), walking parent_id.
  static Result<std::string> PathOf(Transaction& tx, std::string_view id);
  // The live child `name` of `parent_id`, or nullopt.
  static Result<std::optional<NodeRow>> FindLiveChild(Transaction& tx, std::string_view parent_id,
                                                      std::string_view name);
  // Live children of `parent_id` whose name starts with `prefix` (FreeName's candidates).
  static Result<std::vector<std::string>> LiveChildNamesWithPrefix(Transaction& tx,
                                                                   std::string_view parent_id,
                                                                   std::string_view prefix);
  // kConflict when the live name is taken (unique index) or the id exists.
  static Result<void> Insert(Transaction& tx, const NodeRow& row);
  // New content of a file; bumps version. False when there is no such node.
  static Result<bool> SetContent(Transaction& tx, std::string_view id, std::int64_t size,
                                 std::string_view blob_id, std::string_view sha256,
                                 std::int64_t now_ms);
  // Rename and/or move (name and sort_name, parent); bumps version. modified_at stays: it is
  // when the content last changed, as a file manager shows it (a rename does not change it).
  // kConflict when the name is taken in the target.
  static Result<void> Rename(Transaction& tx, std::string_view id, std::string_view parent_id,
                             std::string_view name, std::string_view sort_name);
  // Sets the node's own modified time (ms since the epoch; a sync client's), a new version.
  static Result<void> SetModifiedAt(Transaction& tx, std::string_view id, std::int64_t ms);
  // The node and every node below it (any trash state), parents before children.
  static Result<std::vector<NodeRow>> Subtree(Transaction& tx, std::string_view id);
  // True when `descendant` is `ancestor` or lies below it (walks descendant's parents).
  static Result<bool> IsSelfOrBelow(Transaction& tx, std::string_view ancestor,
                                    std::string_view descendant);
  // One page of the live children of `parent_id` of one type ("folder"/"file"), ordered by
  // `order` then id, ascending or descending, strictly after `after` when given.
  static Result<std::vector<NodeRow>> ListChildren(Transaction& tx, std::string_view parent_id,
                                                   std::string_view type, NodeOrder order,
                                                   bool descending,
                                                   const std::optional<NodeKey>& after, int limit);
  // The SQL ListChildren runs (for query-plan checks in tests).
  static std::string ListChildrenSql(NodeOrder order, bool descending, bool with_after);

  // ---- trash ----
  // Marks node `id` and its live subtree with `trash_id` (one UPDATE over a recursive CTE) and
  // returns the bytes of the files marked.
  static Result<std::int64_t> MarkSubtreeTrashed(Transaction& tx, std::string_view id,
                                                 std::string_view trash_id);
  static Result<void> InsertTrash(Transaction& tx, const TrashRow& row);
  static Result<std::optional<TrashRow>> FindTrash(Transaction& tx, std::int64_t owner_id,
                                                   std::string_view trash_id);
  // The owner's items newest first (deleted_at DESC, id DESC), strictly after (deleted_at, id)
  // when given; only those deleted from `original_parent_id` when it is not empty.
  static Result<std::vector<TrashRow>> ListTrash(
      Transaction& tx, std::int64_t owner_id, std::string_view original_parent_id,
      const std::optional<std::pair<std::int64_t, std::string>>& after, int limit);
  // Items deleted at or before `cutoff_ms` (any owner), oldest first.
  static Result<std::vector<TrashRow>> ListTrashDeletedBefore(Transaction& tx,
                                                              std::int64_t cutoff_ms, int limit);
  // Every item of the owner.
  static Result<std::vector<TrashRow>> ListAllTrash(Transaction& tx, std::int64_t owner_id);
  // Clears trash_id of every node of the item (they become live again) and deletes the item row.
  static Result<void> UnmarkTrash(Transaction& tx, std::string_view trash_id);
  // The blob ids of the item's files.
  static Result<std::vector<std::string>> TrashBlobIds(Transaction& tx, std::string_view trash_id);
  // Deletes every node of the item and the item row.
  static Result<void> DeleteTrash(Transaction& tx, std::string_view trash_id);

  // ---- usage ----
  // Sum of live file sizes of the owner, and of files in the trash.
  static Result<std::int64_t> LiveBytes(Transaction& tx, std::int64_t owner_id);
  static Result<std::int64_t> TrashBytes(Transaction& tx, std::int64_t owner_id);
  // Live file bytes directly in `folder_id`.
  static Result<std::int64_t> DirectFileBytes(Transaction& tx, std::string_view folder_id);
  // Each live child folder of `folder_id` with the live file bytes below it: (id, name, bytes).
  static Result<std::vector<std::tuple<std::string, std::string, std::int64_t>>> FolderTotals(
      Transaction& tx, std::string_view folder_id);
  // The owner's `limit` largest live files, largest first.
  static Result<std::vector<NodeRow>> LargestFiles(Transaction& tx, std::int64_t owner_id,
                                                   int limit);
  // Up to `limit` live nodes of the owner (not the root) whose name contains `text` (ASCII
  // letters in any case) or whose sort_name contains `folded` (when not empty: the case-folded
  // text, which must hold no ASCII digit, as sort_name rewrites numbers), folders first, then
  // by name.
  static Result<std::vector<NodeRow>> SearchByName(Transaction& tx, std::int64_t owner_id,
                                                   std::string_view text, std::string_view folded,
                                                   int limit);
  // The same among the live nodes shared with `grantee_id`: the tops of its shares and
  // everything live below them (other users' nodes; a node under two shares comes once).
  static Result<std::vector<NodeRow>> SearchSharedByName(Transaction& tx, std::int64_t grantee_id,
                                                         std::string_view text,
                                                         std::string_view folded, int limit);
};

}  // namespace nimbus::db
