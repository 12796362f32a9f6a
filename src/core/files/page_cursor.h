// Opaque page cursors of the file listings (children, trash): URL-safe base64 (no padding) of a
// small text the service alone reads back. Internal to core/files.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "util/result.h"

namespace nimbus::core::files {

inline std::string EncodeCursor(std::string_view text) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((text.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < text.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(text[i]) << 16) |
                 (static_cast<unsigned char>(text[i + 1]) << 8) |
                 static_cast<unsigned char>(text[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == text.size()) {
    unsigned v = static_cast<unsigned char>(text[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (i + 2 == text.size()) {
    unsigned v = (static_cast<unsigned char>(text[i]) << 16) |
                 (static_cast<unsigned char>(text[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

// nullopt for anything that is not URL-safe base64 without padding.
inline std::optional<std::string> DecodeCursor(std::string_view cursor) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (cursor.size() % 4 == 1 || cursor.size() > 4096) return std::nullopt;
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : cursor) {
    int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

// A keyset position by (time in ms, id), the cursor of lists ordered that way (trash, links):
// "<at>\n<id>" encoded.
using TimeIdPosition = std::optional<std::pair<std::int64_t, std::string>>;

inline std::string EncodeTimeIdCursor(std::int64_t at, std::string_view id) {
  return EncodeCursor(std::to_string(at) + "\n" + std::string(id));
}

// nullopt for "" (the first page); kInvalidArgument for anything EncodeTimeIdCursor did not make.
inline Result<TimeIdPosition> ParseTimeIdCursor(std::string_view cursor) {
  if (cursor.empty()) return TimeIdPosition();
  auto text = DecodeCursor(cursor);
  std::size_t nl = text ? text->find('\n') : std::string::npos;
  std::int64_t at = 0;
  if (nl != std::string::npos) {
    auto [end, ec] = std::from_chars(text->data(), text->data() + nl, at);
    if (ec == std::errc() && end == text->data() + nl) {
      return TimeIdPosition(std::pair(at, text->substr(nl + 1)));
    }
  }
  return Fail(Errc::kInvalidArgument,
              "The cursor is not valid for this list: start again without one.");
}

}  // namespace nimbus::core::files
