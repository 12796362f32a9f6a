// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/password_service.h"

#include <utility>

#include "core/account_mail.h"
#include "core/email_address.h"
#include "core/password_policy.h"
#include "core/secrets.h"
#include "core/user_record.h"
#include "db/stores/account_store.h"
#include "db/stores/session_store.h"
#include "util/run_blocking.h"

namespace nimbus::core {
namespace {

using db::AccountStore;
using db::SessionStore;
using db::Transaction;

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kHourMs = 3'600'000;

// One sentence for an unknown email and a wrong password alike: no account enumeration.
constexpr std::string_view kBadCredentials = "The email or password is incorrect.";

std::string TooMany(int seconds) {
  return fmt::format("Too many failed sign-in attempts. Try again in {} minute{}.",
                     (seconds + 59) / 60, (seconds + 59) / 60 == 1 ? "" : "s");
}

// Seconds to wait when the failed sign-ins of account `email` or from `ip` reached the limit.
Result<std::optional<int>> SignInWait(Transaction& tx, const config::AccountsConfig& c,
                                      std::string_view email, std::string_view ip,
                                      std::int64_t now) {
  return RetryAfter(tx, kLoginFailure, email, ip, c.login_max_failures,
                    c.login_window_min * kMinuteMs, now);
}

// One failed sign-in of account `email` ("" for an unknown address) from `ip`.
Result<void> RecordSignInFailure(Transaction& tx, std::string_view email, std::string_view ip,
                                 std::int64_t now) {
  if (!email.empty()) {
    if (auto r = AccountStore::AddEvent(tx, kLoginFailure, AccountKey(email), now); !r) return r;
  }
  return AccountStore::AddEvent(tx, kLoginFailure, IpKey(ip), now);
}

}  // namespace

net::awaitable<LoginOutcome> PasswordService::Login(std::string email, std::string password,
                                                    ClientInfo client) {
  auto normalized = NormalizeEmail(email);
  const std::string addr = normalized ? *normalized : "";
  const std::int64_t now = NowMs();
  struct Lookup {
    std::optional<int> wait;
    std::optional<db::UserRecord> user;
  };
  auto lookup = [this, &addr, &client, now] {
    return deps_.db.Read([&](Transaction& tx) -> Result<Lookup> {
      auto wait = SignInWait(tx, deps_.config, addr, client.ip, now);
      if (!wait) return std::unexpected(wait.error());
      if (*wait || addr.empty()) return Lookup{*wait, std::nullopt};
      auto user = AccountStore::FindUserByEmail(tx, addr);
      if (!user) return std::unexpected(user.error());
      return Lookup{std::nullopt, std::move(*user)};
    });
  };
  auto found = co_await RunBlocking(deps_.workers, std::move(lookup));
  if (!found) co_return LoginOutcome{std::unexpected(found.error())};
  if (found->wait) {
    co_return LoginOutcome{Fail(Errc::kTooManyAttempts, "{}", TooMany(*found->wait)), *found->wait};
  }

  bool ok = false;
  if (found->user) {
    ok = co_await deps_.hasher.Verify(found->user->password_hash, password);
  } else {
    co_await deps_.hasher.BurnVerify(password);  // Same cost as a real check.
  }
  if (!ok) {
    auto record = [this, &addr, &client, now] {
      return deps_.db.Write(
          [&](Transaction& tx) { return RecordSignInFailure(tx, addr, client.ip, now); });
    };
    auto recorded = co_await RunBlocking(deps_.workers, std::move(record));
    if (!recorded) co_return LoginOutcome{std::unexpected(recorded.error())};
    co_return LoginOutcome{Fail(Errc::kInvalidCredentials, "{}", kBadCredentials)};
  }
  const db::UserRecord& u = *found->user;
  if (u.disabled) {
    co_return LoginOutcome{Fail(Errc::kForbidden, "{}", kAccountDisabled)};
  }
  if (deps_.config.require_email_verification && !u.email_verified_at) {
    co_return LoginOutcome{Fail(Errc::kEmailUnverified,
                                "Confirm your email address first: use the link we sent you, or "
                                "ask for a new one.")};
  }
  // A hash made at an older cost is replaced now that the password is at hand (best effort:
  // the login does not fail if this does).
  std::optional<std::string> rehashed;
  if (deps_.hasher.NeedsRehash(u.password_hash)) {
    auto h = co_await deps_.hasher.Hash(password);
    if (h) rehashed = std::move(*h);
  }
  auto clear = [this, &addr, &u, &rehashed, now] {
    return deps_.db.Write([&](Transaction& tx) -> Result<void> {
      if (rehashed) {
        if (auto r = AccountStore::SetPasswordHash(tx, u.id, *rehashed, now); !r) return r;
      }
      return AccountStore::ClearEvents(tx, kLoginFailure, AccountKey(addr));
    });
  };
  if (auto c = co_await RunBlocking(deps_.workers, std::move(clear)); !c) {
    co_return LoginOutcome{std::unexpected(c.error())};
  }
  const User user = ToUser(u);
  Result<NewSession> session = co_await deps_.sessions.Create(user, client);
  co_return LoginOutcome{std::move(session)};
}

net::awaitable<Result<void>> PasswordService::ForgotPassword(std::string email, ClientInfo client,
                                                             int* retry_after_s) {
  auto normalized = NormalizeEmail(email);
  const std::string addr = normalized ? *normalized : std::string();
  const std::int64_t now = NowMs();
  auto write = [this, &addr, &client, now, retry_after_s] {
    return deps_.db.Write([&](Transaction& tx) -> Result<void> {
      auto charged = ChargeEmailRequest(tx, addr, client.ip, deps_.config.email_requests_per_hour,
                                        now, retry_after_s);
      if (!charged) return charged;
      if (addr.empty()) return {};
      auto user = AccountStore::FindUserByEmail(tx, addr);
      if (!user) return std::unexpected(user.error());
      if (!*user || (*user)->disabled) return {};
      const std::int64_t ttl = deps_.config.reset_token_ttl_min * kMinuteMs;
      auto token = IssueEmailToken(tx, (*user)->id, kResetPurpose, now, ttl);
      if (!token) return std::unexpected(token.error());
      return QueueMail(
          tx, mail::Template::kPasswordReset, addr,
          {{"name", (*user)->name}, {"link", deps_.public_url + "/reset-password?token=" + *token}},
          now);
    });
  };
  co_return co_await RunBlocking(deps_.workers, std::move(write));
}

Result<std::vector<std::string>> PasswordService::ReplacePassword(Transaction& tx,
                                                                  std::int64_t user_id,
                                                                  const std::string& hash,
                                                                  const std::string& keep,
                                                                  std::int64_t now) {
  if (auto r = AccountStore::SetPasswordHash(tx, user_id, hash, now); !r) {
    return std::unexpected(r.error());
  }
  auto ended = SessionStore::DeleteUserSessions(tx, user_id, keep);
  if (!ended) return std::unexpected(ended.error());
  auto user = AccountStore::FindUser(tx, user_id);
  if (!user) return std::unexpected(user.error());
  if (!*user) return Fail(Errc::kNotFound, "no user {}", user_id);
  auto queued = QueueMail(tx, mail::Template::kPasswordChanged, (*user)->email,
                          {{"name", (*user)->name}, {"public_url", deps_.public_url}}, now);
  if (!queued) return std::unexpected(queued.error());
  return ended;
}

net::awaitable<Result<void>> PasswordService::CheckResetToken(std::string token) {
  const std::int64_t checked_at = NowMs();
  auto peek = [this, &token, checked_at] {
    return deps_.db.Read([&](Transaction& tx) -> Result<void> {
      auto rec = AccountStore::FindEmailToken(tx, HashToken(token));
      if (!rec) return std::unexpected(rec.error());
      if (!*rec || (*rec)->purpose != kResetPurpose || (*rec)->used_at ||
          checked_at >= (*rec)->expires_at) {
        return Fail(Errc::kInvalidToken,
                    "This password reset link is invalid, already used or expired. Ask for a "
                    "new one.");
      }
      return {};
    });
  };
  co_return co_await RunBlocking(deps_.workers, std::move(peek));
}

net::awaitable<Result<void>> PasswordService::ResetPassword(std::string token,
                                                            std::string password) {
  // The token is checked before the password so that an expired link says so first; it is
  // consumed only in the transaction that stores the new password.
  if (auto ok = co_await CheckResetToken(token); !ok) co_return ok;
  if (auto ok = CheckPassword(password, deps_.config); !ok) co_return ok;
  auto hash = co_await deps_.hasher.Hash(password);
  if (!hash) co_return std::unexpected(hash.error());
  const std::int64_t now = NowMs();
  std::int64_t user_id = 0;
  auto write = [this, &token, &hash, &user_id, now] {
    return deps_.db.Write([&](Transaction& tx) -> Result<std::vector<std::string>> {
      auto id = ConsumeEmailToken(tx, token, kResetPurpose, now);
      if (!id) return std::unexpected(id.error());
      user_id = *id;
      if (auto r = AccountStore::RetireEmailTokens(tx, *id, kResetPurpose, now); !r) {
        return std::unexpected(r.error());
      }
      // Following the emailed link proves the address.
      if (auto r = AccountStore::SetEmailVerified(tx, *id, now); !r)
        return std::unexpected(r.error());
      // And it is the way out of a sign-in lock (someone guessing, or the owner's own typos):
      // the account's failures are forgotten with the old password (QA pass 15: still locked
      // out after a reset).
      auto user = AccountStore::FindUser(tx, *id);
      if (!user) return std::unexpected(user.error());
      if (*user) {
        if (auto r = AccountStore::ClearEvents(tx, kLoginFailure, AccountKey((*user)->email)); !r)
          return std::unexpected(r.error());
      }
      return ReplacePassword(tx, *id, *hash, "", now);
    });
  };
  auto ended = co_await RunBlocking(deps_.workers, std::move(write));
  if (!ended) co_return std::unexpected(ended.error());
  deps_.sessions.Evict(*ended);
  deps_.sessions.EvictUser(user_id);
  co_return Result<void>{};
}

net::awaitable<Result<db::UserRecord>> PasswordService::CheckCurrentPassword(
    const Principal& principal, const std::string& current, const ClientInfo& client,
    int* retry_after_s) {
  const std::int64_t user_id = principal.user.id;
  const std::int64_t now = NowMs();
  struct Lookup {
    std::optional<int> wait;
    std::optional<db::UserRecord> user;
  };
  auto read = [this, user_id, &client, now] {
    return deps_.db.Read([&](Transaction& tx) -> Result<Lookup> {
      auto user = AccountStore::FindUser(tx, user_id);
      if (!user) return std::unexpected(user.error());
      if (!*user) return Lookup{};
      // Already signed in: only the account's own failures count. Those of other accounts from
      // the same address (a household's typos, someone guessing elsewhere) do not stop its
      // owner from changing the password or deleting the account.
      auto wait = SignInWait(tx, deps_.config, (*user)->email, "", now);
      if (!wait) return std::unexpected(wait.error());
      return Lookup{*wait, std::move(*user)};
    });
  };
  auto found = co_await RunBlocking(deps_.workers, std::move(read));
  if (!found) co_return std::unexpected(found.error());
  if (!found->user) co_return Fail(Errc::kUnauthenticated, "Sign in again.");
  db::UserRecord& user = *found->user;
  if (found->wait) {
    if (retry_after_s != nullptr) *retry_after_s = *found->wait;
    co_return Fail(Errc::kTooManyAttempts, "{}", TooMany(*found->wait));
  }
  if (!co_await deps_.hasher.Verify(user.password_hash, current)) {
    auto record = [this, &user, &client, now] {
      return deps_.db.Write(
          [&](Transaction& tx) { return RecordSignInFailure(tx, user.email, client.ip, now); });
    };
    if (auto r = co_await RunBlocking(deps_.workers, std::move(record)); !r) {
      co_return std::unexpected(r.error());
    }
    co_return Fail(Errc::kInvalidCredentials, "The current password is incorrect.");
  }
  co_return std::move(user);
}

net::awaitable<Result<void>> PasswordService::ChangePassword(const Principal& principal,
                                                             std::string current, std::string next,
                                                             ClientInfo client,
                                                             int* retry_after_s) {
  auto user = co_await CheckCurrentPassword(principal, current, client, retry_after_s);
  if (!user) co_return std::unexpected(user.error());
  if (next == current) {
    co_return Fail(Errc::kWeakPassword, "The new password is your current one: choose another.");
  }
  if (auto ok = CheckPassword(next, deps_.config); !ok) co_return ok;
  auto hash = co_await deps_.hasher.Hash(next);
  if (!hash) co_return std::unexpected(hash.error());
  const std::int64_t user_id = user->id;
  const std::int64_t now = NowMs();
  const std::string keep = principal.session_id;
  auto write = [this, user_id, &hash, &keep, now] {
    return deps_.db.Write(
        [&](Transaction& tx) { return ReplacePassword(tx, user_id, *hash, keep, now); });
  };
  auto ended = co_await RunBlocking(deps_.workers, std::move(write));
  if (!ended) co_return std::unexpected(ended.error());
  deps_.sessions.Evict(*ended);
  co_return Result<void>{};
}

net::awaitable<Result<EmailChange>> PasswordService::RequestEmailChange(const Principal& principal,
                                                                        std::string email,
                                                                        std::string password,
                                                                        ClientInfo client,
                                                                        int* retry_after_s) {
  auto normalized = NormalizeEmail(email);
  if (!normalized) co_return std::unexpected(normalized.error());
  auto user = co_await CheckCurrentPassword(principal, password, client, retry_after_s);
  if (!user) co_return std::unexpected(user.error());
  if (*normalized == user->email) {
    co_return Fail(Errc::kInvalidEmail, "{} is already your email address.", *normalized);
  }
  const std::int64_t now = NowMs();
  EmailChange change{*normalized, now + deps_.config.verification_token_ttl_h * kHourMs};
  auto write = [this, &user, &change, &client, now, retry_after_s] {
    return deps_.db.Write([&](Transaction& tx) -> Result<void> {
      auto other = AccountStore::FindUserByEmail(tx, change.new_email);
      if (!other) return std::unexpected(other.error());
      if (*other) {
        return Fail(Errc::kEmailTaken, "Another account uses {}. Choose another address.",
                    change.new_email);
      }
      // A mail to any address the caller names: charged to the account and the client address
      // as the other mailed links are.
      auto charged = ChargeEmailRequest(tx, user->email, client.ip,
                                        deps_.config.email_requests_per_hour, now, retry_after_s);
      if (!charged) return charged;
      std::string token = RandomToken(32);
      db::EmailChangeRecord rec{HashToken(token),     user->id, change.new_email, now,
                                change.expires_at_ms, {}};
      if (auto r = AccountStore::InsertEmailChange(tx, rec); !r) return r;
      return QueueMail(tx, mail::Template::kEmailConfirm, change.new_email,
                       {{"name", user->name},
                        {"link", deps_.public_url + "/confirm-email?token=" + token},
                        {"old_email", user->email},
                        {"new_email", change.new_email},
                        {"hours", std::to_string(deps_.config.verification_token_ttl_h)}},
                       now);
    });
  };
  auto written = co_await RunBlocking(deps_.workers, std::move(write));
  if (!written) co_return std::unexpected(written.error());
  co_return change;
}

net::awaitable<Result<ChangedEmail>> PasswordService::ConfirmEmailChange(std::string token) {
  const std::int64_t now = NowMs();
  auto write = [this, &token, now] {
    return deps_.db.Write([&](Transaction& tx) -> Result<ChangedEmail> {
      auto invalid = [] {
        return Fail(Errc::kInvalidToken,
                    "This link is no longer valid: it was used, a newer change was asked for, "
                    "or it expired. Ask again in Settings.");
      };
      if (token.empty()) return invalid();
      const std::string hash = HashToken(token);
      auto change = AccountStore::FindEmailChange(tx, hash);
      if (!change) return std::unexpected(change.error());
      if (!*change || (*change)->used_at || now >= (*change)->expires_at) return invalid();
      auto user = AccountStore::FindUser(tx, (*change)->user_id);
      if (!user) return std::unexpected(user.error());
      if (!*user || (*user)->disabled) return invalid();
      const std::string& next = (*change)->new_email;
      auto other = AccountStore::FindUserByEmail(tx, next);
      if (!other) return std::unexpected(other.error());
      if (*other && (*other)->id != (*user)->id) {
        return Fail(Errc::kEmailTaken,
                    "Another account has used {} since the link was sent. Ask again in Settings "
                    "with another address.",
                    next);
      }
      if (auto r = AccountStore::UseEmailChange(tx, hash, now); !r)
        return std::unexpected(r.error());
      if (auto r = AccountStore::SetEmail(tx, (*user)->id, next, now); !r) {
        return std::unexpected(r.error());
      }
      // Links mailed to the old address (verification, reset) stop working with it.
      for (std::string_view purpose : {kVerifyPurpose, kResetPurpose}) {
        if (auto r = AccountStore::RetireEmailTokens(tx, (*user)->id, purpose, now); !r) {
          return std::unexpected(r.error());
        }
      }
      if (auto r = QueueMail(
              tx, mail::Template::kEmailChanged, (*user)->email,
              {{"name", (*user)->name}, {"new_email", next}, {"public_url", deps_.public_url}},
              now);
          !r) {
        return std::unexpected(r.error());
      }
      return ChangedEmail{(*user)->id, next};
    });
  };
  auto changed = co_await RunBlocking(deps_.workers, std::move(write));
  if (!changed) co_return std::unexpected(changed.error());
  deps_.sessions.EvictUser(changed->user_id);  // Cached principals hold the old address.
  co_return std::move(*changed);
}

net::awaitable<Result<std::optional<EmailChange>>> PasswordService::PendingEmailChange(
    std::int64_t user_id) {
  const std::int64_t now = NowMs();
  auto read = [this, user_id, now] {
    return deps_.db.Read([&](Transaction& tx) -> Result<std::optional<EmailChange>> {
      auto change = AccountStore::PendingEmailChange(tx, user_id, now);
      if (!change) return std::unexpected(change.error());
      if (!*change) return std::optional<EmailChange>();
      return std::optional<EmailChange>(EmailChange{(*change)->new_email, (*change)->expires_at});
    });
  };
  co_return co_await RunBlocking(deps_.workers, std::move(read));
}

net::awaitable<Result<void>> PasswordService::CancelEmailChange(std::int64_t user_id) {
  const std::int64_t now = NowMs();
  auto write = [this, user_id, now] {
    return deps_.db.Write(
        [&](Transaction& tx) { return AccountStore::CancelEmailChanges(tx, user_id, now); });
  };
  co_return co_await RunBlocking(deps_.workers, std::move(write));
}

}  // namespace nimbus::core
