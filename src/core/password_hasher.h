// PasswordHasher: Argon2id password hashes (libsodium) at the cost accounts.toml sets, computed
// on a dedicated pool of max_concurrent_hashes threads, so a login flood queues here instead of
// exhausting memory or occupying the shared WorkerPool that database calls need.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <mutex>
#include <string>

#include "config/accounts.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::core {

namespace net = boost::asio;

class PasswordHasher {
 public:
  // Starts max(1, config.max_concurrent_hashes) hashing threads. Thread-safe.
  explicit PasswordHasher(const config::AccountsConfig& config);
  ~PasswordHasher();  // Joins the hashing threads after queued work has run.

  // The Argon2id string (salt and parameters included). kInternal if libsodium fails (out of
  // memory).
  net::awaitable<Result<std::string>> Hash(std::string password);
  // True when `password` matches `hash` (false for a malformed hash).
  net::awaitable<bool> Verify(std::string hash, std::string password);
  // Does the work of one Verify against a hash no password matches, so that an unknown email
  // costs as much time as a wrong password.
  net::awaitable<void> BurnVerify(std::string password);

  // True when `hash` was made with other parameters than the configured ones (or another
  // algorithm): login then stores a new hash of the password it just verified.
  bool NeedsRehash(const std::string& hash) const;

  // The blocking forms (tests, the CLI); they run on the caller's thread.
  Result<std::string> HashNow(const std::string& password) const;
  bool VerifyNow(const std::string& hash, const std::string& password) const;

 private:
  unsigned long long opslimit_;
  std::size_t memlimit_;
  WorkerPool pool_;
  std::once_flag dummy_once_;
  std::string dummy_hash_;  // Written once under dummy_once_, then read-only.
};

}  // namespace nimbus::core
