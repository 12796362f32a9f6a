// RepairJournal: keeps the repair queues of the mirrored pairs in the `repair_queue` table, so a
// restart does not forget a blob that one side is missing. PairState events are batched and
// written on the WorkerPool, never on the thread (often an io thread) that queued the repair.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "db/stores/repair_queue_store.h"
#include "storage/mirror/pair_state.h"
#include "util/clock.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::storage {

// Thread-safe. Make it with std::make_shared (the posted flushes keep it alive). The database and
// the pool must outlive it, or Close() it first.
class RepairJournal : public std::enable_shared_from_this<RepairJournal> {
 public:
  RepairJournal(db::Database& db, WorkerPool& workers, const Clock& clock);

  // Observes `state`: a queued repair adds a row, a finished one removes it, under the pair's
  // primary id at that moment. Writes are batched into one transaction and run on the pool; a
  // failed write is logged (the in-memory queue still has the entry).
  void Watch(PairState& state);
  // The persisted entries of pair `primary_id`, oldest first (for PairState::RestoreRepairs).
  // Entries with an unparsable blob id are skipped. Blocking.
  Result<std::vector<RepairItem>> Load(std::string_view primary_id);
  // Points the entries of pair `from` at `to` (the pair was renamed by a replace). Blocking.
  Result<void> MovePair(std::string_view from, std::string_view to);
  // Writes what is pending now. Blocking.
  Result<void> Flush();
  // Flushes, then drops later events (for shutdown, before the database goes away). Blocking.
  void Close();

 private:
  struct Op {
    bool add = true;
    db::RepairRow row;
  };
  void Note(Op op);
  void FlushPosted();

  db::Database& db_;
  WorkerPool& workers_;
  const Clock& clock_;
  std::mutex flush_mu_;  // One flush at a time, in order.
  std::mutex mu_;
  std::vector<Op> pending_;       // Guarded by mu_.
  bool flush_scheduled_ = false;  // Guarded by mu_.
  bool closed_ = false;           // Guarded by mu_.
};

}  // namespace nimbus::storage
