// SmtpMailer: delivers through an SMTP server with libcurl (smtp:// with STARTTLS required,
// smtps:// for implicit TLS, or plain smtp:// for a local relay), with optional login.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>

#include "config/email.h"
#include "mail/mailer.h"
#include "util/clock.h"

namespace nimbus::mail {

class SmtpMailer final : public Mailer {
 public:
  // `smtp` says where and how; `from` is the sender (its address is the envelope sender, its
  // domain the EHLO name); `clock` (outliving the mailer) dates messages. Does no I/O.
  SmtpMailer(config::SmtpConfig smtp, std::string from, const Clock& clock);

  // One SMTP session per message (EHLO, STARTTLS when "starttls", AUTH when a username is set,
  // MAIL FROM, RCPT TO, DATA), bounded by connect_timeout_s and timeout_s. TLS certificates are
  // verified. On failure, curl's message and the server's last reply code: kInvalidArgument when
  // the server refused (reply >= 400), kUnavailable when it could not be reached or timed out.
  Result<void> Send(const Message& message, std::string_view message_id) override;

  // "smtp://host:port/domain" or "smtps://…": the URL libcurl is given (for logs and tests).
  std::string Url() const;

 private:
  config::SmtpConfig smtp_;
  std::string from_;
  const Clock& clock_;
};

}  // namespace nimbus::mail
