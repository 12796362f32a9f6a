// SPDX-License-Identifier: AGPL-3.0-or-later
// libjpeg and libpng report errors by longjmp: every C++ object of a function that calls
// setjmp is declared before it, so the jump skips no destructor.
#include "core/files/thumbnail_image.h"

#include <fmt/core.h>
#include <jpeglib.h>
#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace nimbus::core::files {

namespace {

Error Refused(std::string message) { return Error{Errc::kInvalidArgument, std::move(message)}; }

// An RGB picture, 3 bytes per pixel, rows top to bottom.
struct Rgb {
  int width = 0;
  int height = 0;
  std::vector<unsigned char> pixels;
};

// The size of the thumbnail of a w × h picture: the longer side becomes `max_side`, the other
// in proportion (at least 1); a picture that fits already keeps its size.
std::pair<int, int> FitInto(int w, int h, int max_side) {
  const int longer = std::max(w, h);
  if (longer <= max_side) return {w, h};
  const double scale = static_cast<double>(max_side) / longer;
  return {std::max(1, static_cast<int>(w * scale + 0.5)),
          std::max(1, static_cast<int>(h * scale + 0.5))};
}

// Shrinks a picture that arrives a row at a time: each output pixel is the average of the
// input pixels that fall on it (a box filter: no aliasing however large the reduction).
// Holds one output row of sums, not the input.
class RowReducer {
 public:
  RowReducer(int in_w, int in_h, int out_w, int out_h)
      : in_w_(in_w),
        in_h_(in_h),
        sums_(static_cast<std::size_t>(out_w) * 3),
        column_bin_(static_cast<std::size_t>(in_w)),
        column_count_(static_cast<std::size_t>(out_w)) {
    out_.width = out_w;
    out_.height = out_h;
    out_.pixels.assign(static_cast<std::size_t>(out_w) * out_h * 3, 0);
    for (int x = 0; x < in_w; ++x) {
      const int bin = static_cast<int>(static_cast<std::int64_t>(x) * out_w / in_w);
      column_bin_[x] = bin;
      ++column_count_[bin];
    }
  }

  // `rgb`: in_w pixels of 3 bytes.
  void AddRow(const unsigned char* rgb) {
    const int bin = static_cast<int>(static_cast<std::int64_t>(row_) * out_.height / in_h_);
    if (bin != bin_) Flush();
    bin_ = bin;
    ++rows_in_bin_;
    ++row_;
    for (int x = 0; x < in_w_; ++x) {
      std::uint32_t* s = &sums_[static_cast<std::size_t>(column_bin_[x]) * 3];
      s[0] += rgb[0];
      s[1] += rgb[1];
      s[2] += rgb[2];
      rgb += 3;
    }
  }

  // The picture, once every row went in (rows never given stay black).
  Rgb Take() {
    Flush();
    return std::move(out_);
  }

 private:
  void Flush() {
    if (rows_in_bin_ == 0) return;
    unsigned char* out = &out_.pixels[static_cast<std::size_t>(bin_) * out_.width * 3];
    for (int x = 0; x < out_.width; ++x) {
      const std::uint32_t n = column_count_[x] * static_cast<std::uint32_t>(rows_in_bin_);
      for (int c = 0; c < 3; ++c) {
        std::uint32_t& s = sums_[static_cast<std::size_t>(x) * 3 + c];
        out[x * 3 + c] = static_cast<unsigned char>(n == 0 ? 0 : (s + n / 2) / n);
        s = 0;
      }
    }
    rows_in_bin_ = 0;
  }

