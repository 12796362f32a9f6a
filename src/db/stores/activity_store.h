// ActivityStore: the SQL of `share_activity` (migration 0009): accesses through a share (by its
// grantee) or a public link (by an IP address), the newest kept per share and per link.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "util/result.h"

namespace nimbus::db {

struct ActivityRow {
  std::int64_t id = 0;
  std::string share_id;  // Exactly one of share_id and link_id is set.
  std::string link_id;
  std::int64_t at = 0;
  std::optional<std::int64_t> actor_id;  // Shares: the grantee.
  std::string actor_name;                // Filled by List from users.
  std::string actor_email;
  std::string ip;      // Links: the visitor's address.
  std::string action;  // "view", "list", "download", "zip", "upload", "folder", "rename",
                       // "move", "delete", "copy".
  std::string node_id;
  std::string path;  // What, as the accessor saw it.
};

class ActivityStore {
 public:
  // Inserts `row` (its id is assigned) and deletes the oldest rows of the same share or link
  // beyond `keep`.
  static Result<void> Insert(Transaction& tx, const ActivityRow& row, int keep);
  // The newest first, at most `limit`. Exactly one of share_id / link_id non-empty.
  static Result<std::vector<ActivityRow>> List(Transaction& tx, std::string_view share_id,
                                               std::string_view link_id, int limit);
};

}  // namespace nimbus::db
