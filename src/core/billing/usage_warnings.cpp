// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/billing/usage_warnings.h"

#include <fmt/core.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/account_mail.h"
#include "core/files/quota_tx.h"
#include "db/stores/share_store.h"

namespace nimbus::core::billing {
namespace {

// used × 100 against threshold × quota in 128 bits, so no row can overflow the comparison.
__extension__ using Wide = __int128;

// Stores `level` for `user_id`. A raised level is a new warning (warned_at = now); a lowered one
// keeps the time of the warning it replaces.
Result<void> StoreLevel(db::Transaction& tx, std::int64_t user_id, int level, bool raised,
                        std::int64_t now_ms) {
  if (!raised) {
    return tx.Exec("UPDATE usage_warnings SET level = ? WHERE user_id = ?",
                   {std::int64_t{level}, user_id});
  }
  return tx.Exec(
      "INSERT INTO usage_warnings (user_id, level, warned_at) VALUES (?, ?, ?) "
      "ON CONFLICT (user_id) DO UPDATE SET level = excluded.level, warned_at = excluded.warned_at",
      {user_id, std::int64_t{level}, now_ms});
}

// The whole percent of the plan that `quota` uses (rounded down; past 100 when over).
std::int64_t UsedPercent(const files::QuotaState& quota) {
  return static_cast<std::int64_t>(static_cast<Wide>(quota.used_bytes) * 100 /
                                   std::max<std::int64_t>(1, quota.quota_bytes));
}

// How far back the warning looks for what others added to the user's shared folders.
constexpr std::int64_t kOthersWindowMs = std::int64_t{30} * 24 * 3600 * 1000;

// "" or a sentence naming who added files (still there, not in the trash) to the folders the
// user shares, in the last 30 days, largest first: uploads into a shared folder count against
// its owner's plan, and a parent whose storage filled up should not have to guess that a child
// filled it (QA pass 21a #9). At most three people; a person's folder is the top folder of
// where they uploaded, as they saw it.
Result<std::string> AddedByOthers(db::Transaction& tx, std::int64_t user_id, std::int64_t now_ms) {
  auto rows = tx.Query(
      "SELECT a.actor_id, u.name, u.email, a.path, a.node_id, n.size FROM shares s "
      "JOIN share_activity a ON a.share_id = s.id "
      "JOIN nodes n ON n.id = a.node_id AND n.trash_id IS NULL AND n.owner_id = s.owner_id "
      "JOIN users u ON u.id = a.actor_id "
      "WHERE s.owner_id = ? AND a.action = 'upload' AND a.at >= ? AND a.actor_id <> ?",
      {user_id, now_ms - kOthersWindowMs, user_id});
  if (!rows) return std::unexpected(std::move(rows.error()));
  struct Person {
    std::string label;
    std::int64_t bytes = 0;
    std::map<std::string, std::int64_t> folders;  // Top folder → bytes.
  };
  std::map<std::int64_t, Person> people;
  std::unordered_set<std::string> counted;  // A file uploaded again (replaced) counts once.
  for (const auto& row : *rows) {
    if (!counted.insert(row.Text(4)).second) continue;
    Person& p = people[row.Int(0)];
    const std::string name = row.Text(1);
    p.label = name.empty() ? row.Text(2) : name;
    const std::int64_t size = row.Int(5);
    p.bytes += size;
    const std::string path = row.Text(3);  // "/<shared folder>/…/name"
    const auto end = path.find('/', 1);
    p.folders[path.substr(1, end == std::string::npos ? std::string::npos : end - 1)] += size;
  }
  std::vector<Person*> ranked;
  std::int64_t total = 0;
  for (auto& [id, p] : people) {
    if (p.bytes <= 0) continue;
    ranked.push_back(&p);
    total += p.bytes;
  }
  if (ranked.empty()) return std::string();
  std::sort(ranked.begin(), ranked.end(),
            [](const Person* a, const Person* b) { return a->bytes > b->bytes; });
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < ranked.size() && i < 3; ++i) {
    const Person& p = *ranked[i];
    const auto top =
        std::max_element(p.folders.begin(), p.folders.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    parts.push_back(fmt::format("{} ({} in {}{})", p.label, files::HumanBytes(p.bytes), top->first,
                                p.folders.size() > 1 ? " and elsewhere" : ""));
  }
  return fmt::format("Of that, people you share folders with added {} in the last 30 days: {}{}.",
                     files::HumanBytes(total), fmt::join(parts, ", "),
                     ranked.size() > 3 ? " and others" : "");
}

Result<void> QueueWarning(db::Transaction& tx, std::int64_t user_id, int level,
                          const files::QuotaState& quota, std::int64_t now_ms,
                          std::string_view public_url) {
  auto user = db::ShareStore::UserNameEmail(tx, user_id);
  if (!user) return std::unexpected(std::move(user.error()));
  if (!*user) return {};  // An allocation without a user (an admin's test owner): no one to tell.
  const auto& [name, email] = **user;
  auto others = AddedByOthers(tx, user_id, now_ms);
  if (!others) return std::unexpected(std::move(others.error()));
  return QueueMail(tx, mail::Template::kUsageWarning, email,
                   {{"name", name.empty() ? email : name},
                    // The share used now, not the threshold crossed: an upload that goes from
                    // 89 % to 95 % says 95 % (QA pass 16: "90 % full" at 95 %).
                    {"percent", std::to_string(std::max<std::int64_t>(level, UsedPercent(quota)))},
                    {"used", files::HumanBytes(quota.used_bytes)},
                    {"quota", files::HumanBytes(quota.quota_bytes)},
                    {"link", fmt::format("{}/plan", public_url)},
                    {"others", *others}},
                   now_ms);
}

}  // namespace

int UsageLevel(std::int64_t used, std::int64_t quota) {
  if (quota <= 0 || used <= 0) return 0;
  int level = 0;
  for (int t : kUsageThresholds) {
    if (static_cast<Wide>(used) * 100 >= static_cast<Wide>(t) * quota) level = t;
  }
  return level;
}

namespace {

// The stored level and the level of the user's usage now (both 0 without an allocation), with
// the quota they were computed from. Reads only.
struct Levels {
  UsageCheck check;
  files::QuotaState quota;
};
Result<Levels> ReadLevels(db::Transaction& tx, std::int64_t user_id) {
  Levels out;
  auto quota = files::LoadQuota(tx, user_id);
  if (!quota) {
    if (quota.error().code == Errc::kNotFound) return out;
    return std::unexpected(std::move(quota.error()));
  }
  out.quota = *quota;
  auto stored = tx.QueryOne("SELECT level FROM usage_warnings WHERE user_id = ?", {user_id});
  if (!stored) return std::unexpected(std::move(stored.error()));
  out.check.previous = *stored ? static_cast<int>((*stored)->Int(0)) : 0;
  out.check.level = UsageLevel(quota->used_bytes, quota->quota_bytes);
  // A level is kept until usage is kUsageHysteresisPercent points of the plan below it: usage
  // going back and forth across a line (files deleted and uploaded near 95 %) mails once, not
  // at each crossing.
  if (out.check.level < out.check.previous &&
      UsageLevel(quota->used_bytes + quota->quota_bytes * kUsageHysteresisPercent / 100,
                 quota->quota_bytes) >= out.check.previous) {
    out.check.level = out.check.previous;
  }
  return out;
}

}  // namespace

Result<UsageCheck> CheckUsageIn(db::Transaction& tx, std::int64_t user_id, std::int64_t now_ms,
                                std::string_view public_url) {
  auto levels = ReadLevels(tx, user_id);
  if (!levels) return std::unexpected(std::move(levels.error()));
  UsageCheck check = levels->check;
  const files::QuotaState& quota = levels->quota;
  if (check.level == check.previous) return check;
  const bool raised = check.level > check.previous;
  if (auto r = StoreLevel(tx, user_id, check.level, raised, now_ms); !r) {
    return std::unexpected(std::move(r.error()));
  }
  if (!raised) return check;
  if (auto r = QueueWarning(tx, user_id, check.level, quota, now_ms, public_url); !r) {
    return std::unexpected(std::move(r.error()));
  }
  check.mailed = true;
  return check;
}

struct UsageWarnings::Shared {
  explicit Shared(UsageWarningsDeps d) : deps(std::move(d)) {}

