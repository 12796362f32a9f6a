// FileMailer: the development transport. Each message becomes one RFC 5322 file
// <mail_dir>/<time>-<id>.eml, written atomically, for a person or a test to open.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>

#include "mail/mailer.h"
#include "util/clock.h"

namespace nimbus::mail {

class FileMailer final : public Mailer {
 public:
  // `from` is the sender of every message; `clock` (outliving the mailer) dates them. The
  // directory is created on the first Send, not here.
  FileMailer(std::string mail_dir, std::string from, const Clock& clock);

  // Writes <mail_dir>/<YYYYMMDDTHHMMSS.mmmZ>-<id>.eml: a temporary file in mail_dir, fsync,
  // rename, fsync of the directory, so a reader never sees half a message and a crash never
  // leaves one. kIoError naming the file on any failure (nothing is left behind).
  Result<void> Send(const Message& message, std::string_view message_id) override;

  const std::string& mail_dir() const { return mail_dir_; }

 private:
  std::string mail_dir_;
  std::string from_;
  const Clock& clock_;
};

}  // namespace nimbus::mail
