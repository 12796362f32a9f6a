// AdminAlertMailer: the storage AlertSink that mails every admin (template kAdminAlert through the
// durable outbox) without blocking the caller, and still logs and counts like LoggingAlertSink.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "db/database.h"
#include "storage/alerts.h"
#include "util/clock.h"
#include "util/metrics.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::core {

// An alert of the same kind about the same disk is mailed at most once in this long (30 min).
inline constexpr std::int64_t kAlertMailQuietMs = 30 * 60'000;

class AdminAlertMailer final : public storage::AlertSink {
 public:
  // The addresses to alert (every enabled admin). Called on a worker thread; it may block.
  using AdminEmails = std::function<Result<std::vector<std::string>>()>;

  // `db`, `workers`, `clock`, `public_url` (read when a mail is composed, for the admin-page
  // link) and `metrics` must outlive the sink. At most `max_pending` alerts wait for the worker;
  // more are dropped (logged and counted, never blocking). Metrics (when given): the wrapped
  // LoggingAlertSink's nimbus_storage_alerts_total{kind,disk}, and
  // nimbus_admin_alert_mails_total{result="queued"|"held"|"dropped"|"error"}.
  AdminAlertMailer(db::Database& db, WorkerPool& workers, const Clock& clock, AdminEmails admins,
                   const std::string& public_url, util::Metrics* metrics = nullptr,
                   std::size_t max_pending = 100);
  ~AdminAlertMailer() override;  // Close().
  AdminAlertMailer(const AdminAlertMailer&) = delete;
  AdminAlertMailer& operator=(const AdminAlertMailer&) = delete;

  // Logs and counts `alert` at once, then queues it (unless one of the same kind about the same
  // disk was queued less than kAlertMailQuietMs ago: then it is held back, counted as
  // result="held", and the next such mail says how many were); a worker renders one mail per admin
  // address and enqueues them all in one transaction (errors there are logged: this is the
  // boundary that handles them). Never blocks on I/O. Thread-safe. Ignored after Close()
  // except for the log line.
  void Raise(const storage::Alert& alert) override;

  // Stops taking alerts and waits until the queued ones are in the outbox. If the worker pool
  // has not started the write within 10 s (it is stuck or stopped), gives up on them (logged).
  // Idempotent; do not call it from a task of `workers` itself with a one-thread pool.
  void Close();

  struct State;  // Shared with the worker task, which may outlive a timed-out Close().

 private:
  std::shared_ptr<State> state_;
  storage::LoggingAlertSink log_;
  WorkerPool& workers_;
};

// The subject line of the mail for `alert` ("Disk a1 failed").
std::string AlertTitle(const storage::Alert& alert);
// The mail's text: the alert's message, and for a failed disk, a failed repair or no capacity
// what the admin can do (the commands).
std::string AlertDetail(const storage::Alert& alert);

}  // namespace nimbus::core
