// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/account_closer.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "core/account_mail.h"
#include "db/stores/account_store.h"
#include "db/stores/billing_store.h"
#include "db/stores/disk_store.h"
#include "db/stores/tus_store.h"
#include "util/run_blocking.h"

namespace nimbus::core {

namespace net = boost::asio;

namespace {

// The checks, then the account disabled (no new sign-in, upload or share lands in it) and the
// goodbye mail queued, in one transaction. The user's email and name, for the log.
Result<db::UserRecord> Prepare(db::Transaction& tx, std::int64_t user_id, std::int64_t now,
                               const std::string& public_url, bool by_admin) {
  auto user = db::AccountStore::FindUser(tx, user_id);
  if (!user) return std::unexpected(std::move(user.error()));
  if (!*user) return Fail(Errc::kNotFound, "There is no such account.");
  const db::UserRecord& u = **user;
  // A deletion cut short (a process killed): it goes on from where it stopped; its checks were
  // passed and its mail queued by the first try.
  if (u.closing_at) return u;
  if (u.is_admin && !u.disabled) {
    auto admins = db::AccountStore::CountActiveAdmins(tx);
    if (!admins) return std::unexpected(std::move(admins.error()));
    if (*admins <= 1) {
      return Fail(Errc::kConflict,
                  "{} is the only administrator of this Nimbus: make someone else an "
                  "administrator first, then delete the account.",
                  u.email);
    }
  }
  auto open = db::BillingStore::OpenInvoices(tx, user_id);
  if (!open) return std::unexpected(std::move(open.error()));
  if (!open->empty()) {
    const char* it = open->size() == 1 ? "it" : "them";
    if (by_admin) {
      return Fail(Errc::kConflict,
                  "{} has {} unpaid invoice{}: record the payment (nimbus admin invoice "
                  "mark-paid) or have {} paid first, then delete the account.",
                  u.email, open->size(), open->size() == 1 ? "" : "s", it);
    }
    return Fail(Errc::kConflict,
                "The account has {} unpaid invoice{}: pay {} first (see Invoices), then delete "
                "the account.",
                open->size(), open->size() == 1 ? "" : "s", it);
  }
  auto move = db::DiskStore(tx).GetMove(user_id);
  if (!move) return std::unexpected(std::move(move.error()));
  if (*move) {
    return Fail(Errc::kConflict,
                "The files of this account are moving to another disk category after a plan "
                "change: try again when that has finished (a few minutes).");
  }
  if (auto r = db::AccountStore::SetFlags(tx, user_id, true, u.is_admin, now); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = db::AccountStore::SetClosing(tx, user_id, now); !r) {
    return std::unexpected(r.error());
  }
  const std::string how = by_admin ? "by an administrator of this Nimbus" : "as you asked";
  if (auto r = QueueMail(tx, mail::Template::kAccountDeleted, u.email,
                         {{"name", u.name}, {"how", how}, {"public_url", public_url}}, now);
      !r) {
    return std::unexpected(r.error());
  }
  return u;
}

}  // namespace

net::awaitable<Result<void>> CloseAccount(const AccountCloserDeps& deps, std::int64_t user_id,
                                          bool by_admin) {
  const std::int64_t now = ToUnixMs(deps.clock.Now());
  const std::string public_url = deps.public_url;
  auto prepare = [&] {
    return deps.db.Write(
        [&](db::Transaction& tx) { return Prepare(tx, user_id, now, public_url, by_admin); });
  };
  auto user = co_await RunBlocking(deps.workers, prepare);
  if (!user) co_return std::unexpected(std::move(user.error()));
  deps.sessions.EvictUser(user_id);
  // Resumable uploads: their staging files and reservations go (an upload being saved ends as
  // a file, deleted with the others below; the rows of finished ones go too).
  if (deps.tus != nullptr) {
    auto list = [&] {
      return deps.db.Read(
          [&](db::Transaction& tx) { return db::TusStore::ListByOwner(tx, user_id); });
    };
    auto uploads = co_await RunBlocking(deps.workers, list);
    if (!uploads) co_return std::unexpected(std::move(uploads.error()));
    for (const db::TusUploadRecord& u : *uploads) {
      if (auto r = co_await deps.tus->Terminate(user_id, u.id); !r) {
        spdlog::warn("deleting account {}: resumable upload {}: {}", user_id, u.id,
                     r.error().message);
      }
    }
  }
  if (auto files = co_await deps.files.DeleteEverythingOf(user_id); !files) {
    co_return std::unexpected(std::move(files.error()));
  }
  auto release = [&]() -> Result<void> {
    auto r = deps.pool.Release(user_id);
    if (!r && r.error().code == Errc::kNotFound) return {};  // Never had an allocation.
    return r;
  };
  if (auto r = co_await RunBlocking(deps.workers, release); !r) {
    // The files are gone and the account is disabled; the row stays for another try.
    co_return Fail(r.error().code,
                   "The files are deleted, but the disk space could not be freed: {}",
                   r.error().message);
  }
  auto remove = [&] {
    return deps.db.Write(
        [&](db::Transaction& tx) { return db::AccountStore::DeleteUser(tx, user_id); });
  };
  if (auto r = co_await RunBlocking(deps.workers, remove); !r) co_return r;
  deps.sessions.EvictUser(user_id);
  spdlog::info("account {} ({}) deleted with its files", user_id, user->email);
  co_return Result<void>{};
}

net::awaitable<Result<int>> FinishAccountClosings(const AccountCloserDeps& deps) {
  auto list = [&] {
    return deps.db.Read([](db::Transaction& tx) { return db::AccountStore::ListClosing(tx); });
  };
  auto ids = co_await RunBlocking(deps.workers, list);
  if (!ids) co_return std::unexpected(std::move(ids.error()));
  int finished = 0;
  for (std::int64_t id : *ids) {
    spdlog::info("account {}: finishing its deletion, cut short before", id);
    if (auto r = co_await CloseAccount(deps, id, true); !r) {
      spdlog::warn("account {}: its deletion could not be finished: {}", id, r.error().message);
      continue;
    }
    ++finished;
  }
  co_return finished;
}

}  // namespace nimbus::core
