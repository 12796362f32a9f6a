// Helpers of the mail tests: a real SMTP server (tests/mail/smtp_sink.py over aiosmtpd) in a
// child process, and ParseEml, which reads a message back with Python's email package.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/server_process.h"
#include "util/result.h"

namespace nimbus::mail::testing {

struct ParsedPart {
  std::string type;  // "text/plain", "text/html".
  std::string charset;
  std::string body;  // Decoded (quoted-printable undone, UTF-8).
};

// A message as Python's email package (policy.default) understood it.
struct ParsedMail {
  std::string from, to, subject, message_id, date, mime, envelope_to;
  std::vector<ParsedPart> parts;
  std::vector<std::string> defects;  // Defect class names; empty for a well-formed message.
  bool crlf_only = false;            // Every line ends in CRLF.
  std::int64_t max_line = 0;         // Longest line in bytes, without its CRLF.
};

// Parses `eml` with /usr/bin/python3 tests/mail/parse_eml.py. kIoError/kInternal on failure.
Result<ParsedMail> ParseEml(const std::filesystem::path& eml);

// The *.eml files in `dir`, sorted by name (oldest first for both mailers' names).
std::vector<std::filesystem::path> EmlFiles(const std::filesystem::path& dir);

// A real SMTP server on 127.0.0.1 that saves every message it accepts into a directory.
class SmtpSink {
 public:
  // Starts it on `port` (0: a free one) and waits until it accepts connections.
  static Result<std::unique_ptr<SmtpSink>> Start(const std::filesystem::path& dir,
                                                 std::uint16_t port = 0);
  // Stops it (SIGTERM); afterwards connections to its port are refused.
  void Stop();
  std::uint16_t port() const { return port_; }

 private:
  std::unique_ptr<test::ServerProcess> process_;
  std::uint16_t port_ = 0;
};

}  // namespace nimbus::mail::testing
