// SPDX-License-Identifier: AGPL-3.0-or-later
#include "config/fields.h"

namespace nimbus::config {

void AccountsFields(TomlReader& r, AccountsConfig& c) {
  r.Bool("signup_enabled", c.signup_enabled);
  r.Int("password_min_length", c.password_min_length, 8, 1024);
  r.Int("password_max_length", c.password_max_length, 8, 4096);
  r.Int("argon2_memory_mib", c.argon2_memory_mib, 19, 4096);
  r.Int("argon2_passes", c.argon2_passes, 2, 64);
  r.Int("max_concurrent_hashes", c.max_concurrent_hashes, 1, 256);
  r.Int("session_lifetime_h", c.session_lifetime_h, 1, 24 * 366);
  r.Int("session_idle_h", c.session_idle_h, 1, 24 * 366);
  r.Int("session_cache_s", c.session_cache_s, 0, 3600);
  r.Bool("require_email_verification", c.require_email_verification);
  r.Int("verification_token_ttl_h", c.verification_token_ttl_h, 1, 24 * 30);
  r.Int("reset_token_ttl_min", c.reset_token_ttl_min, 5, 24 * 60);
  r.Int("login_max_failures", c.login_max_failures, 1, 1000);
  r.Int("login_window_min", c.login_window_min, 1, 24 * 60);
  r.Int("email_requests_per_hour", c.email_requests_per_hour, 1, 1000);
  r.Int("max_api_tokens", c.max_api_tokens, 1, 10000);
  if (!r.reading()) return;

  if (c.password_max_length < c.password_min_length) {
    r.Error("password_max_length", fmt::format("must be at least password_min_length ({}), got {}",
                                               c.password_min_length, c.password_max_length));
  }
  if (c.session_idle_h > c.session_lifetime_h) {
    r.Error("session_idle_h", fmt::format("must not exceed session_lifetime_h ({}), got {}",
                                          c.session_lifetime_h, c.session_idle_h));
  }
}

}  // namespace nimbus::config
