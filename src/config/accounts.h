// AccountsConfig: accounts.toml, password policy, Argon2id cost, sessions, tokens, rate limits.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

namespace nimbus::config {

struct AccountsConfig {
  bool signup_enabled = true;
  int password_min_length = 10;
  int password_max_length = 1024;
  int argon2_memory_mib = 19;     // Argon2id memory per hash, at least 19 MiB.
  int argon2_passes = 2;          // Argon2id passes (opslimit), at least 2.
  int max_concurrent_hashes = 2;  // Bound on hashes running at once (memory = this × cost).
  int session_lifetime_h = 720;   // Absolute session lifetime (30 days).
  int session_idle_h = 168;       // A session unused for this long ends (7 days).
  int session_cache_s = 5;        // How long a session stays in the in-memory cache.
  bool require_email_verification = false;
  int verification_token_ttl_h = 48;
  int reset_token_ttl_min = 60;
  // Failed logins per account within the window before 429 too_many_attempts; an IP address
  // gets five times as many (core::kPeoplePerAddress: several people behind one router).
  int login_max_failures = 10;
  int login_window_min = 15;
  // forgot-password / resend-verification per address (and five times that per IP).
  int email_requests_per_hour = 5;
  int max_api_tokens = 50;          // Personal API tokens per user.
};

}  // namespace nimbus::config
