// AccountDeps: what the account services (AccountService, PasswordService) use. References
// must outlive the services.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>

#include "config/accounts.h"
#include "core/password_hasher.h"
#include "core/session_service.h"
#include "db/database.h"
#include "storage/pool/disk_pool.h"
#include "util/clock.h"
#include "util/worker_pool.h"

namespace nimbus::core {

struct AccountDeps {
  db::Database& db;  // Migrated to 0006_accounts (and 0005_mail_outbox).
  storage::DiskPool& pool;
  WorkerPool& workers;
  PasswordHasher& hasher;
  SessionService& sessions;
  const Clock& clock;
  const config::AccountsConfig& config;
  // Base of links in mails; read when a mail is composed (with listen port 0 it becomes known
  // only after the server listens).
  const std::string& public_url;
};

}  // namespace nimbus::core
