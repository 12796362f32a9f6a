// SPDX-License-Identifier: AGPL-3.0-or-later
// Unit tests of api/content_headers: what a browser or curl sees in the content headers.
#include "api/content_headers.h"

#include <gtest/gtest.h>

namespace nimbus::api {
namespace {

using Kind = RangeRequest::Kind;

TEST(ParseRangeTest, SingleRanges) {
  auto r = ParseRange("bytes=0-99", 1000);
  EXPECT_EQ(r.kind, Kind::kSatisfiable);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 99u);
  EXPECT_EQ(r.length(), 100u);
  r = ParseRange("bytes=990-", 1000);
  EXPECT_EQ(r.kind, Kind::kSatisfiable);
  EXPECT_EQ(r.first, 990u);
  EXPECT_EQ(r.last, 999u);
  r = ParseRange("bytes=-10", 1000);
  EXPECT_EQ(r.kind, Kind::kSatisfiable);
  EXPECT_EQ(r.first, 990u);
  EXPECT_EQ(r.last, 999u);
  r = ParseRange("bytes=-5000", 1000);  // A suffix longer than the content: all of it.
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 999u);
  r = ParseRange("bytes=500-5000", 1000);  // Clamped to the end.
  EXPECT_EQ(r.kind, Kind::kSatisfiable);
  EXPECT_EQ(r.last, 999u);
  r = ParseRange("Bytes=1-1", 10);  // The unit is case-insensitive.
  EXPECT_EQ(r.kind, Kind::kSatisfiable);
  EXPECT_EQ(r.length(), 1u);
}

TEST(ParseRangeTest, Unsatisfiable) {
  EXPECT_EQ(ParseRange("bytes=1000-", 1000).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=2000-3000", 1000).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=-0", 1000).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=0-", 0).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=-1", 0).kind, Kind::kUnsatisfiable);
}

TEST(ParseRangeTest, IgnoredAsWholeContent) {
  EXPECT_EQ(ParseRange("", 1000).kind, Kind::kNone);
  EXPECT_EQ(ParseRange("items=0-1", 1000).kind, Kind::kNone);
  EXPECT_EQ(ParseRange("bytes=0-1,5-6", 1000).kind, Kind::kNone);  // Multi-range.
  EXPECT_EQ(ParseRange("bytes=5-1", 1000).kind, Kind::kNone);
  EXPECT_EQ(ParseRange("bytes=a-b", 1000).kind, Kind::kNone);
  EXPECT_EQ(ParseRange("bytes=-", 1000).kind, Kind::kNone);
  EXPECT_EQ(ParseRange("bytes=99999999999999999999999-", 1000).kind, Kind::kNone);
}

TEST(ContentDispositionTest, Utf8NameHasAsciiFallbackAndExtendedForm) {
  EXPECT_EQ(ContentDisposition("naïve résumé.pdf", false),
            "attachment; filename=\"na_ve r_sum_.pdf\"; "
            "filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.pdf");
  EXPECT_EQ(ContentDisposition("a.txt", true),
            "inline; filename=\"a.txt\"; filename*=UTF-8''a.txt");
  EXPECT_EQ(ContentDisposition("say \"hi\"\\%#.txt", false),
            "attachment; filename=\"say _hi___#.txt\"; "
            "filename*=UTF-8''say%20%22hi%22%5C%25#.txt");
  EXPECT_EQ(ContentDisposition("日本.txt", false),
            "attachment; filename=\"__.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt");
}

TEST(ContentTypeTest, ByExtension) {
  EXPECT_EQ(ContentTypeFor("a.PDF"), "application/pdf");
  EXPECT_EQ(ContentTypeFor("photo.jpeg"), "image/jpeg");
  EXPECT_EQ(ContentTypeFor("notes.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("x.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("Makefile"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("archive.unknown"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("trailing."), "application/octet-stream");
}

TEST(ContentTypeTest, InlineOnlyForSafeTypes) {
  EXPECT_TRUE(InlineSafe("image/png"));
  EXPECT_TRUE(InlineSafe("application/pdf"));
  EXPECT_TRUE(InlineSafe("text/plain; charset=utf-8"));
  EXPECT_TRUE(InlineSafe("video/mp4"));
  EXPECT_TRUE(InlineSafe("audio/mpeg"));
  EXPECT_FALSE(InlineSafe("image/svg+xml"));
  EXPECT_FALSE(InlineSafe("text/html; charset=utf-8"));
  EXPECT_FALSE(InlineSafe("application/xml"));
  EXPECT_FALSE(InlineSafe("text/javascript; charset=utf-8"));
  EXPECT_FALSE(InlineSafe("application/octet-stream"));
}

TEST(IfNoneMatchTest, WeakComparison) {
  EXPECT_TRUE(IfNoneMatchHits("\"abc-1\"", "\"abc-1\""));
  EXPECT_TRUE(IfNoneMatchHits("W/\"abc-1\"", "\"abc-1\""));
  EXPECT_TRUE(IfNoneMatchHits("\"x\", \"abc-1\"", "\"abc-1\""));
  EXPECT_TRUE(IfNoneMatchHits("*", "\"abc-1\""));
  EXPECT_FALSE(IfNoneMatchHits("\"abc-2\"", "\"abc-1\""));
  EXPECT_FALSE(IfNoneMatchHits("", "\"abc-1\""));
}

TEST(IfRangeTest, OnlyTheCurrentStrongTagLetsARangeApply) {
  EXPECT_TRUE(IfRangeMatches("\"abc-1\"", "\"abc-1\""));
  EXPECT_TRUE(IfRangeMatches("  \"abc-1\" ", "\"abc-1\""));
  EXPECT_FALSE(IfRangeMatches("\"abc-2\"", "\"abc-1\"")) << "the file changed";
  EXPECT_FALSE(IfRangeMatches("W/\"abc-1\"", "\"abc-1\"")) << "weak tags never match";
  EXPECT_FALSE(IfRangeMatches("Wed, 25 Nov 2026 10:00:00 GMT", "\"abc-1\"")) << "no Last-Modified";
  EXPECT_FALSE(IfRangeMatches("", "\"abc-1\""));
}

}  // namespace
}  // namespace nimbus::api
