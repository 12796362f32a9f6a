// LinkStore: the SQL of public links (table `links` of migration 0009): create, find by id or
// token, list an owner's links to live nodes, delete (with the link's activity) and count a
// download.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/database.h"
#include "util/result.h"

namespace nimbus::db {

// One row of `links`. Times are milliseconds since the Unix epoch (UTC).
struct LinkRow {
  std::string id;
  std::string token;  // The secret part of the URL.
  std::string node_id;
  std::int64_t owner_id = 0;
  std::optional<std::string> password_hash;  // nullopt: no password.
  std::optional<std::int64_t> expires_at;    // nullopt: never.
  std::int64_t download_count = 0;
  std::int64_t created_at = 0;
};

// Stateless: every method takes the transaction to run in. SQL errors as Transaction documents;
// kConflict on a unique violation (a token drawn twice).
class LinkStore {
 public:
  static Result<void> Insert(Transaction& tx, const LinkRow& row);
  static Result<std::optional<LinkRow>> Find(Transaction& tx, std::string_view id);
  static Result<std::optional<LinkRow>> FindByToken(Transaction& tx, std::string_view token);
  // `owner_id`'s links whose node is live (not in the trash), all of them or those of
  // `node_id` (when not empty), oldest first, keyset-paged by (created_at, id).
  static Result<std::vector<LinkRow>> ListByOwner(
      Transaction& tx, std::int64_t owner_id, std::string_view node_id,
      const std::optional<std::pair<std::int64_t, std::string>>& after, int limit);
  // Deletes the link and its activity; false when it was gone already.
  static Result<bool> Delete(Transaction& tx, std::string_view id);
  // Whether a link not expired at `now_ms` is on node `node_id` or a folder above it.
  static Result<bool> ShowsNode(Transaction& tx, std::string_view node_id, std::int64_t now_ms);
  // download_count + 1 (nothing when the link is gone).
  static Result<void> CountDownload(Transaction& tx, std::string_view id);
};

}  // namespace nimbus::db
