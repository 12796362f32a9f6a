// Tree pieces that run inside the caller's transaction, shared by the tree, trash, upload and
// copy code of FileService (internal to core/files; implemented in tree_tx.cpp). The SQL itself
// lives in db/stores/node_store.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/files/file_types.h"
#include "db/database.h"
#include "db/stores/node_store.h"
#include "util/result.h"

namespace nimbus::core::files {

// A new random node id (URL-safe, 22+ characters).
std::string NewNodeId();
// The Node of a `nodes` row (`path` left empty).
Node NodeFromRow(const db::NodeRow& row);
// The same, moving the row's strings.
Node NodeFromRow(db::NodeRow&& row);

// The live node `id` of the owner ("root": the owner's root folder), with `path` filled.
// kNotFound for an unknown id, another owner's node, or a node in the trash.
Result<Node> LoadLive(db::Transaction& tx, std::int64_t owner_id, std::string_view id);
// The live child `name` of folder `parent_id`, or nullopt. `path` is not filled.
Result<std::optional<Node>> LiveChild(db::Transaction& tx, std::string_view parent_id,
                                      std::string_view name);

// Splits "a/b/c.txt" into normalized names (see NormalizeName in names.h). Leading, trailing and
// doubled slashes are ignored; an empty path, ".", ".." or a bad name is kInvalidName with a
// message saying which part is wrong.
Result<std::vector<std::string>> SplitRelativePath(std::string_view path);

// Walks/creates `names` as folders under `parent` (a live folder of the owner) and returns the
// last one (`parent` itself when `names` is empty). kNameTaken when a file is in the way.
Result<Node> EnsureFolders(db::Transaction& tx, const Node& parent,
                           std::span<const std::string> names, std::int64_t now_ms);

enum class FreeNameStyle {
  kNumbered,  // "name (1).ext", "name (2).ext"… (uploads with on_conflict=rename, copies)
  kRestored,  // "name (restored).ext", "name (restored 2).ext"… (restore from the trash)
};
// Variant `i` (1, 2, …) of `name` in `style`, at most kMaxNameBytes. A file keeps its extension
// ("a (1).txt", "photo (restored).jpg", so it still opens with its type); a folder's name is
// not split ("v1.2 (1)"), nor is a name whose only dot leads (".config (1)").
std::string NameVariant(std::string_view name, NodeType type, FreeNameStyle style, int i);
// `name` when no live child of `parent_id` has it, otherwise the first free NameVariant.
Result<std::string> FreeName(db::Transaction& tx, std::string_view parent_id, std::string_view name,
                             NodeType type, FreeNameStyle style);

// Inserts a live node (id generated when empty; version 1). kNameTaken when the name is taken.
// Returns it with `path` filled from the parent.
Result<Node> InsertNode(db::Transaction& tx, Node node);
// Points a live file at new content (bumps version and modified_at).
Result<void> SetFileContent(db::Transaction& tx, std::string_view id, std::int64_t size,
                            std::string_view blob_id, std::string_view sha256,
                            std::int64_t now_ms);
// Every node in the subtree of `id` (itself included), whatever their trash state, parents
// before children. For copies, zips and purges.
Result<std::vector<Node>> Subtree(db::Transaction& tx, std::string_view id);

}  // namespace nimbus::core::files
