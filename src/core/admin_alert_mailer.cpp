// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/admin_alert_mailer.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <utility>

#include "mail/outbox.h"
#include "mail/templates.h"

namespace nimbus::core {

struct AdminAlertMailer::State {
  State(db::Database& d, const Clock& c, AdminEmails a, const std::string& url, std::size_t max)
      : db(d), clock(c), admins(std::move(a)), public_url(url), max_pending(max) {}

  db::Database& db;
  const Clock& clock;
  AdminEmails admins;
  const std::string& public_url;
  std::size_t max_pending;
  util::CounterFamily* mails = nullptr;

  std::mutex mu;
  std::condition_variable cv;
  struct Pending {
    storage::Alert alert;
    std::int64_t raised_ms = 0;  // When Raise took it: the mail's time, and its quiet period's.
  };
  std::deque<Pending> pending;  // Guarded by mu.
  bool scheduled = false;       // A drain task is posted or running. Guarded by mu.
  bool running = false;         // The drain task started (it will finish). Guarded by mu.
  bool closed = false;          // No new alerts. Guarded by mu.
  bool abandoned = false;  // Close() gave up: a task starting now must not touch db. Guarded by mu.
  // Per (kind, disk): when its last mail was queued, and how many like it were not mailed since.
  struct Quiet {
    std::int64_t mailed_at_ms = 0;
    std::int64_t first_held_ms = 0;  // The first of `held` (0: none).
    int held = 0;
  };
  std::map<std::pair<int, std::string>, Quiet> quiet;  // Guarded by mu.

  void Count(std::string_view result, double n = 1) {
    if (mails != nullptr) mails->WithLabels({result}).Inc(n);
  }
};

namespace {

// The alerts about a disk's state, whose quiet period ends when the disk is back in service.
bool EndsWithRecovery(int kind) {
  return kind == static_cast<int>(storage::AlertKind::kDiskFailed) ||
         kind == static_cast<int>(storage::AlertKind::kDiskDegraded);
}

// The alerts of the opposite state change of the same disk, which end `alert`'s quiet period:
// a failure after the disk was back in service is news, and so is its recovery after a failure.
std::vector<storage::Alert> Opposites(const storage::Alert& alert) {
  using K = storage::AlertKind;
  if (alert.disk_id.empty()) return {};
  if (EndsWithRecovery(static_cast<int>(alert.kind))) {
    return {storage::Alert{K::kDiskRecovered, alert.disk_id, ""}};
  }
  if (alert.kind != K::kDiskRecovered) return {};
  storage::Alert down{K::kDiskFailed, alert.disk_id, ""};
  down.users_cut_off = true;
  return {storage::Alert{K::kDiskFailed, alert.disk_id, ""}, std::move(down),
          storage::Alert{K::kDiskDegraded, alert.disk_id, ""}};
}

using State = AdminAlertMailer::State;

// "2026-11-26 17:05 UTC".
std::string FormatUtc(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02} UTC", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min);
}

// Renders and enqueues one mail per admin for every alert of `batch`, in one transaction.
void WriteAlerts(State& s, const std::deque<State::Pending>& batch) {
  auto admins = s.admins();
  if (!admins) {
    spdlog::error("admin alert mail: cannot list the admins ({} alerts not mailed): {}",
                  batch.size(), admins.error().message);
    s.Count("error", static_cast<double>(batch.size()));
    return;
  }
  if (admins->empty()) {
    spdlog::warn("admin alert mail: no admin to mail {} alerts to", batch.size());
    return;
  }
  const std::string public_url = s.public_url;
  int queued = 0;
  int held = 0;
  auto written = s.db.Write([&](db::Transaction& tx) -> Result<void> {
    queued = 0;
    held = 0;
    for (const auto& [alert, raised_ms] : batch) {
      bool first = true;
      for (const std::string& to : *admins) {
        auto m = mail::Render(mail::Template::kAdminAlert, to,
                              {{"name", "admin"},
                               {"title", AlertTitle(alert)},
                               {"detail", AlertDetail(alert)},
                               {"public_url", public_url}});
        if (!m) return std::unexpected(std::move(m.error()));
        // The quiet period across processes: each CLI command (a scrub, a job run) is a process
        // of its own, and the same alert mailed by another one within it is not mailed again.
        if (first && !alert.users_cut_off) {
          first = false;
          // Unless the disk changed state since (mailed back in service after a failure, or
          // failed again after a recovery): that is news.
          std::vector<db::Value> params{m->subject, raised_ms - kAlertMailQuietMs};
          for (const storage::Alert& o : Opposites(alert)) {
            auto other = mail::Render(mail::Template::kAdminAlert, to,
                                      {{"name", "admin"},
                                       {"title", AlertTitle(o)},
                                       {"detail", ""},
                                       {"public_url", public_url}});
            if (!other) return std::unexpected(std::move(other.error()));
            params.emplace_back(other->subject);
          }
          while (params.size() < 5) params.emplace_back("");  // No subject is empty.
          auto recent = tx.QueryOne(
              "SELECT COUNT(*) FROM mail_outbox a WHERE a.subject = ? AND a.created_at > ? AND "
              "NOT EXISTS (SELECT 1 FROM mail_outbox b WHERE b.subject IN (?, ?, ?) AND "
              "b.created_at >= a.created_at AND b.id > a.id)",
              params);
          if (!recent) return std::unexpected(std::move(recent.error()));
          if (*recent && (**recent)[0].AsInt() > 0) {
            ++held;
            break;
          }
        }
        auto id = mail::Enqueue(tx, *m, raised_ms);
        if (!id) return std::unexpected(std::move(id.error()));
        ++queued;
      }
    }
    return {};
  });
  if (!written) {
    spdlog::error("admin alert mail: {} alerts not mailed: {}", batch.size(),
                  written.error().message);
    s.Count("error", static_cast<double>(batch.size()));
    return;
  }
  s.Count("queued", queued);
  if (held > 0) s.Count("held", held);
}

void Drain(const std::shared_ptr<State>& s) {
  {
    std::lock_guard lock(s->mu);
    if (s->abandoned) {
      s->scheduled = false;
      s->cv.notify_all();
      return;
    }
    s->running = true;
  }
  for (;;) {
    std::deque<State::Pending> batch;
    {
      std::lock_guard lock(s->mu);
      batch.swap(s->pending);
      if (batch.empty()) {
        s->running = false;
        s->scheduled = false;
        s->cv.notify_all();
        return;
      }
    }
    WriteAlerts(*s, batch);
  }
}

}  // namespace

