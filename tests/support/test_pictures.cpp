// SPDX-License-Identifier: AGPL-3.0-or-later
#include "support/test_pictures.h"

#include <jpeglib.h>
#include <png.h>

#include <cstdlib>

namespace nimbus::test {

// Red on the left half, blue on the right (RGB or RGBA with full alpha).
Picture Halves(int w, int h, int channels) {
  Picture p{w, h, channels, std::vector<unsigned char>(static_cast<std::size_t>(w) * h * channels)};
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      unsigned char* px = &p.pixels[(static_cast<std::size_t>(y) * w + x) * channels];
      px[0] = x < w / 2 ? 230 : 20;
      px[1] = 20;
      px[2] = x < w / 2 ? 20 : 230;
      if (channels == 4) px[3] = 255;
    }
  }
  return p;
}

std::vector<unsigned char> EncodeJpeg(const Picture& p, bool cmyk) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buffer, &size);
  c.image_width = static_cast<JDIMENSION>(p.width);
  c.image_height = static_cast<JDIMENSION>(p.height);
  c.input_components = p.channels;
  c.in_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 95, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<unsigned char*>(
        &p.pixels[static_cast<std::size_t>(c.next_scanline) * p.width * p.channels]);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::vector<unsigned char> out(buffer, buffer + size);
  std::free(buffer);
  return out;
}

Picture DecodeJpeg(const std::string& bytes) {
  jpeg_decompress_struct d;
  jpeg_error_mgr err;
  d.err = jpeg_std_error(&err);
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&d, TRUE);
  d.out_color_space = JCS_RGB;
  jpeg_start_decompress(&d);
  Picture p{static_cast<int>(d.output_width), static_cast<int>(d.output_height), 3, {}};
  p.pixels.resize(static_cast<std::size_t>(p.width) * p.height * 3);
  while (d.output_scanline < d.output_height) {
    JSAMPROW row = &p.pixels[static_cast<std::size_t>(d.output_scanline) * p.width * 3];
    jpeg_read_scanlines(&d, &row, 1);
  }
  jpeg_finish_decompress(&d);
  jpeg_destroy_decompress(&d);
  return p;
}

// An APP1 segment with an EXIF orientation tag, inserted right after a JPEG's SOI marker.
std::vector<unsigned char> WithOrientation(std::vector<unsigned char> jpeg, int orientation,
                                           bool big_endian) {
  std::vector<unsigned char> tiff;
  auto u16 = [&](unsigned v) {
    if (big_endian) {
      tiff.push_back(static_cast<unsigned char>(v >> 8));
      tiff.push_back(static_cast<unsigned char>(v));
    } else {
      tiff.push_back(static_cast<unsigned char>(v));
      tiff.push_back(static_cast<unsigned char>(v >> 8));
    }
  };
  auto u32 = [&](unsigned v) {
    if (big_endian) {
      u16(v >> 16);
      u16(v & 0xffff);
    } else {
      u16(v & 0xffff);
      u16(v >> 16);
    }
  };
  tiff.push_back(big_endian ? 'M' : 'I');
  tiff.push_back(big_endian ? 'M' : 'I');
  u16(42);
  u32(8);                                        // IFD0 right after the header.
  u16(2);                                        // Two entries: an unrelated one first.
  u16(0x010f), u16(2), u32(4), u32(0x00414243);  // Make, ASCII "CBA".
  u16(0x0112), u16(3), u32(1), u16(static_cast<unsigned>(orientation)), u16(0);
  u32(0);  // No next IFD.
  std::vector<unsigned char> app1 = {'E', 'x', 'i', 'f', 0, 0};
  app1.insert(app1.end(), tiff.begin(), tiff.end());
  const std::size_t length = app1.size() + 2;
  std::vector<unsigned char> segment = {0xff, 0xe1, static_cast<unsigned char>(length >> 8),
                                        static_cast<unsigned char>(length & 0xff)};
  segment.insert(segment.end(), app1.begin(), app1.end());
  jpeg.insert(jpeg.begin() + 2, segment.begin(), segment.end());
  return jpeg;
}

namespace {

void WritePngBytes(png_structp png, png_bytep data, png_size_t n) {
  auto* out = static_cast<std::vector<unsigned char>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + n);
}

}  // namespace

std::vector<unsigned char> EncodePng(const Picture& p, int bit_depth, bool interlaced) {
  std::vector<unsigned char> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(png, &out, WritePngBytes, nullptr);
  const int type = p.channels == 4   ? PNG_COLOR_TYPE_RGBA
                   : p.channels == 3 ? PNG_COLOR_TYPE_RGB
                   : p.channels == 2 ? PNG_COLOR_TYPE_GRAY_ALPHA
                                     : PNG_COLOR_TYPE_GRAY;
  png_set_IHDR(png, info, static_cast<png_uint_32>(p.width), static_cast<png_uint_32>(p.height),
               bit_depth, type, interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  if (bit_depth == 16) png_set_swap(png);  // Rows below are little-endian 16-bit samples.
  const int bytes_per_sample = bit_depth / 8;
  std::vector<png_bytep> rows(static_cast<std::size_t>(p.height));
  std::vector<unsigned char> wide;
  if (bit_depth == 16) {  // Each 8-bit sample v becomes the 16-bit v * 257.
    wide.resize(p.pixels.size() * 2);
    for (std::size_t i = 0; i < p.pixels.size(); ++i) wide[2 * i] = wide[2 * i + 1] = p.pixels[i];
  }
  unsigned char* base = bit_depth == 16 ? wide.data() : const_cast<unsigned char*>(p.pixels.data());
  for (int y = 0; y < p.height; ++y) {
    rows[y] = base + static_cast<std::size_t>(y) * p.width * p.channels * bytes_per_sample;
  }
  png_set_interlace_handling(png);
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace nimbus::test
