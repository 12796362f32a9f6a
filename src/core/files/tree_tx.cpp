// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/files/tree_tx.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <unordered_map>
#include <utility>

#include "core/files/names.h"
#include "core/secrets.h"

namespace nimbus::core::files {
namespace {

constexpr std::size_t kMaxNameBytes = 255;
constexpr int kMaxVariants = 10000;

std::string ChildPath(std::string_view parent_path, std::string_view name) {
  std::string path(parent_path == "/" ? "" : parent_path);
  path += '/';
  path += name;
  return path;
}

// Cuts `s` to at most `max` bytes at a UTF-8 character boundary.
std::string_view CutUtf8(std::string_view s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// "stem" + suffix + "ext", the stem shortened so the whole fits in 255 bytes.
std::string Variant(std::string_view stem, std::string_view suffix, std::string_view ext) {
  std::size_t room = kMaxNameBytes - std::min(kMaxNameBytes, suffix.size() + ext.size());
  std::string out(CutUtf8(stem, room));
  out += suffix;
  out += ext;
  return out;
}

Result<Node> WithPath(db::Transaction& tx, Node node) {
  auto path = db::NodeStore::PathOf(tx, node.id);
  if (!path) return std::unexpected(std::move(path.error()));
  node.path = std::move(*path);
  return node;
}

}  // namespace

std::string NewNodeId() { return RandomToken(16); }

Node NodeFromRow(const db::NodeRow& r) {
  Node n;
  n.id = r.id;
  n.owner_id = r.owner_id;
  n.parent_id = r.parent_id;
  n.name = r.name;
  n.type = r.type == "file" ? NodeType::kFile : NodeType::kFolder;
  n.size = r.size;
  n.blob_id = r.blob_id;
  n.sha256 = r.sha256;
  n.version = r.version;
  n.created_at = r.created_at;
  n.modified_at = r.modified_at;
  n.trash_id = r.trash_id;
  return n;
}

Node NodeFromRow(db::NodeRow&& r) {
  Node n;
  n.id = std::move(r.id);
  n.owner_id = r.owner_id;
  n.parent_id = std::move(r.parent_id);
  n.name = std::move(r.name);
  n.type = r.type == "file" ? NodeType::kFile : NodeType::kFolder;
  n.size = r.size;
  n.blob_id = std::move(r.blob_id);
  n.sha256 = std::move(r.sha256);
  n.version = r.version;
  n.created_at = r.created_at;
  n.modified_at = r.modified_at;
  n.trash_id = std::move(r.trash_id);
  return n;
}

Result<Node> LoadLive(db::Transaction& tx, std::int64_t owner_id, std::string_view id) {
  std::string resolved(id);
  if (id == "root") {
    auto root = db::NodeStore::RootId(tx, owner_id);
    if (!root) return std::unexpected(std::move(root.error()));
    if (!*root) return Fail(Errc::kNotFound, "This folder does not exist.");
    resolved = **root;
  }
  auto row = db::NodeStore::FindLive(tx, owner_id, resolved);
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return Fail(Errc::kNotFound, "This file or folder does not exist.");
  return WithPath(tx, NodeFromRow(**row));
}

Result<std::optional<Node>> LiveChild(db::Transaction& tx, std::string_view parent_id,
                                      std::string_view name) {
  auto row = db::NodeStore::FindLiveChild(tx, parent_id, name);
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<Node>();
  return std::optional<Node>(NodeFromRow(**row));
}

Result<std::vector<std::string>> SplitRelativePath(std::string_view path) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty()) continue;
    if (part == "." || part == "..") {
      return Fail(Errc::kInvalidName,
                  "The path '{}' contains '{}', which cannot be used as a name.", path, part);
    }
    auto name = NormalizeName(part);
    if (!name) {
      return Fail(Errc::kInvalidName, "In the path, the part '{}' is not a valid name: {}",
                  VisibleName(part), name.error().message);
    }
    names.push_back(std::move(*name));
  }
  if (names.empty()) return Fail(Errc::kInvalidName, "The path is empty: give at least one name.");
  return names;
}

Result<Node> EnsureFolders(db::Transaction& tx, const Node& parent,
                           std::span<const std::string> names, std::int64_t now_ms) {
  Node current = parent;
  for (const std::string& name : names) {
    auto child = LiveChild(tx, current.id, name);
    if (!child) return std::unexpected(std::move(child.error()));
    if (*child) {
      if ((*child)->is_file()) {
        return Fail(Errc::kNameTaken, "'{}' is a file in {}, so it cannot be used as a folder.",
                    name, current.path);
      }
      std::string path = ChildPath(current.path, name);
      current = std::move(**child);
      current.path = std::move(path);
      continue;
    }
    Node folder;
    folder.owner_id = current.owner_id;
    folder.parent_id = current.id;
    folder.name = name;
    folder.type = NodeType::kFolder;
    folder.created_at = now_ms;
    folder.modified_at = now_ms;
    auto made = InsertNode(tx, std::move(folder));
    if (!made) return std::unexpected(std::move(made.error()));
    current = std::move(*made);
  }
  return current;
}

