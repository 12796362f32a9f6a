// ShareStore: the SQL of shares (table `shares` of migration 0009) and what the access rule
// (core/files/access.h) reads of them: the chain of a node's ancestors with the caller's shares
// on the way, which nodes are shared, and the clean-up when nodes are deleted for good.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "db/database.h"
#include "util/result.h"

namespace nimbus::db {

// One node on the way from an owner's root down to a node, with the share of it that a given
// user has ("" when none).
struct AccessStep {
  std::string id;
  std::string name;
  std::string share_id;
  std::string permission;  // "read" | "edit" | "" (no share).
};

// One row of `shares`. Times are milliseconds since the Unix epoch (UTC).
struct ShareRow {
  std::string id;
  std::string node_id;
  std::int64_t owner_id = 0;
  std::int64_t grantee_id = 0;
  std::string permission;  // "read" | "edit".
  std::int64_t created_at = 0;
};

// Stateless: every method takes the transaction to run in. SQL errors as Transaction documents.
class ShareStore {
 public:
  // ---- What the access rule reads ----------------------------------------------------------
  // The nodes from the top of `node_id`'s tree down to it (itself last), each with the share
  // `grantee_id` has of it. Empty for an unknown node. One recursive query.
  static Result<std::vector<AccessStep>> AccessChain(Transaction& tx, std::string_view node_id,
                                                     std::int64_t grantee_id);
  // A user's name and email; nullopt for an unknown id.
  static Result<std::optional<std::pair<std::string, std::string>>> UserNameEmail(
      Transaction& tx, std::int64_t user_id);
  // Which live children of `parent_id` (all the owner's) have a share or a link of their own.
  static Result<std::unordered_set<std::string>> SharedChildren(Transaction& tx,
                                                                std::int64_t owner_id,
                                                                std::string_view parent_id);
  // Share id by node id of the live children of `parent_id` shared with `grantee_id` to edit
  // (a folder shared to edit inside one shared to view: the child's permission is the higher).
  static Result<std::unordered_map<std::string, std::string>> EditableChildren(
      Transaction& tx, std::int64_t grantee_id, std::string_view parent_id);
  // Whether `node_id` has a share or a link of its own.
  static Result<bool> IsShared(Transaction& tx, std::string_view node_id);
  // Deletes the shares, links and their activity of every node of trash item `trash_id` (before
  // those nodes are deleted for good).
  static Result<void> DeleteForTrashItem(Transaction& tx, std::string_view trash_id);
  // Deletes the public links (and their activity) of every node of trash item `trash_id`: done
  // when it goes to the trash, so that a restore does not bring them back unnoticed.
  static Result<void> DeleteLinksForTrashItem(Transaction& tx, std::string_view trash_id);
  // Deletes every share granted to `grantee_id` and its activity (an account deleted).
  static Result<void> DeleteGrantedTo(Transaction& tx, std::int64_t grantee_id);

  // ---- Shares ------------------------------------------------------------------------------
  static Result<void> Insert(Transaction& tx, const ShareRow& row);
  static Result<std::optional<ShareRow>> Find(Transaction& tx, std::string_view id);
  static Result<std::optional<ShareRow>> FindByNodeAndGrantee(Transaction& tx,
                                                              std::string_view node_id,
                                                              std::int64_t grantee_id);
  static Result<void> SetPermission(Transaction& tx, std::string_view id,
                                    std::string_view permission);
  // Deletes the share and its activity; false when it was gone already.
  static Result<bool> Delete(Transaction& tx, std::string_view id);
  // Shares whose node is live (not in the trash), oldest first, keyset-paged by (created_at, id).
  static Result<std::vector<ShareRow>> ListByOwner(
      Transaction& tx, std::int64_t owner_id,
      const std::optional<std::pair<std::int64_t, std::string>>& after, int limit);
  static Result<std::vector<ShareRow>> ListByGrantee(
      Transaction& tx, std::int64_t grantee_id,
      const std::optional<std::pair<std::int64_t, std::string>>& after, int limit);
  // The shares of one node (the share dialog), oldest first.
  static Result<std::vector<ShareRow>> ListByNode(Transaction& tx, std::string_view node_id);
  // Emails of the people `owner_id` has shared with, most recent first, starting with `prefix`
  // (case-insensitive; "" for all): the share dialog's autocomplete.
  static Result<std::vector<std::string>> PastGranteeEmails(Transaction& tx,
                                                            std::int64_t owner_id,
                                                            std::string_view prefix, int limit);
};

}  // namespace nimbus::db
