// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/secrets.h"

#include <sodium.h>

#include <stdexcept>
#include <vector>

#include "util/sha256.h"

namespace nimbus::core {
namespace {

// sodium_init is idempotent and thread-safe; failing means no usable randomness: a bug-level
// condition, not an input error.
void EnsureSodium() {
  static const int ok = sodium_init();
  if (ok < 0) throw std::runtime_error("libsodium could not be initialised");
}

}  // namespace

std::string RandomToken(std::size_t bytes) {
  EnsureSodium();
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(bytes, variant), '\0');
  sodium_bin2base64(out.data(), out.size(), raw.data(), raw.size(), variant);
  out.resize(out.find('\0'));
  sodium_memzero(raw.data(), raw.size());
  return out;
}

std::string RandomHex(std::size_t bytes) {
  EnsureSodium();
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string out(bytes * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), raw.data(), raw.size());
  out.pop_back();
  return out;
}

std::int64_t RandomId() {
  EnsureSodium();
  std::uint64_t v = 0;
  do {
    randombytes_buf(&v, sizeof v);
    v &= 0x7fff'ffff'ffff'ffffULL;
  } while (v == 0);
  return static_cast<std::int64_t>(v);
}

std::string HashToken(std::string_view token) { return Sha256::HexOf(token); }

bool SecretEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace nimbus::core
