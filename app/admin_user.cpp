// SPDX-License-Identifier: AGPL-3.0-or-later
// `nimbus admin user create|promote|disable|list`: accounts from the command line, against the
// same database as the server (running or not). Prompt-less: a password comes from a file, or a
// random one is printed once.
#include <fmt/core.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <chrono>
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
#include "core/billing/billing_service.h"
#include "core/email_address.h"
#include "core/files/quota_tx.h"
#include "core/secrets.h"
#include "db/stores/account_store.h"
#include "run_to_end.h"
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

int ListUsers(const config::Config& config, bool json, const std::string& sort) {
  if (!sort.empty() && sort != "used" && sort != "plan" && sort != "email") {
    fmt::print(stderr, "nimbus: --sort takes used, plan or email, not '{}'\n", sort);
    return 2;
  }
  // Each user with their plan, usage and standing (as GET /api/v1/admin/users has them), so that
  // an operator sees who uses the most without the API (QA pass 19).
  using Row = std::pair<core::User, std::optional<core::Profile>>;
  auto rows = WithAccounts<std::vector<Row>>(
      config,
      [](core::Accounts& a) -> net::awaitable<Result<std::vector<Row>>> {
        auto users = co_await a.accounts.AllUsers();
        if (!users) co_return std::unexpected(users.error());
        std::vector<Row> out;
        for (core::User& u : *users) {
          auto profile = co_await a.accounts.GetProfile(u.id);
          out.emplace_back(std::move(u), profile ? std::optional(std::move(*profile))
                                                 : std::optional<core::Profile>());
        }
        co_return out;
      },
      RuntimeOptions{.existing_data_only = true});
  if (!rows) {
    PrintError(rows.error());
    return 1;
  }
  auto used = [](const Row& r) {
    return r.second ? r.second->used_bytes + r.second->trash_bytes : 0;
  };
  auto plan = [](const Row& r) { return r.second ? r.second->plan_bytes : 0; };
  if (sort == "used") {
    std::ranges::stable_sort(*rows, [&](const Row& a, const Row& b) { return used(a) > used(b); });
  } else if (sort == "plan") {
    std::ranges::stable_sort(*rows, [&](const Row& a, const Row& b) { return plan(a) > plan(b); });
  } else if (sort == "email") {
    std::ranges::stable_sort(
        *rows, [](const Row& a, const Row& b) { return a.first.email < b.first.email; });
  }
  if (json) {
    boost::json::array out;
    for (const auto& [u, p] : *rows) out.push_back(p ? api::AccountJson(*p) : api::UserJson(u));
    fmt::print("{}\n", boost::json::serialize(out));
    return 0;
  }
  auto bytes = [](std::uint64_t b) {
    return core::files::HumanBytes(static_cast<std::int64_t>(b));
  };
  fmt::print("{:<20} {:<32} {:<20} {:<6} {:<9} {:<8} {:<10} {:>10} {:>10} {:<8}\n", "ID", "EMAIL",
             "NAME", "ADMIN", "DISABLED", "VERIFIED", "PLAN", "USED", "TRASH", "BILLING");
  for (const auto& [u, p] : *rows) {
    const std::string plan_text =
        p ? fmt::format("{} GB {}", p->plan_bytes >> 30, p->category) : std::string("-");
    fmt::print("{:<20} {:<32} {:<20} {:<6} {:<9} {:<8} {:<10} {:>10} {:>10} {:<8}\n", u.id, u.email,
               u.name, u.is_admin ? "yes" : "no",
               u.closing ? "deleting" : (u.disabled ? "yes" : "no"), Verified(u), plan_text,
               p ? bytes(p->used_bytes) : "-", p ? bytes(p->trash_bytes) : "-",
               p ? p->billing.state : "-");
  }
  return 0;
}

int SetUserPlan(const config::Config& config, const std::string& email, std::int64_t size_gb,
                std::optional<bool> complimentary) {
  net::io_context ioc;
  auto rt = OpenRuntime(config, ioc.get_executor(),
                        RuntimeOptions{.open_volumes = true, .sweep_tmp = false});
  if (!rt) {
    PrintError(rt.error());
    return 1;
  }
  Runtime& r = **rt;
  if (!r.blobs) {
    fmt::print(stderr, "nimbus: the disks are not open; a plan change needs them\n");
    return 1;
  }
  core::Accounts accounts(*r.db, r.storage->pool(), *r.workers, r.clock, r.config.accounts,
                          r.config.server.public_url);
  core::billing::BillingService billing({*r.db, *r.blobs, r.storage->pool(), *r.workers, r.clock,
                                         r.config.billing, nullptr, r.config.server.public_url});
  // The change (its checks, the storage step, the billing account), then a move to another
  // disk category to its end, with its progress: a server running meanwhile sees the new plan
  // at once (the database), and the files stay readable from the old disks until the switch.
  std::atomic<bool> stop{false};
  auto run = [&]() -> net::awaitable<Result<std::string>> {
    auto find = [&] {
      return r.db->Read([&](db::Transaction& tx) {
        return db::AccountStore::FindUserByEmail(tx, core::NormalizeEmail(email).value_or(email));
      });
    };
    auto user = co_await RunBlocking(*r.workers, find);
    if (!user) co_return std::unexpected(user.error());
    if (!*user) co_return Fail(Errc::kNotFound, "there is no user {}", email);
    const std::int64_t id = (*user)->id;
    auto changed = co_await billing.SetPlanByAdmin(id, size_gb, /*admin_id=*/0, complimentary);
    if (!changed) co_return std::unexpected(changed.error());
    const core::billing::Plan& plan = changed->plan;
    std::string said =
        fmt::format("{} now has the {} GB plan (category {}){}", (*user)->email, plan.size_gb,
                    plan.category, plan.complimentary ? ", a gift: never invoiced" : "");
    if (!plan.migration) co_return said;
    fmt::print("{}; moving their files to the disks of category {}…\n", said, plan.category);
    std::fflush(stdout);
    net::steady_timer timer(co_await net::this_coro::executor);
    std::string last;
    for (;;) {
      timer.expires_after(std::chrono::milliseconds(500));
      auto [ec] = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
      (void)ec;
      auto progress = r.blobs->MoveProgressOf(id);
      if (!progress) continue;
      const std::string now =
          fmt::format("move: {}, {} files ({}) copied", progress->state, progress->copied_blobs,
                      core::files::HumanBytes(progress->copied_bytes));
      if (now != last) {
        fmt::print("{}\n", now);
        last = now;
      }
      std::fflush(stdout);
      if (progress->state == "done") co_return fmt::format("{}; the move is done", said);
      if (progress->state == "failed" || progress->state == "cancelled" || stop) {
        co_return Fail(Errc::kUnavailable,
                       "the move of {}'s files stopped ({}{}); the new plan holds, the files "
                       "stay readable where they are, and the move goes on at the server's next "
                       "start",
                       (*user)->email, progress->state,
                       progress->last_error.empty() ? "" : ": " + progress->last_error);
      }
    }
  };
  Result<std::string> result = RunToEnd(ioc, stop, run(), "the plan change");
  r.blobs->StopMoves();
  if (!result) {
    PrintError(result.error());
    return result.error().code == Errc::kInvalidPlanSize ? 2 : ExitCodeOf(result.error());
  }
  fmt::print("{}\n", *result);
  return 0;
}

}  // namespace nimbus::app
