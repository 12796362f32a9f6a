// SPDX-License-Identifier: AGPL-3.0-or-later
#include "mail/format.h"

#include <fmt/chrono.h>
#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace nimbus::mail {
namespace {

constexpr std::string_view kCrlf = "\r\n";

bool IsPrintableAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f;
  });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The length of the UTF-8 sequence that starts with `lead` (1 for a stray continuation byte, so
// a malformed input still advances).
std::size_t Utf8Len(unsigned char lead) {
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}

// RFC 2047 B-encoded words, split on UTF-8 character boundaries, so that each line (the first
// after `prefix_len` characters of "Name: ", the others after one folding space) stays within
// 76 characters and no word passes 75.
std::vector<std::string> EncodedWords(std::string_view text, std::size_t prefix_len) {
  // "=?UTF-8?B?" + "?=" is 12 characters; each 3 input bytes take 4 more.
  auto bytes_for = [](std::size_t room) { return std::max<std::size_t>(room - 12, 12) / 4 * 3; };
  const std::size_t first_room = 76 - std::min<std::size_t>(prefix_len, 52);
  std::size_t max_bytes = bytes_for(std::min<std::size_t>(75, first_room));
  std::vector<std::string> words;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = pos;
    while (end < text.size()) {
      std::size_t n = Utf8Len(static_cast<unsigned char>(text[end]));
      if (end + n - pos > max_bytes) break;
      end += n;
    }
    if (end == pos) end = std::min(text.size(), pos + max_bytes);  // A malformed long sequence.
    words.push_back("=?UTF-8?B?" + Base64(text.substr(pos, end - pos)) + "?=");
    pos = end;
    max_bytes = bytes_for(75);
  }
  return words;
}

// Folds a printable-ASCII header value at spaces so lines stay near 78 characters.
std::string FoldAscii(std::string_view text, std::size_t prefix_len) {
  std::string out;
  std::size_t line = prefix_len;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t sp = text.find(' ', pos + 1);
    std::string_view word = text.substr(pos, sp == std::string_view::npos ? sp : sp - pos);
    if (line + word.size() > 78 && !out.empty() && word.front() == ' ') {
      out += kCrlf;  // The word's leading space becomes the folding whitespace.
      line = 0;
    }
    out += word;
    line += word.size();
    pos += word.size();
  }
  return out;
}

// Header values never carry a line break: one would end the header and start a forged one.
std::string OneLine(std::string_view s) {
  std::string out(s);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return out;
}

std::string FormatDate(Clock::TimePoint t) {
  return fmt::format("{:%a, %d %b %Y %H:%M:%S} +0000", std::chrono::floor<std::chrono::seconds>(t));
}

// A boundary that cannot occur in a quoted-printable body: "=_" is never produced by QP,
// since "=" is always followed by two hex digits or a line break.
std::string NewBoundary() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("=_nimbus_{:016x}", rng());
}

void AppendPart(std::string& out, std::string_view type, std::string_view body) {
  out += fmt::format("Content-Type: {}; charset=UTF-8\r\n", type);
  out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
  out += QuotedPrintable(body);
}

}  // namespace

std::string AddressOf(std::string_view mailbox) {
  std::size_t lt = mailbox.rfind('<');
  std::size_t gt = mailbox.rfind('>');
  if (lt != std::string_view::npos && gt != std::string_view::npos && gt > lt) {
    return std::string(Trim(mailbox.substr(lt + 1, gt - lt - 1)));
  }
  return std::string(Trim(mailbox));
}

std::string DomainOf(std::string_view mailbox) {
  std::string addr = AddressOf(mailbox);
  std::size_t at = addr.rfind('@');
  if (at == std::string::npos || at + 1 >= addr.size()) return "localhost";
  return addr.substr(at + 1);
}

