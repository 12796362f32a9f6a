// SPDX-License-Identifier: AGPL-3.0-or-later
// Thumbnails against the real binary: GET /nodes/{id}/thumbnail for a photo (its size, turned
// upright, cached, 304, the browser's year-long cache only with ?v=<sha256>), a new version's
// new thumbnail, files without one (a text, a damaged picture, one over the size limit: 404
// no_thumbnail with a sentence), who may see it (another user: 404; a share; a public link).
#include <fmt/core.h>

#include <filesystem>

#include "integration/files_test_util.h"
#include "support/test_pictures.h"

namespace nimbus::test {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

std::string AsString(const std::vector<unsigned char>& v) {
  return std::string(v.begin(), v.end());
}

std::string Str(const json::value& v) { return std::string(v.as_string().c_str()); }

class FilesThumbnailTest : public FilesTest {
 protected:
  void SetUp() override { FilesTest::SetUp(); }

  HttpResponse Thumb(const std::string& id, const std::string& query = "", Headers extra = {}) {
    return Api("GET", "/api/v1/nodes/" + id + "/thumbnail" + query, "", std::move(extra));
  }
  std::string ErrorCode(const HttpResponse& r) {
    auto body = BodyOf(r);
    auto* e = body.if_contains("error");
    return e ? std::string(e->at("code").as_string()) : "";
  }
  std::string ErrorMessage(const HttpResponse& r) {
    auto body = BodyOf(r);
    auto* e = body.if_contains("error");
    return e ? std::string(e->at("message").as_string()) : "";
  }
  // Files in the server's thumbnail cache.
  int CachedFiles() {
    int n = 0;
    std::error_code ec;
    const fs::path dir = fs::path(data_dir()) / "cache" / "thumbnails";
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (it->is_regular_file()) ++n;
    }
    return n;
  }
  static std::string Sha(const HttpResponse& r) { return Str(BodyOf(r).at("checksum_sha256")); }
};

TEST_F(FilesThumbnailTest, APhotoHasAnUprightThumbnailMadeOnceAndCached) {
  StartWithUser();
  // Taken with the phone on its side: stored 1200 × 800, to be turned a quarter clockwise.
  const std::string photo = AsString(WithOrientation(EncodeJpeg(Halves(1200, 800)), 6, false));
  HttpResponse put = Put("root", "Holiday/IMG_0001.JPG", photo);
  ASSERT_EQ(put.status, 201) << put.body;
  const std::string id = IdOf(put);
  const std::string sha = Sha(put);

  HttpResponse large = Thumb(id);
  ASSERT_EQ(large.status, 200) << large.body;
  EXPECT_EQ(large.Header("Content-Type"), "image/jpeg");
  EXPECT_EQ(large.Header("Cache-Control"), "private, no-cache");
  Picture t = DecodeJpeg(large.body);
  EXPECT_EQ(t.width, 171);  // Upright: 800 × 1200 fitted into 256 × 256.
  EXPECT_EQ(t.height, 256);
  EXPECT_GT(t.pixels[(10 * 171 + 85) * 3], 180);  // The red half is on top.
  EXPECT_LT(t.pixels[(245 * 171 + 85) * 3], 70);
  EXPECT_EQ(CachedFiles(), 1);

  HttpResponse small = Thumb(id, "?size=64");
  ASSERT_EQ(small.status, 200) << small.body;
  Picture s = DecodeJpeg(small.body);
  EXPECT_EQ(s.width, 43);
  EXPECT_EQ(s.height, 64);
  EXPECT_EQ(CachedFiles(), 2);

  // Asked again: the cached bytes, the same ETag; a browser's revalidation gets 304.
  HttpResponse again = Thumb(id);
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(again.body, large.body);
  const std::string etag = large.Header("ETag").value_or("");
  EXPECT_EQ(again.Header("ETag"), etag);
  HttpResponse not_modified = Thumb(id, "", {{"If-None-Match", etag}});
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_TRUE(not_modified.body.empty());
  // The URL that names the content may be kept by the browser.
  HttpResponse named = Thumb(id, "?size=256&v=" + sha);
  ASSERT_EQ(named.status, 200);
  EXPECT_EQ(named.Header("Cache-Control"), "private, max-age=31536000, immutable");
  EXPECT_EQ(CachedFiles(), 2);

  EXPECT_EQ(Thumb(id, "?size=100").status, 400);

  // A new version (blue left, red right, not turned) has a thumbnail of its own.
  Picture flipped = Halves(600, 300);
  for (std::size_t i = 0; i < flipped.pixels.size(); i += 3)
    std::swap(flipped.pixels[i], flipped.pixels[i + 2]);
  HttpResponse replaced =
      Put("root", "Holiday/IMG_0001.JPG", AsString(EncodeJpeg(flipped)), "replace");
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  HttpResponse fresh = Thumb(id);
  ASSERT_EQ(fresh.status, 200);
  EXPECT_NE(fresh.Header("ETag"), etag);
  Picture f = DecodeJpeg(fresh.body);
  EXPECT_EQ(f.width, 256);
  EXPECT_EQ(f.height, 128);
  EXPECT_LT(f.pixels[(64 * 256 + 10) * 3], 70);  // Blue on the left now.
  // The old ETag no longer gets a 304.
  EXPECT_EQ(Thumb(id, "", {{"If-None-Match", etag}}).status, 200);
}

