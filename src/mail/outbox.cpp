// SPDX-License-Identifier: AGPL-3.0-or-later
#include "mail/outbox.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <string>

namespace nimbus::mail {
namespace {

// The left part of the Message-ID (the sender adds "@<domain of from>"): unique per message, so
// a retry after a lost "250 OK" carries the same id and receivers can drop the duplicate.
std::string NewMessageIdLocalPart(std::int64_t now_ms) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{}.{:016x}{:016x}", now_ms, rng(), rng());
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

}  // namespace

Result<std::int64_t> Enqueue(db::Transaction& tx, const Message& message, std::int64_t now_ms) {
  if (message.to.empty() || message.to.find('@') == std::string::npos) {
    return Fail(Errc::kInvalidArgument, "cannot queue mail: '{}' is not a mail address",
                message.to);
  }
  if (HasLineBreak(message.to) || HasLineBreak(message.subject)) {
    return Fail(Errc::kInvalidArgument,
                "cannot queue mail to {}: the address or subject contains a line break",
                message.to);
  }
  auto rows = tx.Query(
      "INSERT INTO mail_outbox (\"to\", subject, text, html, message_id, state, attempts, "
      "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?) RETURNING id",
      {message.to, message.subject, message.text, message.html, NewMessageIdLocalPart(now_ms),
       now_ms, now_ms});
  if (!rows) return std::unexpected(std::move(rows.error()));
  if (rows->empty()) return Fail(Errc::kInternal, "mail_outbox insert returned no id");
  return rows->front().Int(0);
}

struct OutboxSender::Claimed {
  std::int64_t id = 0;
  Message message;
  std::string message_id;
  std::int64_t attempts = 0;  // Including the one about to be made.
};

OutboxSender::OutboxSender(db::Database& db, Mailer& mailer, const config::EmailConfig& config,
                           const Clock& clock, util::Metrics* metrics)
    : db_(db),
      mailer_(mailer),
      config_(config.outbox),
      claim_per_message_(config.smtp.connect_timeout_s + config.smtp.timeout_s + 30),
      clock_(clock) {
  if (metrics != nullptr) {
    queue_ = &metrics->AddGauge("nimbus_mail_queue", "Messages in the mail outbox, by state.",
                                {"state"});
    sent_ = &metrics->AddCounter("nimbus_mail_sent_total",
                                 "Delivery attempts of the mail outbox, by result.", {"result"});
  }
}

Result<std::vector<OutboxSender::Claimed>> OutboxSender::Claim(std::int64_t now_ms,
                                                               OutboxRun& run) {
  const int max_attempts = config_.max_attempts;
  const std::int64_t batch = config_.batch_size;
  const std::int64_t claim_until =
      now_ms +
      batch * std::chrono::duration_cast<std::chrono::milliseconds>(claim_per_message_).count();
  return db_.Write([&](db::Transaction& tx) -> Result<std::vector<Claimed>> {
    // 'sending' rows here are claims that expired: the process sending them died.
    auto rows = tx.Query(
        "SELECT id, \"to\", subject, text, html, message_id, attempts, state FROM mail_outbox "
        "WHERE state IN ('queued', 'sending') AND next_attempt_at <= ? "
        "ORDER BY next_attempt_at, id LIMIT ?",
        {now_ms, batch});
    if (!rows) return std::unexpected(std::move(rows.error()));
    std::vector<Claimed> claimed;
    for (const db::Row& r : *rows) {
      const std::int64_t id = r.Int(0), attempts = r.Int(6);
      const std::string state = r.Text(7);
      if (state == "sending" && attempts >= max_attempts) {
        const std::string why = fmt::format(
            "gave up after {} attempts; the last one was interrupted (the process stopped)",
            attempts);
        auto n = tx.Exec(
            "UPDATE mail_outbox SET state = 'failed', last_error = ? WHERE id = ? AND state = ?",
            {why, id, state});
        if (!n) return std::unexpected(std::move(n.error()));
        ++run.failed;
        run.last_error = why;
        continue;
      }
      // Conditional on what was read, so two senders on one PostgreSQL never claim one row.
      auto n = tx.ExecCount(
          "UPDATE mail_outbox SET state = 'sending', attempts = attempts + 1, "
          "next_attempt_at = ? WHERE id = ? AND state = ? AND attempts = ?",
          {claim_until, id, state, attempts});
      if (!n) return std::unexpected(std::move(n.error()));
      if (*n != 1) continue;
      claimed.push_back(Claimed{id, Message{r.Text(1), r.Text(2), r.Text(3), r.Text(4)}, r.Text(5),
                                attempts + 1});
    }
    return claimed;
  });
}

Result<std::int64_t> OutboxSender::Record(const Claimed& m, const Result<void>& sent,
                                          OutboxRun& run) {
  const std::int64_t now_ms = ToUnixMs(clock_.Now());
  if (sent) {
    ++run.sent;
    if (sent_ != nullptr) sent_->WithLabels({"sent"}).Inc();
    // The bodies may hold one-time links (verification, reset): not kept once delivered.
    auto r = db_.Write([&](db::Transaction& tx) {
      return tx.Exec(
          "UPDATE mail_outbox SET state = 'sent', sent_at = ?, last_error = '', text = '', "
          "html = '' WHERE id = ?",
          {now_ms, m.id});
    });
    if (!r) return std::unexpected(std::move(r.error()));
    return 0;
  }
  run.last_error = sent.error().message;
  if (m.attempts >= config_.max_attempts) {
    ++run.failed;
    if (sent_ != nullptr) sent_->WithLabels({"failed"}).Inc();
    spdlog::error("mail {} to {}: giving up after {} attempts: {}", m.id, m.message.to, m.attempts,
                  sent.error().message);
    auto r = db_.Write([&](db::Transaction& tx) {
      return tx.Exec("UPDATE mail_outbox SET state = 'failed', last_error = ? WHERE id = ?",
                     {sent.error().message, m.id});
    });
    if (!r) return std::unexpected(std::move(r.error()));
    return 0;
  }
  // initial * 2^(attempts - 1), capped; the shift is bounded so it cannot overflow.
  const std::int64_t shift = std::min<std::int64_t>(m.attempts - 1, 30);
  const std::int64_t backoff_s = std::min<std::int64_t>(
      static_cast<std::int64_t>(config_.initial_backoff_s) << shift, config_.max_backoff_s);
  const std::int64_t due = now_ms + backoff_s * 1000;
  ++run.retried;
  if (sent_ != nullptr) sent_->WithLabels({"retry"}).Inc();
  spdlog::warn("mail {} to {}: attempt {} of {} failed, next in {} s: {}", m.id, m.message.to,
               m.attempts, config_.max_attempts, backoff_s, sent.error().message);
  auto r = db_.Write([&](db::Transaction& tx) {
    return tx.Exec(
        "UPDATE mail_outbox SET state = 'queued', next_attempt_at = ?, last_error = ? "
        "WHERE id = ?",
        {due, sent.error().message, m.id});
  });
  if (!r) return std::unexpected(std::move(r.error()));
  return due;
}

Result<void> OutboxSender::Release(const std::vector<Claimed>& rest, std::int64_t due_ms) {
  return db_.Write([&](db::Transaction& tx) -> Result<void> {
    for (const Claimed& m : rest) {
      // Not tried, so the claim's attempt is given back.
      auto r = tx.Exec(
          "UPDATE mail_outbox SET state = 'queued', attempts = attempts - 1, "
          "next_attempt_at = ? WHERE id = ? AND state = 'sending'",
          {due_ms, m.id});
      if (!r) return r;
    }
    return {};
  });
}

Result<OutboxRun> OutboxSender::RunOnce() {
  OutboxRun run;
  auto claimed = Claim(ToUnixMs(clock_.Now()), run);
  if (!claimed) return std::unexpected(std::move(claimed.error()));
  for (std::size_t i = 0; i < claimed->size(); ++i) {
    const Claimed& m = (*claimed)[i];
    Result<void> sent = mailer_.Send(m.message, m.message_id);
    // If recording fails the claim expires and the message is sent again: never lost.
    auto due = Record(m, sent, run);
    if (!due) return std::unexpected(std::move(due.error()));
    if (!sent && sent.error().code == Errc::kUnavailable && i + 1 < claimed->size()) {
      // The server is unreachable: the others would only wait for the same timeout.
      std::vector<Claimed> rest(claimed->begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                claimed->end());
      if (auto r = Release(rest, *due > 0 ? *due : ToUnixMs(clock_.Now())); !r) {
        return std::unexpected(std::move(r.error()));
      }
      run.deferred += static_cast<int>(rest.size());
      break;
    }
  }
  if (queue_ != nullptr) {
    if (auto c = Counts(); !c) return std::unexpected(std::move(c.error()));
  }
  return run;
}

Result<int> OutboxSender::PruneSent(std::int64_t now_ms) {
  std::int64_t due = next_prune_ms_.load();
  // One caller wins the hour; the others skip.
  if (now_ms < due || !next_prune_ms_.compare_exchange_strong(due, now_ms + 3'600'000)) return 0;
  const std::int64_t before =
      now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(kSentRetention).count();
  auto n = db_.Write([&](db::Transaction& tx) {
    return tx.ExecCount("DELETE FROM mail_outbox WHERE state = 'sent' AND sent_at < ?", {before});
  });
  if (!n) return std::unexpected(std::move(n.error()));
  return static_cast<int>(*n);
}

Result<OutboxRun> OutboxSender::Drain(int max_batches) {
  OutboxRun total;
  auto pruned = PruneSent(ToUnixMs(clock_.Now()));
  if (!pruned) return std::unexpected(std::move(pruned.error()));
  total.pruned = *pruned;
  for (int i = 0; i < max_batches; ++i) {
    auto run = RunOnce();
    if (!run) return run;
    total.sent += run->sent;
    total.retried += run->retried;
    total.failed += run->failed;
    total.deferred += run->deferred;
    if (!run->last_error.empty()) total.last_error = run->last_error;
    // A short batch means nothing else was due.
    if (run->deferred > 0 || run->sent + run->retried + run->failed < config_.batch_size) break;
  }
  return total;
}

Result<OutboxCounts> OutboxSender::Counts() {
  auto rows = db_.Read([](db::Transaction& tx) {
    return tx.Query("SELECT state, COUNT(*) FROM mail_outbox GROUP BY state");
  });
  if (!rows) return std::unexpected(std::move(rows.error()));
  OutboxCounts c;
  for (const db::Row& r : *rows) {
    const std::string state = r.Text(0);
    std::int64_t* slot = state == "queued"    ? &c.queued
                         : state == "sending" ? &c.sending
                         : state == "sent"    ? &c.sent
                                              : &c.failed;
    *slot = r.Int(1);
  }
  if (queue_ != nullptr) {
    queue_->WithLabels({"queued"}).Set(static_cast<double>(c.queued));
    queue_->WithLabels({"sending"}).Set(static_cast<double>(c.sending));
    queue_->WithLabels({"sent"}).Set(static_cast<double>(c.sent));
    queue_->WithLabels({"failed"}).Set(static_cast<double>(c.failed));
  }
  return c;
}

}  // namespace nimbus::mail
