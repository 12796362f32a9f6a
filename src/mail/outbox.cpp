// SPDX-License-Identifier: AGPL-3.0-or-later
#include "mail/outbox.h"

#include <random>
#include <string>

#include <fmt/core.h>

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

}  // namespace nimbus::mail
