// Pictures for the thumbnail tests: made with libjpeg and libpng (a red left half and a blue
// right half, so where red ends up shows a turn or a mirror), and JPEG thumbnails decoded back.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>
#include <vector>

namespace nimbus::test {

struct Picture {
  int width = 0;
  int height = 0;
  int channels = 3;  // 3: RGB, 4: RGBA, 1: gray, 2: gray + alpha.
  std::vector<unsigned char> pixels;
};

// Red (230,20,20) on the left half, blue (20,20,230) on the right; RGB, or RGBA fully opaque.
Picture Halves(int w, int h, int channels = 3);
// A JPEG of `p` (3 channels RGB; 4 channels CMYK when `cmyk`), quality 95.
std::vector<unsigned char> EncodeJpeg(const Picture& p, bool cmyk = false);
// A PNG of `p`: 8 or 16 bits per sample, Adam7-interlaced or not.
std::vector<unsigned char> EncodePng(const Picture& p, int bit_depth = 8, bool interlaced = false);
// A JPEG file decoded to RGB.
Picture DecodeJpeg(const std::string& bytes);
// `jpeg` with an APP1 EXIF segment holding orientation `o` (1–8) right after its SOI marker.
std::vector<unsigned char> WithOrientation(std::vector<unsigned char> jpeg, int o, bool big_endian);

}  // namespace nimbus::test
