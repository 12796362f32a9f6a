// Who may see and change a node: the one access rule of Nimbus's files. Every FileService method
// resolves the ids it is given with Authorize (so every API route, tus and later WebDAV obey the
// same rule), and nothing else decides:
// - the owner may do everything with their live nodes;
// - a user with a share of a node, or of a folder above it, may do what the share gives (read:
//   list and download; edit: also upload, new folder, rename, move, delete); with several shares
//   on the way up, the highest permission counts;
// - a public link reads its node and everything under it;
// - anything else, and anything in the trash, does not exist for the caller (kNotFound: never
//   reveal that someone else's node exists); a visible node without the permission needed is
//   kForbidden with a sentence that says what the caller may do.
// Shares are read from the database on every call: a revoked share ends access at once.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/files/file_types.h"
#include "db/database.h"
#include "util/result.h"

namespace nimbus::core::files {

// Who is asking: a signed-in user, or a visitor of a public link. A user id converts to a Caller,
// so code that acts for a user passes the id.
struct Caller {
  std::int64_t user_id = 0;  // 0 for a link visitor.
  std::string link_id;       // A link visitor: the link ...
  std::string link_node_id;  // ... and the node it points to (the top of what it shows).
  std::string ip;            // The client address, recorded in a link's activity.

  Caller() = default;
  Caller(std::int64_t user) : user_id(user) {}  // NOLINT(google-explicit-constructor)
  static Caller ForLink(std::string link_id, std::string node_id, std::string ip);
  bool is_link() const { return !link_id.empty(); }
};

// The live node `id` as `caller` sees it, when the caller's permission on it is at least `need`.
// "root" is the caller's root folder (a link's node for a link visitor). The node comes with
// permission, path (inside the share for a grantee), owner (when the caller is not the owner),
// share_id and share_node_id filled. kNotFound or kForbidden as above.
Result<Node> Authorize(db::Transaction& tx, const Caller& caller, std::string_view id,
                       Permission need);

// The node as `caller` sees it after a change made on the owner's behalf: `node` itself when the
// caller owns it, otherwise Authorize(…, kRead) of its id.
Result<Node> AsSeenBy(db::Transaction& tx, const Caller& caller, Node node);

// Renaming, moving or deleting `node` changes its folder: a grantee needs edit access to that
// folder, not only to the node. kForbidden when the node is the top of what was shared (its
// folder is not shared: only the owner can; the grantee can leave instead), or when its folder
// is shared with the caller to view only (a folder shared to edit inside one shared to view).
// `what`: "delete", "rename or move".
Result<void> RequireEditableParent(db::Transaction& tx, const Caller& caller, const Node& node,
                                   std::string_view what);

// Fills `shared` of the owner's nodes (a share or a link of their own). Nodes of other owners
// are left alone. One query per call.
Result<void> MarkShared(db::Transaction& tx, std::span<Node> nodes);

}  // namespace nimbus::core::files
