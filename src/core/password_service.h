// PasswordService: everything that checks or replaces a password: login (with the per-account
// and per-IP brute-force limit), forgot-password and reset by emailed link, and the change of
// password by a signed-in user, and the change of email address (it asks for the password).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "core/account_deps.h"
#include "core/account_types.h"
#include "db/stores/account_store.h"
#include "util/result.h"

namespace nimbus::core {

namespace net = boost::asio;

// A login's outcome; retry_after_s is set with kTooManyAttempts.
struct LoginOutcome {
  Result<NewSession> session;
  int retry_after_s = 0;
};

// A requested change of address: the new one, and when its link expires (ms since the epoch).
struct EmailChange {
  std::string new_email;
  std::int64_t expires_at_ms = 0;
};
// A change of address done.
struct ChangedEmail {
  std::int64_t user_id = 0;
  std::string email;
};

// Thread-safe; database work on the WorkerPool, hashing on the PasswordHasher's threads.
class PasswordService {
 public:
  explicit PasswordService(AccountDeps deps) : deps_(deps) {}

  // Checks the password and starts a session. kInvalidCredentials (the same message and the
  // same Argon2id work for an unknown email and a wrong password), kTooManyAttempts once the
  // account or the IP has login_max_failures failures within login_window_min, kForbidden for
  // a disabled account, kEmailUnverified when require_email_verification is on.
  net::awaitable<LoginOutcome> Login(std::string email, std::string password, ClientInfo client);
  // Queues a reset link when the address has an enabled account; the same answer otherwise.
  // kTooManyAttempts past email_requests_per_hour for the address or the IP; then
  // `*retry_after_s` (if given) is the number of seconds to wait.
  net::awaitable<Result<void>> ForgotPassword(std::string email, ClientInfo client,
                                              int* retry_after_s = nullptr);
  // Sets a new password with a reset token (single use, reset_token_ttl_min), ends every
  // session of the user and queues a "password changed" mail. kInvalidToken, kWeakPassword.
  net::awaitable<Result<void>> ResetPassword(std::string token, std::string password);
  // Whether a reset token still works (known, unused, not expired), without using it: the reset
  // page asks before showing its form. kInvalidToken otherwise.
  net::awaitable<Result<void>> CheckResetToken(std::string token);
  // Changes the password of `principal`'s user, ending their other sessions (all of them when
  // the request used an API token) and queueing a "password changed" mail.
  // kInvalidCredentials when `current` is wrong, kWeakPassword. A wrong `current` counts as a
  // failed sign-in of the account and from `client`'s address, under the same limit: past it,
  // kTooManyAttempts with the seconds to wait in `retry_after_s` (a stolen session or token
  // cannot be used to guess the password).
  net::awaitable<Result<void>> ChangePassword(const Principal& principal, std::string current,
                                              std::string next, ClientInfo client = {},
                                              int* retry_after_s = nullptr);
  // Mails a link to `email` that makes it the address of `principal`'s user (single use,
  // verification_token_ttl_h; a newer request retires it); nothing changes until it is opened.
  // `password` is checked as ChangePassword checks `current` (same errors, same limit).
  // kInvalidEmail (malformed, or already the user's address), kEmailTaken (another account's),
  // kTooManyAttempts past email_requests_per_hour for the account or the client address.
  net::awaitable<Result<EmailChange>> RequestEmailChange(const Principal& principal,
                                                         std::string email, std::string password,
                                                         ClientInfo client = {},
                                                         int* retry_after_s = nullptr);
  // Opens such a link: the user's address becomes the new one (verified), links mailed to the
  // old one stop working, and the old address is told. Sessions stay. kInvalidToken (unknown,
  // used, retired, expired, or a disabled account), kEmailTaken (taken since the request).
  net::awaitable<Result<ChangedEmail>> ConfirmEmailChange(std::string token);
  // The change `user_id` asked for and has not confirmed yet (its link still valid), if any.
  net::awaitable<Result<std::optional<EmailChange>>> PendingEmailChange(std::int64_t user_id);
  // Withdraws it: its link stops working.
  net::awaitable<Result<void>> CancelEmailChange(std::int64_t user_id);

  // The user of `principal` when `current` is their password. kInvalidCredentials (recorded as
  // a failed sign-in of the account and from the client address), kTooManyAttempts past that
  // limit (with `*retry_after_s`), kUnauthenticated when the user is gone. For actions that ask
  // for the password again (deleting the account).
  net::awaitable<Result<db::UserRecord>> CheckCurrentPassword(const Principal& principal,
                                                              const std::string& current,
                                                              const ClientInfo& client,
                                                              int* retry_after_s);

 private:
  std::int64_t NowMs() const { return ToUnixMs(deps_.clock.Now()); }
  // Stores the new hash, ends sessions (except `keep`), queues the mail; returns ended ids.
  Result<std::vector<std::string>> ReplacePassword(db::Transaction& tx, std::int64_t user_id,
                                                   const std::string& hash, const std::string& keep,
                                                   std::int64_t now);

  AccountDeps deps_;
};

}  // namespace nimbus::core