TEST_F(FilesThumbnailTest, FilesWithoutAThumbnailSaySoInASentence) {
  StartWithUser({{"NIMBUS_FILES_THUMBNAIL_MAX_SOURCE_BYTES", "100000"}});
  HttpResponse text = Put("root", "notes.txt", "hello");
  ASSERT_EQ(text.status, 201);
  HttpResponse r = Thumb(IdOf(text));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCode(r), "no_thumbnail");
  EXPECT_EQ(ErrorMessage(r), "'notes.txt' has no thumbnail: only JPEG and PNG pictures have one.");

  HttpResponse folder = Api("POST", "/api/v1/nodes/root/folders", R"({"path":"Album"})");
  ASSERT_EQ(folder.status, 201) << folder.body;
  EXPECT_EQ(ErrorCode(Thumb(IdOf(folder))), "no_thumbnail");

  // Named like a photo, but not one: decoded once, then remembered.
  HttpResponse fake = Put("root", "fake.jpg", std::string(5000, 'x'));
  ASSERT_EQ(fake.status, 201);
  r = Thumb(IdOf(fake));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorMessage(r), "'fake.jpg' has no thumbnail: The file is not a JPEG or PNG picture.");
  EXPECT_EQ(CachedFiles(), 1);
  EXPECT_EQ(ErrorMessage(Thumb(IdOf(fake))), ErrorMessage(r));

  // A cut-off PNG: libpng's reason.
  auto png = EncodePng(Halves(300, 200));
  png.resize(png.size() / 2);
  HttpResponse cut = Put("root", "cut.png", AsString(png));
  ASSERT_EQ(cut.status, 201);
  r = Thumb(IdOf(cut), "?size=64");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(ErrorMessage(r).find("The PNG file cannot be read"), std::string::npos) << r.body;

  // Over files.thumbnail_max_source_bytes (100,000 here).
  HttpResponse big = Put("root", "big.png", std::string(100'001, 'x'));
  ASSERT_EQ(big.status, 201);
  r = Thumb(IdOf(big));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorMessage(r),
            "'big.png' is too large for a thumbnail (pictures up to 97.7 KB have one).");
}

