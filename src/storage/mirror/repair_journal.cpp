// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/mirror/repair_journal.h"

#include <spdlog/spdlog.h>

namespace nimbus::storage {

RepairJournal::RepairJournal(db::Database& db, WorkerPool& workers, const Clock& clock)
    : db_(db), workers_(workers), clock_(clock) {}

void RepairJournal::Watch(PairState& state) {
  // The observer belongs to `state`, so the raw pointer cannot outlive it; the journal may go
  // first (weak).
  std::weak_ptr<RepairJournal> weak = weak_from_this();
  PairState* pair = &state;
  state.AddObserver([weak, pair](const PairEvent& e) {
    if (e.kind != PairEvent::Kind::kRepairQueued && e.kind != PairEvent::Kind::kRepairDone) return;
    auto self = weak.lock();
    if (self == nullptr) return;
    Op op;
    op.add = e.kind == PairEvent::Kind::kRepairQueued;
    op.row = db::RepairRow{pair->disk_id(Side::kPrimary), e.blob, SideName(e.side), e.detail,
                           ToUnixMs(self->clock_.Now())};
    self->Note(std::move(op));
  });
}

void RepairJournal::Note(Op op) {
  std::lock_guard lock(mu_);
  if (closed_) return;
  pending_.push_back(std::move(op));
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  workers_.Post([self = shared_from_this()] { self->FlushPosted(); });
}

void RepairJournal::FlushPosted() {
  if (auto r = Flush(); !r) {
    spdlog::warn("storage: could not persist the repair queue: {}", r.error().message);
  }
}

Result<void> RepairJournal::Flush() {
  std::lock_guard flush(flush_mu_);
  std::vector<Op> ops;
  {
    std::lock_guard lock(mu_);
    flush_scheduled_ = false;
    if (closed_) return {};
    ops.swap(pending_);
  }
  if (ops.empty()) return {};
  return db_.Write([&](db::Transaction& tx) -> Result<void> {
    db::RepairQueueStore store(tx);
    for (const Op& op : ops) {
      auto r = op.add ? store.Upsert(op.row)
                      : store.Remove(op.row.primary_id, op.row.blob_id, op.row.target);
      if (!r) return r;
    }
    return {};
  });
}

void RepairJournal::Close() {
  if (auto r = Flush(); !r) {
    spdlog::warn("storage: could not persist the repair queue: {}", r.error().message);
  }
  std::lock_guard lock(mu_);
  closed_ = true;
  pending_.clear();
}

Result<std::vector<RepairItem>> RepairJournal::Load(std::string_view primary_id) {
  if (auto flushed = Flush(); !flushed) return std::unexpected(std::move(flushed.error()));
  auto rows = db_.Read(
      [&](db::Transaction& tx) { return db::RepairQueueStore(tx).ListByPair(primary_id); });
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<RepairItem> out;
  for (const db::RepairRow& r : *rows) {
    auto id = BlobId::Parse(r.blob_id);
    if (!id) continue;
    out.push_back(
        RepairItem{*id, r.target == "primary" ? Side::kPrimary : Side::kMirror, r.reason, 0});
  }
  return out;
}

Result<void> RepairJournal::MovePair(std::string_view from, std::string_view to) {
  if (auto flushed = Flush(); !flushed) return flushed;
  auto moved =
      db_.Write([&](db::Transaction& tx) { return db::RepairQueueStore(tx).MovePair(from, to); });
  if (!moved) return std::unexpected(std::move(moved.error()));
  return {};
}

}  // namespace nimbus::storage
