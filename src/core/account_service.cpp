// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/account_service.h"

#include <utility>

#include "core/account_mail.h"
#include "core/billing/ledger.h"
#include "core/email_address.h"
#include "core/password_policy.h"
#include "core/secrets.h"
#include "core/user_record.h"
#include "db/stores/account_store.h"
#include "db/stores/session_store.h"
#include "util/run_blocking.h"
#include "util/trim.h"

namespace nimbus::core {
namespace {

using db::AccountStore;
using db::Transaction;

constexpr std::size_t kMaxNameChars = 100;
constexpr std::int64_t kHourMs = 3'600'000;

std::string Trim(std::string_view s) { return std::string(TrimSpace(s)); }

Result<std::string> CleanName(std::string_view name) {
  std::string n = Trim(name);
  if (n.size() > kMaxNameChars) {
    return Fail(Errc::kInvalidArgument, "The name must be at most {} characters.", kMaxNameChars);
  }
  // Line breaks, NUL, bell and the like break mail headers, tables and the CLI's listings.
  for (unsigned char c : n) {
    if (c < 0x20 || c == 0x7f) {
      return Fail(Errc::kInvalidArgument,
                  "The name cannot contain line breaks, tabs or other control characters.");
    }
  }
  return n;
}

std::string VerifyLink(const std::string& public_url, const std::string& token) {
  return public_url + "/verify-email?token=" + token;
}

}  // namespace

net::awaitable<Result<User>> AccountService::Signup(std::string email, std::string password,
                                                    std::string name) {
  // Built in its own statement: GCC 12 frees a braced temporary argument of an awaited
  // coroutine twice.
  NewAccount account{std::move(email), std::move(name), std::move(password), false, false, false};
  co_return co_await Create(std::move(account));
}

net::awaitable<Result<User>> AccountService::CreateUser(std::string email, std::string name,
                                                        std::string password, bool is_admin) {
  NewAccount account{std::move(email), std::move(name), std::move(password), is_admin, true, true};
  co_return co_await Create(std::move(account));
}

net::awaitable<Result<User>> AccountService::Create(NewAccount a) {
  auto email = NormalizeEmail(a.email);
  if (!email) co_return std::unexpected(email.error());
  a.email = std::move(*email);
  auto name = CleanName(a.name);
  if (!name) co_return std::unexpected(name.error());
  a.name = name->empty() ? a.email.substr(0, a.email.find('@')) : std::move(*name);
  if (auto ok = CheckPassword(a.password, deps_.config); !ok) co_return std::unexpected(ok.error());

  // Cheap refusals before the expensive hash and the allocation (InsertUser checks again).
  auto precheck = [this, &a] {
    return deps_.db.Read([&](Transaction& tx) -> Result<void> {
      auto existing = AccountStore::FindUserByEmail(tx, a.email);
      if (!existing) return std::unexpected(existing.error());
      if (*existing) return Fail(Errc::kEmailTaken, "An account with this email already exists.");
      return {};
    });
  };
  if (auto ok = co_await RunBlocking(deps_.workers, std::move(precheck)); !ok) {
    co_return std::unexpected(ok.error());
  }
  auto hash = co_await deps_.hasher.Hash(a.password);
  if (!hash) co_return std::unexpected(hash.error());

  // The allocation comes first, under a fresh random id that nothing references yet: the pool
  // commits it in its own transaction. If the user's transaction then fails, the allocation is
  // released again, so a failed sign-up leaves nothing behind (and no_capacity creates nothing,
  // since nothing else exists yet). A crash between the two leaves an allocation without a user,
  // which no one can reach.
  const std::int64_t id = RandomId();
  auto allocate = [this, id] { return deps_.pool.Allocate(id, kFreePlanBytes); };
  auto placed = co_await RunBlocking(deps_.workers, std::move(allocate));
  if (!placed) co_return std::unexpected(placed.error());

  const std::int64_t now = NowMs();
  db::UserRecord rec{id,
                     a.email,
                     a.name,
                     std::move(*hash),
                     false,
                     false,
                     a.verified ? std::optional<std::int64_t>(now) : std::nullopt,
                     RandomHex(16),
                     now,
                     now};
  auto insert = [this, &rec, &a] { return InsertUser(rec, a); };
  auto user = co_await RunBlocking(deps_.workers, std::move(insert));
  if (!user) {
    auto release = [this, id] { return deps_.pool.Release(id); };
    (void)co_await RunBlocking(deps_.workers, std::move(release));
    co_return std::unexpected(user.error());
  }
  co_return user;
}

Result<User> AccountService::InsertUser(const db::UserRecord& rec, const NewAccount& a) {
  return deps_.db.Write([&](Transaction& tx) -> Result<User> {
    auto count = AccountStore::CountUsers(tx);
    if (!count) return std::unexpected(count.error());
    if (!deps_.config.signup_enabled && !a.allow_when_closed && *count > 0) {
      return Fail(Errc::kForbidden, "Sign-up is closed on this server. Ask its administrator.");
    }
    db::UserRecord row = rec;
    row.is_admin = a.force_admin || *count == 0;  // The first account ever is the admin.
    if (auto r = AccountStore::InsertUser(tx, row); !r) {
      if (r.error().code == Errc::kConflict) {
        return Fail(Errc::kEmailTaken, "An account with this email already exists.");
      }
      return std::unexpected(r.error());
    }
    if (!a.verified) {
      const std::int64_t ttl = deps_.config.verification_token_ttl_h * kHourMs;
      auto token = IssueEmailToken(tx, row.id, kVerifyPurpose, row.created_at, ttl);
      if (!token) return std::unexpected(token.error());
      auto queued = QueueMail(tx, mail::Template::kVerifyEmail, row.email,
                              {{"name", row.name}, {"link", VerifyLink(deps_.public_url, *token)}},
                              row.created_at);
      if (!queued) return std::unexpected(queued.error());
    }
    return ToUser(row);
  });
}

net::awaitable<Result<void>> AccountService::VerifyEmail(std::string token) {
  const std::int64_t now = NowMs();
  auto write = [this, &token, now] {
    return deps_.db.Write([&](Transaction& tx) -> Result<std::int64_t> {
      auto user_id = ConsumeEmailToken(tx, token, kVerifyPurpose, now);
      if (!user_id) {
        // The link opened again (a second click, the mail app's preview): the address is
        // confirmed already, so that is what the person sees, not "invalid".
        auto rec = AccountStore::FindEmailToken(tx, HashToken(token));
        if (rec && *rec && (*rec)->purpose == kVerifyPurpose && (*rec)->used_at) {
          auto user = AccountStore::FindUser(tx, (*rec)->user_id);
          if (user && *user && (*user)->email_verified_at) return (*rec)->user_id;
        }
        return std::unexpected(user_id.error());
      }
      if (auto r = AccountStore::SetEmailVerified(tx, *user_id, now); !r) {
        return std::unexpected(r.error());
      }
      return *user_id;
    });
  };
  auto user_id = co_await RunBlocking(deps_.workers, std::move(write));
  if (!user_id) co_return std::unexpected(user_id.error());
  deps_.sessions.EvictUser(*user_id);  // Cached principals still say "unverified".
  ForgetProfile(*user_id);
  co_return Result<void>{};
}

net::awaitable<Result<void>> AccountService::ResendVerification(std::string email,
                                                                ClientInfo client,
                                                                int* retry_after_s) {
  auto normalized = NormalizeEmail(email);
  // A malformed address cannot have an account: answer as for any unknown one.
  const std::string addr = normalized ? *normalized : Trim(email);
  const std::int64_t now = NowMs();
  auto write = [this, &addr, &client, now, retry_after_s, valid = normalized.has_value()] {
    return deps_.db.Write([&](Transaction& tx) -> Result<void> {
      auto charged = ChargeEmailRequest(tx, addr, client.ip, deps_.config.email_requests_per_hour,
                                        now, retry_after_s);
      if (!charged) return charged;
      if (!valid) return {};
      auto user = AccountStore::FindUserByEmail(tx, addr);
      if (!user) return std::unexpected(user.error());
      if (!*user || (*user)->disabled || (*user)->email_verified_at) return {};
      const std::int64_t ttl = deps_.config.verification_token_ttl_h * kHourMs;
      auto token = IssueEmailToken(tx, (*user)->id, kVerifyPurpose, now, ttl);
      if (!token) return std::unexpected(token.error());
      return QueueMail(tx, mail::Template::kVerifyEmail, addr,
                       {{"name", (*user)->name}, {"link", VerifyLink(deps_.public_url, *token)}},
                       now);
    });
  };
  co_return co_await RunBlocking(deps_.workers, std::move(write));
}

void AccountService::ForgetProfile(std::int64_t user_id) {
  std::lock_guard lock(profiles_mu_);
  profiles_.erase(user_id);
  ++profiles_generation_;
}

net::awaitable<Result<Profile>> AccountService::GetProfile(std::int64_t user_id) {
  std::uint64_t generation = 0;  // The cache's, before the read: see profiles_generation_.
  {
    std::lock_guard lock(profiles_mu_);
    auto it = profiles_.find(user_id);
    if (it != profiles_.end() && it->second.expires > std::chrono::steady_clock::now()) {
      co_return it->second.profile;
    }
    generation = profiles_generation_;
  }
  // One hop to the worker pool for both reads.
  auto read = [this, user_id]() -> Result<Profile> {
    std::int64_t trash = 0;
    std::int64_t reserved = 0;
    billing::Standing standing;
    auto user = deps_.db.Read([&](Transaction& tx) -> Result<User> {
      auto u = AccountStore::FindUser(tx, user_id);
      if (!u) return std::unexpected(u.error());
      if (!*u) return Fail(Errc::kNotFound, "no user {}", user_id);
      auto t = AccountStore::TrashBytes(tx, user_id);
      if (!t) return std::unexpected(t.error());
      trash = *t;
      auto r = AccountStore::ReservedBytes(tx, user_id);
      if (!r) return std::unexpected(r.error());
      reserved = *r;
      auto s = billing::StandingOf(tx, user_id);
      if (!s) return std::unexpected(s.error());
      standing = std::move(*s);
      return ToUser(**u);
    });
    if (!user) return std::unexpected(user.error());
    Profile p{std::move(*user), 0, "", 0, 0, 0, std::move(standing)};
    p.reserved_bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(reserved, 0));
    // The move first: one that switches between the two reads then shows as the new
    // allocation, not as the old one without a move (a stale quota for a second).
    auto move = deps_.pool.MoveOf(user_id);
    auto placement = deps_.pool.Locate(user_id);
    if (placement) {
      p.plan_bytes = placement->bytes;
      p.category = placement->pair.category;
      // Moving to another category (a plan change): the new plan is the quota at once.
      if (move) {
        p.plan_bytes = move->to_bytes;
        p.category = move->to.category;
      }
      // The allocation counts every recorded blob: live files and the trash.
      const auto trash_bytes = static_cast<std::uint64_t>(trash);
      p.trash_bytes = trash_bytes;
      p.used_bytes = placement->used_bytes > trash_bytes ? placement->used_bytes - trash_bytes : 0;
    } else if (placement.error().code != Errc::kNotFound) {
      return std::unexpected(placement.error());
    }
    return p;
  };
  auto profile = co_await RunBlocking(deps_.workers, std::move(read));
  if (profile) {
    std::lock_guard lock(profiles_mu_);
    if (profiles_.size() >= 10000) profiles_.clear();  // Bounded; rebuilt on demand.
    if (generation == profiles_generation_) {
      profiles_[user_id] = {*profile, std::chrono::steady_clock::now() + kProfileTtl};
    }
  }
  co_return profile;
}