TEST_F(FilesThumbnailTest, OnlyThoseWhoMayReadAPictureSeeItsThumbnail) {
  StartWithUser();
  HttpResponse put = Put("root", "Album/cat.png", AsString(EncodePng(Halves(400, 400, 4))));
  ASSERT_EQ(put.status, 201) << put.body;
  const std::string id = IdOf(put);
  ASSERT_EQ(Thumb(id).status, 200);

  ASSERT_NO_FATAL_FAILURE(SignUpConfirmed("bob@example.com"));
  Browser bob = LogIn("bob@example.com");
  HttpResponse stranger = Call("GET", "/api/v1/nodes/" + id + "/thumbnail", "", &bob);
  EXPECT_EQ(stranger.status, 404);
  EXPECT_EQ(ErrorCode(stranger), "not_found");

  // Shared with Bob: he sees it.
  HttpResponse album = Api("GET", "/api/v1/resolve?path=%2FAlbum");
  ASSERT_EQ(album.status, 200) << album.body;
  HttpResponse share =
      Api("POST", "/api/v1/shares",
          json::serialize(json::object{
              {"node_id", IdOf(album)}, {"email", "bob@example.com"}, {"permission", "read"}}));
  ASSERT_EQ(share.status, 201) << share.body;
  HttpResponse shared = Call("GET", "/api/v1/nodes/" + id + "/thumbnail?size=64", "", &bob);
  ASSERT_EQ(shared.status, 200) << shared.body;
  EXPECT_EQ(DecodeJpeg(shared.body).width, 64);

  // A public link to the folder: its visitors see the thumbnails of the pictures in it.
  HttpResponse link =
      Api("POST", "/api/v1/links", json::serialize(json::object{{"node_id", IdOf(album)}}));
  ASSERT_EQ(link.status, 201) << link.body;
  const std::string token = Str(BodyOf(link).at("token"));
  HttpResponse visitor =
      Call("GET", "/api/v1/public/" + token + "/thumbnail?size=64&id=" + id, "", nullptr, false);
  ASSERT_EQ(visitor.status, 200) << visitor.body;
  EXPECT_EQ(visitor.body, shared.body);
  HttpResponse outside = Put("root", "private.png", AsString(EncodePng(Halves(10, 10))));
  ASSERT_EQ(outside.status, 201);
  EXPECT_EQ(
      Call("GET", "/api/v1/public/" + token + "/thumbnail?id=" + IdOf(outside), "", nullptr, false)
          .status,
      404);
}

// A picture deleted for good takes its thumbnails with it at the next thumbnail-cache job (a
// closed account's photos do not stay in the cache); the others stay.
TEST_F(FilesThumbnailTest, TheDailySweepRemovesTheThumbnailsOfFilesDeletedForGood) {
  StartWithUser();
  HttpResponse keep = Put("root", "keep.png", AsString(EncodePng(Halves(100, 50))));
  HttpResponse drop = Put("root", "drop.jpg", AsString(EncodeJpeg(Halves(100, 50))));
  ASSERT_EQ(keep.status, 201);
  ASSERT_EQ(drop.status, 201);
  for (const auto* id : {&keep, &drop}) {
    ASSERT_EQ(Thumb(IdOf(*id)).status, 200);
    ASSERT_EQ(Thumb(IdOf(*id), "?size=64").status, 200);
  }
  ASSERT_EQ(CachedFiles(), 4);
  auto sweep = [&] {
    auto r = RunNimbus({"job", "run", "thumbnail-cache", "--data", data_dir()});
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->out + r->err : std::string();
  };
  // In the trash it is still the user's: kept.
  ASSERT_EQ(Api("DELETE", "/api/v1/nodes/" + IdOf(drop)).status, 200);
  EXPECT_NE(sweep().find("0 thumbnail(s) of deleted files"), std::string::npos);
  EXPECT_EQ(CachedFiles(), 4);
  ASSERT_EQ(Api("DELETE", "/api/v1/trash").status, 204);
  const std::string out = sweep();
  EXPECT_NE(out.find("job thumbnail-cache: ok"), std::string::npos) << out;
  EXPECT_NE(out.find("2 thumbnail(s) of deleted files"), std::string::npos) << out;
  EXPECT_EQ(CachedFiles(), 2);
  HttpResponse again = Thumb(IdOf(keep));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(CachedFiles(), 2);  // Served from the cache, not made again.
}

}  // namespace
}  // namespace nimbus::test