  int in_w_;
  int in_h_;
  int row_ = 0;
  int bin_ = 0;
  int rows_in_bin_ = 0;
  std::vector<std::uint32_t> sums_;
  std::vector<int> column_bin_;
  std::vector<std::uint32_t> column_count_;
  Rgb out_;
};

// The picture turned as EXIF orientation `o` (1–8) says it should be shown.
Rgb Orient(Rgb in, int o) {
  if (o <= 1 || o > 8) return in;
  const int w = in.width;
  const int h = in.height;
  const bool swap = o >= 5;  // 5–8 turn by a quarter: width and height trade places.
  Rgb out;
  out.width = swap ? h : w;
  out.height = swap ? w : h;
  out.pixels.resize(in.pixels.size());
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      int sx = x;
      int sy = y;
      switch (o) {
        case 2:
          sx = w - 1 - x;
          break;  // Mirrored left-right.
        case 3:
          sx = w - 1 - x;
          sy = h - 1 - y;
          break;  // Upside down.
        case 4:
          sy = h - 1 - y;
          break;  // Mirrored top-bottom.
        case 5:
          sx = y;
          sy = x;
          break;  // Transposed.
        case 6:
          sx = y;
          sy = h - 1 - x;
          break;  // Needs a quarter turn clockwise.
        case 7:
          sx = w - 1 - y;
          sy = h - 1 - x;
          break;  // Transversed.
        case 8:
          sx = w - 1 - y;
          sy = x;
          break;  // Needs a quarter turn anticlockwise.
        default:
          break;
      }
      std::memcpy(&out.pixels[(static_cast<std::size_t>(y) * out.width + x) * 3],
                  &in.pixels[(static_cast<std::size_t>(sy) * w + sx) * 3], 3);
    }
  }
  return out;
}

// ---- JPEG ----

