// EmailConfig: email.toml, the mail transport (.eml files or SMTP), sender and outbox retries.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>

namespace nimbus::config {

struct SmtpConfig {
  std::string host = "localhost";
  int port = 587;
  std::string security = "starttls";  // "starttls" | "tls" | "none".
  std::string username;
  std::string password;       // Secret; from password, password_file or the environment.
  std::string password_file;  // The file it was read from, if any.
  int connect_timeout_s = 10;
  int timeout_s = 30;  // Whole-message send timeout.
};

struct OutboxConfig {
  int max_attempts = 20;       // Then the message is marked failed (never silently lost).
  int initial_backoff_s = 30;  // Backoff doubles after each failure,
  int max_backoff_s = 3600;    // up to this.
  int poll_interval_s = 5;
  int batch_size = 20;
};

struct EmailConfig {
  std::string transport = "file";  // "file" (.eml files in mail_dir) | "smtp".
  std::string from = "Nimbus <nimbus@localhost>";
  std::string mail_dir;       // LoadConfig resolves "" to <data_dir>/mail.
  std::string templates_dir;  // "" = the built-in templates.
  SmtpConfig smtp;
  OutboxConfig outbox;
};

}  // namespace nimbus::config
