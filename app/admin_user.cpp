// SPDX-License-Identifier: AGPL-3.0-or-later
// `nimbus admin user create|promote|disable|list`: accounts from the command line, against the
// same database as the server (running or not). Prompt-less: a password comes from a file, or a
// random one is printed once.
#include <fmt/core.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <type_traits>
#include <utility>

#include "api/json_codec.h"
#include "commands.h"
#include "core/account_closer.h"
#include "core/accounts.h"
#include "core/email_address.h"
#include "core/secrets.h"
#include "db/stores/account_store.h"
#include "runtime.h"
#include "util/run_blocking.h"

namespace nimbus::app {
namespace {

namespace net = boost::asio;

void PrintError(const Error& e) { fmt::print(stderr, "nimbus: {}\n", e.message); }

int ExitCodeOf(const Error& e) {
  switch (e.code) {
    case Errc::kNotFound:
    case Errc::kInvalidEmail:
    case Errc::kWeakPassword:
    case Errc::kInvalidArgument:
      return 2;
    default:
      return 1;
  }
}

// Runs `fn(accounts)` or `fn(accounts, runtime)` (a coroutine returning Result<T>) on a private
// io_context with the runtime opened as `options` say (by default without the volumes); returns
// its result.
template <class T, class F>
Result<T> WithAccounts(const config::Config& config, F fn, RuntimeOptions options = {}) {
  net::io_context ioc;
  auto rt = OpenRuntime(config, ioc.get_executor(), options);
  if (!rt) return std::unexpected(rt.error());
  Runtime& r = **rt;
  core::Accounts accounts(*r.db, r.storage->pool(), *r.workers, r.clock, r.config.accounts,
                          r.config.server.public_url);
  std::optional<Result<T>> out;
  auto run = [&]() -> net::awaitable<void> {
    if constexpr (std::is_invocable_v<F&, core::Accounts&, Runtime&>) {
      out.emplace(co_await fn(accounts, r));
    } else {
      out.emplace(co_await fn(accounts));
    }
  };
  net::co_spawn(ioc, run(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  ioc.run();
  return std::move(*out);
}

std::string Verified(const core::User& u) { return u.email_verified ? "yes" : "no"; }

}  // namespace

int CreateUser(const config::Config& config, const std::string& email, const std::string& name,
               bool admin, const std::string& password_file) {
  std::string password;
  bool generated = false;
  if (!password_file.empty()) {
    std::ifstream in(password_file);
    if (!in) {
      fmt::print(stderr, "nimbus: cannot read the password file {}\n", password_file);
      return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    password = ss.str();
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
      password.pop_back();
    }
  } else {
    password = core::RandomToken(18);
    generated = true;
  }
  auto user = WithAccounts<core::User>(config, [&](core::Accounts& a) {
    return a.accounts.CreateUser(email, name, password, admin);
  });
  if (!user) {
    PrintError(user.error());
    return ExitCodeOf(user.error());
  }
  fmt::print("created user {} <{}>{}\n", user->id, user->email, user->is_admin ? " (admin)" : "");
  if (generated) fmt::print("password: {}\n", password);
  return 0;
}

int PromoteUser(const config::Config& config, const std::string& email, bool demote) {
  bool changed = false;
  auto user = WithAccounts<core::User>(config, [&](core::Accounts& a) {
    return a.accounts.SetFlags(email, std::nullopt, !demote, &changed);
  });
  if (!user) {
    PrintError(user.error());
    return ExitCodeOf(user.error());
  }
  fmt::print("{} {} {}\n", user->email, changed ? "is now" : "was already",
             user->is_admin ? "an admin" : "a regular user (not an admin)");
  return 0;
}

int DisableUser(const config::Config& config, const std::string& email, bool enable) {
  bool changed = false;
  auto user = WithAccounts<core::User>(config, [&](core::Accounts& a) {
    return a.accounts.SetFlags(email, !enable, std::nullopt, &changed);
  });
  if (!user) {
    PrintError(user.error());
    return ExitCodeOf(user.error());
  }
  fmt::print("{} {} {}\n", user->email, changed ? "is now" : "was already",
             user->disabled ? "disabled" : "enabled");
  return 0;
}

int DeleteUser(const config::Config& config, const std::string& email, bool yes) {
  if (!yes) {
    fmt::print(stderr,
               "nimbus: this deletes the account {} and every file in it for good; run it again "
               "with --yes to do it\n",
               email);
    return 2;
  }
  // The disks are opened (without sweeping tmp/, which a running server uses) so that the
  // files' bytes go now.
  auto result = WithAccounts<std::string>(
      config,
      [&](core::Accounts& a, Runtime& r) -> net::awaitable<Result<std::string>> {
        auto find = [&] {
          return r.db->Read([&](db::Transaction& tx) {
            return db::AccountStore::FindUserByEmail(tx,
                                                     core::NormalizeEmail(email).value_or(email));
          });
        };
        auto user = co_await RunBlocking(*r.workers, find);
        if (!user) co_return std::unexpected(user.error());
        if (!*user) co_return Fail(Errc::kNotFound, "there is no user {}", email);
        const core::AccountCloserDeps deps{*r.db,
                                           *r.workers,
                                           *r.files,
                                           r.tus.get(),
                                           r.storage->pool(),
                                           a.sessions,
                                           r.clock,
                                           r.config.server.public_url};
        auto closed = co_await core::CloseAccount(deps, (*user)->id, /*by_admin=*/true);
        if (!closed) co_return std::unexpected(closed.error());
        co_return (*user)->email;
      },
      RuntimeOptions{.open_volumes = true, .sweep_tmp = false});
  if (!result) {
    PrintError(result.error());
    return ExitCodeOf(result.error());
  }
  fmt::print("deleted the account {} and its files\n", *result);
  return 0;
}

int ListUsers(const config::Config& config, bool json) {
  auto users = WithAccounts<std::vector<core::User>>(
      config, [](core::Accounts& a) { return a.accounts.AllUsers(); },
      RuntimeOptions{.existing_data_only = true});
  if (!users) {
    PrintError(users.error());
    return 1;
  }
  if (json) {
    boost::json::array out;
    for (const auto& u : *users) out.push_back(api::UserJson(u));
    fmt::print("{}\n", boost::json::serialize(out));
    return 0;
  }
  fmt::print("{:<20} {:<32} {:<20} {:<6} {:<9} {:<8}\n", "ID", "EMAIL", "NAME", "ADMIN", "DISABLED",
             "VERIFIED");
  for (const auto& u : *users) {
    fmt::print("{:<20} {:<32} {:<20} {:<6} {:<9} {:<8}\n", u.id, u.email, u.name,
               u.is_admin ? "yes" : "no", u.closing ? "deleting" : (u.disabled ? "yes" : "no"),
               Verified(u));
  }
  return 0;
}

}  // namespace nimbus::app