net::awaitable<Result<User>> AccountService::UpdateName(std::int64_t user_id, std::string name) {
  auto clean = CleanName(name);
  if (!clean) co_return std::unexpected(clean.error());
  if (clean->empty()) co_return Fail(Errc::kInvalidArgument, "The name cannot be empty.");
  const std::int64_t now = NowMs();
  auto write = [this, user_id, &clean, now] {
    return deps_.db.Write([&](Transaction& tx) -> Result<User> {
      if (auto r = AccountStore::SetName(tx, user_id, *clean, now); !r) {
        return std::unexpected(r.error());
      }
      auto u = AccountStore::FindUser(tx, user_id);
      if (!u) return std::unexpected(u.error());
      if (!*u) return Fail(Errc::kNotFound, "no user {}", user_id);
      return ToUser(**u);
    });
  };
  auto user = co_await RunBlocking(deps_.workers, std::move(write));
  if (user) deps_.sessions.EvictUser(user_id);
  ForgetProfile(user_id);
  co_return user;
}

net::awaitable<Result<std::vector<User>>> AccountService::AllUsers() {
  auto read = [this] {
    return deps_.db.Read([&](Transaction& tx) -> Result<std::vector<User>> {
      auto rows = AccountStore::ListUsers(tx);
      if (!rows) return std::unexpected(rows.error());
      std::vector<User> out;
      for (const auto& r : *rows) out.push_back(ToUser(r));
      return out;
    });
  };
  co_return co_await RunBlocking(deps_.workers, std::move(read));
}

