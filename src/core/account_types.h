// The values the accounts part of core hands out: users, profiles, sessions, API tokens and the
// authenticated principal of a request. Plain data; times are milliseconds since the Unix epoch.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/billing/ledger.h"

namespace nimbus::core {

struct User {
  std::int64_t id = 0;
  std::string email;  // Normalized (trimmed, lower-case).
  std::string name;
  bool is_admin = false;
  bool disabled = false;
  bool email_verified = false;
  std::string root_id;  // Opaque id of the user's root folder.
  std::int64_t created_at = 0;
  bool closing = false;  // Being deleted (a deletion cut short, to be finished); disabled too.
};

// GET /api/v1/me: the user, their plan (from their allocation), usage and billing standing.
// What a disabled account's sign-in, or request with its API token, is told (403).
inline constexpr char kAccountDisabled[] = "This account is disabled. Contact the administrator.";

struct Profile {
  User user;
  std::uint64_t plan_bytes = 0;  // 0 when the user has no allocation (should not happen).
  std::string category;
  std::uint64_t used_bytes = 0;      // Live files.
  std::uint64_t trash_bytes = 0;     // Files in the trash (they still count against the quota).
  std::uint64_t reserved_bytes = 0;  // Held for uploads in progress (AccountStore::ReservedBytes).
  billing::Standing billing;         // active, or past_due (read-only) with what is due.
};

// What login returns: the cookie value (the secret, shown once) and the CSRF token.
struct NewSession {
  User user;
  std::string cookie_value;
  std::string session_id;  // SHA-256 hex of cookie_value.
  std::string csrf_token;
  std::int64_t expires_at = 0;
};

// One session in GET /api/v1/me/sessions.
struct SessionInfo {
  std::string id;
  std::string user_agent;
  std::string ip;
  std::int64_t created_at = 0;
  std::int64_t last_seen_at = 0;
  std::int64_t expires_at = 0;
  bool current = false;
};

struct ApiTokenInfo {
  std::string id;
  std::string name;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> last_used_at;
  std::string token;  // The secret: only set in the answer that creates it.
};

// Who a request acts for: from the session cookie or from a Bearer token.
struct Principal {
  User user;
  std::string session_id;  // "" for a Bearer token.
  std::string csrf_token;  // "" for a Bearer token (which needs none).
  std::string token_id;    // "" for a session.
  bool via_cookie() const { return !session_id.empty(); }
};

// Where a request came from, for rate limits and the session list.
struct ClientInfo {
  std::string ip;
  std::string user_agent;
};

}  // namespace nimbus::core
