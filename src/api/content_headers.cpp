// SPDX-License-Identifier: AGPL-3.0-or-later
#include "api/content_headers.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <optional>
#include <utility>

#include "util/rfc3339.h"

namespace nimbus::api {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A non-empty run of digits; nullopt otherwise (also on overflow).
std::optional<std::uint64_t> Digits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool AttrChar(unsigned char c) {  // RFC 5987 attr-char.
  return std::isalnum(c) ||
         std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

}  // namespace

RangeRequest ParseRange(std::string_view header, std::uint64_t size) {
  RangeRequest none;
  header = Trim(header);
  constexpr std::string_view kUnit = "bytes=";
  if (header.size() < kUnit.size() || Lower(header.substr(0, kUnit.size())) != kUnit) return none;
  std::string_view spec = Trim(header.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) return none;  // Several ranges: send it all.
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return none;
  std::string_view a = Trim(spec.substr(0, dash));
  std::string_view b = Trim(spec.substr(dash + 1));
  RangeRequest r;
  if (a.empty()) {  // Suffix: the last N bytes.
    auto n = Digits(b);
    if (!n) return none;
    if (*n == 0 || size == 0) {
      r.kind = RangeRequest::Kind::kUnsatisfiable;
      return r;
    }
    r.kind = RangeRequest::Kind::kSatisfiable;
    r.first = size - std::min(*n, size);
    r.last = size - 1;
    return r;
  }
  auto first = Digits(a);
  if (!first) return none;
  std::optional<std::uint64_t> last;
  if (!b.empty()) {
    last = Digits(b);
    if (!last || *last < *first) return none;  // Invalid: ignored (RFC 9110 §14.1.1).
  }
  if (*first >= size) {
    r.kind = RangeRequest::Kind::kUnsatisfiable;
    return r;
  }
  r.kind = RangeRequest::Kind::kSatisfiable;
  r.first = *first;
  r.last = std::min(last.value_or(size - 1), size - 1);
  return r;
}

std::string ContentDisposition(std::string_view filename, bool as_inline) {
  std::string ascii;
  for (std::size_t i = 0; i < filename.size(); ++i) {
    auto c = static_cast<unsigned char>(filename[i]);
    if (c >= 0x80) {
      // One '_' per UTF-8 character: skip its continuation bytes.
      while (i + 1 < filename.size() &&
             (static_cast<unsigned char>(filename[i + 1]) & 0xC0) == 0x80) {
        ++i;
      }
      ascii += '_';
    } else if (c < 0x20 || c == 0x7F || c == '"' || c == '\\' || c == '%') {
      // '%' too: some user agents percent-decode the plain filename (RFC 6266, appendix D).
      ascii += '_';
    } else {
      ascii += static_cast<char>(c);
    }
  }
  std::string out = as_inline ? "inline" : "attachment";
  out += "; filename=\"" + ascii + "\"; filename*=UTF-8''" + PercentEncodeUtf8(filename);
  return out;
}

std::string PercentEncodeUtf8(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (AttrChar(c)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string ContentTypeFor(std::string_view filename) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {"txt", "text/plain; charset=utf-8"},
      {"md", "text/markdown; charset=utf-8"},
      {"csv", "text/csv; charset=utf-8"},
      {"log", "text/plain; charset=utf-8"},
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"json", "application/json"},
      {"xml", "application/xml"},
      {"pdf", "application/pdf"},
      {"zip", "application/zip"},
      {"gz", "application/gzip"},
      {"tar", "application/x-tar"},
      {"7z", "application/x-7z-compressed"},
      {"rtf", "application/rtf"},
      {"doc", "application/msword"},
      {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
      {"odt", "application/vnd.oasis.opendocument.text"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"bmp", "image/bmp"},
      {"ico", "image/x-icon"},
      {"avif", "image/avif"},
      {"heic", "image/heic"},
      {"tif", "image/tiff"},
      {"tiff", "image/tiff"},
      {"svg", "image/svg+xml"},
      {"mp3", "audio/mpeg"},
      {"m4a", "audio/mp4"},
      {"ogg", "audio/ogg"},
      {"oga", "audio/ogg"},
      {"opus", "audio/opus"},
      {"wav", "audio/wav"},
      {"flac", "audio/flac"},
      {"mp4", "video/mp4"},
      {"m4v", "video/mp4"},
      {"webm", "video/webm"},
      {"mov", "video/quicktime"},
      {"mkv", "video/x-matroska"},
      {"ogv", "video/ogg"},
  };
  auto dot = filename.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == filename.size()) {
    return "application/octet-stream";
  }
  std::string ext = Lower(filename.substr(dot + 1));
  for (const auto& [e, type] : kTypes) {
    if (e == ext) return std::string(type);
  }
  return "application/octet-stream";
}

bool InlineSafe(std::string_view content_type) {
  std::string t = Lower(Trim(content_type.substr(0, content_type.find(';'))));
  if (t == "image/svg+xml") return false;
  if (t.starts_with("image/") || t.starts_with("audio/") || t.starts_with("video/")) return true;
  return t == "application/pdf" || t == "text/plain";
}

bool IfNoneMatchHits(std::string_view header, std::string_view etag) {
  auto opaque = [](std::string_view tag) {
    tag = Trim(tag);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    return tag;
  };
  header = Trim(header);
  if (header.empty() || etag.empty()) return false;
  if (header == "*") return true;
  std::string_view want = opaque(etag);
  while (!header.empty()) {
    auto comma = header.find(',');
    if (opaque(header.substr(0, comma)) == want) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

bool IfRangeMatches(std::string_view header, std::string_view etag) {
  header = Trim(header);
  return !etag.empty() && !etag.starts_with("W/") && header == etag;
}

std::optional<std::int64_t> ParseClientModifiedAt(std::string_view text) {
  auto when = ParseRfc3339(text);
  const auto tomorrow =
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch() + std::chrono::hours(24))
          .count();
  constexpr std::int64_t kYear1900 = -2208988800000;  // 1900-01-01T00:00:00Z in ms.
  if (!when || *when < kYear1900 || *when > tomorrow) return std::nullopt;
  return when;
}

}  // namespace nimbus::api