struct JpegErrors {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void OnJpegError(j_common_ptr c) {
  auto* e = reinterpret_cast<JpegErrors*>(c->err);
  (*c->err->format_message)(c, e->message);
  std::longjmp(e->jump, 1);
}

void OnJpegMessage(j_common_ptr, int) {}  // Warnings (a truncated file, say): decode anyway.

JpegErrors* NewJpegErrors(JpegErrors& e) {
  jpeg_std_error(&e.mgr);
  e.mgr.error_exit = OnJpegError;
  e.mgr.emit_message = OnJpegMessage;
  e.message[0] = '\0';
  return &e;
}

// The smallest DCT scale (1/8, 1/4, 1/2, 1) that still leaves the longer side ≥ max_side.
unsigned JpegScaleDenom(unsigned w, unsigned h, int max_side) {
  const unsigned longer = std::max(w, h);
  for (unsigned d : {8u, 4u, 2u}) {
    if (longer / d >= static_cast<unsigned>(max_side)) return d;
  }
  return 1;
}

Result<Rgb> DecodeJpeg(std::span<const unsigned char> bytes, const ThumbnailOptions& o) {
  jpeg_decompress_struct cinfo;
  JpegErrors errors;
  std::vector<unsigned char> row;
  std::vector<unsigned char> rgb;
  std::optional<RowReducer> reducer;
  Rgb picture;
  volatile int orientation = 1;  // Set after setjmp, read only on the normal path.
  std::string refusal;
  cinfo.err = &NewJpegErrors(errors)->mgr;
  jpeg_create_decompress(&cinfo);
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return std::unexpected(
        Refused(fmt::format("The JPEG file cannot be read: {}.", errors.message)));
  }
  jpeg_mem_src(&cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header(&cinfo, TRUE);
  if (static_cast<std::uint64_t>(cinfo.image_width) * cinfo.image_height > o.max_pixels) {
    refusal = fmt::format("The picture is too large to make a thumbnail of ({} × {} pixels).",
                          cinfo.image_width, cinfo.image_height);
    jpeg_destroy_decompress(&cinfo);
    return std::unexpected(Refused(std::move(refusal)));
  }
  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m != nullptr; m = m->next) {
    if (m->marker == JPEG_APP0 + 1) {
      const int found = ExifOrientation({m->data, m->data_length});
      if (found != 1) orientation = found;
    }
  }
  const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  cinfo.scale_num = 1;
  cinfo.scale_denom = JpegScaleDenom(cinfo.image_width, cinfo.image_height, o.max_side);
  cinfo.dct_method = JDCT_ISLOW;
  jpeg_start_decompress(&cinfo);
  {
    const int w = static_cast<int>(cinfo.output_width);
    const int h = static_cast<int>(cinfo.output_height);
    const auto [out_w, out_h] = FitInto(w, h, o.max_side);
    reducer.emplace(w, h, out_w, out_h);
    row.resize(static_cast<std::size_t>(w) * cinfo.output_components);
    rgb.resize(static_cast<std::size_t>(w) * 3);
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW rows[1] = {row.data()};
    if (jpeg_read_scanlines(&cinfo, rows, 1) != 1) break;
    if (cmyk) {
      // Adobe writes CMYK inverted (0 = full ink); others as is.
      const bool inverted = cinfo.saw_Adobe_marker;
      for (std::size_t i = 0, j = 0; j < rgb.size(); i += 4, j += 3) {
        const unsigned k = inverted ? row[i + 3] : 255u - row[i + 3];
        for (int c = 0; c < 3; ++c) {
          const unsigned v = inverted ? row[i + c] : 255u - row[i + c];
          rgb[j + c] = static_cast<unsigned char>(v * k / 255u);
        }
      }
      reducer->AddRow(rgb.data());
    } else {
      reducer->AddRow(row.data());
    }
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  picture = Orient(reducer->Take(), orientation);
  return picture;
}

Result<std::string> EncodeJpeg(const Rgb& picture, int quality) {
  jpeg_compress_struct cinfo;
  JpegErrors errors;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  std::string out;
  cinfo.err = &NewJpegErrors(errors)->mgr;
  jpeg_create_compress(&cinfo);
  if (setjmp(errors.jump)) {
    jpeg_destroy_compress(&cinfo);
    std::free(buffer);
    return std::unexpected(
        Error{Errc::kInternal, fmt::format("JPEG encoding: {}", errors.message)});
  }
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(picture.width);
  cinfo.image_height = static_cast<JDIMENSION>(picture.height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW rows[1] = {const_cast<unsigned char*>(
        &picture.pixels[static_cast<std::size_t>(cinfo.next_scanline) * picture.width * 3])};
    jpeg_write_scanlines(&cinfo, rows, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  out.assign(reinterpret_cast<const char*>(buffer), size);
  std::free(buffer);
  return out;
}

// ---- PNG ----

struct PngInput {
  std::span<const unsigned char> bytes;
  std::size_t at = 0;
  std::string message;
};

void OnPngRead(png_structp png, png_bytep out, png_size_t n) {
  auto* in = static_cast<PngInput*>(png_get_io_ptr(png));
  if (n > in->bytes.size() - in->at) png_error(png, "the file ends too early");
  std::memcpy(out, in->bytes.data() + in->at, n);
  in->at += n;
}

[[noreturn]] void OnPngError(png_structp png, png_const_charp message) {
  static_cast<PngInput*>(png_get_error_ptr(png))->message = message;
  png_longjmp(png, 1);
}

void OnPngWarning(png_structp, png_const_charp) {}

// A row of RGBA pixels over white, as RGB.
void OverWhite(const unsigned char* rgba, unsigned char* rgb, int width) {
  for (int x = 0; x < width; ++x, rgba += 4, rgb += 3) {
    const unsigned a = rgba[3];
    for (int c = 0; c < 3; ++c) {
      rgb[c] = static_cast<unsigned char>((rgba[c] * a + 255u * (255u - a) + 127u) / 255u);
    }
  }
}

Result<Rgb> DecodePng(std::span<const unsigned char> bytes, const ThumbnailOptions& o) {
  PngInput input{bytes, 0, {}};
  std::vector<unsigned char> whole;  // Every row: interlaced pictures only.
  std::vector<png_bytep> row_pointers;
  std::vector<unsigned char> row;
  std::vector<unsigned char> rgb;
  std::optional<RowReducer> reducer;
  std::string refusal;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &input, OnPngError, OnPngWarning);
  if (png == nullptr) return std::unexpected(Error{Errc::kInternal, "libpng: out of memory"});
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return std::unexpected(Error{Errc::kInternal, "libpng: out of memory"});
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    if (!refusal.empty()) return std::unexpected(Refused(std::move(refusal)));
    return std::unexpected(Refused(fmt::format("The PNG file cannot be read: {}.", input.message)));
  }
  png_set_read_fn(png, &input, OnPngRead);
  png_read_info(png, info);
  const png_uint_32 w = png_get_image_width(png, info);
  const png_uint_32 h = png_get_image_height(png, info);
  const int color = png_get_color_type(png, info);
  const int depth = png_get_bit_depth(png, info);
  const bool interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
  const std::uint64_t pixels = static_cast<std::uint64_t>(w) * h;
  if (pixels > o.max_pixels || (interlaced && pixels > kMaxInterlaced)) {
    refusal = fmt::format("The picture is too large to make a thumbnail of ({} × {} pixels{}).", w,
                          h, interlaced ? ", interlaced" : "");
    png_error(png, "too large");
  }
  // Whatever the file holds, rows arrive as 8-bit RGBA.
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  const bool trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  if (trns) png_set_tRNS_to_alpha(png);
  if (depth == 16) png_set_strip_16(png);
  if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
  if ((color & PNG_COLOR_MASK_ALPHA) == 0 && !trns) png_set_filler(png, 0xff, PNG_FILLER_AFTER);
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_rowbytes(png, info) != static_cast<png_size_t>(w) * 4) {
    png_error(png, "unexpected row layout");
  }
  {
    const auto [out_w, out_h] = FitInto(static_cast<int>(w), static_cast<int>(h), o.max_side);
    reducer.emplace(static_cast<int>(w), static_cast<int>(h), out_w, out_h);
    rgb.resize(static_cast<std::size_t>(w) * 3);
  }
  if (passes > 1) {
    whole.resize(static_cast<std::size_t>(pixels) * 4);
    row_pointers.resize(h);
    for (png_uint_32 y = 0; y < h; ++y)
      row_pointers[y] = &whole[static_cast<std::size_t>(y) * w * 4];
    png_read_image(png, row_pointers.data());
    for (png_uint_32 y = 0; y < h; ++y) {
      OverWhite(row_pointers[y], rgb.data(), static_cast<int>(w));
      reducer->AddRow(rgb.data());
    }
  } else {
    row.resize(static_cast<std::size_t>(w) * 4);
    for (png_uint_32 y = 0; y < h; ++y) {
      png_read_row(png, row.data(), nullptr);
      OverWhite(row.data(), rgb.data(), static_cast<int>(w));
      reducer->AddRow(rgb.data());
    }
  }
  png_destroy_read_struct(&png, &info, nullptr);
  return reducer->Take();
}

