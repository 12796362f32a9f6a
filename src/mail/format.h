// Format: turns a Message into the bytes of an RFC 5322 / MIME message (CRLF line ends, UTF-8
// bodies as quoted-printable, non-ASCII headers as RFC 2047 words), as SMTP and .eml files need.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>

#include "mail/message.h"
#include "util/clock.h"

namespace nimbus::mail {

// Formats `m` from `from` ("Name <user@host>" or "user@host"). `message_id` is the Message-ID
// without angle brackets; when it has no '@', "@<domain of from>" is appended. `date` becomes
// the Date header (UTC). A message with html is multipart/alternative (text first, then HTML),
// otherwise a single text/plain part. Every line ends in CRLF and is at most 78 characters
// (998 for an over-long header word), and no body line starts with "." or "From ", so the
// result passes unchanged through SMTP and mbox. Pure function; thread-safe.
std::string FormatMessage(const Message& m, std::string_view from, std::string_view message_id,
                          Clock::TimePoint date);

// The bare address of a mailbox: "Ann <ann@x.org>" -> "ann@x.org", "ann@x.org" -> itself.
std::string AddressOf(std::string_view mailbox);
// The domain of a mailbox's address ("x.org"); "localhost" when there is none.
std::string DomainOf(std::string_view mailbox);

// A mailbox as a header value: the display name quoted or RFC 2047-encoded as needed.
std::string EncodeMailbox(std::string_view mailbox);
// An unstructured header value (Subject): unchanged when printable ASCII, else a sequence of
// RFC 2047 "=?UTF-8?B?…?=" words of at most 75 characters, never splitting a UTF-8 character.
// `prefix_len` is the length of "Subject: " before it, for folding. Lines are joined by CRLF SP.
std::string EncodeHeaderText(std::string_view text, std::size_t prefix_len);

// Quoted-printable (RFC 2045) of a UTF-8 text with CRLF line ends: lines of at most 76
// characters, "=" and non-ASCII escaped, trailing spaces escaped, a leading "." or "From "
// escaped (dot-safe for SMTP, safe for mbox). LF or CRLF in the input both become CRLF.
std::string QuotedPrintable(std::string_view text);

// Base64 (RFC 4648, no line breaks).
std::string Base64(std::string_view bytes);

// "Wed, 25 Nov 2026 17:45:16 +0000" (RFC 5322 date-time, UTC).
std::string RfcDate(Clock::TimePoint t);

}  // namespace nimbus::mail