std::string AlertDetail(const storage::Alert& alert) {
  const std::string& d = alert.disk_id;
  std::string advice;
  switch (alert.kind) {
    case storage::AlertKind::kDiskFailed:
      advice = fmt::format(
          "Its mirror serves its files meanwhile. If the disk is back (remounted, cable fixed), "
          "run: nimbus admin disk heal {0}. If it is broken, put in a new disk and rebuild onto "
          "it: nimbus admin disk replace {0} --with SPARE (nimbus admin disk list shows the "
          "spares; nimbus admin disk attach adds one).",
          d);
      break;
    case storage::AlertKind::kRepairFailed:
    case storage::AlertKind::kScrubFindings:
      advice = fmt::format(
          "nimbus admin disk show {0} shows its state; nimbus admin disk scrub {0} "
          "checks every copy again.",
          d);
      break;
    case storage::AlertKind::kNoCapacity:
      advice = "Record two new spare disks: nimbus admin disk attach ID --uri DIR (twice).";
      break;
    default:
      break;
  }
  if (advice.empty() || (alert.disk_id.empty() && alert.kind != storage::AlertKind::kNoCapacity)) {
    return alert.message;
  }
  return alert.message + " What to do: " + advice;
}

std::string AlertTitle(const storage::Alert& alert) {
  const std::string disk = alert.disk_id.empty() ? std::string("?") : alert.disk_id;
  switch (alert.kind) {
    case storage::AlertKind::kDiskFailed:
      return alert.users_cut_off
                 ? fmt::format("Disk {} failed: its pair is down, users cannot reach their files",
                               disk)
                 : fmt::format("Disk {} failed", disk);
    case storage::AlertKind::kDiskDegraded:
      return fmt::format("Disk {} is degraded", disk);
    case storage::AlertKind::kDiskRecovered:
      return alert.to_spare ? fmt::format("Disk {} is a usable spare again", disk)
                            : fmt::format("Disk {} is back in service", disk);
    case storage::AlertKind::kRepairFailed:
      return fmt::format("A repair failed on disk {}", disk);
    case storage::AlertKind::kNearFull:
      return alert.disk_id.empty() ? "A disk category is nearly full"
                                   : fmt::format("Disk {} is nearly full", disk);
    case storage::AlertKind::kNoCapacity:
      return "No storage capacity left";
    case storage::AlertKind::kSpareAttached:
      return alert.disk_id.empty() ? "A spare disk was attached"
                                   : fmt::format("Spare disk {} was attached", disk);
    case storage::AlertKind::kScrubFindings:
      return fmt::format("Scrub found problems on disk {}", disk);
  }
  return "Storage alert";
}

