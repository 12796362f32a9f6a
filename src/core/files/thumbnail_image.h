// Thumbnails of photos and pictures: the bytes of a JPEG or PNG file become a small JPEG that
// fits a square of `max_side` pixels, upright as the camera's EXIF orientation says (phones
// store most photos sideways with a tag), transparency shown over white. Decoding streams: a
// JPEG is decoded already shrunk (libjpeg's DCT scaling, 1/2 to 1/8) and both formats are
// reduced row by row into the small image, so a 50-megapixel photo needs a few rows of memory,
// not 150 MB (an interlaced PNG, which cannot be read by rows, is refused above kMaxInterlaced).
// Pure computation: no files, no threads; run it on a worker thread (tens of milliseconds for a
// 12-megapixel photo).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "util/result.h"

namespace nimbus::core::files {

enum class ImageKind { kJpeg, kPng };

// By the first bytes of the file (not its name): kJpeg for FF D8 FF, kPng for the PNG
// signature; nullopt for anything else.
std::optional<ImageKind> SniffImage(std::span<const unsigned char> head);

struct ThumbnailOptions {
  int max_side = 256;  // The thumbnail's longer side, in pixels (smaller images keep their size).
  int quality = 80;    // JPEG quality of the thumbnail.
  // Pictures larger than this many pixels are refused before anything is decoded (a 20-byte
  // PNG can declare 4 billion pixels).
  std::uint64_t max_pixels = 120'000'000;
};

// An interlaced PNG must be decoded whole: refused above this many pixels (64 MB of RGBA).
inline constexpr std::uint64_t kMaxInterlaced = 16'000'000;

// The thumbnail of `image` (a whole JPEG or PNG file) as JPEG bytes. kInvalidArgument with a
// sentence for a file that is neither, is damaged, or is too large to thumbnail.
Result<std::string> MakeThumbnail(std::span<const unsigned char> image,
                                  const ThumbnailOptions& options = {});

// The EXIF orientation (1–8) in a JPEG's APP1 segment payload ("Exif\0\0" + TIFF data), 1 when
// there is none or it cannot be read. Exposed for tests.
int ExifOrientation(std::span<const unsigned char> app1);

}  // namespace nimbus::core::files
