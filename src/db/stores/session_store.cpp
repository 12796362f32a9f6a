// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/stores/session_store.h"

#include <fmt/core.h>

namespace nimbus::db {
namespace {

constexpr std::string_view kSessionColumns =
    "id, user_id, csrf_token, user_agent, ip, created_at, last_seen_at, expires_at";
constexpr std::string_view kTokenColumns =
    "id, user_id, name, token_hash, created_at, last_used_at";

SessionRecord ToSession(const Row& r) {
  return SessionRecord{r.Text(0), r.Int(1), r.Text(2), r.Text(3),
                       r.Text(4), r.Int(5), r.Int(6),  r.Int(7)};
}

ApiTokenRecord ToToken(const Row& r) {
  return ApiTokenRecord{r.Text(0), r.Int(1), r.Text(2), r.Text(3), r.Int(4), r.OptInt(5)};
}

}  // namespace

Result<void> SessionStore::InsertSession(Transaction& tx, const SessionRecord& s) {
  return tx.Exec(
      fmt::format("INSERT INTO sessions ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", kSessionColumns),
      {s.id, s.user_id, s.csrf_token, s.user_agent, s.ip, s.created_at, s.last_seen_at,
       s.expires_at});
}

Result<std::optional<SessionRecord>> SessionStore::FindSession(Transaction& tx,
                                                               std::string_view id) {
  auto row =
      tx.QueryOne(fmt::format("SELECT {} FROM sessions WHERE id = ?", kSessionColumns), {id});
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<SessionRecord>();
  return std::optional<SessionRecord>(ToSession(**row));
}

Result<std::vector<SessionRecord>> SessionStore::ListSessions(Transaction& tx,
                                                              std::int64_t user_id) {
  auto rows = tx.Query(
      fmt::format("SELECT {} FROM sessions WHERE user_id = ? ORDER BY last_seen_at DESC, id",
                  kSessionColumns),
      {user_id});
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<SessionRecord> out;
  for (const Row& r : *rows) out.push_back(ToSession(r));
  return out;
}

Result<void> SessionStore::TouchSession(Transaction& tx, std::string_view id, std::int64_t now_ms) {
  return tx.Exec("UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?",
                 {now_ms, id, now_ms});
}

Result<bool> SessionStore::DeleteSession(Transaction& tx, std::int64_t user_id,
                                         std::string_view id) {
  auto n = tx.ExecCount("DELETE FROM sessions WHERE id = ? AND user_id = ?", {id, user_id});
  if (!n) return std::unexpected(std::move(n.error()));
  return *n > 0;
}

Result<std::vector<std::string>> SessionStore::DeleteUserSessions(Transaction& tx,
                                                                  std::int64_t user_id,
                                                                  std::string_view keep) {
  auto rows = tx.Query("SELECT id FROM sessions WHERE user_id = ? AND id <> ?", {user_id, keep});
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<std::string> ids;
  for (const Row& r : *rows) ids.push_back(r.Text(0));
  auto done = tx.Exec("DELETE FROM sessions WHERE user_id = ? AND id <> ?", {user_id, keep});
  if (!done) return std::unexpected(std::move(done.error()));
  return ids;
}

Result<void> SessionStore::DeleteExpiredSessions(Transaction& tx, std::int64_t now_ms,
                                                 std::int64_t idle_ms) {
  return tx.Exec("DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at + ? <= ?",
                 {now_ms, idle_ms, now_ms});
}

Result<void> SessionStore::InsertToken(Transaction& tx, const ApiTokenRecord& t) {
  return tx.Exec(
      fmt::format("INSERT INTO api_tokens ({}) VALUES (?, ?, ?, ?, ?, ?)", kTokenColumns),
      {t.id, t.user_id, t.name, t.token_hash, t.created_at, t.last_used_at});
}

Result<std::optional<ApiTokenRecord>> SessionStore::FindTokenByHash(Transaction& tx,
                                                                    std::string_view token_hash) {
  auto row = tx.QueryOne(
      fmt::format("SELECT {} FROM api_tokens WHERE token_hash = ?", kTokenColumns), {token_hash});
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<ApiTokenRecord>();
  return std::optional<ApiTokenRecord>(ToToken(**row));
}

Result<std::vector<ApiTokenRecord>> SessionStore::ListTokens(Transaction& tx,
                                                             std::int64_t user_id) {
  auto rows = tx.Query(
      fmt::format("SELECT {} FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC, id",
                  kTokenColumns),
      {user_id});
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<ApiTokenRecord> out;
  for (const Row& r : *rows) out.push_back(ToToken(r));
  return out;
}

Result<std::int64_t> SessionStore::CountTokens(Transaction& tx, std::int64_t user_id) {
  auto row = tx.QueryOne("SELECT COUNT(*) FROM api_tokens WHERE user_id = ?", {user_id});
  if (!row) return std::unexpected(std::move(row.error()));
  return *row ? (**row).Int(0) : 0;
}

Result<bool> SessionStore::DeleteToken(Transaction& tx, std::int64_t user_id, std::string_view id) {
  auto n = tx.ExecCount("DELETE FROM api_tokens WHERE id = ? AND user_id = ?", {id, user_id});
  if (!n) return std::unexpected(std::move(n.error()));
  return *n > 0;
}

Result<void> SessionStore::TouchToken(Transaction& tx, std::string_view id, std::int64_t now_ms) {
  return tx.Exec("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", {now_ms, id});
}

}  // namespace nimbus::db
