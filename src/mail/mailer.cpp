// SPDX-License-Identifier: AGPL-3.0-or-later
#include "mail/mailer.h"

#include "mail/file_mailer.h"
#include "mail/smtp_mailer.h"

namespace nimbus::mail {

Result<std::unique_ptr<Mailer>> MakeMailer(const config::EmailConfig& config) {
  // The transports date messages with the system clock; tests construct them with a FakeClock.
  static const SystemClock kClock;
  if (config.transport == "file") {
    return std::make_unique<FileMailer>(config.mail_dir, config.from, kClock);
  }
  if (config.transport == "smtp") {
    return std::make_unique<SmtpMailer>(config.smtp, config.from, kClock);
  }
  return Fail(Errc::kInvalidArgument, "email.transport is \"{}\"; it must be \"file\" or \"smtp\"",
              config.transport);
}

}  // namespace nimbus::mail
