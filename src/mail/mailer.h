// Mailer: the transport interface that delivers one formatted message (FileMailer writes .eml
// files, SmtpMailer talks to an SMTP server), and MakeMailer, which picks one from email.toml.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <memory>
#include <string_view>

#include "config/email.h"
#include "mail/message.h"
#include "util/result.h"

namespace nimbus::mail {

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Delivers `message` with the Message-ID `message_id` (without angle brackets; "@<domain of
  // the sender>" is added when it has none). BLOCKING (disk or network, up to the configured
  // timeouts): call it on a worker thread, never on an I/O thread. Errors, all worth a retry:
  // kUnavailable when the transport cannot be reached (connection refused or timed out, TLS
  // failed: other messages would fail the same way), kInvalidArgument when the server answered
  // and refused this message (a 4xx/5xx reply, e.g. an unknown recipient or failed login),
  // kIoError when a file could not be written. Thread-safe.
  virtual Result<void> Send(const Message& message, std::string_view message_id) = 0;
};

// The transport `config.transport` names: "file" (FileMailer over config.mail_dir) or "smtp"
// (SmtpMailer over config.smtp). kInvalidArgument for another name. Does no I/O.
Result<std::unique_ptr<Mailer>> MakeMailer(const config::EmailConfig& config);

}  // namespace nimbus::mail
