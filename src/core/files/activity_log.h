// ActivityLog: what grantees and link visitors did with shared items, for the owners' activity
// views (GET /shares/{id}/activity, /links/{id}/activity). Owners' own actions are not recorded.
// Recording never delays or fails the request: rows are written on the worker pool, in the
// order noted. Reads ("view", "list") of the same node through the same share or link are
// recorded at most once a minute; changes and downloads every time. The newest kKeep rows per
// share/link are kept.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/files/access.h"
#include "core/files/file_types.h"
#include "db/database.h"
#include "db/stores/activity_store.h"
#include "util/clock.h"
#include "util/worker_pool.h"

namespace nimbus::core::files {

class ActivityLog {
 public:
  static constexpr int kKeep = 200;

  ActivityLog(db::Database& db, WorkerPool& workers, const Clock& clock)
      : db_(db), workers_(workers), clock_(clock) {}

  // Records that `caller` did `action` on `node` (as Authorize returned it) when access came
  // through a share or a link; does nothing for the owner. Thread-safe; returns at once.
  void Note(const Caller& caller, const Node& node, std::string_view action);

  // Waits until every row noted so far is written (tests, shutdown).
  void Flush();

 private:
  void Drain();  // On the pool: writes queue_ until it is empty.

  db::Database& db_;
  WorkerPool& workers_;
  const Clock& clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::int64_t> last_read_;  // key → ms of the last read noted.
  std::vector<db::ActivityRow> queue_;  // Noted, not yet written; guarded by mutex_.
  bool draining_ = false;               // A Drain is posted or running.
  std::condition_variable idle_;
};

}  // namespace nimbus::core::files