AdminAlertMailer::AdminAlertMailer(db::Database& db, WorkerPool& workers, const Clock& clock,
                                   AdminEmails admins, const std::string& public_url,
                                   util::Metrics* metrics, std::size_t max_pending)
    : state_(std::make_shared<State>(db, clock, std::move(admins), public_url, max_pending)),
      log_(metrics),
      workers_(workers) {
  if (metrics != nullptr) {
    state_->mails = &metrics->AddCounter("nimbus_admin_alert_mails_total",
                                         "Admin alert mails, by result.", {"result"});
  }
}

AdminAlertMailer::~AdminAlertMailer() { Close(); }

void AdminAlertMailer::Raise(const storage::Alert& alert) {
  log_.Raise(alert);
  if (!alert.mailed) return;
  bool post = false;
  {
    std::lock_guard lock(state_->mu);
    if (state_->closed) return;
    if (state_->pending.size() >= state_->max_pending) {
      state_->Count("dropped");
      spdlog::warn("admin alert mail: {} alerts already waiting; not mailing this one",
                   state_->pending.size());
      return;
    }
    // The same alert again within the quiet period (a disk flapping between degraded and
    // recovered, every read of a damaged file failing its repair) is logged and counted above
    // but not mailed; the next mail of its kind says how many were held back.
    const std::int64_t now_ms = ToUnixMs(state_->clock.Now());
    // A disk's state change ends the quiet period of the opposite one: failing again after a
    // "back in service" mail is news (QA pass 17: it was not mailed), and so is the recovery.
    for (const storage::Alert& o : Opposites(alert)) {
      state_->quiet.erase({static_cast<int>(o.kind), o.disk_id});
    }
    State::Quiet& q = state_->quiet[{static_cast<int>(alert.kind), alert.disk_id}];
    if (!alert.users_cut_off && q.mailed_at_ms != 0 &&
        now_ms - q.mailed_at_ms < kAlertMailQuietMs) {
      if (q.held++ == 0) q.first_held_ms = now_ms;
      state_->Count("held");
      return;
    }
    storage::Alert mailed = alert;
    if (q.held > 0) {
      mailed.message += fmt::format(
          " ({} more alert{} like this since {} were not mailed: at most one mail per kind and "
          "disk every {} minutes; the server log has each.)",
          q.held, q.held == 1 ? "" : "s", FormatUtc(q.first_held_ms), kAlertMailQuietMs / 60'000);
    }
    q = State::Quiet{now_ms, 0, 0};
    state_->pending.push_back({std::move(mailed), now_ms});
    if (!state_->scheduled) post = state_->scheduled = true;
  }
  if (post) {
    std::shared_ptr<State> s = state_;
    workers_.Post([s] { Drain(s); });
  }
}

void AdminAlertMailer::Close() {
  std::unique_lock lock(state_->mu);
  if (state_->abandoned || (state_->closed && !state_->scheduled)) return;
  state_->closed = true;
  state_->cv.wait_for(lock, std::chrono::seconds(10), [&] { return !state_->scheduled; });
  // A task that has started finishes (it is bounded by the database); one that has not must
  // not start after the references it uses may be gone.
  state_->cv.wait(lock, [&] { return !state_->running; });
  if (state_->scheduled) {
    spdlog::error("admin alert mail: the worker pool did not run; {} alerts not mailed",
                  state_->pending.size());
    state_->abandoned = true;
    state_->pending.clear();
  }
}

}  // namespace nimbus::core
