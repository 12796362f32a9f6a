// SPDX-License-Identifier: AGPL-3.0-or-later
// FileService's usage breakdown (GET /api/v1/me/usage): quota, live, trash and reserved bytes,
// bytes directly in the root, each top-level folder's total and the largest live files. And the
// search by name (GET /api/v1/search), which lists nodes with their paths the same way.
#include <algorithm>

#include "core/files/access.h"
#include "core/files/file_service.h"
#include "core/files/names.h"
#include "core/files/quota_tx.h"
#include "core/files/tree_tx.h"
#include "db/stores/node_store.h"
#include "util/run_blocking.h"
#include "util/trim.h"

namespace nimbus::core::files {
namespace {

constexpr int kLargestFiles = 10;

// The nodes of `rows` with their paths.
Result<std::vector<Node>> WithPaths(db::Transaction& tx, std::vector<db::NodeRow>&& rows) {
  std::vector<Node> out;
  out.reserve(rows.size());
  for (db::NodeRow& r : rows) {
    Node n = NodeFromRow(std::move(r));
    auto path = db::NodeStore::PathOf(tx, n.id);
    if (!path) return std::unexpected(std::move(path.error()));
    n.path = std::move(*path);
    out.push_back(std::move(n));
  }
  return out;
}

Result<Usage> UsageTx(db::Transaction& tx, std::int64_t owner_id) {
  auto root = LoadLive(tx, owner_id, "root");
  if (!root) return std::unexpected(std::move(root.error()));
  Usage u;
  auto quota = LoadQuota(tx, owner_id);
  if (quota) {
    u.quota_bytes = quota->quota_bytes;
    u.reserved_bytes = quota->reserved_bytes;
  } else if (quota.error().code != Errc::kNotFound) {  // No allocation: a quota of 0.
    return std::unexpected(std::move(quota.error()));
  }
  auto live = db::NodeStore::LiveBytes(tx, owner_id);
  if (!live) return std::unexpected(std::move(live.error()));
  u.used_bytes = *live;
  auto trash = db::NodeStore::TrashBytes(tx, owner_id);
  if (!trash) return std::unexpected(std::move(trash.error()));
  u.trash_bytes = *trash;
  auto direct = db::NodeStore::DirectFileBytes(tx, root->id);
  if (!direct) return std::unexpected(std::move(direct.error()));
  u.root_files_bytes = *direct;
  auto folders = db::NodeStore::FolderTotals(tx, root->id);
  if (!folders) return std::unexpected(std::move(folders.error()));
  for (auto& [id, name, bytes] : *folders) u.by_folder.push_back({id, name, bytes});
  auto largest = db::NodeStore::LargestFiles(tx, owner_id, kLargestFiles);
  if (!largest) return std::unexpected(std::move(largest.error()));
  auto files = WithPaths(tx, std::move(*largest));
  if (!files) return std::unexpected(std::move(files.error()));
  u.largest_files = std::move(*files);
  return u;
}

}  // namespace

net::awaitable<Result<Usage>> FileService::GetUsage(std::int64_t owner_id) {
  auto read = [&] {
    return deps_.db.Read([&](db::Transaction& tx) { return UsageTx(tx, owner_id); });
  };
  Result<Usage> usage = co_await RunBlocking(deps_.workers, read);
  // Small uploads in flight hold their bytes in memory, not in the reservations table.
  if (usage) usage->reserved_bytes += static_cast<std::int64_t>(pending_->Sum(owner_id));
  co_return usage;
}

net::awaitable<Result<FolderSpace>> FileService::SpaceOf(Caller caller, std::string id) {
  auto read = [&] {
    return deps_.db.Read([&](db::Transaction& tx) -> Result<FolderSpace> {
      auto node = Authorize(tx, caller, id, Permission::kEdit);
      if (!node) return std::unexpected(std::move(node.error()));
      auto quota = LoadQuota(tx, node->owner_id);
      if (!quota) return std::unexpected(std::move(quota.error()));
      FolderSpace space;
      space.quota_bytes = quota->quota_bytes;
      space.free_bytes = quota->free_bytes();
      space.owner = node->owner;
      // Small uploads in flight hold their bytes in this process, not in the table.
      space.free_bytes -= static_cast<std::int64_t>(pending_->Sum(node->owner_id));
      space.free_bytes = std::max<std::int64_t>(0, space.free_bytes);
      return space;
    });
  };
  co_return co_await RunBlocking(deps_.workers, read);
}

net::awaitable<Result<SearchResult>> FileService::Search(std::int64_t owner_id, std::string text,
                                                         int limit) {
  const std::string_view t = TrimSpace(text);
  if (t.empty()) co_return Fail(Errc::kInvalidArgument, "Type a part of a name to search for.");
  if (t.size() > 255) {
    co_return Fail(Errc::kInvalidArgument, "A search is at most 255 bytes long (a name's limit).");
  }
  limit = std::clamp(limit, 1, kSearchMaxLimit);
  // Other letters than ASCII in any case too, through the case-folded sort_name (which rewrites
  // numbers: not for a text with digits).
  const bool digits = std::any_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
  const std::string folded = digits ? std::string() : FoldCase(t);
  auto read = [&] {
    return deps_.db.Read([&](db::Transaction& tx) -> Result<SearchResult> {
      auto rows = db::NodeStore::SearchByName(tx, owner_id, t, folded, limit + 1);
      if (!rows) return std::unexpected(std::move(rows.error()));
      SearchResult found;
      found.truncated = static_cast<int>(rows->size()) > limit;
      if (found.truncated) rows->resize(static_cast<std::size_t>(limit));
      auto nodes = WithPaths(tx, std::move(*rows));
      if (!nodes) return std::unexpected(std::move(nodes.error()));
      found.items = std::move(*nodes);
      // Then what others share with the owner, as the owner sees it there (path inside the
      // share, permission, owner), in the room left.
      const int room = limit - static_cast<int>(found.items.size());
      if (found.truncated || room <= 0) return found;
      auto shared = db::NodeStore::SearchSharedByName(tx, owner_id, t, folded, room + 1);
      if (!shared) return std::unexpected(std::move(shared.error()));
      found.truncated = static_cast<int>(shared->size()) > room;
      if (found.truncated) shared->resize(static_cast<std::size_t>(room));
      for (const db::NodeRow& row : *shared) {
        auto seen = Authorize(tx, Caller(owner_id), row.id, Permission::kRead);
        if (!seen) return std::unexpected(std::move(seen.error()));
        found.items.push_back(std::move(*seen));
      }
      return found;
    });
  };
  co_return co_await RunBlocking(deps_.workers, read);
}

}  // namespace nimbus::core::files