net::awaitable<Result<std::vector<User>>> AccountService::ListUsers(const User& actor) {
  if (!actor.is_admin) co_return Fail(Errc::kNotFound, "There is nothing at this address.");
  co_return co_await AllUsers();
}

Result<User> AccountService::ApplyFlags(std::int64_t target_id, std::optional<bool> disabled,
                                        std::optional<bool> is_admin,
                                        std::vector<std::string>& ended) {
  const std::int64_t now = NowMs();
  return deps_.db.Write([&](Transaction& tx) -> Result<User> {
    auto u = AccountStore::FindUser(tx, target_id);
    if (!u) return std::unexpected(u.error());
    if (!*u) return Fail(Errc::kNotFound, "There is no user with this id.");
    db::UserRecord row = **u;
    // Its files are gone already: enabled again, it would be an account without a root folder.
    if (row.closing_at && disabled == false) {
      return Fail(Errc::kConflict,
                  "The deletion of {} was cut short (a process stopped during it): it cannot be "
                  "enabled again. Run `nimbus admin user delete {} --yes` to finish it (the "
                  "server finishes it too when it starts).",
                  row.email, row.email);
    }
    const bool was_active_admin = row.is_admin && !row.disabled;
    row.disabled = disabled.value_or(row.disabled);
    row.is_admin = is_admin.value_or(row.is_admin);
    if (was_active_admin && !(row.is_admin && !row.disabled)) {
      auto admins = AccountStore::CountActiveAdmins(tx);
      if (!admins) return std::unexpected(admins.error());
      if (*admins <= 1) {
        return Fail(Errc::kConflict,
                    "This is the last admin: make another user an admin before demoting or "
                    "disabling this one.");
      }
    }
    if (auto r = AccountStore::SetFlags(tx, target_id, row.disabled, row.is_admin, now); !r) {
      return std::unexpected(r.error());
    }
    if (row.disabled) {
      auto gone = db::SessionStore::DeleteUserSessions(tx, target_id, "");
      if (!gone) return std::unexpected(gone.error());
      ended = std::move(*gone);
    }
    return ToUser(row);
  });
}

