// Accounts: the account services built together (password hasher, sessions, accounts,
// passwords) over one database, disk pool and worker pool, as `nimbus serve` and the admin CLI
// use them. Construct once; it must outlive every request that uses it.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>

#include "config/accounts.h"
#include "core/account_service.h"
#include "core/password_hasher.h"
#include "core/password_service.h"
#include "core/session_service.h"
#include "db/database.h"
#include "storage/pool/disk_pool.h"
#include "util/clock.h"
#include "util/worker_pool.h"

namespace nimbus::core {

struct Accounts {
  // `public_url` is read whenever a mail is composed (it may be set after construction).
  Accounts(db::Database& db, storage::DiskPool& pool, WorkerPool& workers, const Clock& clock,
           const config::AccountsConfig& config, const std::string& public_url)
      : hasher(config),
        sessions(SessionDeps{db, workers, clock, config}),
        accounts(AccountDeps{db, pool, workers, hasher, sessions, clock, config, public_url}),
        passwords(AccountDeps{db, pool, workers, hasher, sessions, clock, config, public_url}) {}

  PasswordHasher hasher;
  SessionService sessions;
  AccountService accounts;
  PasswordService passwords;
};

}  // namespace nimbus::core
