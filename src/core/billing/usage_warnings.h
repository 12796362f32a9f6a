// UsageWarnings: the mails that tell a user their files and trash passed 85, 90 or 95 % of their
// plan (issue 7 "Warnings"), each threshold once until usage drops below it again. Checked off
// the request path after every change of usage or plan. (The in-app banner is the web app's,
// computed from /me.)
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "db/database.h"
#include "util/clock.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::core::billing {

// The thresholds, in percent of the plan, lowest first.
inline constexpr int kUsageThresholds[] = {85, 90, 95};
// A threshold passed counts as passed until usage is this many points of the plan below it.
inline constexpr int kUsageHysteresisPercent = 2;

// The highest threshold that `used` bytes reach of a `quota` of bytes (used × 100 ≥ threshold ×
// quota, exactly); 0 below the lowest or when quota ≤ 0.
int UsageLevel(std::int64_t used, std::int64_t quota);

// What one check found and did.
struct UsageCheck {
  int previous = 0;     // The level stored before (0, 85, 90 or 95).
  int level = 0;        // The level stored now.
  bool mailed = false;  // A kUsageWarning mail was queued (the level went up).
};

// Inside a write transaction: compares the user's usage (live files + trash, allocations.
// used_bytes) with their plan (the allocation, or the target of a move between categories) and
// the level stored in usage_warnings. Up to a higher threshold: the new level is stored and ONE
// mail queued for the highest threshold reached (a jump from 50 % to 96 % mails "95%" only), with
// a link to <public_url>/plan. Below the stored threshold by kUsageHysteresisPercent points of
// the plan or more: the level is lowered to the highest still reached, without a mail, so
// crossing it again mails again. A user without a storage
// allocation: nothing (previous = level = 0).
Result<UsageCheck> CheckUsageIn(db::Transaction& tx, std::int64_t user_id, std::int64_t now_ms,
                                std::string_view public_url);

struct UsageWarningsDeps {
  db::Database& db;  // Migrated to 0012_billing_standing.
  WorkerPool& workers;
  const Clock& clock;
  const std::string& public_url;  // Read at each check (serve may set it once it listens).
};

// Thread-safe. Deps must outlive it.
class UsageWarnings {
 public:
  explicit UsageWarnings(UsageWarningsDeps deps);
  // Waits for a check that is running, then runs the checks still queued on this thread (the
  // pool may be joined already); their queued copies do nothing.
  ~UsageWarnings();
  UsageWarnings(const UsageWarnings&) = delete;
  UsageWarnings& operator=(const UsageWarnings&) = delete;

  // CheckUsageIn in its own write transaction, now. Blocks on the database (a worker, the CLI or a
  // test; never an io thread). Errors are the database's.
  Result<UsageCheck> Check(std::int64_t user_id);
  // Queues a Check of `user_id` on the worker pool and returns at once (callable from an io
  // thread). Bursts coalesce: while a check of the user is queued and not started, further calls
  // add nothing, so many small uploads cost one check shortly after. True when this call queued
  // a check, false when one was waiting already (or the object is being destroyed). A failed
  // check is logged.
  bool Schedule(std::int64_t user_id);

 private:
  struct Shared;  // What the queued checks share with this object.
  std::shared_ptr<Shared> shared_;
};

}  // namespace nimbus::core::billing
