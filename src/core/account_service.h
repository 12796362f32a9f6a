// AccountService: sign-up (user + 1 GiB category-A allocation + verification mail, all or
// nothing), email verification, profile and name, the admin views of users, the operator's CLI
// actions, and AdminEmails() for alert mails.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/account_deps.h"
#include "core/account_types.h"
#include "db/stores/account_store.h"
#include "util/result.h"

namespace nimbus::core {

namespace net = boost::asio;

// The plan every new account gets: 1 GiB (category A in the default disks.toml).
inline constexpr std::uint64_t kFreePlanBytes = std::uint64_t{1} << 30;

// Thread-safe; database work on the WorkerPool, hashing on the PasswordHasher's threads.
class AccountService {
 public:
  explicit AccountService(AccountDeps deps) : deps_(deps) {}

  // Creates an account with the free plan and queues the verification mail. The first account
  // ever is an admin. Errors: kInvalidEmail, kWeakPassword, kEmailTaken, kForbidden (sign-up is
  // closed and this is not the first account), kNoCapacity (nothing is created), DB errors.
  net::awaitable<Result<User>> Signup(std::string email, std::string password, std::string name);
  // Marks the token's user verified. kInvalidToken for an unknown, used or expired token.
  net::awaitable<Result<void>> VerifyEmail(std::string token);
  // Queues a new verification link when the address belongs to an unverified, enabled account;
  // answers the same either way. kTooManyAttempts past email_requests_per_hour for the address
  // or the IP; then `*retry_after_s` (if given) is the number of seconds to wait.
  net::awaitable<Result<void>> ResendVerification(std::string email, ClientInfo client,
                                                  int* retry_after_s = nullptr);

  // The user with plan and usage. kNotFound for an unknown id. GET /api/v1/me is the most
  // frequent call (the web app asks at every start and after actions), so a profile is kept in
  // memory for kProfileTtl: the user's own changes through this service forget it at once;
  // usage written elsewhere (uploads: call ForgetProfile) or by another process is at most that
  // old.
  net::awaitable<Result<Profile>> GetProfile(std::int64_t user_id);
  // Drops the cached profile of the user (their usage, plan or flags changed).
  void ForgetProfile(std::int64_t user_id);
  static constexpr std::chrono::milliseconds kProfileTtl{1000};
  // Sets the display name (trimmed, at most 100 characters; kInvalidArgument otherwise).
  net::awaitable<Result<User>> UpdateName(std::int64_t user_id, std::string name);

  // Admin API. kNotFound when `actor` is not an admin (admin routes do not reveal themselves).
  net::awaitable<Result<std::vector<User>>> ListUsers(const User& actor);
  // Sets disabled and/or is_admin of user `target_id`. Disabling ends the user's sessions at
  // once. kConflict when the change would leave no enabled admin; kNotFound for an unknown
  // user (or a non-admin actor).
  net::awaitable<Result<User>> UpdateUser(const User& actor, std::int64_t target_id,
                                          std::optional<bool> disabled,
                                          std::optional<bool> is_admin);

  // Operator (CLI) actions, no actor check. CreateUser makes a verified account with the free
  // plan (errors as Signup, without kForbidden); SetFlags works by email (kNotFound if unknown,
  // kConflict as UpdateUser).
  net::awaitable<Result<User>> CreateUser(std::string email, std::string name, std::string password,
                                          bool is_admin);
  // `*changed` (when given): whether a flag was not already as asked.
  net::awaitable<Result<User>> SetFlags(std::string email, std::optional<bool> disabled,
                                        std::optional<bool> is_admin, bool* changed = nullptr);
  net::awaitable<Result<std::vector<User>>> AllUsers();

  // Email addresses of the enabled admins, for alert mails. Blocks on the database: call it
  // from a worker thread (or through RunBlocking). Thread-safe.
  Result<std::vector<std::string>> AdminEmails();

 private:
  struct NewAccount {
    std::string email;
    std::string name;
    std::string password;
    bool force_admin = false;
    bool verified = false;
    bool allow_when_closed = false;
  };
  net::awaitable<Result<User>> Create(NewAccount account);
  Result<User> InsertUser(const db::UserRecord& rec, const NewAccount& account);
  Result<User> ApplyFlags(std::int64_t target_id, std::optional<bool> disabled,
                          std::optional<bool> is_admin, std::vector<std::string>& ended);
  std::int64_t NowMs() const { return ToUnixMs(deps_.clock.Now()); }

  AccountDeps deps_;
  struct CachedProfile {
    Profile profile;
    std::chrono::steady_clock::time_point expires;
  };
  std::mutex profiles_mu_;
  std::unordered_map<std::int64_t, CachedProfile> profiles_;  // Guarded by profiles_mu_.
  // Bumped by every ForgetProfile: a profile read that started before one is not cached (it
  // may hold what the change replaced). Guarded by profiles_mu_.
  std::uint64_t profiles_generation_ = 0;
};

// AdminEmails without a service: the addresses of the enabled admins (for alert mails). Blocks
// on the database; thread-safe.
Result<std::vector<std::string>> AdminEmails(db::Database& db);

}  // namespace nimbus::core
