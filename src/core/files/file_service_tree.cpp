// SPDX-License-Identifier: AGPL-3.0-or-later
// FileService's tree: get, children pages (keyset paging over the partial indexes of 0007),
// resolve, folders, rename and move.
#include <fmt/core.h>

#include <charconv>

#include "core/files/file_service.h"
#include "core/files/names.h"
#include "core/files/page_cursor.h"
#include "core/files/quota_tx.h"
#include "core/files/tree_tx.h"
#include "db/stores/link_store.h"
#include "db/stores/node_store.h"
#include "db/stores/share_store.h"
#include "util/run_blocking.h"

namespace nimbus::core::files {
namespace {

std::string ChildPath(std::string_view parent_path, std::string_view name) {
  std::string path(parent_path == "/" ? "" : parent_path);
  path += '/';
  path += name;
  return path;
}

char SortCode(SortKey k) { return k == SortKey::kName ? 'n' : k == SortKey::kModified ? 'm' : 's'; }

db::NodeOrder OrderOf(SortKey k) {
  return k == SortKey::kName       ? db::NodeOrder::kSortName
         : k == SortKey::kModified ? db::NodeOrder::kModifiedAt
                                   : db::NodeOrder::kSize;
}

// How the group of `type` is ordered: as asked, except that folders, which have no size of
// their own, are listed by name (A to Z) when the list is sorted by size.
struct GroupOrder {
  SortKey sort;
  bool descending;
};
GroupOrder OrderOfGroup(const ListOptions& o, std::string_view type) {
  if (o.sort == SortKey::kSize && type == "folder") return {SortKey::kName, false};
  return {o.sort, o.descending};
}

// Where a children page resumes: the type group ("folder" or "file") and the last key seen.
struct ChildCursor {
  std::string type;
  db::NodeKey key;
};

// Cursor text: <sort><order><group><folder id> ' ' <id> '\n' <key>; groups: d (folders), f
// (files). The key is the sort_name, or by date or size the number, '\n' and the sort_name (ties
// go by name). The folder's id ties the cursor to its list: another folder's cursor would skip
// items silently (QA pass 17), and is refused instead.
std::string MakeChildCursor(const ListOptions& o, std::string_view folder_id,
                            const db::NodeRow& last) {
  std::string text;
  text += SortCode(o.sort);
  text += o.descending ? 'd' : 'a';
  text += last.type == "folder" ? 'd' : 'f';
  text += folder_id;
  text += ' ';
  text += last.id;
  text += '\n';
  const SortKey by = OrderOfGroup(o, last.type).sort;
  if (by != SortKey::kName) {
    text += std::to_string(by == SortKey::kModified ? last.modified_at : last.size);
    text += '\n';
  }
  text += last.sort_name;
  return EncodeCursor(text);
}

Result<ChildCursor> ParseChildCursor(const ListOptions& o, std::string_view folder_id) {
  auto bad = [] {
    return Fail(Errc::kInvalidArgument,
                "The cursor is not valid for this list: start again without one.");
  };
  auto text = DecodeCursor(o.cursor);
  if (!text || text->size() < 4) return bad();
  if ((*text)[0] != SortCode(o.sort) || (*text)[1] != (o.descending ? 'd' : 'a')) return bad();
  if ((*text)[2] != 'd' && (*text)[2] != 'f') return bad();
  const std::size_t space = text->find(' ', 3);
  if (space == std::string::npos || std::string_view(*text).substr(3, space - 3) != folder_id) {
    return bad();
  }
  std::size_t nl = text->find('\n', space + 1);
  if (nl == std::string::npos || nl == space + 1) return bad();
  ChildCursor c;
  c.type = (*text)[2] == 'd' ? "folder" : "file";
  c.key.id = text->substr(space + 1, nl - space - 1);
  std::string key = text->substr(nl + 1);
  if (OrderOfGroup(o, c.type).sort == SortKey::kName) {
    c.key.text_key = std::move(key);
  } else {
    std::size_t cut = key.find('\n');
    if (cut == std::string::npos) return bad();
    auto [end, ec] = std::from_chars(key.data(), key.data() + cut, c.key.int_key);
    if (ec != std::errc() || end != key.data() + cut) return bad();
    c.key.text_key = key.substr(cut + 1);
  }
  return c;
}

Result<Node> LoadFolder(db::Transaction& tx, const Caller& caller, std::string_view id,
                        Permission need) {
  auto node = Authorize(tx, caller, id, need);
  if (!node) return node;
  if (!node->is_folder()) {
    return Fail(Errc::kInvalidArgument, "'{}' is a file, not a folder.", node->name);
  }
  return node;
}

Result<ChildPage> ChildrenTx(db::Transaction& tx, const Caller& caller, std::string_view id,
                             const ListOptions& o, Node* folder_out) {
  auto folder = LoadFolder(tx, caller, id, Permission::kRead);
  if (!folder) return std::unexpected(std::move(folder.error()));
  std::optional<ChildCursor> cursor;
  if (!o.cursor.empty()) {
    auto parsed = ParseChildCursor(o, folder->id);
    if (!parsed) return std::unexpected(std::move(parsed.error()));
    cursor = std::move(*parsed);
  }
  const int want = std::max(1, o.limit);
  std::vector<db::NodeRow> rows;
  for (std::string_view type : {"folder", "file"}) {
    if (cursor && cursor->type == "file" && type == "folder") continue;  // Folders are done.
    std::optional<db::NodeKey> after;
    if (cursor && cursor->type == type) after = cursor->key;
    const int room = want + 1 - static_cast<int>(rows.size());
    if (room <= 0) break;
    const GroupOrder by = OrderOfGroup(o, type);
    auto page = db::NodeStore::ListChildren(tx, folder->id, type, OrderOf(by.sort), by.descending,
                                            after, room);
    if (!page) return std::unexpected(std::move(page.error()));
    for (auto& r : *page) rows.push_back(std::move(r));
  }
  ChildPage out;
  if (static_cast<int>(rows.size()) > want) {
    rows.resize(static_cast<std::size_t>(want));
    out.next_cursor = MakeChildCursor(o, folder->id, rows.back());
  }
  // Every child's path is the folder's path, a '/' and its name.
  std::string prefix = folder->path == "/" ? std::string() : folder->path;
  prefix += '/';
  out.items.reserve(rows.size());
  for (db::NodeRow& r : rows) {
    Node& n = out.items.emplace_back(NodeFromRow(std::move(r)));
    n.path.reserve(prefix.size() + n.name.size());
    n.path += prefix;
    n.path += n.name;
    // What the caller may do with the folder it may do with what is in it.
    n.permission = folder->permission;
    n.owner = folder->owner;
    n.share_id = folder->share_id;
    n.share_node_id = folder->share_node_id;
  }
  // In a folder shared to view, a child shared to edit with the caller too is editable.
  if (folder->permission == Permission::kRead && !caller.is_link() && !out.items.empty()) {
    auto editable = db::ShareStore::EditableChildren(tx, caller.user_id, folder->id);
    if (!editable) return std::unexpected(std::move(editable.error()));
    for (Node& n : out.items) {
      auto it = editable->find(n.id);
      if (it == editable->end()) continue;
      n.permission = Permission::kEdit;
      n.share_id = it->second;
    }
  }
  if (auto marked = MarkShared(tx, out.items); !marked) return std::unexpected(marked.error());
  *folder_out = std::move(*folder);
  return out;
}

Result<Node> ResolveTx(db::Transaction& tx, const Caller& caller, std::string_view path) {
  auto root = Authorize(tx, caller, "root", Permission::kRead);
  if (!root) return root;
  if (path.find_first_not_of('/') == std::string_view::npos) return root;
  auto names = SplitRelativePath(path);
  if (!names) return Fail(Errc::kNotFound, "Nothing exists at '{}'.", path);
  Node current = std::move(*root);
  for (const std::string& name : *names) {
    auto child = current.is_folder() ? LiveChild(tx, current.id, name)
                                     : Result<std::optional<Node>>(std::nullopt);
    if (!child) return std::unexpected(std::move(child.error()));
    if (!*child) return Fail(Errc::kNotFound, "Nothing exists at '{}'.", path);
    std::string child_path = ChildPath(current.path, name);
    Node next = std::move(**child);
    next.path = std::move(child_path);
    next.permission = current.permission;
    next.owner = current.owner;
    next.share_id = current.share_id;
    next.share_node_id = current.share_node_id;
    current = std::move(next);
  }
  if (auto marked = MarkShared(tx, std::span(&current, 1)); !marked) {
    return std::unexpected(marked.error());
  }
  return current;
}

Result<Node> MakeFoldersTx(db::Transaction& tx, const Caller& caller, std::string_view parent_id,
                           std::string_view path, std::int64_t now_ms) {
  auto names = SplitRelativePath(path);
  if (!names) return std::unexpected(std::move(names.error()));
  auto parent = LoadFolder(tx, caller, parent_id, Permission::kEdit);
  if (!parent) return parent;
  // A past-due account is read-only (402): no new folders either.
  if (auto standing = RequireGoodStanding(tx, *parent); !standing) {
    return std::unexpected(std::move(standing.error()));
  }
  std::span<const std::string> all(*names);
  auto above = EnsureFolders(tx, *parent, all.first(all.size() - 1), now_ms);
  if (!above) return above;
  const std::string& last = names->back();
  auto clash = LiveChild(tx, above->id, last);
  if (!clash) return std::unexpected(std::move(clash.error()));
  if (*clash) {
    return Fail(Errc::kNameTaken, "'{}' already exists in {}.", last, above->path);
  }
  Node folder;
  folder.owner_id = parent->owner_id;
  folder.parent_id = above->id;
  folder.name = last;
  folder.type = NodeType::kFolder;
  folder.created_at = now_ms;
  folder.modified_at = now_ms;
  auto inserted = InsertNode(tx, std::move(folder));
  if (!inserted) return inserted;
  return AsSeenBy(tx, caller, std::move(*inserted));
}

Result<Node> UpdateTx(db::Transaction& tx, const Caller& caller, std::string_view id,
                      const std::optional<std::string>& name,
                      const std::optional<std::string>& parent_id,
                      std::optional<std::int64_t> modified_at, bool& moved) {
  moved = false;
  auto node = Authorize(tx, caller, id, Permission::kEdit);
  if (!node) return node;
  if (node->is_root()) {
    return Fail(Errc::kInvalidMove, "Your root folder cannot be renamed or moved.");
  }
  if (auto top = RequireEditableParent(tx, caller, *node, "rename or move"); !top) {
    return std::unexpected(top.error());
  }
  std::string new_name = node->name;
  if (name) {
    auto normalized = NormalizeName(*name);
    if (!normalized) return std::unexpected(std::move(normalized.error()));
    new_name = std::move(*normalized);
  }
  std::string new_parent = node->parent_id;
  std::string target_name;  // Of the folder moved into, for a clash's sentence.
  if (parent_id) {
    auto target = Authorize(tx, caller, *parent_id, Permission::kEdit);
    if (!target) {
      if (target.error().code == Errc::kNotFound) {
        return Fail(Errc::kNotFound, "The target folder does not exist.");
      }
      return std::unexpected(target.error());
    }
    if (!target->is_folder()) {
      return Fail(Errc::kInvalidMove, "'{}' is a file: items can only be moved into a folder.",
                  target->name);
    }
    if (target->owner_id != node->owner_id) {
      return Fail(Errc::kInvalidMove,
                  "Items can only be moved within the same person's files: copy it instead.");
    }
    new_parent = target->id;
    target_name = target->is_root() ? std::string("your files") : "'" + target->name + "'";
    if (node->is_folder()) {
      auto below = db::NodeStore::IsSelfOrBelow(tx, node->id, target->id);
      if (!below) return std::unexpected(std::move(below.error()));
      if (*below) {
        return Fail(Errc::kInvalidMove,
                    "A folder cannot be moved into itself or into a folder inside it.");
      }
    }
  }
  // The node's own time (a sync client keeping the time of where it comes from, with no new
  // bytes to send), with a rename or a move or alone.
  if (modified_at && *modified_at != node->modified_at) {
    if (auto set = db::NodeStore::SetModifiedAt(tx, node->id, *modified_at); !set) {
      return std::unexpected(std::move(set.error()));
    }
    if (new_name == node->name && new_parent == node->parent_id) {
      return Authorize(tx, caller, node->id, Permission::kRead);
    }
  }
  if (new_name == node->name && new_parent == node->parent_id) return node;
  moved = new_parent != node->parent_id;
  auto clash = LiveChild(tx, new_parent, new_name);
  if (!clash) return std::unexpected(std::move(clash.error()));
  if (*clash && (*clash)->id != node->id) {
    // Said as the person sees it: a rename clashes in this folder, a move in the other one.
    if (new_parent == node->parent_id) {
      return Fail(Errc::kNameTaken, "'{}' already exists in this folder: choose another name.",
                  new_name);
    }
    return Fail(Errc::kNameTaken, "'{}' already exists in {}.", new_name, target_name);
  }
  auto renamed = db::NodeStore::Rename(tx, node->id, new_parent, new_name, SortName(new_name));
  if (!renamed) return std::unexpected(std::move(renamed.error()));
  return Authorize(tx, caller, node->id, Permission::kRead);
}

}  // namespace

net::awaitable<Result<Node>> FileService::Get(Caller caller, std::string id) {
  auto read = [&] {
    return deps_.db.Read([&](db::Transaction& tx) -> Result<Node> {
      auto node = Authorize(tx, caller, id, Permission::kRead);
      if (!node) return node;
      if (auto marked = MarkShared(tx, std::span(&*node, 1)); !marked) {
        return std::unexpected(marked.error());
      }
      if (!caller.is_link() && node->permission != Permission::kOwner) {
        auto shown = db::LinkStore::ShowsNode(tx, node->id, ToUnixMs(deps_.clock.Now()));
        if (!shown) return std::unexpected(shown.error());
        node->public_link = *shown;
      }
      return node;
    });
  };
  auto node = co_await RunBlocking(deps_.workers, read);
  if (node) activity_->Note(caller, *node, "view");
  co_return node;
}

net::awaitable<Result<ChildPage>> FileService::Children(Caller caller, std::string id,
                                                        ListOptions options) {
  Node folder;
  auto read = [&] {
    return deps_.db.Read(
        [&](db::Transaction& tx) { return ChildrenTx(tx, caller, id, options, &folder); });
  };
  auto page = co_await RunBlocking(deps_.workers, read);
  if (page) activity_->Note(caller, folder, "list");
  co_return page;
}

net::awaitable<Result<Node>> FileService::Resolve(Caller caller, std::string path) {
  auto read = [&] {
    return deps_.db.Read([&](db::Transaction& tx) { return ResolveTx(tx, caller, path); });
  };
  co_return co_await RunBlocking(deps_.workers, read);
}

net::awaitable<Result<Node>> FileService::MakeFolders(Caller caller, std::string parent_id,
                                                      std::string path) {
  const std::int64_t now = ToUnixMs(deps_.clock.Now());
  auto write = [&] {
    return deps_.db.Write(
        [&](db::Transaction& tx) { return MakeFoldersTx(tx, caller, parent_id, path, now); });
  };
  auto folder = co_await RunBlocking(deps_.workers, write);
  if (folder) activity_->Note(caller, *folder, "folder");
  co_return folder;
}

net::awaitable<Result<Node>> FileService::Update(Caller caller, std::string id,
                                                 std::optional<std::string> name,
                                                 std::optional<std::string> parent_id,
                                                 std::optional<std::int64_t> modified_at) {
  bool moved = false;
  auto write = [&] {
    return deps_.db.Write([&](db::Transaction& tx) -> Result<Node> {
      auto node = UpdateTx(tx, caller, id, name, parent_id, modified_at, moved);
      if (!node) return node;
      // The answer says "shared" like GET does (a renamed or moved share stays shared).
      if (auto marked = MarkShared(tx, std::span(&*node, 1)); !marked) {
        return std::unexpected(marked.error());
      }
      return node;
    });
  };
  auto node = co_await RunBlocking(deps_.workers, write);
  if (node && (name || parent_id)) activity_->Note(caller, *node, moved ? "move" : "rename");
  co_return node;
}

Result<std::int64_t> FileService::RekeySortNames() {
  constexpr std::int64_t kBatch = 1000;
  auto asked = deps_.db.Read(
      [](db::Transaction& tx) { return tx.QueryOne("SELECT pending FROM sort_name_rekey"); });
  if (!asked) return std::unexpected(std::move(asked.error()));
  if (!*asked) return 0;
  std::int64_t changed = 0;
  std::string after;
  for (bool more = true; more;) {
    auto batch = deps_.db.Write([&](db::Transaction& tx) -> Result<void> {
      auto rows = tx.Query("SELECT id, name, sort_name FROM nodes WHERE id > ? ORDER BY id LIMIT ?",
                           {after, kBatch});
      if (!rows) return std::unexpected(std::move(rows.error()));
      for (const db::Row& row : *rows) {
        std::string key = SortName(row.Text(1));
        if (key != row.Text(2)) {
          auto set = tx.Exec("UPDATE nodes SET sort_name = ? WHERE id = ?", {key, row.Text(0)});
          if (!set) return set;
          ++changed;
        }
      }
      more = static_cast<std::int64_t>(rows->size()) == kBatch;
      if (!rows->empty()) after = rows->back().Text(0);
      return {};
    });
    if (!batch) return std::unexpected(std::move(batch.error()));
  }
  auto done =
      deps_.db.Write([](db::Transaction& tx) { return tx.Exec("DELETE FROM sort_name_rekey"); });
  if (!done) return std::unexpected(std::move(done.error()));
  return changed;
}

}  // namespace nimbus::core::files