net::awaitable<Result<User>> AccountService::UpdateUser(const User& actor, std::int64_t target_id,
                                                        std::optional<bool> disabled,
                                                        std::optional<bool> is_admin) {
  if (!actor.is_admin) co_return Fail(Errc::kNotFound, "There is nothing at this address.");
  std::vector<std::string> ended;
  auto write = [this, target_id, disabled, is_admin, &ended] {
    return ApplyFlags(target_id, disabled, is_admin, ended);
  };
  auto user = co_await RunBlocking(deps_.workers, std::move(write));
  if (user) deps_.sessions.EvictUser(target_id);  // A disabled user is locked out at once.
  ForgetProfile(target_id);
  co_return user;
}

net::awaitable<Result<User>> AccountService::SetFlags(std::string email,
                                                      std::optional<bool> disabled,
                                                      std::optional<bool> is_admin, bool* changed) {
  auto normalized = NormalizeEmail(email);
  if (!normalized) co_return std::unexpected(normalized.error());
  auto find = [this, &normalized] {
    return deps_.db.Read(
        [&](Transaction& tx) { return AccountStore::FindUserByEmail(tx, *normalized); });
  };
  auto found = co_await RunBlocking(deps_.workers, std::move(find));
  if (!found) co_return std::unexpected(found.error());
  if (!*found) co_return Fail(Errc::kNotFound, "There is no user with the email {}.", *normalized);
  if (changed != nullptr) {
    *changed = (disabled && *disabled != (*found)->disabled) ||
               (is_admin && *is_admin != (*found)->is_admin);
  }
  User operator_actor;
  operator_actor.is_admin = true;
  co_return co_await UpdateUser(operator_actor, (*found)->id, disabled, is_admin);
}

Result<std::vector<std::string>> AdminEmails(db::Database& db) {
  return db.Read([&](Transaction& tx) -> Result<std::vector<std::string>> {
    auto rows = AccountStore::ListUsers(tx);
    if (!rows) return std::unexpected(rows.error());
    std::vector<std::string> out;
    for (const auto& r : *rows) {
      if (r.is_admin && !r.disabled) out.push_back(r.email);
    }
    return out;
  });
}

Result<std::vector<std::string>> AccountService::AdminEmails() {
  return core::AdminEmails(deps_.db);
}

}  // namespace nimbus::core