  Result<UsageCheck> Check(std::int64_t user_id) {
    // Most changes leave the level where it was: a read says so without taking the writer (which
    // the uploads' own records wait for), and only a change is written, checked again there.
    auto levels = deps.db.Read([&](db::Transaction& tx) { return ReadLevels(tx, user_id); });
    if (!levels) return std::unexpected(std::move(levels.error()));
    if (levels->check.level == levels->check.previous) return levels->check;
    const std::int64_t now = ToUnixMs(deps.clock.Now());
    return deps.db.Write(
        [&](db::Transaction& tx) { return CheckUsageIn(tx, user_id, now, deps.public_url); });
  }
  // A scheduled check: nobody waits for it, so its outcome is logged here.
  void CheckAndLog(std::int64_t user_id) {
    auto checked = Check(user_id);
    if (!checked) {
      spdlog::warn("usage warning check of user {} failed: {}", user_id, checked.error().message);
    } else if (checked->mailed) {
      spdlog::info("user {} passed {}% of their plan: usage warning mailed", user_id,
                   checked->level);
    }
  }

  UsageWarningsDeps deps;
  std::mutex mu;
  // Users with a check queued and not started. Guarded by mu.
  std::unordered_set<std::int64_t> pending;
  // Held by a running queued check; the destructor takes it to wait for that check, then sets
  // `stopped` and runs the checks still queued itself, so the queue's copies return at once
  // (the deps may be gone by the time the pool runs them).
  std::mutex run_mu;
  std::atomic<bool> stopped{false};
};

UsageWarnings::UsageWarnings(UsageWarningsDeps deps)
    : shared_(std::make_shared<Shared>(std::move(deps))) {}

UsageWarnings::~UsageWarnings() {
  std::lock_guard run(shared_->run_mu);
  shared_->stopped = true;
  std::unordered_set<std::int64_t> left;
  {
    std::lock_guard lock(shared_->mu);
    left.swap(shared_->pending);
  }
  // The pool may be joined already (its queue then never runs): a change made just before the
  // end (`nimbus job run trash-purge`) is still checked, here, while the deps are alive.
  for (std::int64_t user_id : left) shared_->CheckAndLog(user_id);
}

Result<UsageCheck> UsageWarnings::Check(std::int64_t user_id) { return shared_->Check(user_id); }

bool UsageWarnings::Schedule(std::int64_t user_id) {
  {
    std::lock_guard lock(shared_->mu);
    if (shared_->stopped || !shared_->pending.insert(user_id).second) return false;
  }
  shared_->deps.workers.Post([shared = shared_, user_id] {
    {
      // From here on a new change schedules another check: this one may read before it.
      std::lock_guard lock(shared->mu);
      shared->pending.erase(user_id);
    }
    std::lock_guard run(shared->run_mu);
    if (!shared->stopped) shared->CheckAndLog(user_id);
  });
  return true;
}

}  // namespace nimbus::core::billing