std::string EncodeMailbox(std::string_view mailbox) {
  std::size_t lt = mailbox.rfind('<');
  if (lt == std::string_view::npos) return AddressOf(mailbox);
  std::string_view name = Trim(mailbox.substr(0, lt));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = name.substr(1, name.size() - 2);
  }
  std::string addr = "<" + AddressOf(mailbox) + ">";
  if (name.empty()) return addr;
  if (!IsPrintableAscii(name)) {
    std::string out;
    for (const auto& w : EncodedWords(name, 4)) out += w + " ";
    return out + addr;
  }
  // RFC 5322 specials force a quoted-string; inside it, '"' and '\' are escaped.
  if (name.find_first_of("()<>[]:;@\\,.\"") == std::string_view::npos) {
    return fmt::format("{} {}", name, addr);
  }
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\" " + addr;
}

std::string EncodeHeaderText(std::string_view text, std::size_t prefix_len) {
  if (IsPrintableAscii(text)) return FoldAscii(text, prefix_len);
  std::string out;
  for (const auto& w : EncodedWords(text, prefix_len)) {
    if (!out.empty()) out += "\r\n ";  // Whitespace between encoded words is ignored on decode.
    out += w;
  }
  return out;
}

std::string QuotedPrintable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 8 + 16);
  std::size_t col = 0;
  auto emit = [&](std::string_view token) {
    if (col + token.size() > 75) {  // Soft break: "=" ends the line at most 76 characters.
      out += "=\r\n";
      col = 0;
    }
    out += token;
    col += token.size();
  };
  auto escaped = [&](unsigned char c) {
    const char e[3] = {'=', kHex[c >> 4], kHex[c & 15]};
    emit(std::string_view(e, 3));
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;  // CRLF: at the LF.
    if (c == '\n') {
      out += kCrlf;
      col = 0;
      continue;
    }
    const bool at_eol = i + 1 == text.size() || text[i + 1] == '\n' || text[i + 1] == '\r';
    const bool line_start = col == 0;
    if ((c == ' ' || c == '\t') && at_eol) {
      escaped(c);  // Trailing whitespace may be stripped in transit.
    } else if (line_start && (c == '.' || (c == 'F' && text.substr(i, 5) == "From "))) {
      escaped(c);
    } else if (c == '=' || c < 0x20 || c >= 0x7f) {
      if (c == '\t') {
        emit("\t");
      } else {
        escaped(c);
      }
    } else {
      const char ch = static_cast<char>(c);
      emit(std::string_view(&ch, 1));
    }
  }
  if (!out.ends_with(kCrlf)) out += kCrlf;
  return out;
}

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    std::uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                      (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                      static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string RfcDate(Clock::TimePoint t) { return FormatDate(t); }

std::string FormatMessage(const Message& m, std::string_view from, std::string_view message_id,
                          Clock::TimePoint date) {
  std::string id(message_id);
  if (id.find('@') == std::string::npos) id += "@" + DomainOf(from);
  id = OneLine(id);
  std::string out;
  out.reserve(m.text.size() + m.html.size() * 11 / 10 + 1024);
  out += "Date: " + FormatDate(date) + "\r\n";
  out += "From: " + EncodeMailbox(OneLine(from)) + "\r\n";
  out += "To: " + EncodeMailbox(OneLine(m.to)) + "\r\n";
  out += "Subject: " + EncodeHeaderText(m.subject, 9) + "\r\n";
  out += "Message-ID: <" + id + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  // Tells autoresponders (vacation replies) not to answer.
  out += "Auto-Submitted: auto-generated\r\n";
  if (m.html.empty()) {
    AppendPart(out, "text/plain", m.text);
    return out;
  }
  const std::string boundary = NewBoundary();
  out += fmt::format("Content-Type: multipart/alternative; boundary=\"{}\"\r\n\r\n", boundary);
  out += "This is a message in MIME format (plain text and HTML).\r\n";
  out += fmt::format("\r\n--{}\r\n", boundary);
  AppendPart(out, "text/plain", m.text);
  out += fmt::format("\r\n--{}\r\n", boundary);
  AppendPart(out, "text/html", m.html);
  out += fmt::format("\r\n--{}--\r\n", boundary);
  return out;
}

}  // namespace nimbus::mail
