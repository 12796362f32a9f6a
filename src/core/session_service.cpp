// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/session_service.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "core/secrets.h"
#include "core/user_record.h"
#include "db/stores/account_store.h"
#include "db/stores/session_store.h"
#include "util/run_blocking.h"
#include "util/trim.h"

namespace nimbus::core {
namespace {

// A session's or token's last use is written at most this often (it only matters for the idle
// end, counted in hours, and for the sessions list).
constexpr std::int64_t kTouchEveryMs = 60 * 1000;

using db::AccountStore;
using db::SessionStore;
using db::Transaction;

constexpr std::int64_t kHourMs = 3'600'000;
// The cache is a bounded convenience: past this many entries it starts over (the DB answers).
constexpr std::size_t kMaxCacheEntries = 100'000;
constexpr std::size_t kMaxTokenNameChars = 100;

std::string Trim(std::string_view s) { return std::string(TrimSpace(s)); }

ApiTokenInfo ToTokenInfo(const db::ApiTokenRecord& r) {
  return ApiTokenInfo{r.id, r.name, r.created_at, r.last_used_at, ""};
}

}  // namespace

std::int64_t SessionService::IdleMs() const { return deps_.config.session_idle_h * kHourMs; }

std::optional<Principal> SessionService::FromCache(const std::string& key, std::int64_t now) {
  std::lock_guard lock(mu_);
  auto it = cache_.find(key);
  if (it == cache_.end()) return std::nullopt;
  CacheEntry& e = it->second;
  const bool stale = now - e.cached_at >= deps_.config.session_cache_s * 1000LL;
  const bool expired = now >= e.expires_at || now >= e.last_seen_at + IdleMs();
  if (stale || expired) {
    cache_.erase(it);
    return std::nullopt;
  }
  e.last_seen_at = now;  // Written to the DB when the entry is next refreshed.
  return e.principal;
}

void SessionService::Remember(const std::string& key, CacheEntry entry) {
  std::lock_guard lock(mu_);
  if (cache_.size() >= kMaxCacheEntries) cache_.clear();
  cache_[key] = std::move(entry);
}

void SessionService::Evict(const std::vector<std::string>& session_ids) {
  std::lock_guard lock(mu_);
  for (const auto& id : session_ids) cache_.erase(id);
}

void SessionService::EvictUser(std::int64_t user_id) {
  std::lock_guard lock(mu_);
  std::erase_if(cache_,
                [user_id](const auto& kv) { return kv.second.principal.user.id == user_id; });
}

std::size_t SessionService::cache_size() const {
  std::lock_guard lock(mu_);
  return cache_.size();
}

net::awaitable<Result<NewSession>> SessionService::Create(const User& user,
                                                          const ClientInfo& client) {
  const std::int64_t now = NowMs();
  NewSession s;
  s.user = user;
  s.cookie_value = RandomToken(32);
  s.session_id = HashToken(s.cookie_value);
  s.csrf_token = RandomToken(32);
  s.expires_at = now + deps_.config.session_lifetime_h * kHourMs;
  db::SessionRecord rec{s.session_id, user.id, s.csrf_token, client.user_agent.substr(0, 512),
                        client.ip,    now,     now,          s.expires_at};
  // Housekeeping rides along with every 64th login: expired sessions and rate-limit events
  // too old to count are deleted (no separate job needed; the tables stay small).
  const bool sweep = creates_.fetch_add(1) % 64 == 0;
  const std::int64_t keep_events_ms =
      std::max<std::int64_t>(24 * kHourMs, deps_.config.login_window_min * 60'000LL);
  auto write = [this, &rec, sweep, now, keep_events_ms] {
    return deps_.db.Write([&](Transaction& tx) -> Result<void> {
      if (sweep) {
        if (auto r = SessionStore::DeleteExpiredSessions(tx, now, IdleMs()); !r) return r;
        if (auto r = AccountStore::PruneEvents(tx, now - keep_events_ms); !r) return r;
      }
      return SessionStore::InsertSession(tx, rec);
    });
  };
  Result<void> stored = co_await RunBlocking(deps_.workers, std::move(write));
  if (!stored) co_return std::unexpected(stored.error());
  Remember(s.session_id,
           CacheEntry{Principal{user, s.session_id, s.csrf_token, ""}, s.expires_at, now, now});
  co_return s;
}

Result<std::optional<Principal>> SessionService::LoadSession(const std::string& id,
                                                             std::int64_t now) {
  const std::int64_t idle = IdleMs();
  std::int64_t expires_at = 0;
  bool write_due = false;
  // `write`: may delete the expired row and records the use. A read answers when neither is
  // due (the last use was recorded less than kTouchEveryMs ago), so a short session cache
  // costs a read per entry refresh, not a write.
  auto load = [&](Transaction& tx, bool write) -> Result<std::optional<Principal>> {
    auto s = SessionStore::FindSession(tx, id);
    if (!s) return std::unexpected(s.error());
    if (!*s) return std::optional<Principal>();
    const bool ended = now >= (*s)->expires_at || now >= (*s)->last_seen_at + idle;
    if (!write && (ended || now - (*s)->last_seen_at >= kTouchEveryMs)) {
      write_due = true;
      return std::optional<Principal>();
    }
    if (ended) {
      auto gone = SessionStore::DeleteSession(tx, (*s)->user_id, id);
      if (!gone) return std::unexpected(gone.error());
      return std::optional<Principal>();
    }
    auto u = AccountStore::FindUser(tx, (*s)->user_id);
    if (!u) return std::unexpected(u.error());
    if (!*u || (*u)->disabled) return std::optional<Principal>();
    if (write) {
      if (auto t = SessionStore::TouchSession(tx, id, now); !t) return std::unexpected(t.error());
    }
    expires_at = (*s)->expires_at;
    return std::optional<Principal>(Principal{ToUser(**u), id, (*s)->csrf_token, ""});
  };
  auto found = deps_.db.Read([&](Transaction& tx) { return load(tx, false); });
  if (found && write_due) found = deps_.db.Write([&](Transaction& tx) { return load(tx, true); });
  // Cached only once the transaction committed.
  if (found && *found) Remember(id, CacheEntry{**found, expires_at, now, now});
  return found;
}

net::awaitable<Result<std::optional<Principal>>> SessionService::Resolve(std::string cookie_value) {
  if (cookie_value.empty()) co_return std::optional<Principal>();
  const std::string id = HashToken(cookie_value);
  const std::int64_t now = NowMs();
  if (auto hit = FromCache(id, now)) co_return std::move(hit);
  auto load = [this, &id, now] { return LoadSession(id, now); };
  co_return co_await RunBlocking(deps_.workers, std::move(load));
}

Result<std::optional<Principal>> SessionService::LoadToken(const std::string& hash,
                                                           std::int64_t now) {
  // As LoadSession: the use is recorded at most once per kTouchEveryMs.
  bool write_due = false;
  auto load = [&](Transaction& tx, bool write) -> Result<std::optional<Principal>> {
    auto t = SessionStore::FindTokenByHash(tx, hash);
    if (!t) return std::unexpected(t.error());
    if (!*t) return std::optional<Principal>();
    auto u = AccountStore::FindUser(tx, (*t)->user_id);
    if (!u) return std::unexpected(u.error());
    if (!*u) return std::optional<Principal>();
    // The token is right but its account is disabled: say so (403), as the sign-in does.
    if ((*u)->disabled) return Fail(Errc::kForbidden, "{}", kAccountDisabled);
    const bool due = !(*t)->last_used_at || now - *(*t)->last_used_at >= kTouchEveryMs;
    if (!write && due) {
      write_due = true;
      return std::optional<Principal>();
    }
    if (write) {
      if (auto r = SessionStore::TouchToken(tx, (*t)->id, now); !r) {
        return std::unexpected(r.error());
      }
    }
    return std::optional<Principal>(Principal{ToUser(**u), "", "", (*t)->id});
  };
  auto found = deps_.db.Read([&](Transaction& tx) { return load(tx, false); });
  if (found && write_due) found = deps_.db.Write([&](Transaction& tx) { return load(tx, true); });
  // Tokens have no expiry of their own; the cache entry lives session_cache_s.
  if (found && *found)
    Remember("t:" + hash, CacheEntry{**found, std::numeric_limits<std::int64_t>::max(), now, now});
  return found;
}

net::awaitable<Result<std::optional<Principal>>> SessionService::ResolveToken(std::string token) {
  if (token.empty()) co_return std::optional<Principal>();
  const std::string hash = HashToken(token);
  const std::int64_t now = NowMs();
  if (auto hit = FromCache("t:" + hash, now)) co_return std::move(hit);
  auto load = [this, &hash, now] { return LoadToken(hash, now); };
  co_return co_await RunBlocking(deps_.workers, std::move(load));
}

net::awaitable<Result<std::vector<SessionInfo>>> SessionService::List(std::int64_t user_id,
                                                                      std::string current) {
  const std::int64_t now = NowMs();
  const std::int64_t idle = IdleMs();
  auto read = [this, user_id] {
    return deps_.db.Read([&](Transaction& tx) { return SessionStore::ListSessions(tx, user_id); });
  };
  auto rows = co_await RunBlocking(deps_.workers, std::move(read));
  if (!rows) co_return std::unexpected(rows.error());
  std::vector<SessionInfo> out;
  for (const auto& r : *rows) {
    if (now >= r.expires_at || now >= r.last_seen_at + idle) continue;  // Ended, not yet swept.
    out.push_back(SessionInfo{r.id, r.user_agent, r.ip, r.created_at, r.last_seen_at, r.expires_at,
                              r.id == current});
  }
  co_return out;
}

net::awaitable<Result<void>> SessionService::End(std::int64_t user_id, std::string id) {
  auto write = [this, user_id, &id] {
    return deps_.db.Write(
        [&](Transaction& tx) { return SessionStore::DeleteSession(tx, user_id, id); });
  };
  auto deleted = co_await RunBlocking(deps_.workers, std::move(write));
  if (!deleted) co_return std::unexpected(deleted.error());
  if (!*deleted) co_return Fail(Errc::kNotFound, "You have no session with this id.");
  Evict({id});
  co_return Result<void>{};
}

net::awaitable<Result<std::int64_t>> SessionService::EndAll(std::int64_t user_id,
                                                            std::string keep) {
  auto write = [this, user_id, &keep] {
    return deps_.db.Write(
        [&](Transaction& tx) { return SessionStore::DeleteUserSessions(tx, user_id, keep); });
  };
  auto ended = co_await RunBlocking(deps_.workers, std::move(write));
  if (!ended) co_return std::unexpected(ended.error());
  Evict(*ended);
  co_return static_cast<std::int64_t>(ended->size());
}

net::awaitable<Result<void>> SessionService::Logout(std::string session_id) {
  auto write = [this, &session_id] {
    return deps_.db.Write([&](Transaction& tx) {
      return tx.Exec("DELETE FROM sessions WHERE id = ?", {session_id});
    });
  };
  auto done = co_await RunBlocking(deps_.workers, std::move(write));
  Evict({session_id});
  co_return done;
}

net::awaitable<Result<ApiTokenInfo>> SessionService::CreateToken(std::int64_t user_id,
                                                                 std::string name) {
  name = Trim(name);
  if (name.empty() || name.size() > kMaxTokenNameChars) {
    co_return Fail(Errc::kInvalidArgument, "Give the token a name of 1 to {} characters.",
                   kMaxTokenNameChars);
  }
  const std::int64_t now = NowMs();
  ApiTokenInfo info{RandomHex(12), name, now, std::nullopt, "nmb_" + RandomToken(32)};
  db::ApiTokenRecord rec{info.id, user_id, name, HashToken(info.token), now, std::nullopt};
  const std::int64_t max = deps_.config.max_api_tokens;
  auto write = [this, &rec, user_id, max] {
    return deps_.db.Write([&](Transaction& tx) -> Result<void> {
      auto n = SessionStore::CountTokens(tx, user_id);
      if (!n) return std::unexpected(n.error());
      if (*n >= max) {
        return Fail(Errc::kConflict,
                    "You already have {} API tokens, the most allowed. Revoke one first.", max);
      }
      return SessionStore::InsertToken(tx, rec);
    });
  };
  auto stored = co_await RunBlocking(deps_.workers, std::move(write));
  if (!stored) co_return std::unexpected(stored.error());
  co_return info;
}

net::awaitable<Result<std::vector<ApiTokenInfo>>> SessionService::ListTokens(std::int64_t user_id) {
  auto read = [this, user_id] {
    return deps_.db.Read([&](Transaction& tx) { return SessionStore::ListTokens(tx, user_id); });
  };
  auto rows = co_await RunBlocking(deps_.workers, std::move(read));
  if (!rows) co_return std::unexpected(rows.error());
  std::vector<ApiTokenInfo> out;
  for (const auto& r : *rows) out.push_back(ToTokenInfo(r));
  co_return out;
}

net::awaitable<Result<void>> SessionService::RevokeToken(std::int64_t user_id, std::string id) {
  auto write = [this, user_id, &id] {
    return deps_.db.Write(
        [&](Transaction& tx) { return SessionStore::DeleteToken(tx, user_id, id); });
  };
  auto deleted = co_await RunBlocking(deps_.workers, std::move(write));
  if (!deleted) co_return std::unexpected(deleted.error());
  if (!*deleted) co_return Fail(Errc::kNotFound, "You have no API token with this id.");
  // The cache is keyed by the token's hash, which only the token's own requests know: drop the
  // user's entries instead.
  EvictUser(user_id);
  co_return Result<void>{};
}

}  // namespace nimbus::core
