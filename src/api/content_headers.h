// The HTTP headers of file content (internal to api/): a single byte Range (RFC 9110 §14),
// Content-Disposition with the UTF-8 name (RFC 6266 + RFC 8187 filename*), Content-Type by
// extension, which types may render inline from our origin, and If-None-Match.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nimbus::api {

struct RangeRequest {
  enum class Kind {
    kNone,           // No Range, another unit, several ranges or a malformed one: send it all.
    kSatisfiable,    // Send bytes [first, last] (inclusive; last < size) with 206.
    kUnsatisfiable,  // 416 with Content-Range: bytes */size.
  };
  Kind kind = Kind::kNone;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  std::uint64_t length() const { return last - first + 1; }
};

// Parses a Range header value ("bytes=0-99", "bytes=100-", "bytes=-500") against a content of
// `size` bytes. A last position past the end is clamped; a first position at or past the end
// (or a suffix of 0 bytes, or any range of an empty content) is unsatisfiable. Multi-range
// requests are answered whole (kNone), as RFC 9110 allows.
RangeRequest ParseRange(std::string_view header, std::uint64_t size);

// `attachment; filename="…"; filename*=UTF-8''…` (or `inline; …`): the quoted name is an ASCII
// fallback (other characters, quotes, backslashes and controls become '_'), the extended one
// percent-encodes every byte but RFC 5987 attr-chars.
std::string ContentDisposition(std::string_view filename, bool as_inline);
// `text` (UTF-8) with every byte but RFC 8187's attr-chars percent-encoded: a header value any
// client decodes the same way (decodeURIComponent, urllib.parse.unquote).
std::string PercentEncodeUtf8(std::string_view text);

// The media type of a file name by its extension (case-insensitive); text types carry
// "; charset=utf-8". Unknown: application/octet-stream.
std::string ContentTypeFor(std::string_view filename);

// Whether `content_type` may be rendered inline from our origin (?inline=1): images except SVG,
// PDF, text/plain, audio and video. Never HTML, SVG, XML or scripts.
bool InlineSafe(std::string_view content_type);

// Whether an If-None-Match value ("*", or a list of entity tags, weak or strong) matches `etag`
// (weak comparison, as RFC 9110 §13.1.2 requires for If-None-Match).
bool IfNoneMatchHits(std::string_view header, std::string_view etag);

// Whether an If-Range value lets a Range apply (RFC 9110 §13.1.5): only the strong entity tag
// `etag` itself. A weak tag, another tag or a date (we send no Last-Modified) does not: the
// content may have changed since the client's first part, so the whole content is sent (200)
// rather than a range that would splice two versions.
bool IfRangeMatches(std::string_view header, std::string_view etag);

// A client's "modified" time of a file (X-Modified-At of a PUT, modified_at of tus
// Upload-Metadata): RFC 3339, from 1900 (photos scanned from old prints carry such dates) to
// tomorrow; ms since the epoch (negative before 1970). nullopt when it is not one of those
// (kClientTimeRule says what is expected).
std::optional<std::int64_t> ParseClientModifiedAt(std::string_view text);
inline constexpr char kClientTimeRule[] =
    "a time in RFC 3339 form (2026-11-27T10:00:00Z), from the year 1900 to tomorrow";

}  // namespace nimbus::api
