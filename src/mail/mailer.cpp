// SPDX-License-Identifier: AGPL-3.0-or-later
#include "mail/mailer.h"

#include <spdlog/spdlog.h>

#include "mail/file_mailer.h"
#include "mail/smtp_mailer.h"

namespace nimbus::mail {

Result<std::unique_ptr<Mailer>> MakeMailer(const config::EmailConfig& config) {
  // The transports date messages with the system clock; tests construct them with a FakeClock.
  static const SystemClock kClock;
  if (!config.templates_dir.empty()) {
    // Said at every start so an operator who set it is not left guessing.
    spdlog::warn("email.templates_dir ({}) is not supported yet; the built-in templates are used",
                 config.templates_dir);
  }
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
