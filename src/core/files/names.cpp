// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/files/names.h"

#include <fmt/core.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cctype>

namespace nimbus::core::files {
namespace {

constexpr std::size_t kMaxNameBytes = 255;

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  const auto n = static_cast<std::int32_t>(s.size());
  std::int32_t i = 0;
  while (i < n) {
    UChar32 c = 0;
    U8_NEXT(p, i, n, c);
    if (c < 0) return false;
  }
  return true;
}

// C0, DEL, C1, and the line and paragraph separators (U+2028, U+2029): line breaks all.
bool IsControl(UChar32 c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029;
}

// Embeddings, overrides and isolates: they reorder how the rest of a name is shown. (The marks
// U+200E/U+200F, which only set the direction of neutral characters, are allowed.)
bool IsDirectionControl(UChar32 c) {
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

}  // namespace

Result<std::string> NormalizeName(std::string_view name) {
  if (name.empty()) return Fail(Errc::kInvalidName, "A name cannot be empty.");
  if (!IsValidUtf8(name)) return Fail(Errc::kInvalidName, "A name must be valid UTF-8 text.");
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return Fail(Errc::kInternal, "ICU NFC: {}", u_errorName(status));
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(name.data(), static_cast<std::int32_t>(name.size())));
  icu::UnicodeString normalized = nfc->normalize(text, status);
  if (U_FAILURE(status)) return Fail(Errc::kInternal, "ICU NFC: {}", u_errorName(status));
  std::string out;
  normalized.toUTF8String(out);

  if (out.size() > kMaxNameBytes) {
    return Fail(Errc::kInvalidName, "A name can be at most 255 bytes long; this one has {}.",
                out.size());
  }
  if (out == "." || out == "..") {
    return Fail(Errc::kInvalidName, "'{}' cannot be used as a name.", out);
  }
  if (out.find('/') != std::string::npos) {
    return Fail(Errc::kInvalidName, "A name cannot contain '/'.");
  }
  bool blank = true;  // Only white space (a row without a visible name).
  for (std::int32_t i = 0; i < normalized.length();) {
    UChar32 c = normalized.char32At(i);
    if (IsControl(c)) {
      return Fail(Errc::kInvalidName,
                  "A name cannot contain control characters (such as a line break or tab); this "
                  "one has U+{:04X}.",
                  static_cast<std::uint32_t>(c));
    }
    if (IsDirectionControl(c)) {
      return Fail(Errc::kInvalidName,
                  "A name cannot contain the text-direction character U+{:04X}: it makes a name "
                  "read differently from what it is (a program can pass for a document).",
                  static_cast<std::uint32_t>(c));
    }
    blank = blank && u_isUWhiteSpace(c);
    i += U16_LENGTH(c);
  }
  if (blank) return Fail(Errc::kInvalidName, "A name cannot be only spaces.");
  return out;
}

std::string VisibleName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  const auto* p = reinterpret_cast<const std::uint8_t*>(name.data());
  const auto n = static_cast<std::int32_t>(name.size());
  for (std::int32_t i = 0; i < n;) {
    const std::int32_t start = i;
    UChar32 c = 0;
    U8_NEXT(p, i, n, c);
    if (c < 0) {  // Not UTF-8: its bytes, as "<0xFF>".
      for (std::int32_t b = start; b < i; ++b) out += fmt::format("<0x{:02X}>", p[b]);
    } else if (c < 0x20 || c == 0x7F) {
      const UChar32 picture = c == 0x7F ? 0x2421 : 0x2400 + c;  // ␀…␟, ␡.
      icu::UnicodeString(picture).toUTF8String(out);
    } else if (IsControl(c) || IsDirectionControl(c)) {
      out += fmt::format("<U+{:04X}>", static_cast<std::uint32_t>(c));
    } else {
      out.append(name.substr(start, i - start));
    }
  }
  return out;
}

namespace {

// SortName's natural order of numbers: each run of ASCII digits as its length (two digits,
// at most 99) and the digits without leading zeros. UTF-8 continuation bytes are never digits.
std::string NaturalNumbers(std::string_view folded) {
  std::string out;
  out.reserve(folded.size() + 8);
  for (std::size_t i = 0; i < folded.size();) {
    if (!std::isdigit(static_cast<unsigned char>(folded[i]))) {
      out += folded[i++];
      continue;
    }
    std::size_t end = i;
    while (end < folded.size() && std::isdigit(static_cast<unsigned char>(folded[end]))) ++end;
    std::size_t first = i;
    while (first + 1 < end && folded[first] == '0') ++first;  // "007" → "7", "0" stays.
    const std::size_t digits = std::min<std::size_t>(end - first, 99);
    out += static_cast<char>('0' + digits / 10);
    out += static_cast<char>('0' + digits % 10);
    out.append(folded.substr(first, end - first));
    i = end;
  }
  return out;
}

}  // namespace

std::string FoldCase(std::string_view name) {
  if (!IsValidUtf8(name)) {
    std::string out(name);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  }
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(name.data(), static_cast<std::int32_t>(name.size())));
  text.foldCase(U_FOLD_CASE_DEFAULT);
  // Accents go too: decomposed (NFD), the nonspacing marks dropped, so "Résumé" and "resume"
  // list side by side and a search for either finds both.
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  if (U_SUCCESS(status)) {
    icu::UnicodeString decomposed = nfd->normalize(text, status);
    if (U_SUCCESS(status)) {
      icu::UnicodeString bare;
      for (std::int32_t i = 0; i < decomposed.length();) {
        const UChar32 c = decomposed.char32At(i);
        if (u_charType(c) != U_NON_SPACING_MARK) bare.append(c);
        i += U16_LENGTH(c);
      }
      text = std::move(bare);
    }
  }
  std::string out;
  text.toUTF8String(out);
  return out;
}

std::string SortName(std::string_view name) { return NaturalNumbers(FoldCase(name)); }

}  // namespace nimbus::core::files
