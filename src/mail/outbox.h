// Outbox: the durable queue of outgoing mail (table mail_outbox). The product enqueues inside
// its own write transaction (the mail exists exactly when the sign-up or reset does); the
// outbox sender delivers through the configured transport with retry and exponential backoff,
// so an SMTP outage delays mail but never loses it and never fails a request.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/email.h"
#include "db/database.h"
#include "mail/mailer.h"
#include "mail/message.h"
#include "util/clock.h"
#include "util/metrics.h"
#include "util/result.h"

namespace nimbus::mail {

// Queues `message` for delivery as soon as possible; returns its outbox id.
Result<std::int64_t> Enqueue(db::Transaction& tx, const Message& message, std::int64_t now_ms);

// (Added with the sender; the declaration above is the fixed interface.) kInvalidArgument from
// Enqueue when `to` is not an address or `to`/subject contain a line break; database errors as
// they come. The Message-ID is chosen here, so every retry of one message carries the same id.

// What one pass of the sender did.
struct OutboxRun {
  int sent = 0;
  int retried = 0;   // Failed; another attempt is scheduled.
  int failed = 0;    // Failed for the last time (max_attempts); the row stays, state 'failed'.
  int deferred = 0;  // Not tried: the transport was unreachable; due again with that retry.
  std::string last_error;  // The last failure's message ("" when none).
  int pruned = 0;          // Rows of messages sent more than kSentRetention ago, removed.
};

// How long the row of a sent message (recipient, subject, time; no bodies) stays for the admin.
inline constexpr std::chrono::hours kSentRetention{24 * 30};

// Rows per state, as nimbus_mail_queue{state} shows them.
struct OutboxCounts {
  std::int64_t queued = 0, sending = 0, sent = 0, failed = 0;
};

// Delivers the outbox: claims due messages in batches (state 'sending', attempts + 1, a claim
// that expires), sends each through the Mailer, then marks it 'sent' (its bodies are cleared:
// they may hold one-time links) or schedules the next attempt after
// initial_backoff_s * 2^(attempts - 1), at most max_backoff_s, or marks it 'failed' after
// max_attempts. When the transport is unreachable (kUnavailable), the rest of the batch is not
// tried: it is put back, due when the failed message's retry is. A message left in 'sending' by a
// process that died is claimed again once its claim expired (at-least-once delivery: it keeps its
// Message-ID). Metrics (when given): nimbus_mail_queue{state} gauges and
// nimbus_mail_sent_total{result="sent"|"retry"|"failed"}. All methods BLOCK (database and
// transport): call them from a worker thread or a job body. Thread-safe, but meant to run from one
// place (the mail-outbox job) at a time.
class OutboxSender {
 public:
  // `db` (migrated), `mailer`, `clock` and `metrics` must outlive the sender. The claim of one
  // message lasts smtp.connect_timeout_s + smtp.timeout_s + 30 s, times the batch it is in.
  OutboxSender(db::Database& db, Mailer& mailer, const config::EmailConfig& config,
               const Clock& clock, util::Metrics* metrics = nullptr);

  // One batch (at most outbox.batch_size due messages). Errors only for the database; a
  // transport failure is recorded on its message and counted in the result.
  Result<OutboxRun> RunOnce();
  // Batches until none is due or `max_batches` ran; the sums of their results. At most once an
  // hour it also removes the rows of messages sent more than kSentRetention ago.
  Result<OutboxRun> Drain(int max_batches = 10);
  // Messages per state; also refreshes nimbus_mail_queue.
  Result<OutboxCounts> Counts();

 private:
  struct Claimed;
  Result<std::vector<Claimed>> Claim(std::int64_t now_ms, OutboxRun& run);
  // Records the outcome; returns when the message is due again (0 when sent or failed).
  Result<std::int64_t> Record(const Claimed& m, const Result<void>& sent, OutboxRun& run);
  Result<void> Release(const std::vector<Claimed>& rest, std::int64_t due_ms);
  Result<int> PruneSent(std::int64_t now_ms);

  db::Database& db_;
  Mailer& mailer_;
  config::OutboxConfig config_;
  std::chrono::seconds claim_per_message_;
  const Clock& clock_;
  util::GaugeFamily* queue_ = nullptr;
  util::CounterFamily* sent_ = nullptr;
  std::atomic<std::int64_t> next_prune_ms_{0};  // When Drain prunes next.
};

}  // namespace nimbus::mail
