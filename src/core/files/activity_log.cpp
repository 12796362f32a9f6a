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
    ++in_flight_;
  }
  workers_.Post([this, row = std::move(row)] {
    auto written = db_.Write(
        [&](db::Transaction& tx) { return db::ActivityStore::Insert(tx, row, kKeep); });
    if (!written) spdlog::warn("share activity not recorded: {}", written.error().message);
    std::lock_guard lock(mutex_);
    if (--in_flight_ == 0) idle_.notify_all();
  });
}

void ActivityLog::Flush() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return in_flight_ == 0; });
}

}  // namespace nimbus::core::files
