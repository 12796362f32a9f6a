// ShareService: the "Sharing" part of api.md for user shares. The owner shares a node (a file,
// or a folder and everything under it, including what is added later) with another user by
// email, read or edit; the grantee is emailed a link and works on it through the ordinary node
// endpoints (FileService, whose Authorize reads the shares on every call: a revoked share ends
// access at once). The owner changes the permission or revokes; the grantee leaves. Owners see
// the activity on each share (ActivityLog).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/files/file_service.h"
#include "core/files/file_types.h"
#include "db/database.h"
#include "util/clock.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::core::files {

namespace net = boost::asio;

struct Share {
  std::string id;
  Node node;          // As the asking user sees it (the owner: its path; the grantee: "/name").
  NodeOwner owner;    // Who shares.
  NodeOwner grantee;  // With whom.
  Permission permission = Permission::kRead;  // kRead or kEdit.
  std::int64_t created_at = 0;                // ms since the epoch (UTC).
};

struct SharePage {
  std::vector<Share> items;  // Oldest first.
  std::optional<std::string> next_cursor;
};

// One access through a share or a link, newest first (GET /shares/{id}/activity, /links/…).
struct ActivityEntry {
  std::int64_t at = 0;             // ms since the epoch (UTC).
  std::optional<NodeOwner> actor;  // Shares: the grantee who did it.
  std::string ip;                  // Links: the visitor's address.
  std::string action;              // "view", "list", "download", "zip", "upload", …
  std::string node_id;
  std::string path;  // What, as the accessor saw it.
};

struct ShareDeps {
  db::Database& db;
  WorkerPool& workers;
  const Clock& clock;
  FileService& files;
  // The web app's address for the link in the email; read when a mail is composed (it may be
  // set after construction).
  const std::string& public_url;
};

// Thread-safe. Deps must outlive it.
class ShareService {
 public:
  explicit ShareService(ShareDeps deps) : deps_(deps) {}

  // Shares `node_id` (of `owner_id`; "root" cannot be shared) with the user whose email is
  // `email` (any case), and queues the "share received" mail to them with a link to the item.
  // kUserNotFound (no account with that email), kCannotShareWithSelf, kRecipientUnconfirmed
  // (the account has not confirmed its email address), kAlreadyShared (change it
  // with Update), kNotFound (not the caller's node, or in the trash), kForbidden (a grantee
  // resharing), kInvalidArgument (the root, or permission kOwner).
  net::awaitable<Result<Share>> Create(std::int64_t owner_id, std::string node_id,
                                       std::string email, Permission permission);
  // The caller's shares of live nodes: outgoing (what they share) or incoming ("Shared with
  // me"). Paged by (created_at, id) with an opaque cursor; kInvalidArgument for a bad cursor.
  net::awaitable<Result<SharePage>> List(std::int64_t user_id, bool incoming, int limit,
                                         std::string cursor);
  // The shares of one node (the share dialog); owner only (kForbidden for a grantee of it,
  // kNotFound for anyone else).
  net::awaitable<Result<std::vector<Share>>> ListForNode(std::int64_t owner_id,
                                                         std::string node_id);
  // The owner changes the permission (kRead or kEdit; kInvalidArgument otherwise). kForbidden
  // for the grantee (who cannot raise their own permission), kNotFound for anyone else and for a
  // share whose node is in the trash.
  net::awaitable<Result<Share>> Update(std::int64_t owner_id, std::string share_id,
                                       Permission permission);
  // The owner revokes, or the grantee leaves; returns the grantee. kNotFound for anyone else.
  net::awaitable<Result<std::int64_t>> Delete(std::int64_t user_id, std::string share_id);
  // The newest accesses through the share (at most `limit`); owner only (kForbidden for the
  // grantee, kNotFound for anyone else). Recording is asynchronous (ActivityLog): an access
  // shows up a moment after its request was answered.
  net::awaitable<Result<std::vector<ActivityEntry>>> Activity(std::int64_t owner_id,
                                                              std::string share_id, int limit);
  // Emails of the people the caller has shared with before that start with `prefix` (any
  // case), most recent first: the share dialog's autocomplete.
  net::awaitable<Result<std::vector<std::string>>> Contacts(std::int64_t user_id,
                                                            std::string prefix, int limit);

 private:
  ShareDeps deps_;
};

}  // namespace nimbus::core::files
