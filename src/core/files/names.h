// Node names: the rules of api.md (1–255 bytes of UTF-8 after NFC, no '/', no control
// characters, not "." or "..") and the case-folded sort key of a listing.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace nimbus::core::files {

// `name` in NFC when it is a valid node name; kInvalidName with a sentence for a person saying
// what is wrong otherwise (invalid UTF-8, empty, longer than 255 bytes, '/', NUL or another
// control character (C0, DEL, C1), a text-direction override or isolate (U+202A–U+202E,
// U+2066–U+2069: "report\u202Efdp.exe" reads "reportexe.pdf"), "." or "..").
Result<std::string> NormalizeName(std::string_view name);

// `name` as a message can show it: control characters as their visible pictures (U+0007 as
// "␇"), text-direction controls as "<U+202E>" and bytes that are not UTF-8 as "<0xFF>", so that
// a person sees what to rename (and the message stays valid JSON text).
std::string VisibleName(std::string_view name);

// The listing key of a (normalized) name: Unicode full case folding without accents (FoldCase),
// so "apple" < "Banana" and "élan" sits with "elan",
// and numbers in natural order, so "f2" < "f10" (as Dropbox, Finder and Nextcloud list them):
// every run of ASCII digits becomes its length in two digits, then the digits without leading
// zeros ("f10" → "f0210", "f2" → "f012"). Never fails: invalid UTF-8 is folded byte-wise.
std::string SortName(std::string_view name);
// `name` with Unicode full case folding and without accents (nonspacing marks of its NFD):
// "Élan" → "elan", "Résumé" → "resume". Invalid UTF-8 is folded byte-wise.
std::string FoldCase(std::string_view name);

}  // namespace nimbus::core::files
