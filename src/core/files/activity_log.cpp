// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/files/activity_log.h"

#include <spdlog/spdlog.h>

#include "db/stores/activity_store.h"

namespace nimbus::core::files {
namespace {

constexpr std::int64_t kReadEveryMs = 60'000;
constexpr std::size_t kMaxThrottleKeys = 10'000;

bool IsRead(std::string_view action) { return action == "view" || action == "list"; }

}  // namespace

void ActivityLog::Note(const Caller& caller, const Node& node, std::string_view action) {
  if (node.permission == Permission::kOwner) return;
  if (!caller.is_link() && node.share_id.empty()) return;
  db::ActivityRow row;
  row.at = ToUnixMs(clock_.Now());
  if (caller.is_link()) {
    row.link_id = caller.link_id;
    row.ip = caller.ip;
  } else {
    row.share_id = node.share_id;
    row.actor_id = caller.user_id;
  }
  row.action = std::string(action);
  row.node_id = node.id;
  row.path = node.path;
  {
    std::lock_guard lock(mutex_);
    if (IsRead(action)) {
      std::string key = row.share_id + '|' + row.link_id + '|' + caller.ip + '|' + node.id + '|' +
                        row.action;
      auto it = last_read_.find(key);
      if (it != last_read_.end() && row.at - it->second < kReadEveryMs) return;
      if (last_read_.size() >= kMaxThrottleKeys) last_read_.clear();
      last_read_[std::move(key)] = row.at;
    }
    queue_.push_back(std::move(row));
    if (draining_) return;
    draining_ = true;
  }
  workers_.Post([this] { Drain(); });
}

// One drain at a time writes the queue in the order noted (rows of the same millisecond keep
// their order by id), a batch per transaction.
void ActivityLog::Drain() {
  for (;;) {
    std::vector<db::ActivityRow> batch;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) {
        draining_ = false;
        idle_.notify_all();
        return;
      }
      batch.swap(queue_);
    }
    auto written = db_.Write([&](db::Transaction& tx) -> Result<void> {
      for (const db::ActivityRow& row : batch) {
        if (auto r = db::ActivityStore::Insert(tx, row, kKeep); !r) return r;
      }
      return {};
    });
    if (!written) {
      spdlog::warn("{} share activity row(s) not recorded: {}", batch.size(),
                   written.error().message);
    }
  }
}

void ActivityLog::Flush() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return !draining_; });
}

}  // namespace nimbus::core::files