namespace {

// `name` split as NameVariant splits it: {stem, extension} ("" when not split). A compressed
// tarball keeps its two extensions together ("a (1).tar.gz", as Dropbox names it, not
// "a.tar (1).gz").
std::pair<std::string_view, std::string_view> SplitForVariant(std::string_view name,
                                                              NodeType type) {
  if (type == NodeType::kFile) {
    std::size_t dot = name.rfind('.');
    if (dot != std::string_view::npos && dot > 0) {
      constexpr std::string_view kTar = ".tar";
      std::string_view stem = name.substr(0, dot);
      if (stem.size() > kTar.size() &&
          std::ranges::equal(stem.substr(stem.size() - kTar.size()), kTar, [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == b;
          })) {
        dot -= kTar.size();
      }
      return {name.substr(0, dot), name.substr(dot)};
    }
  }
  return {name, {}};
}

}  // namespace

std::string NameVariant(std::string_view name, NodeType type, FreeNameStyle style, int i) {
  auto [stem, ext] = SplitForVariant(name, type);
  std::string suffix;
  if (style == FreeNameStyle::kNumbered) {
    suffix = fmt::format(" ({})", i);
  } else {
    suffix = i == 1 ? std::string(" (restored)") : fmt::format(" (restored {})", i);
  }
  return Variant(stem, suffix, ext);
}

Result<std::string> FreeName(db::Transaction& tx, std::string_view parent_id, std::string_view name,
                             NodeType type, FreeNameStyle style) {
  auto existing = db::NodeStore::FindLiveChild(tx, parent_id, name);
  if (!existing) return std::unexpected(std::move(existing.error()));
  if (!*existing) return std::string(name);

  auto [stem, ext] = SplitForVariant(name, type);
  auto taken_names = db::NodeStore::LiveChildNamesWithPrefix(
      tx, parent_id, CutUtf8(stem, kMaxNameBytes - std::min(kMaxNameBytes, 20 + ext.size())));
  if (!taken_names) return std::unexpected(std::move(taken_names.error()));
  std::set<std::string, std::less<>> taken(taken_names->begin(), taken_names->end());
  for (int i = 1; i <= kMaxVariants; ++i) {
    std::string candidate = NameVariant(name, type, style, i);
    if (!taken.contains(candidate)) return candidate;
  }
  return Fail(Errc::kNameTaken, "'{}' and {} numbered variants of it exist already.", name,
              kMaxVariants);
}

Result<Node> InsertNode(db::Transaction& tx, Node node) {
  if (node.id.empty()) node.id = NewNodeId();
  auto clash = db::NodeStore::FindLiveChild(tx, node.parent_id, node.name);
  if (!clash) return std::unexpected(std::move(clash.error()));
  if (*clash) return Fail(Errc::kNameTaken, "'{}' already exists in this folder.", node.name);
  node.version = 1;
  node.trash_id.clear();
  db::NodeRow row{node.id,
                  node.owner_id,
                  node.parent_id,
                  node.name,
                  SortName(node.name),
                  node.is_file() ? "file" : "folder",
                  node.is_file() ? node.size : 0,
                  node.blob_id,
                  node.sha256,
                  1,
                  "",
                  node.created_at,
                  node.modified_at};
  if (auto inserted = db::NodeStore::Insert(tx, row); !inserted) {
    if (inserted.error().code == Errc::kConflict) {
      return Fail(Errc::kNameTaken, "'{}' already exists in this folder.", node.name);
    }
    return std::unexpected(std::move(inserted.error()));
  }
  auto parent_path = db::NodeStore::PathOf(tx, node.parent_id);
  if (!parent_path) return std::unexpected(std::move(parent_path.error()));
  node.path = ChildPath(*parent_path, node.name);
  return node;
}

Result<void> SetFileContent(db::Transaction& tx, std::string_view id, std::int64_t size,
                            std::string_view blob_id, std::string_view sha256,
                            std::int64_t now_ms) {
  auto set = db::NodeStore::SetContent(tx, id, size, blob_id, sha256, now_ms);
  if (!set) return std::unexpected(std::move(set.error()));
  if (!*set) return Fail(Errc::kNotFound, "This file does not exist.");
  return {};
}

Result<std::vector<Node>> Subtree(db::Transaction& tx, std::string_view id) {
  auto rows = db::NodeStore::Subtree(tx, id);
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<Node> out;
  out.reserve(rows->size());
  std::unordered_map<std::string, std::size_t> index;  // id -> position in `out`.
  for (const db::NodeRow& r : *rows) {
    Node n = NodeFromRow(r);
    if (out.empty()) {
      auto path = db::NodeStore::PathOf(tx, n.id);
      if (!path) return std::unexpected(std::move(path.error()));
      n.path = std::move(*path);
    } else if (auto it = index.find(n.parent_id); it != index.end()) {
      n.path = ChildPath(out[it->second].path, n.name);
    }
    index.emplace(n.id, out.size());
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace nimbus::core::files
