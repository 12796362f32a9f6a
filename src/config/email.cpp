// SPDX-License-Identifier: AGPL-3.0-or-later
#include "config/fields.h"

namespace nimbus::config {
namespace {

std::string CheckAddress(const std::string& v) {
  // "Name <a@b>" or "a@b": enough to catch a forgotten or mangled sender.
  size_t at = v.find('@');
  bool ok = at != std::string::npos && at > 0 && at + 1 < v.size();
  if (ok && v.find('<') != std::string::npos) ok = v.ends_with('>');
  return ok ? ""
            : fmt::format("must be an address \"Name <user@host>\" or \"user@host\", got \"{}\"",
                          v);
}

void SmtpFields(TomlReader& r, SmtpConfig& c) {
  r.String("host", c.host);
  r.Int("port", c.port, 1, 65535);
  r.Choice("security", c.security, {"starttls", "tls", "none"});
  r.String("username", c.username);
  r.Secret("password", c.password, c.password_file);
  r.Int("connect_timeout_s", c.connect_timeout_s, 1, 600);
  r.Int("timeout_s", c.timeout_s, 1, 3600);
}

void OutboxFields(TomlReader& r, OutboxConfig& c) {
  r.Int("max_attempts", c.max_attempts, 1, 1000);
  r.Int("initial_backoff_s", c.initial_backoff_s, 1, 86400);
  r.Int("max_backoff_s", c.max_backoff_s, 1, 7 * 86400);
  r.Int("poll_interval_s", c.poll_interval_s, 1, 3600);
  r.Int("batch_size", c.batch_size, 1, 1000);
  if (r.reading() && c.max_backoff_s < c.initial_backoff_s) {
    r.Error("max_backoff_s", fmt::format("must be at least initial_backoff_s ({}), got {}",
                                         c.initial_backoff_s, c.max_backoff_s));
  }
}

}  // namespace

void EmailFields(TomlReader& r, EmailConfig& c) {
  r.Choice("transport", c.transport, {"file", "smtp"});
  r.String("from", c.from, {"a string (a mail address)", CheckAddress});
  r.String("mail_dir", c.mail_dir);
  r.Path("templates_dir", c.templates_dir);
  r.Table("smtp", [&c](TomlReader& t) { SmtpFields(t, c.smtp); });
  r.Table("outbox", [&c](TomlReader& t) { OutboxFields(t, c.outbox); });
  if (r.reading() && c.transport == "smtp" && c.smtp.host.empty()) {
    r.Error("transport", "is \"smtp\" but smtp.host is empty");
  }
}

}  // namespace nimbus::config
