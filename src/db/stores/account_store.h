// AccountStore: the SQL of users, emailed one-time tokens (verify / reset) and auth events (the
// rows that login and mail rate limits count). Every method runs inside the caller's transaction
// so the core can make a user, their token and their mail one atomic change.
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

// One row of `users`. Times are milliseconds since the Unix epoch (UTC).
struct UserRecord {
  std::int64_t id = 0;
  std::string email{};  // Normalized (trimmed, lower-case).
  std::string name{};
  std::string password_hash{};
  bool is_admin = false;
  bool disabled = false;
  std::optional<std::int64_t> email_verified_at{};
  std::string root_id{};
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  // When its deletion began (0024_account_closing); nullopt: not being deleted.
  std::optional<std::int64_t> closing_at{};
};

// One row of `email_tokens`.
struct EmailTokenRecord {
  std::string token_hash{};
  std::int64_t user_id = 0;
  std::string purpose{};  // "verify" | "reset"
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  std::optional<std::int64_t> used_at{};
};

// A pending change of a user's email address (email_changes).
struct EmailChangeRecord {
  std::string token_hash{};
  std::int64_t user_id = 0;
  std::string new_email{};
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  std::optional<std::int64_t> used_at{};
};

// How many events a key has since a time, and when the oldest of them happened.
struct EventCount {
  std::int64_t count = 0;
  std::optional<std::int64_t> oldest_at{};
};

// Stateless: every method takes the transaction to run in. SQL errors as Transaction documents;
// kConflict on a unique violation (email or root id taken).
class AccountStore {
 public:
  // Also creates the user's root folder node (id = root_id).
  static Result<void> InsertUser(Transaction& tx, const UserRecord& user);
  static Result<std::optional<UserRecord>> FindUser(Transaction& tx, std::int64_t id);
  // Bytes of the user's files in the trash (0007_files), counted in allocations.used_bytes too.
  static Result<std::int64_t> TrashBytes(Transaction& tx, std::int64_t user_id);
  // Bytes held by the user's quota reservations recorded here (resumable uploads not finished,
  // large uploads and copies in progress).
  static Result<std::int64_t> ReservedBytes(Transaction& tx, std::int64_t user_id);
  static Result<std::optional<UserRecord>> FindUserByEmail(Transaction& tx, std::string_view email);
  // Every user, ordered by creation.
  static Result<std::vector<UserRecord>> ListUsers(Transaction& tx);
  static Result<std::int64_t> CountUsers(Transaction& tx);
  // The accounts whose deletion began and did not finish (a process killed), oldest first.
  static Result<std::vector<std::int64_t>> ListClosing(Transaction& tx);
  // Records that the deletion of account `id` began (kept if it was already).
  static Result<void> SetClosing(Transaction& tx, std::int64_t id, std::int64_t now_ms);
  // Admins that are not disabled.
  static Result<std::int64_t> CountActiveAdmins(Transaction& tx);
  // Updates return kNotFound when no user has `id`.
  static Result<void> SetName(Transaction& tx, std::int64_t id, std::string_view name,
                              std::int64_t now_ms);
  static Result<void> SetPasswordHash(Transaction& tx, std::int64_t id, std::string_view hash,
                                      std::int64_t now_ms);
  static Result<void> SetEmailVerified(Transaction& tx, std::int64_t id, std::int64_t now_ms);
  static Result<void> SetFlags(Transaction& tx, std::int64_t id, bool disabled, bool is_admin,
                               std::int64_t now_ms);
  // Deletes the user row (its sessions, tokens and email links go with it), its billing account,
  // usage warnings, quota reservations and resumable-upload rows. Invoices stay, as records.
  // kNotFound when no user has `id`.
  static Result<void> DeleteUser(Transaction& tx, std::int64_t id);

  static Result<void> InsertEmailToken(Transaction& tx, const EmailTokenRecord& token);
  static Result<std::optional<EmailTokenRecord>> FindEmailToken(Transaction& tx,
                                                                std::string_view token_hash);
  // Marks the token used if it still is unused (one conditional UPDATE, so two concurrent uses
  // cannot both win). False when it was already used or does not exist.
  static Result<bool> UseEmailToken(Transaction& tx, std::string_view token_hash,
                                    std::int64_t now_ms);
  // Marks every unused token of the user with `purpose` used (a reset invalidates older links).
  static Result<void> RetireEmailTokens(Transaction& tx, std::int64_t user_id,
                                        std::string_view purpose, std::int64_t now_ms);

  // Email changes: a newer request retires the user's unused ones (InsertEmailChange does).
  static Result<void> InsertEmailChange(Transaction& tx, const EmailChangeRecord& change);
  static Result<std::optional<EmailChangeRecord>> FindEmailChange(Transaction& tx,
                                                                  std::string_view token_hash);
  static Result<void> UseEmailChange(Transaction& tx, std::string_view token_hash,
                                     std::int64_t now_ms);
  // The user's newest unused change whose link has not expired at `now_ms`.
  static Result<std::optional<EmailChangeRecord>> PendingEmailChange(Transaction& tx,
                                                                     std::int64_t user_id,
                                                                     std::int64_t now_ms);
  // Retires the user's unused changes (their links stop working).
  static Result<void> CancelEmailChanges(Transaction& tx, std::int64_t user_id,
                                         std::int64_t now_ms);
  // Sets the address (verified now: the link proves it).
  static Result<void> SetEmail(Transaction& tx, std::int64_t id, std::string_view email,
                               std::int64_t now_ms);

  static Result<void> AddEvent(Transaction& tx, std::string_view kind, std::string_view key,
                               std::int64_t at_ms);
  static Result<EventCount> CountEvents(Transaction& tx, std::string_view kind,
                                        std::string_view key, std::int64_t since_ms);
  static Result<void> ClearEvents(Transaction& tx, std::string_view kind, std::string_view key);
  // Deletes events older than `before_ms` (housekeeping; they no longer count anyway).
  static Result<void> PruneEvents(Transaction& tx, std::int64_t before_ms);
};

}  // namespace nimbus::db
