// SessionStore: the SQL of login sessions and personal API tokens. Both are looked up by the
// SHA-256 of a secret the client holds; the secret itself is never stored. Every method runs in
// the caller's transaction.
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

// One row of `sessions`. Times are milliseconds since the Unix epoch (UTC).
struct SessionRecord {
  std::string id{};  // SHA-256 hex of the cookie value.
  std::int64_t user_id = 0;
  std::string csrf_token{};
  std::string user_agent{};
  std::string ip{};
  std::int64_t created_at = 0;
  std::int64_t last_seen_at = 0;
  std::int64_t expires_at = 0;
};

// One row of `api_tokens`.
struct ApiTokenRecord {
  std::string id{};
  std::int64_t user_id = 0;
  std::string name{};
  std::string token_hash{};
  std::int64_t created_at = 0;
  std::optional<std::int64_t> last_used_at{};
};

// Stateless: every method takes the transaction to run in. SQL errors as Transaction documents.
class SessionStore {
 public:
  static Result<void> InsertSession(Transaction& tx, const SessionRecord& s);
  static Result<std::optional<SessionRecord>> FindSession(Transaction& tx, std::string_view id);
  // The user's sessions, most recently seen first.
  static Result<std::vector<SessionRecord>> ListSessions(Transaction& tx, std::int64_t user_id);
  static Result<void> TouchSession(Transaction& tx, std::string_view id, std::int64_t now_ms);
  // Deletes one session of the user; false when the user has no such session.
  static Result<bool> DeleteSession(Transaction& tx, std::int64_t user_id, std::string_view id);
  // Deletes every session of the user except `keep` ("" keeps none); returns the deleted ids.
  static Result<std::vector<std::string>> DeleteUserSessions(Transaction& tx, std::int64_t user_id,
                                                             std::string_view keep);
  // Deletes sessions whose absolute end or idle end (last_seen_at + idle_ms) has passed.
  static Result<void> DeleteExpiredSessions(Transaction& tx, std::int64_t now_ms,
                                            std::int64_t idle_ms);

  static Result<void> InsertToken(Transaction& tx, const ApiTokenRecord& t);
  static Result<std::optional<ApiTokenRecord>> FindTokenByHash(Transaction& tx,
                                                               std::string_view token_hash);
  // The user's tokens, newest first.
  static Result<std::vector<ApiTokenRecord>> ListTokens(Transaction& tx, std::int64_t user_id);
  static Result<std::int64_t> CountTokens(Transaction& tx, std::int64_t user_id);
  // False when the user has no token `id`.
  static Result<bool> DeleteToken(Transaction& tx, std::int64_t user_id, std::string_view id);
  static Result<void> TouchToken(Transaction& tx, std::string_view id, std::int64_t now_ms);
};

}  // namespace nimbus::db
