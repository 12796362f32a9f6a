// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/stores/account_store.h"

#include <fmt/core.h>

#include "db/stores/row_mapping.h"

namespace nimbus::db {
namespace {

constexpr std::string_view kUserColumns =
    "id, email, name, password_hash, is_admin, disabled, email_verified_at, root_id, created_at, "
    "updated_at, closing_at";

UserRecord ToUser(const Row& r) {
  return UserRecord{r.Int(0),    r.Text(1), r.Text(2), r.Text(3), r.Int(4) != 0, r.Int(5) != 0,
                    r.OptInt(6), r.Text(7), r.Int(8),  r.Int(9),  r.OptInt(10)};
}

Result<std::optional<UserRecord>> OneUser(Transaction& tx, std::string_view where, Value key) {
  auto row = tx.QueryOne(fmt::format("SELECT {} FROM users WHERE {}", kUserColumns, where), {key});
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<UserRecord>();
  return std::optional<UserRecord>(ToUser(**row));
}

Result<std::int64_t> CountOf(Transaction& tx, std::string_view sql) {
  auto row = tx.QueryOne(sql);
  if (!row) return std::unexpected(std::move(row.error()));
  return *row ? (**row).Int(0) : 0;
}

// An UPDATE of one user by id; kNotFound when no row changed.
Result<void> UpdateUser(Transaction& tx, std::int64_t id, std::string_view set,
                        std::initializer_list<Value> params) {
  std::vector<Value> all(params);
  all.emplace_back(id);
  auto n = tx.ExecCount(fmt::format("UPDATE users SET {} WHERE id = ?", set), all);
  if (!n) return std::unexpected(std::move(n.error()));
  if (*n == 0) return Fail(Errc::kNotFound, "no user {}", id);
  return {};
}

// The first email_changes row WHERE `where` (with its params), or nullopt.
Result<std::optional<EmailChangeRecord>> OneEmailChange(Transaction& tx, std::string_view where,
                                                        std::initializer_list<Value> params) {
  return MapOne(tx.QueryOne(fmt::format("SELECT token_hash, user_id, new_email, created_at, "
                                        "expires_at, used_at FROM email_changes WHERE {}",
                                        where),
                            params),
                [](Row& r) {
                  return EmailChangeRecord{r.Text(0), r.Int(1), r.Text(2),
                                           r.Int(3),  r.Int(4), r.OptInt(5)};
                });
}

}  // namespace

Result<void> AccountStore::InsertUser(Transaction& tx, const UserRecord& u) {
  auto r = tx.Exec(
      fmt::format("INSERT INTO users ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", kUserColumns),
      {u.id, u.email, u.name, u.password_hash, u.is_admin, u.disabled, u.email_verified_at,
       u.root_id, u.created_at, u.updated_at, u.closing_at});
  if (!r) return r;
  // The user's root folder (0007_files) comes with the account.
  return tx.Exec(
      "INSERT INTO nodes (id, owner_id, parent_id, name, sort_name, type, created_at, modified_at) "
      "VALUES (?, ?, NULL, '', '', 'folder', ?, ?)",
      {u.root_id, u.id, u.created_at, u.created_at});
}

Result<std::int64_t> AccountStore::TrashBytes(Transaction& tx, std::int64_t user_id) {
  auto row =
      tx.QueryOne("SELECT COALESCE(SUM(size), 0) FROM trash_items WHERE owner_id = ?", {user_id});
  if (!row) return std::unexpected(row.error());
  return *row ? (**row)[0].AsInt() : 0;
}

Result<std::int64_t> AccountStore::ReservedBytes(Transaction& tx, std::int64_t user_id) {
  auto row =
      tx.QueryOne("SELECT COALESCE(SUM(bytes), 0) FROM reservations WHERE owner_id = ?", {user_id});
  if (!row) return std::unexpected(row.error());
  return *row ? (**row)[0].AsInt() : 0;
}

Result<std::optional<UserRecord>> AccountStore::FindUser(Transaction& tx, std::int64_t id) {
  return OneUser(tx, "id = ?", id);
}

Result<std::optional<UserRecord>> AccountStore::FindUserByEmail(Transaction& tx,
                                                                std::string_view email) {
  return OneUser(tx, "email = ?", email);
}

Result<std::vector<UserRecord>> AccountStore::ListUsers(Transaction& tx) {
  auto rows = tx.Query(fmt::format("SELECT {} FROM users ORDER BY created_at, id", kUserColumns));
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<UserRecord> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back(ToUser(r));
  return out;
}

Result<std::vector<std::int64_t>> AccountStore::ListClosing(Transaction& tx) {
  auto rows = tx.Query("SELECT id FROM users WHERE closing_at IS NOT NULL ORDER BY closing_at, id");
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<std::int64_t> out;
  for (const Row& r : *rows) out.push_back(r.Int(0));
  return out;
}

Result<void> AccountStore::SetClosing(Transaction& tx, std::int64_t id, std::int64_t now_ms) {
  return UpdateUser(tx, id, "closing_at = COALESCE(closing_at, ?), updated_at = ?",
                    {now_ms, now_ms});
}

Result<std::int64_t> AccountStore::CountUsers(Transaction& tx) {
  return CountOf(tx, "SELECT COUNT(*) FROM users");
}

Result<std::int64_t> AccountStore::CountActiveAdmins(Transaction& tx) {
  return CountOf(tx, "SELECT COUNT(*) FROM users WHERE is_admin = 1 AND disabled = 0");
}

Result<void> AccountStore::SetName(Transaction& tx, std::int64_t id, std::string_view name,
                                   std::int64_t now_ms) {
  return UpdateUser(tx, id, "name = ?, updated_at = ?", {name, now_ms});
}

Result<void> AccountStore::SetPasswordHash(Transaction& tx, std::int64_t id, std::string_view hash,
                                           std::int64_t now_ms) {
  return UpdateUser(tx, id, "password_hash = ?, updated_at = ?", {hash, now_ms});
}

Result<void> AccountStore::SetEmailVerified(Transaction& tx, std::int64_t id, std::int64_t now_ms) {
  return UpdateUser(tx, id, "email_verified_at = COALESCE(email_verified_at, ?), updated_at = ?",
                    {now_ms, now_ms});
}

Result<void> AccountStore::DeleteUser(Transaction& tx, std::int64_t id) {
  for (std::string_view sql : {"DELETE FROM billing_accounts WHERE user_id = ?",
                               "DELETE FROM usage_warnings WHERE user_id = ?",
                               "DELETE FROM reservations WHERE owner_id = ?",
                               "DELETE FROM tus_uploads WHERE owner_id = ?"}) {
    if (auto r = tx.Exec(sql, {id}); !r) return r;
  }
  auto n = tx.ExecCount("DELETE FROM users WHERE id = ?", {id});
  if (!n) return std::unexpected(std::move(n.error()));
  if (*n == 0) return Fail(Errc::kNotFound, "no user with id {}", id);
  return {};
}

Result<void> AccountStore::SetFlags(Transaction& tx, std::int64_t id, bool disabled, bool is_admin,
                                    std::int64_t now_ms) {
  return UpdateUser(tx, id, "disabled = ?, is_admin = ?, updated_at = ?",
                    {disabled, is_admin, now_ms});
}

Result<void> AccountStore::InsertEmailToken(Transaction& tx, const EmailTokenRecord& t) {
  return tx.Exec(
      "INSERT INTO email_tokens (token_hash, user_id, purpose, created_at, expires_at, used_at) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {t.token_hash, t.user_id, t.purpose, t.created_at, t.expires_at, t.used_at});
}

Result<std::optional<EmailTokenRecord>> AccountStore::FindEmailToken(Transaction& tx,
                                                                     std::string_view token_hash) {
  auto row = tx.QueryOne(
      "SELECT token_hash, user_id, purpose, created_at, expires_at, used_at FROM email_tokens "
      "WHERE token_hash = ?",
      {token_hash});
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<EmailTokenRecord>();
  const Row& r = **row;
  return std::optional<EmailTokenRecord>(
      EmailTokenRecord{r.Text(0), r.Int(1), r.Text(2), r.Int(3), r.Int(4), r.OptInt(5)});
}

Result<bool> AccountStore::UseEmailToken(Transaction& tx, std::string_view token_hash,
                                         std::int64_t now_ms) {
  auto n =
      tx.ExecCount("UPDATE email_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
                   {now_ms, token_hash});
  if (!n) return std::unexpected(std::move(n.error()));
  return *n == 1;
}

Result<void> AccountStore::RetireEmailTokens(Transaction& tx, std::int64_t user_id,
                                             std::string_view purpose, std::int64_t now_ms) {
  return tx.Exec(
      "UPDATE email_tokens SET used_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS NULL",
      {now_ms, user_id, purpose});
}

Result<void> AccountStore::CancelEmailChanges(Transaction& tx, std::int64_t user_id,
                                              std::int64_t now_ms) {
  return tx.Exec("UPDATE email_changes SET used_at = ? WHERE user_id = ? AND used_at IS NULL",
                 {now_ms, user_id});
}

Result<std::optional<EmailChangeRecord>> AccountStore::PendingEmailChange(Transaction& tx,
                                                                          std::int64_t user_id,
                                                                          std::int64_t now_ms) {
  return OneEmailChange(tx,
                        "user_id = ? AND used_at IS NULL AND expires_at > ? ORDER BY created_at "
                        "DESC LIMIT 1",
                        {user_id, now_ms});
}

Result<void> AccountStore::InsertEmailChange(Transaction& tx, const EmailChangeRecord& c) {
  if (auto r = CancelEmailChanges(tx, c.user_id, c.created_at); !r) return r;
  return tx.Exec(
      "INSERT INTO email_changes (token_hash, user_id, new_email, created_at, expires_at, used_at) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {c.token_hash, c.user_id, c.new_email, c.created_at, c.expires_at, c.used_at});
}

Result<std::optional<EmailChangeRecord>> AccountStore::FindEmailChange(
    Transaction& tx, std::string_view token_hash) {
  return OneEmailChange(tx, "token_hash = ?", {token_hash});
}

Result<void> AccountStore::UseEmailChange(Transaction& tx, std::string_view token_hash,
                                          std::int64_t now_ms) {
  return tx.Exec("UPDATE email_changes SET used_at = ? WHERE token_hash = ?", {now_ms, token_hash});
}

Result<void> AccountStore::SetEmail(Transaction& tx, std::int64_t id, std::string_view email,
                                    std::int64_t now_ms) {
  return UpdateUser(tx, id, "email = ?, email_verified_at = ?, updated_at = ?",
                    {email, now_ms, now_ms});
}

Result<void> AccountStore::AddEvent(Transaction& tx, std::string_view kind, std::string_view key,
                                    std::int64_t at_ms) {
  return tx.Exec("INSERT INTO auth_events (kind, key, at) VALUES (?, ?, ?)", {kind, key, at_ms});
}

Result<EventCount> AccountStore::CountEvents(Transaction& tx, std::string_view kind,
                                             std::string_view key, std::int64_t since_ms) {
  auto row =
      tx.QueryOne("SELECT COUNT(*), MIN(at) FROM auth_events WHERE kind = ? AND key = ? AND at > ?",
                  {kind, key, since_ms});
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return EventCount{};
  return EventCount{(**row).Int(0), (**row).OptInt(1)};
}

Result<void> AccountStore::ClearEvents(Transaction& tx, std::string_view kind,
                                       std::string_view key) {
  return tx.Exec("DELETE FROM auth_events WHERE kind = ? AND key = ?", {kind, key});
}

Result<void> AccountStore::PruneEvents(Transaction& tx, std::int64_t before_ms) {
  return tx.Exec("DELETE FROM auth_events WHERE at <= ?", {before_ms});
}

}  // namespace nimbus::db
