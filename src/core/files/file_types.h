// The file tree as the product sees it: nodes (files and folders), trash items, children pages,
// usage. Plain values; the JSON shapes of api.md are made from them in api/.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nimbus::core::files {

enum class NodeType { kFile, kFolder };

// What a caller may do with a node: its owner everything; a share's grantee what the share
// gives (read: list and download; edit: also upload, new folder, rename, move, delete); a
// public link reads. Ordered: a higher one includes the lower ones.
enum class Permission { kRead = 1, kEdit = 2, kOwner = 3 };
std::string_view PermissionName(Permission p);  // "read", "edit", "owner"

// Who owns a node, for callers that are not its owner (shown as api.md's node.owner).
struct NodeOwner {
  std::int64_t id = 0;
  std::string name;
  std::string email;
};

struct Node {
  std::string id;
  std::int64_t owner_id = 0;
  std::string parent_id;  // "" for a root folder.
  std::string name;       // "" for a root folder.
  NodeType type = NodeType::kFolder;
  std::int64_t size = 0;  // File bytes; 0 for folders.
  std::string blob_id;    // Files only.
  std::string sha256;     // Files only: 64 lowercase hex.
  std::int64_t version = 1;
  std::int64_t created_at = 0;   // ms since the epoch (UTC).
  std::int64_t modified_at = 0;  // ms since the epoch (UTC).
  std::string trash_id;          // "" when live.
  // "/a/b/name" for the owner ("/" for the root). For a share's grantee (or a link) the path
  // inside what was shared: "/<shared folder>/b/name".
  std::string path;
  // The caller's permission on it (see Authorize in access.h).
  Permission permission = Permission::kOwner;
  // Owner callers: the node has a share or a public link of its own.
  bool shared = false;
  // Grantees, FileService::Get only: a live public link of the owner shows this node (it is on
  // the node or a folder above), so what they add there is public too (QA pass 18).
  bool public_link = false;
  // Set when the caller is not the owner; nullptr otherwise (the caller is the owner).
  std::shared_ptr<const NodeOwner> owner;
  // A grantee's access: the share that gives it and the node that share is on ("" for owners;
  // for a link visitor share_id is "" and share_node_id the link's node).
  std::string share_id;
  std::string share_node_id;

  bool is_file() const { return type == NodeType::kFile; }
  bool is_folder() const { return type == NodeType::kFolder; }
  bool is_root() const { return parent_id.empty(); }
  // Strong validator: "<sha256 or id>-<version>" in quotes, as sent in ETag.
  std::string etag() const;
  // Whether an If-Match value ("*", or a list of entity tags) matches this node: strong
  // comparison (RFC 9110 §13.1.1), so a weak tag never matches.
  bool MatchesIfMatch(std::string_view header) const;
};

enum class SortKey { kName, kModified, kSize };

struct ListOptions {
  SortKey sort = SortKey::kName;
  bool descending = false;
  int limit = 200;     // Already clamped to 1..list_max_limit by the caller.
  std::string cursor;  // "" for the first page; next_cursor of the previous page otherwise.
};

struct ChildPage {
  std::vector<Node> items;  // Folders first, then files; each group in the requested order.
  std::optional<std::string> next_cursor;
};

struct TrashItem {
  std::string id;
  std::string node_id;  // The deleted node (top of the item).
  std::string name;
  NodeType type = NodeType::kFile;
  std::int64_t size = 0;  // Bytes of every file in the item.
  std::string original_parent_id;
  std::string original_path;  // "/a/b/name".
  // The folder a restore puts it in now (listings): its original folder where that is today
  // (moved or renamed meanwhile), or the folder of original_path when that one is gone.
  std::string restores_to{};
  std::int64_t deleted_at = 0;
  std::int64_t expires_at = 0;  // deleted_at + retention.
  // Who deleted it when not its owner (a colleague with edit on a shared folder); "" otherwise.
  std::string deleted_by_name{};
  std::string deleted_by_email{};
};

struct TrashPage {
  std::vector<TrashItem> items;  // Newest first.
  std::optional<std::string> next_cursor;
};

struct Restored {
  Node node;
  std::string restored_path;  // Where it went ("/a/b/name (restored)").
};

enum class OnConflict { kFail, kReplace, kRename };

struct UploadResult {
  Node node;
  bool replaced = false;  // An existing file's content was replaced (200 instead of 201).
};

struct FolderUsage {
  std::string id;
  std::string name;
  std::int64_t bytes = 0;  // Live file bytes under it.
};

// What a search by name found: up to the limit asked, and whether there were more.
struct SearchResult {
  // Live nodes with `path`: the owner's, then those shared with the owner; each group folders
  // first, then by name.
  std::vector<Node> items;
  bool truncated = false;
};

// The space uploads into a folder count against: its owner's (GET /nodes/{id}/space).
struct FolderSpace {
  std::int64_t quota_bytes = 0;
  std::int64_t free_bytes = 0;  // quota - used (live and trash) - reserved, never below 0.
  // The folder's owner; nullptr when it is the caller.
  std::shared_ptr<const NodeOwner> owner;
};

struct Usage {
  std::int64_t quota_bytes = 0;
  std::int64_t used_bytes = 0;         // Live files.
  std::int64_t trash_bytes = 0;        // Files in the trash (still counted against the quota).
  std::int64_t reserved_bytes = 0;     // Uploads in flight.
  std::int64_t root_files_bytes = 0;   // Live files directly in the root folder.
  std::vector<FolderUsage> by_folder;  // Top-level folders, largest first.
  std::vector<Node> largest_files;     // Up to 10 live files, largest first.
};

}  // namespace nimbus::core::files
