// SPDX-License-Identifier: AGPL-3.0-or-later
// MakeThumbnail: pictures of support/test_pictures.h in, thumbnails decoded back and their pixels
// checked (size, colours, where the red half went).
#include "core/files/thumbnail_image.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "support/test_pictures.h"

namespace nimbus::core::files {
using test::DecodeJpeg;
using test::EncodeJpeg;
using test::EncodePng;
using test::Halves;
using test::Picture;
using test::WithOrientation;

namespace {

const unsigned char* At(const Picture& p, int x, int y) {
  return &p.pixels[(static_cast<std::size_t>(y) * p.width + x) * 3];
}

// Near (within JPEG's loss) the colour r, g, b.
::testing::AssertionResult Near(const Picture& p, int x, int y, int r, int g, int b) {
  const unsigned char* px = At(p, x, y);
  if (std::abs(px[0] - r) <= 30 && std::abs(px[1] - g) <= 30 && std::abs(px[2] - b) <= 30) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "pixel (" << x << ", " << y << ") is " << int(px[0]) << "," << int(px[1]) << ","
         << int(px[2]) << ", wanted " << r << "," << g << "," << b;
}

bool IsRed(const Picture& p, int x, int y) { return Near(p, x, y, 230, 20, 20); }
bool IsBlue(const Picture& p, int x, int y) { return Near(p, x, y, 20, 20, 230); }

TEST(ThumbnailImageTest, AJpegPhotoShrinksToFitTheSizeKeepingItsProportionsAndColours) {
  auto made = MakeThumbnail(EncodeJpeg(Halves(1600, 1200)), {.max_side = 256});
  ASSERT_TRUE(made.has_value()) << made.error().message;
  Picture t = DecodeJpeg(*made);
  EXPECT_EQ(t.width, 256);
  EXPECT_EQ(t.height, 192);
  EXPECT_TRUE(Near(t, 10, 96, 230, 20, 20));
  EXPECT_TRUE(Near(t, 245, 96, 20, 20, 230));
  EXPECT_LT(made->size(), 20'000u);
}

TEST(ThumbnailImageTest, APhotoTakenSidewaysIsTurnedUprightAsItsExifOrientationSays) {
  const auto source = EncodeJpeg(Halves(1600, 1200));
  struct Case {
    int orientation;
    bool big_endian;
    int width, height;
    // Where the red (the source's left half) must be.
    int red_x, red_y, blue_x, blue_y;
  };
  const Case cases[] = {
      {1, false, 256, 192, 10, 96, 245, 96},  // As stored.
      {3, true, 256, 192, 245, 96, 10, 96},   // Upside down: red goes right.
      {6, false, 192, 256, 96, 10, 96, 245},  // A quarter turn clockwise: red goes to the top.
      {6, true, 192, 256, 96, 10, 96, 245},   // Same, Motorola byte order.
      {8, true, 192, 256, 96, 245, 96, 10},   // Anticlockwise: red goes to the bottom.
      {2, false, 256, 192, 245, 96, 10, 96},  // Mirrored: red goes right.
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.orientation);
    auto made = MakeThumbnail(WithOrientation(source, c.orientation, c.big_endian));
    ASSERT_TRUE(made.has_value()) << made.error().message;
    Picture t = DecodeJpeg(*made);
    EXPECT_EQ(t.width, c.width);
    EXPECT_EQ(t.height, c.height);
    EXPECT_TRUE(IsRed(t, c.red_x, c.red_y));
    EXPECT_TRUE(IsBlue(t, c.blue_x, c.blue_y));
  }
}

TEST(ThumbnailImageTest, ExifOrientationIsReadFromEitherByteOrderAndDamagedDataMeansUpright) {
  auto app1 = [](int o, bool big) {
    auto jpeg = WithOrientation({0xff, 0xd8}, o, big);
    return std::vector<unsigned char>(jpeg.begin() + 6, jpeg.end());  // Past SOI, marker, length.
  };
  EXPECT_EQ(ExifOrientation(app1(6, false)), 6);
  EXPECT_EQ(ExifOrientation(app1(8, true)), 8);
  EXPECT_EQ(ExifOrientation(app1(9, true)), 1);  // Not an orientation.
  auto cut = app1(6, true);
  cut.resize(20);  // The entry is cut off.
  EXPECT_EQ(ExifOrientation(cut), 1);
  auto far = app1(6, false);
  far[6 + 4] = 0xf0;  // IFD0 offset far past the end.
  EXPECT_EQ(ExifOrientation(far), 1);
  EXPECT_EQ(ExifOrientation(std::vector<unsigned char>{'E', 'x', 'i', 'f'}), 1);
}

TEST(ThumbnailImageTest, APngWithTransparencyIsShownOverWhite) {
  Picture p = Halves(800, 400, 4);
  for (int y = 0; y < 400; ++y) {
    for (int x = 0; x < 400; ++x) p.pixels[(static_cast<std::size_t>(y) * 800 + x) * 4 + 3] = 0;
  }
  auto made = MakeThumbnail(EncodePng(p), {.max_side = 64});
  ASSERT_TRUE(made.has_value()) << made.error().message;
  Picture t = DecodeJpeg(*made);
  EXPECT_EQ(t.width, 64);
  EXPECT_EQ(t.height, 32);
  EXPECT_TRUE(Near(t, 5, 16, 255, 255, 255));
  EXPECT_TRUE(IsBlue(t, 58, 16));
}

TEST(ThumbnailImageTest, PngsOfEveryKindGiveTheSamePicture) {
  // RGB 8-bit, RGB 16-bit, interlaced: the same red and blue halves.
  const Picture rgb = Halves(300, 200);
  for (auto bytes : {EncodePng(rgb), EncodePng(rgb, 16), EncodePng(rgb, 8, true)}) {
    auto made = MakeThumbnail(bytes, {.max_side = 150});
    ASSERT_TRUE(made.has_value()) << made.error().message;
    Picture t = DecodeJpeg(*made);
    EXPECT_EQ(t.width, 150);
    EXPECT_EQ(t.height, 100);
    EXPECT_TRUE(IsRed(t, 5, 50));
    EXPECT_TRUE(IsBlue(t, 145, 50));
  }
  Picture gray{100, 50, 1, std::vector<unsigned char>(5000, 128)};
  auto made = MakeThumbnail(EncodePng(gray), {.max_side = 64});
  ASSERT_TRUE(made.has_value()) << made.error().message;
  EXPECT_TRUE(Near(DecodeJpeg(*made), 10, 10, 128, 128, 128));
}

TEST(ThumbnailImageTest, ASmallPictureKeepsItsSize) {
  auto made = MakeThumbnail(EncodePng(Halves(40, 30)), {.max_side = 256});
  ASSERT_TRUE(made.has_value()) << made.error().message;
  Picture t = DecodeJpeg(*made);
  EXPECT_EQ(t.width, 40);
  EXPECT_EQ(t.height, 30);
}

TEST(ThumbnailImageTest, APictureWithTooManyPixelsIsRefusedBeforeDecoding) {
  ThumbnailOptions small{.max_side = 64, .quality = 80, .max_pixels = 10'000};
  for (auto bytes : {EncodeJpeg(Halves(200, 100)), EncodePng(Halves(200, 100))}) {
    auto made = MakeThumbnail(bytes, small);
    ASSERT_FALSE(made.has_value());
    EXPECT_EQ(made.error().code, Errc::kInvalidArgument);
    EXPECT_NE(made.error().message.find("too large"), std::string::npos) << made.error().message;
    EXPECT_NE(made.error().message.find("200 × 100"), std::string::npos) << made.error().message;
  }
}

TEST(ThumbnailImageTest, DamagedOrOtherFilesGiveASentenceNotACrash) {
  auto text = MakeThumbnail(std::vector<unsigned char>{'h', 'e', 'l', 'l', 'o'});
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(text.error().message, "The file is not a JPEG or PNG picture.");

  auto png = EncodePng(Halves(300, 200));
  png.resize(png.size() / 2);
  auto cut_png = MakeThumbnail(png);
  ASSERT_FALSE(cut_png.has_value());
  EXPECT_EQ(cut_png.error().code, Errc::kInvalidArgument);
  EXPECT_NE(cut_png.error().message.find("PNG file cannot be read"), std::string::npos);

  auto jpeg = EncodeJpeg(Halves(300, 200));
  std::vector<unsigned char> header_only(jpeg.begin(), jpeg.begin() + 20);
  auto cut_jpeg = MakeThumbnail(header_only);
  ASSERT_FALSE(cut_jpeg.has_value());
  EXPECT_EQ(cut_jpeg.error().code, Errc::kInvalidArgument);
  EXPECT_NE(cut_jpeg.error().message.find("JPEG file cannot be read"), std::string::npos);

  // Cut in the middle of its picture data: libjpeg shows what arrived (grey below).
  jpeg.resize(jpeg.size() * 2 / 3);
  EXPECT_TRUE(MakeThumbnail(jpeg).has_value());
}

TEST(ThumbnailImageTest, ACmykJpegGivesAPicture) {
  Picture cmyk{64, 32, 4, std::vector<unsigned char>(64 * 32 * 4, 0)};
  auto made = MakeThumbnail(EncodeJpeg(cmyk, true), {.max_side = 32});
  ASSERT_TRUE(made.has_value()) << made.error().message;
  Picture t = DecodeJpeg(*made);
  EXPECT_EQ(t.width, 32);
  EXPECT_EQ(t.height, 16);
}

}  // namespace
}  // namespace nimbus::core::files
