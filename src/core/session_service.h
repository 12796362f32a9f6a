// SessionService: login sessions (a random 256-bit cookie value; only its SHA-256 is stored),
// their idle and absolute expiry, an in-memory cache so an authenticated request usually costs
// no database call, and personal API tokens (Bearer), also stored hashed.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/accounts.h"
#include "core/account_types.h"
#include "db/database.h"
#include "util/clock.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::core {

namespace net = boost::asio;

struct SessionDeps {
  db::Database& db;  // Migrated to 0006_accounts.
  WorkerPool& workers;
  const Clock& clock;
  const config::AccountsConfig& config;
};

// Thread-safe. Database work runs on the WorkerPool; coroutines resume on their own executor.
// References passed in must outlive the service.
class SessionService {
 public:
  explicit SessionService(SessionDeps deps) : deps_(deps) {}

  // Starts a session for `user` (login). Errors: database errors only.
  net::awaitable<Result<NewSession>> Create(const User& user, const ClientInfo& client);
  // The principal of a session cookie when the session exists, has not expired (idle or
  // absolute) and its user is not disabled; nullopt otherwise. A cache hit younger than
  // session_cache_s answers without the database. Errors: database errors only.
  net::awaitable<Result<std::optional<Principal>>> Resolve(std::string cookie_value);
  // The same for `Authorization: Bearer <token>` with a personal API token.
  net::awaitable<Result<std::optional<Principal>>> ResolveToken(std::string token);

  // The user's sessions, the one with id `current` marked.
  net::awaitable<Result<std::vector<SessionInfo>>> List(std::int64_t user_id, std::string current);
  // Ends one session of the user. kNotFound when the user has no session `id`.
  net::awaitable<Result<void>> End(std::int64_t user_id, std::string id);
  // Ends every session of the user except `keep` ("" ends all); returns how many ended.
  net::awaitable<Result<std::int64_t>> EndAll(std::int64_t user_id, std::string keep);
  // Ends the session with id `session_id` (logout). Ending an unknown session is not an error.
  net::awaitable<Result<void>> Logout(std::string session_id);

  // Personal API tokens. Create: kInvalidArgument for an empty or over-long name (1-100
  // characters), kConflict when the user already has max_api_tokens. The token secret is in
  // the result only here.
  net::awaitable<Result<ApiTokenInfo>> CreateToken(std::int64_t user_id, std::string name);
  net::awaitable<Result<std::vector<ApiTokenInfo>>> ListTokens(std::int64_t user_id);
  // kNotFound when the user has no token `id`.
  net::awaitable<Result<void>> RevokeToken(std::int64_t user_id, std::string id);

  // Drops cached entries so the next request asks the database: the given session ids, or all
  // entries of a user (after their flags changed or they were disabled). Thread-safe, no I/O.
  void Evict(const std::vector<std::string>& session_ids);
  void EvictUser(std::int64_t user_id);
  // Entries in the cache (tests).
  std::size_t cache_size() const;

 private:
  struct CacheEntry {
    Principal principal;
    std::int64_t expires_at = 0;
    std::int64_t last_seen_at = 0;
    std::int64_t cached_at = 0;
  };
  std::int64_t NowMs() const { return ToUnixMs(deps_.clock.Now()); }
  std::int64_t IdleMs() const;
  // The cached principal for `key` if fresh and unexpired; refreshes its last-seen time.
  std::optional<Principal> FromCache(const std::string& key, std::int64_t now);
  void Remember(const std::string& key, CacheEntry entry);
  Result<std::optional<Principal>> LoadSession(const std::string& id, std::int64_t now);
  Result<std::optional<Principal>> LoadToken(const std::string& hash, std::int64_t now);

  SessionDeps deps_;
  std::atomic<std::uint64_t> creates_{0};  // Every 64th login also sweeps expired rows.
  mutable std::mutex mu_;
  std::unordered_map<std::string, CacheEntry> cache_;  // Guarded by mu_. Key: session id or
                                                       // "t:" + token hash.
};

}  // namespace nimbus::core