std::uint32_t ReadU16(const unsigned char* p, bool big) {
  return big ? (p[0] << 8 | p[1]) : (p[1] << 8 | p[0]);
}

std::uint32_t ReadU32(const unsigned char* p, bool big) {
  return big ? (static_cast<std::uint32_t>(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3])
             : (static_cast<std::uint32_t>(p[3]) << 24 | p[2] << 16 | p[1] << 8 | p[0]);
}

}  // namespace

std::optional<ImageKind> SniffImage(std::span<const unsigned char> head) {
  static constexpr unsigned char kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (head.size() >= 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff) {
    return ImageKind::kJpeg;
  }
  if (head.size() >= 8 && std::memcmp(head.data(), kPngSignature, 8) == 0) return ImageKind::kPng;
  return std::nullopt;
}

int ExifOrientation(std::span<const unsigned char> app1) {
  static constexpr unsigned char kExif[6] = {'E', 'x', 'i', 'f', 0, 0};
  if (app1.size() < 6 + 8 || std::memcmp(app1.data(), kExif, 6) != 0) return 1;
  const std::span<const unsigned char> tiff = app1.subspan(6);
  bool big;
  if (tiff[0] == 'M' && tiff[1] == 'M') {
    big = true;
  } else if (tiff[0] == 'I' && tiff[1] == 'I') {
    big = false;
  } else {
    return 1;
  }
  const std::uint32_t ifd = ReadU32(&tiff[4], big);
  if (ifd > tiff.size() || tiff.size() - ifd < 2) return 1;
  const std::uint32_t entries = ReadU16(&tiff[ifd], big);
  for (std::uint32_t i = 0; i < entries; ++i) {
    const std::size_t at = ifd + 2 + static_cast<std::size_t>(i) * 12;
    if (at + 12 > tiff.size()) return 1;
    if (ReadU16(&tiff[at], big) != 0x0112) continue;  // Orientation, a SHORT.
    const std::uint32_t value = ReadU16(&tiff[at + 8], big);
    return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
  }
  return 1;
}

Result<std::string> MakeThumbnail(std::span<const unsigned char> image,
                                  const ThumbnailOptions& options) {
  const std::optional<ImageKind> kind = SniffImage(image);
  if (!kind) return std::unexpected(Refused("The file is not a JPEG or PNG picture."));
  Result<Rgb> picture =
      *kind == ImageKind::kJpeg ? DecodeJpeg(image, options) : DecodePng(image, options);
  if (!picture) return std::unexpected(std::move(picture.error()));
  return EncodeJpeg(*picture, options.quality);
}

}  // namespace nimbus::core::files
