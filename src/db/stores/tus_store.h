// TusStore: the SQL of resumable (tus) uploads, table tus_uploads of migration 0007: one row per
// upload with its target (parent, path, conflict rule), declared length and durable offset.
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

// One row of `tus_uploads`. Times are milliseconds since the Unix epoch (UTC).
struct TusUploadRecord {
  std::string id{};
  std::int64_t owner_id = 0;
  std::string parent_id{};
  std::string path{};
  std::string on_conflict{};  // "fail" | "replace" | "rename".
  std::int64_t length = 0;
  std::int64_t upload_offset = 0;
  std::string metadata{};
  std::string state{};  // "receiving" | "assembling" | "done" | "failed".
  std::string node_id{};
  std::string error{};
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  // The file's own modified time (Upload-Metadata modified_at), ms; nullopt: the upload's time.
  std::optional<std::int64_t> modified_at{};
};

// Stateless: every method takes the transaction to run in. SQL errors as Transaction documents.
class TusStore {
 public:
  static Result<void> Insert(Transaction& tx, const TusUploadRecord& r);
  static Result<std::optional<TusUploadRecord>> Find(Transaction& tx, std::string_view id);
  // Records a new durable offset and state ("receiving" or "assembling"); false when the row is
  // gone (terminated or expired meanwhile).
  static Result<bool> SetOffset(Transaction& tx, std::string_view id, std::int64_t offset,
                                std::string_view state, std::int64_t now_ms);
  // Marks the upload done (with its node) or failed (with a message for a person).
  static Result<void> SetDone(Transaction& tx, std::string_view id, std::string_view node_id,
                              std::int64_t now_ms);
  static Result<void> SetFailed(Transaction& tx, std::string_view id, std::string_view error,
                                std::int64_t now_ms);
  // An upload with every byte whose name was taken by another file meanwhile (on_conflict fail):
  // kept, assembling, with `error` saying so, until the client decides (SetOnConflict) or it
  // expires. SetOnConflict records the client's rule and clears the error.
  static Result<void> SetWaiting(Transaction& tx, std::string_view id, std::string_view error,
                                 std::int64_t now_ms);
  static Result<void> SetOnConflict(Transaction& tx, std::string_view id,
                                    std::string_view on_conflict, std::int64_t now_ms);
  // Deletes the quota reservation of upload `id` (kind 'tus', same id); gone already is fine.
  static Result<void> DeleteReservation(Transaction& tx, std::string_view id);
  // Deletes the row; false when it was gone already.
  static Result<bool> Delete(Transaction& tx, std::string_view id);
  // Uploads to assemble at start-up: state assembling (not waiting for a decision), or receiving
  // with every byte durable.
  static Result<std::vector<TusUploadRecord>> ListPendingAssembly(Transaction& tx);
  // Every upload of `owner_id`, whatever its state (an account being deleted).
  static Result<std::vector<TusUploadRecord>> ListByOwner(Transaction& tx, std::int64_t owner_id);
  // The unfinished uploads (receiving or assembling) that `user_id` sent, or that someone sent
  // into `user_id`'s space (a folder of theirs shared with edit): both hold `user_id`'s quota.
  static Result<std::vector<TusUploadRecord>> ListUnfinishedFor(Transaction& tx,
                                                                std::int64_t user_id);
  // Whose space upload `id`'s reservation holds (nullopt: none left).
  static Result<std::optional<std::int64_t>> SpaceOwnerOf(Transaction& tx, std::string_view id);
  // Uploads not being assembled (receiving, done, failed, or waiting for a decision) whose last
  // change is older than `before_ms`, oldest first.
  static Result<std::vector<TusUploadRecord>> ListIdleSince(Transaction& tx,
                                                            std::int64_t before_ms);
  // Whether a row with this id exists (the cleanup's check of staging files).
  static Result<bool> Exists(Transaction& tx, std::string_view id);
};

}  // namespace nimbus::db
