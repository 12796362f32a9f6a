// SPDX-License-Identifier: AGPL-3.0-or-later
// bench/thumbnails.sh: how long MakeThumbnail takes for camera-sized photos and a large PNG, side
// by side with decoding the same JPEG whole (what a thumbnailer without DCT scaling and row
// reduction does before it can shrink anything). Pictures are made here: a red/blue photo with
// per-pixel noise, so that it compresses (and decodes) like a real photo, not like a flat one.
// Prints "name value" lines. Usage: nimbus_thumbnail_bench [ROUNDS]
//        nimbus_thumbnail_bench --write PATH   (writes the 12-megapixel photo, for the HTTP part)
#include <fmt/core.h>
#include <jpeglib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string_view>
#include <vector>

#include "core/files/thumbnail_image.h"
#include "support/test_pictures.h"

namespace {

using nimbus::test::Picture;
using Clock = std::chrono::steady_clock;

// The test pictures' halves with noise of ±32 on every sample.
Picture Photo(int w, int h, int channels = 3) {
  Picture p = nimbus::test::Halves(w, h, channels);
  std::uint32_t x = 2463534242u;
  for (std::size_t i = 0; i < p.pixels.size(); ++i) {
    if (channels == 4 && i % 4 == 3) continue;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    p.pixels[i] = static_cast<unsigned char>(std::clamp(int(p.pixels[i]) + int(x % 65) - 32, 0, 255));
  }
  return p;
}

// Decodes a JPEG whole, at full size (the reference).
void DecodeWhole(const std::vector<unsigned char>& jpeg) {
  jpeg_decompress_struct d;
  jpeg_error_mgr err;
  d.err = jpeg_std_error(&err);
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, jpeg.data(), static_cast<unsigned long>(jpeg.size()));
  jpeg_read_header(&d, TRUE);
  d.out_color_space = JCS_RGB;
  jpeg_start_decompress(&d);
  std::vector<unsigned char> all(static_cast<std::size_t>(d.output_width) * d.output_height * 3);
  while (d.output_scanline < d.output_height) {
    JSAMPROW row = &all[static_cast<std::size_t>(d.output_scanline) * d.output_width * 3];
    jpeg_read_scanlines(&d, &row, 1);
  }
  jpeg_finish_decompress(&d);
  jpeg_destroy_decompress(&d);
}

template <class F>
double MedianMs(int rounds, F f) {
  std::vector<double> ms;
  for (int i = 0; i < rounds; ++i) {
    const auto start = Clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string_view(argv[1]) == "--write") {
    const auto jpeg = nimbus::test::EncodeJpeg(Photo(4000, 3000));
    std::ofstream(argv[2], std::ios::binary)
        .write(reinterpret_cast<const char*>(jpeg.data()), static_cast<std::streamsize>(jpeg.size()));
    return 0;
  }
  const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  struct Case {
    const char* name;
    int w, h;
  };
  for (const Case c : {Case{"jpeg_12mp", 4000, 3000}, Case{"jpeg_24mp", 6000, 4000}}) {
    const auto jpeg = nimbus::test::EncodeJpeg(Photo(c.w, c.h));
    fmt::print("{}_bytes {}\n", c.name, jpeg.size());
    for (int side : {64, 256}) {
      const double ms = MedianMs(rounds, [&] {
        if (!nimbus::core::files::MakeThumbnail(jpeg, {.max_side = side})) std::abort();
      });
      fmt::print("{}_thumb{}_ms {:.1f}\n", c.name, side, ms);
    }
    fmt::print("{}_full_decode_ms {:.1f}\n", c.name, MedianMs(rounds, [&] { DecodeWhole(jpeg); }));
  }
  const auto png = nimbus::test::EncodePng(Photo(3000, 2000, 4));
  fmt::print("png_6mp_rgba_bytes {}\n", png.size());
  fmt::print("png_6mp_rgba_thumb256_ms {:.1f}\n", MedianMs(rounds, [&] {
               if (!nimbus::core::files::MakeThumbnail(png, {.max_side = 256})) std::abort();
             }));
  return 0;
}
