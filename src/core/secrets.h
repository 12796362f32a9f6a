// Secrets: random tokens, ids and their hashes (libsodium randomness, SHA-256 for lookups),
// for sessions, API tokens and emailed links. A token is shown to its owner once; only its hash
// is stored.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace nimbus::core {

// `bytes` random bytes (at least 32 = 256 bits for secrets) as URL-safe base64 without padding.
std::string RandomToken(std::size_t bytes = 32);
// `bytes` random bytes as lowercase hex (opaque ids that are not secrets).
std::string RandomHex(std::size_t bytes);
// A random positive 63-bit integer (user ids: not guessable, not counting users).
std::int64_t RandomId();
// The lowercase hex SHA-256 of `token`: what the database stores and looks up.
std::string HashToken(std::string_view token);
// Constant-time equality (CSRF tokens); false when the lengths differ.
bool SecretEquals(std::string_view a, std::string_view b);

}  // namespace nimbus::core
