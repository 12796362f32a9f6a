// SPDX-License-Identifier: AGPL-3.0-or-later
// FileService's trash: delete (a node and its subtree become one item), list, restore (missing
// parents recreated, "name (restored)"), delete for good and the daily purge. Deleting for good
// forgets the blobs in the transaction that deletes the rows, then erases their bytes on both
// disk copies once it committed.
#include <spdlog/spdlog.h>

#include <charconv>
#include <optional>
#include <set>
#include <span>

#include "core/billing/standing_check.h"
#include "core/files/access.h"
#include "core/files/file_service.h"
#include "core/files/names.h"
#include "core/files/page_cursor.h"
#include "core/files/tree_tx.h"
#include "db/stores/node_store.h"
#include "db/stores/share_store.h"
#include "util/run_blocking.h"

namespace nimbus::core::files {
namespace {

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;
constexpr int kPurgeBatch = 100;
constexpr int kMaxPurgeRounds = 100000;

TrashItem ItemFromRow(const db::TrashRow& r, int retention_days) {
  TrashItem t;
  t.id = r.id;
  t.node_id = r.node_id;
  t.name = r.name;
  t.type = r.type == "file" ? NodeType::kFile : NodeType::kFolder;
  t.size = r.size;
  t.original_parent_id = r.original_parent_id;
  t.original_path = r.original_path;
  t.deleted_at = r.deleted_at;
  t.expires_at = r.deleted_at + static_cast<std::int64_t>(retention_days) * kDayMs;
  t.deleted_by_name = r.deleted_by_name;
  t.deleted_by_email = r.deleted_by_email;
  return t;
}

Result<TrashItem> DeleteTx(db::Transaction& tx, const Caller& caller, std::string_view id,
                           std::int64_t now_ms, int retention_days, Node& deleted) {
  auto node = Authorize(tx, caller, id, Permission::kEdit);
  if (!node) return std::unexpected(std::move(node.error()));
  if (node->is_root()) return Fail(Errc::kInvalidMove, "Your root folder cannot be deleted.");
  if (auto top = RequireEditableParent(tx, caller, *node, "delete"); !top)
    return std::unexpected(top.error());
  // Into the owner's trash, with the owner's path (a grantee sees the path inside the share).
  std::string owner_path = node->path;
  if (node->permission != Permission::kOwner) {
    auto path = db::NodeStore::PathOf(tx, node->id);
    if (!path) return std::unexpected(std::move(path.error()));
    owner_path = std::move(*path);
  }
  db::TrashRow row;
  row.id = NewNodeId();
  row.owner_id = node->owner_id;
  row.node_id = node->id;
  row.original_parent_id = node->parent_id;
  row.original_path = owner_path;
  row.deleted_at = now_ms;
  // A colleague's delete: the owner's trash says who (QA pass 18).
  if (node->permission != Permission::kOwner) row.deleted_by = caller.user_id;
  row.name = node->name;
  row.type = node->is_file() ? "file" : "folder";
  auto bytes = db::NodeStore::MarkSubtreeTrashed(tx, node->id, row.id);
  if (!bytes) return std::unexpected(std::move(bytes.error()));
  row.size = *bytes;
  // Public links end with the delete: a restore brings the files back, not their links (anyone
  // holding one would otherwise read them again without the owner noticing). Shares with people
  // come back with the restore.
  if (auto r = db::ShareStore::DeleteLinksForTrashItem(tx, row.id); !r) {
    return std::unexpected(r.error());
  }
  if (auto ins = db::NodeStore::InsertTrash(tx, row); !ins) return std::unexpected(ins.error());
  deleted = std::move(*node);
  TrashItem item = ItemFromRow(row, retention_days);
  if (deleted.permission != Permission::kOwner) item.original_path = deleted.path;
  return item;
}

Result<TrashPage> ListTx(db::Transaction& tx, std::int64_t owner_id, int limit,
                         std::string_view cursor, std::string_view parent_filter,
                         int retention_days) {
  auto after = ParseTimeIdCursor(cursor);  // "<deleted_at>\n<id>" of the last item.
  if (!after) return std::unexpected(std::move(after.error()));
  std::string parent(parent_filter);
  if (parent == "root") {
    auto root = db::NodeStore::RootId(tx, owner_id);
    if (!root) return std::unexpected(std::move(root.error()));
    parent = root->value_or("");
  }
  const int want = std::max(1, limit);
  auto rows = db::NodeStore::ListTrash(tx, owner_id, parent, *after, want + 1);
  if (!rows) return std::unexpected(std::move(rows.error()));
  TrashPage page;
  if (static_cast<int>(rows->size()) > want) {
    rows->resize(static_cast<std::size_t>(want));
    page.next_cursor = EncodeTimeIdCursor(rows->back().deleted_at, rows->back().id);
  }
  for (const db::TrashRow& r : *rows) {
    TrashItem item = ItemFromRow(r, retention_days);
    // Where RestoreTarget would put it: the original folder, wherever it is now.
    auto folder = LoadLive(tx, owner_id, item.original_parent_id);
    if (folder) {
      item.restores_to = folder->path;
    } else if (folder.error().code == Errc::kNotFound) {
      const std::size_t slash = item.original_path.rfind('/');
      item.restores_to = slash == 0 || slash == std::string::npos
                             ? std::string("/")
                             : item.original_path.substr(0, slash);
    } else {
      return std::unexpected(std::move(folder.error()));
    }
    page.items.push_back(std::move(item));
  }
  return page;
}

// How many "name (restored N)" variants of a folder in the way a restore tries.
constexpr int kMaxRestoredFolders = 100;

// The folder a restored item goes into: its original parent when that is live, otherwise the
// folders of its original path, recreated from the root where missing.
Result<Node> RestoreTarget(db::Transaction& tx, std::int64_t owner_id, const db::TrashRow& item,
                           std::int64_t now_ms) {
  auto parent = LoadLive(tx, owner_id, item.original_parent_id);
  if (parent) return parent;
  if (parent.error().code != Errc::kNotFound) return parent;
  auto root = LoadLive(tx, owner_id, "root");
  if (!root) return root;
  std::string_view path = item.original_path;
  std::size_t slash = path.rfind('/');
  std::string_view dir = slash == std::string_view::npos ? "" : path.substr(0, slash);
  if (dir.find_first_not_of('/') == std::string_view::npos) return root;
  auto names = SplitRelativePath(dir);
  if (!names) return std::unexpected(std::move(names.error()));
  // As EnsureFolders, but a file where a folder of the path was does not stop the restore: the
  // folder comes back beside it as "name (restored)" (or the first such folder that exists).
  Node current = std::move(*root);
  for (const std::string& name : *names) {
    std::optional<Node> folder;
    for (int i = 0; !folder; ++i) {
      if (i > kMaxRestoredFolders) {
        return Fail(Errc::kNameTaken, "'{}' and its \"(restored)\" variants are files in {}.", name,
                    current.path);
      }
      const std::string candidate =
          i == 0 ? name : NameVariant(name, NodeType::kFolder, FreeNameStyle::kRestored, i);
      auto child = LiveChild(tx, current.id, candidate);
      if (!child) return std::unexpected(std::move(child.error()));
      if (*child && (*child)->is_file()) continue;
      auto made = EnsureFolders(tx, current, std::span(&candidate, 1), now_ms);
      if (!made) return made;
      folder = std::move(*made);
    }
    current = std::move(*folder);
  }
  return current;
}

Result<Restored> RestoreTx(db::Transaction& tx, std::int64_t owner_id, std::string_view trash_id,
                           std::int64_t now_ms) {
  auto item = db::NodeStore::FindTrash(tx, owner_id, trash_id);
  if (!item) return std::unexpected(std::move(item.error()));
  if (!*item) return Fail(Errc::kNotFound, "This item is not in your trash.");
  // A past-due account is read-only (402): nothing comes back until it is paid.
  if (auto standing = billing::RequireGoodStanding(tx, owner_id); !standing) {
    return std::unexpected(std::move(standing.error()));
  }
  auto target = RestoreTarget(tx, owner_id, **item, now_ms);
  if (!target) return std::unexpected(std::move(target.error()));
  auto node = db::NodeStore::Find(tx, (*item)->node_id);
  if (!node) return std::unexpected(std::move(node.error()));
  if (!*node) return Fail(Errc::kInternal, "trash item {} has no node", trash_id);
  const NodeType type = (*node)->type == "file" ? NodeType::kFile : NodeType::kFolder;
  auto name = FreeName(tx, target->id, (*item)->name, type, FreeNameStyle::kRestored);
  if (!name) return std::unexpected(std::move(name.error()));
  // Rename while still in the trash: the live-name index only sees it once it is unmarked.
  if ((*node)->parent_id != target->id || (*node)->name != *name) {
    auto moved = db::NodeStore::Rename(tx, (*node)->id, target->id, *name, SortName(*name));
    if (!moved) return std::unexpected(std::move(moved.error()));
  }
  if (auto un = db::NodeStore::UnmarkTrash(tx, trash_id); !un) return std::unexpected(un.error());
  auto restored = LoadLive(tx, owner_id, (*node)->id);
  if (!restored) return std::unexpected(std::move(restored.error()));
  Restored out{std::move(*restored), {}};
  out.restored_path = out.node.path;
  return out;
}

// Deletes the rows of trash item `trash_id` and forgets its blobs, in `tx`; appends the
// forgotten blob rows to `erase` (for OwnerBlobs::EraseForgotten after the commit).
Result<void> PurgeItemTx(db::Transaction& tx, storage::OwnerBlobs& blobs, std::string_view trash_id,
                         std::vector<db::BlobRow>& erase) {
  auto ids = db::NodeStore::TrashBlobIds(tx, trash_id);
  if (!ids) return std::unexpected(std::move(ids.error()));
  for (const std::string& blob_id : *ids) {
    auto row = blobs.Forget(tx, blob_id);
    if (row) {
      erase.push_back(std::move(*row));
    } else if (row.error().code != Errc::kNotFound) {
      return std::unexpected(std::move(row.error()));
    }
  }
  if (auto shares = db::ShareStore::DeleteForTrashItem(tx, trash_id); !shares) return shares;
  return db::NodeStore::DeleteTrash(tx, trash_id);
}

// Purges every trash item of `owner_id` (PurgeItemTx each), in `tx`.
Result<void> PurgeAllTrashTx(db::Transaction& tx, storage::OwnerBlobs& blobs, std::int64_t owner_id,
                             std::vector<db::BlobRow>& erase) {
  auto items = db::NodeStore::ListAllTrash(tx, owner_id);
  if (!items) return std::unexpected(std::move(items.error()));
  for (const db::TrashRow& item : *items) {
    if (auto r = PurgeItemTx(tx, blobs, item.id, erase); !r) return r;
  }
  return {};
}

}  // namespace

net::awaitable<Result<TrashItem>> FileService::Delete(Caller caller, std::string id) {
  const std::int64_t now = ToUnixMs(deps_.clock.Now());
  const int days = deps_.config.trash_retention_days;
  Node deleted;
  auto write = [&] {
    return deps_.db.Write(
        [&](db::Transaction& tx) { return DeleteTx(tx, caller, id, now, days, deleted); });
  };
  auto item = co_await RunBlocking(deps_.workers, write);
  if (!item) co_return item;
  activity_->Note(caller, deleted, "delete");
  UsageChanged(deleted.owner_id);
  co_return item;
}

net::awaitable<Result<TrashPage>> FileService::ListTrash(std::int64_t owner_id, int limit,
                                                         std::string cursor,
                                                         std::string original_parent_id) {
  const int days = deps_.config.trash_retention_days;
  auto read = [&] {
    return deps_.db.Read([&](db::Transaction& tx) {
      return ListTx(tx, owner_id, limit, cursor, original_parent_id, days);
    });
  };
  co_return co_await RunBlocking(deps_.workers, read);
}

net::awaitable<Result<Restored>> FileService::Restore(std::int64_t owner_id, std::string trash_id) {
  const std::int64_t now = ToUnixMs(deps_.clock.Now());
  auto write = [&] {
    return deps_.db.Write([&](db::Transaction& tx) -> Result<Restored> {
      auto restored = RestoreTx(tx, owner_id, trash_id, now);
      if (!restored) return restored;
      // A restored folder keeps its shares: the answer says so, like GET does.
      if (auto marked = MarkShared(tx, std::span(&restored->node, 1)); !marked) {
        return std::unexpected(marked.error());
      }
      return restored;
    });
  };
  auto restored = co_await RunBlocking(deps_.workers, write);
  if (restored) UsageChanged(owner_id);
  co_return restored;
}

net::awaitable<Result<void>> FileService::DeleteForever(std::int64_t owner_id,
                                                        std::string trash_id) {
  std::vector<db::BlobRow> erase;
  auto write = [&] {
    return deps_.db.Write([&](db::Transaction& tx) -> Result<void> {
      erase.clear();
      auto item = db::NodeStore::FindTrash(tx, owner_id, trash_id);
      if (!item) return std::unexpected(std::move(item.error()));
      if (!*item) return Fail(Errc::kNotFound, "This item is not in your trash.");
      return PurgeItemTx(tx, deps_.blobs, trash_id, erase);
    });
  };
  auto done = co_await RunBlocking(deps_.workers, write);
  if (!done) co_return done;
  co_await deps_.blobs.EraseForgotten(std::move(erase));
  UsageChanged(owner_id);
  co_return Result<void>{};
}

net::awaitable<Result<void>> FileService::EmptyTrash(std::int64_t owner_id) {
  std::vector<db::BlobRow> erase;
  auto write = [&] {
    return deps_.db.Write([&](db::Transaction& tx) -> Result<void> {
      erase.clear();
      return PurgeAllTrashTx(tx, deps_.blobs, owner_id, erase);
    });
  };
  auto done = co_await RunBlocking(deps_.workers, write);
  if (!done) co_return done;
  co_await deps_.blobs.EraseForgotten(std::move(erase));
  UsageChanged(owner_id);
  co_return Result<void>{};
}

net::awaitable<Result<void>> FileService::DeleteEverythingOf(std::int64_t owner_id) {
  std::vector<db::BlobRow> erase;
  auto write = [&] {
    return deps_.db.Write([&](db::Transaction& tx) -> Result<void> {
      erase.clear();
      // Everything live, the root included, as one more trash item, purged with the others.
      auto root = db::NodeStore::RootId(tx, owner_id);
      if (!root) return std::unexpected(std::move(root.error()));
      if (*root) {
        const std::string all = NewNodeId();
        if (auto marked = db::NodeStore::MarkSubtreeTrashed(tx, **root, all); !marked) {
          return std::unexpected(std::move(marked.error()));
        }
        if (auto r = PurgeItemTx(tx, deps_.blobs, all, erase); !r) return r;
      }
      if (auto r = PurgeAllTrashTx(tx, deps_.blobs, owner_id, erase); !r) return r;
      return db::ShareStore::DeleteGrantedTo(tx, owner_id);
    });
  };
  auto done = co_await RunBlocking(deps_.workers, write);
  if (!done) co_return done;
  co_await deps_.blobs.EraseForgotten(std::move(erase));
  co_return Result<void>{};
}

net::awaitable<Result<std::int64_t>> FileService::PurgeExpiredTrash() {
  const std::int64_t now = ToUnixMs(deps_.clock.Now());
  const std::int64_t cutoff =
      now - static_cast<std::int64_t>(std::max(0, deps_.config.trash_retention_days)) * kDayMs;
  std::int64_t purged = 0;
  // First what a killed process left queued (its trash rows are gone already).
  if (auto left = co_await deps_.blobs.EraseLeftovers(); !left) {
    spdlog::warn("trash purge: queued removals of deleted blobs failed: {}", left.error().message);
  } else if (*left > 0) {
    spdlog::info("trash purge: removed {} deleted blob(s) left queued", *left);
  }
  for (int round = 0; round < kMaxPurgeRounds; ++round) {
    std::vector<db::BlobRow> erase;
    std::set<std::int64_t> owners;
    std::size_t batch = 0;
    auto write = [&] {
      return deps_.db.Write([&](db::Transaction& tx) -> Result<void> {
        erase.clear();
        owners.clear();
        auto items = db::NodeStore::ListTrashDeletedBefore(tx, cutoff, kPurgeBatch);
        if (!items) return std::unexpected(std::move(items.error()));
        batch = items->size();
        for (const db::TrashRow& item : *items) {
          if (auto r = PurgeItemTx(tx, deps_.blobs, item.id, erase); !r) return r;
          owners.insert(item.owner_id);
        }
        return {};
      });
    };
    auto done = co_await RunBlocking(deps_.workers, write);
    if (!done) co_return std::unexpected(std::move(done.error()));
    co_await deps_.blobs.EraseForgotten(std::move(erase));
    purged += static_cast<std::int64_t>(batch);
    for (std::int64_t owner : owners) UsageChanged(owner);
    if (batch < static_cast<std::size_t>(kPurgeBatch)) break;
  }
  co_return purged;
}

}  // namespace nimbus::core::files
