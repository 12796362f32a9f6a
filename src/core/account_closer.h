// Deleting an account for good (DELETE /api/v1/me, `nimbus admin user delete`): its files and
// folders (live and trash) with their shares and links, the shares granted to it, its disk
// allocation, its billing account, sessions and tokens, then the user row. Invoices stay, as
// records. Refused while it would leave the installation without an administrator, while
// invoices are unpaid, or while the files move to another disk category.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>

#include "core/files/file_service.h"
#include "core/files/tus_service.h"
#include "core/session_service.h"
#include "db/database.h"
#include "storage/pool/disk_pool.h"
#include "util/clock.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::core {

struct AccountCloserDeps {
  db::Database& db;
  WorkerPool& workers;
  files::FileService& files;
  files::TusService* tus;  // Its unfinished resumable uploads are cancelled; may be null.
  storage::DiskPool& pool;
  SessionService& sessions;
  const Clock& clock;
  const std::string& public_url;  // For the goodbye mail; read per call.
};

// Deletes account `user_id`. kNotFound for an unknown id; kConflict (with a sentence saying what
// to do) for the refusals above. The account is disabled and signed out first, so nothing new
// lands in it while its files go. A mail tells the address it happened.
// `by_admin`: an administrator (the admin page, the CLI) rather than the user did it; the mail
// and the refusals are worded for that.
// The account is marked as being deleted in that first step: a deletion cut short (a process
// killed) goes on from where it stopped when it is run again, without its checks or a second
// mail.
boost::asio::awaitable<Result<void>> CloseAccount(const AccountCloserDeps& deps,
                                                  std::int64_t user_id, bool by_admin);

// Finishes every deletion cut short (`nimbus serve` at start, in the background). Returns how
// many accounts went; one that fails again is logged and left for the next start.
boost::asio::awaitable<Result<int>> FinishAccountClosings(const AccountCloserDeps& deps);

}  // namespace nimbus::core
