// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/password_hasher.h"

#include <sodium.h>

#include <algorithm>
#include <utility>

#include "core/secrets.h"
#include "util/run_blocking.h"

namespace nimbus::core {

PasswordHasher::PasswordHasher(const config::AccountsConfig& config)
    : opslimit_(static_cast<unsigned long long>(std::max(config.argon2_passes, 1))),
      memlimit_(static_cast<std::size_t>(std::max(config.argon2_memory_mib, 1)) << 20),
      pool_(static_cast<std::size_t>(std::max(config.max_concurrent_hashes, 1))) {
  (void)RandomHex(1);  // Initialises libsodium before any thread hashes.
}

PasswordHasher::~PasswordHasher() { pool_.Join(); }

Result<std::string> PasswordHasher::HashNow(const std::string& password) const {
  std::string out(crypto_pwhash_STRBYTES, '\0');
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), opslimit_, memlimit_,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Fail(Errc::kInternal, "Argon2id hashing failed (out of memory?)");
  }
  out.resize(out.find('\0'));
  return out;
}

bool PasswordHasher::VerifyNow(const std::string& hash, const std::string& password) const {
  // crypto_pwhash_str_verify wants a NUL-terminated string; std::string provides it.
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool PasswordHasher::NeedsRehash(const std::string& hash) const {
  return crypto_pwhash_str_needs_rehash(hash.c_str(), opslimit_, memlimit_) != 0;
}

net::awaitable<Result<std::string>> PasswordHasher::Hash(std::string password) {
  auto work = [this, &password] { return HashNow(password); };
  Result<std::string> out = co_await RunBlocking(pool_, std::move(work));
  sodium_memzero(password.data(), password.size());
  co_return out;
}

net::awaitable<bool> PasswordHasher::Verify(std::string hash, std::string password) {
  auto work = [this, &hash, &password] { return VerifyNow(hash, password); };
  bool ok = co_await RunBlocking(pool_, std::move(work));
  sodium_memzero(password.data(), password.size());
  co_return ok;
}

net::awaitable<void> PasswordHasher::BurnVerify(std::string password) {
  auto work = [this, &password] {
    // The dummy is hashed at the configured cost, so verifying against it costs what a real
    // account's check costs.
    std::call_once(dummy_once_, [this] { dummy_hash_ = HashNow(RandomToken(32)).value_or(""); });
    (void)VerifyNow(dummy_hash_, password);
  };
  co_await RunBlocking(pool_, std::move(work));
  sodium_memzero(password.data(), password.size());
}

}  // namespace nimbus::core
