// SPDX-License-Identifier: AGPL-3.0-or-later
// Files integration tests (content part of issue 5) against the real binary: uploads (conflict
// rules, quota exact to the byte, Expect: 100-continue, a connection cut mid-body), downloads
// (ETag/304, Range/206/416, Content-Disposition, inline rules, HEAD), folder zips checked with
// Python's zipfile, and copies.
// To keep the quota cases fast, the test shrinks the user's allocation in the server's SQLite
// file (python3's sqlite3) instead of uploading a whole 1 GiB plan.
#include <fmt/core.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>

#include "integration/files_test_util.h"

namespace nimbus::test {
namespace {

std::string Bytes(std::size_t n, int seed = 1) {
  std::string s(n, '\0');
  std::uint32_t x = 2463534242u + static_cast<std::uint32_t>(seed);
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

class FilesContentTest : public FilesTest {
 protected:
  void SetUp() override {
    FilesTest::SetUp();
    StartWithUser();
  }

  std::int64_t UserId() {
    auto me = BodyOf(Api("GET", "/api/v1/me"));
    return std::stoll(std::string(me.at("id").as_string()));
  }
  // Sets the user's plan to `bytes` (test shortcut, see the file comment).
  void SetQuota(std::int64_t bytes) {
    std::string out =
        Sql(fmt::format("UPDATE allocations SET bytes = {} WHERE owner_id = {}", bytes, UserId()));
    ASSERT_EQ(out, "[]\n") << out;
  }
  std::int64_t UsedBytes() { return Usage().at("used_bytes").as_int64(); }
  // Each entry of the zip `bytes` (read by Python's zipfile), sorted: "name <what>" a line, where
  // <what> is the Python expression `of_file` over entry i of zip z, or "dir" for a folder.
  std::string ZipListing(const std::string& bytes, const std::string& of_file) {
    const std::string path = data_dir() + "/../listing-" + std::to_string(++zips_) + ".zip";
    std::ofstream(path, std::ios::binary) << bytes;
    return Python(
        "import sys, zipfile, hashlib\n"
        "z = zipfile.ZipFile(sys.argv[1])\n"
        "for i in sorted(z.infolist(), key=lambda i: i.filename):\n"
        "  print(i.filename, \"dir\" if i.is_dir() else " +
            of_file + ")",
        {path});
  }
  int zips_ = 0;
  std::string Reservations() { return Sql("SELECT COUNT(*) FROM reservations"); }
  std::string NodesNamed(const std::string& name) {
    return Sql("SELECT COUNT(*) FROM nodes WHERE name = \"" + name + "\"");
  }
  std::string ErrorCode(const HttpResponse& r) {
    auto body = BodyOf(r);
    auto* e = body.if_contains("error");
    return e ? std::string(e->at("code").as_string()) : "";
  }
  Headers Auth() { return {{"Cookie", me().cookie}, {"X-CSRF-Token", me().csrf}}; }
};

// A download resumed with If-Range (browsers, download managers) gets the rest only while the
// file is the one it started with; once replaced, the whole new file (200), never a splice.
TEST_F(FilesContentTest, AResumeWithIfRangeGetsTheWholeFileOnceItChanged) {
  const std::string first(20, 'A');
  HttpResponse put = Put("root", "resume.txt", first);
  ASSERT_EQ(put.status, 201) << put.body;
  const std::string id = IdOf(put);
  HttpResponse head = Download(id, {{"Range", "bytes=0-9"}});
  ASSERT_EQ(head.status, 206) << head.body;
  const std::string etag = head.HeaderOr("ETag");
  ASSERT_FALSE(etag.empty());
  HttpResponse rest = Download(id, {{"Range", "bytes=10-"}, {"If-Range", etag}});
  EXPECT_EQ(rest.status, 206) << "unchanged: the range applies";
  EXPECT_EQ(rest.body, first.substr(10));

  const std::string second(20, 'B');
  ASSERT_EQ(Put("root", "resume.txt", second, "replace").status, 200);
  HttpResponse stale = Download(id, {{"Range", "bytes=10-"}, {"If-Range", etag}});
  EXPECT_EQ(stale.status, 200) << "replaced: the whole new content";
  EXPECT_EQ(stale.body, second);
  EXPECT_EQ(stale.HeaderOr("Content-Range"), "");
  EXPECT_NE(stale.HeaderOr("ETag"), etag);
  // Last-Modified is the file's own time (download managers keep it: QA pass 18), but not a
  // validator: an upload may set any time, so an If-Range with a date gets all of it.
  ASSERT_EQ(
      Put("root", "resume.txt", second, "replace", {{"X-Modified-At", "2026-11-25T10:00:00Z"}})
          .status,
      200);
  HttpResponse dated =
      Download(id, {{"Range", "bytes=10-"}, {"If-Range", "Wed, 25 Nov 2026 10:00:00 GMT"}});
  EXPECT_EQ(dated.HeaderOr("Last-Modified"), "Wed, 25 Nov 2026 10:00:00 GMT");
  EXPECT_EQ(dated.status, 200) << "a date is not a strong validator here: all of it";
  EXPECT_EQ(dated.body, second);
}

TEST_F(FilesContentTest, UploadAndDownloadWithEtagRangesAndDisposition) {
  std::string data = Bytes(200000);
  HttpResponse put = Put("root", "docs/naïve résumé.pdf", data);
  ASSERT_EQ(put.status, 201) << put.body;
  auto node = BodyOf(put);
  EXPECT_EQ(node.at("name").as_string(), "naïve résumé.pdf");
  EXPECT_EQ(node.at("path").as_string(), "/docs/naïve résumé.pdf");
  EXPECT_EQ(node.at("size").as_int64(), 200000);
  EXPECT_EQ(node.at("type").as_string(), "file");
  EXPECT_EQ(node.at("checksum_sha256").as_string().size(), 64u);
  std::string id = IdOf(put);
  std::string etag(node.at("etag").as_string());

  HttpResponse get = Download(id);
  ASSERT_EQ(get.status, 200) << get.body;
  EXPECT_EQ(get.body, data);
  EXPECT_EQ(get.HeaderOr("Content-Length"), "200000");
  EXPECT_EQ(get.HeaderOr("ETag"), etag);
  EXPECT_EQ(get.HeaderOr("Accept-Ranges"), "bytes");
  EXPECT_EQ(get.HeaderOr("Content-Type"), "application/pdf");
  EXPECT_EQ(get.HeaderOr("Content-Disposition"),
            "attachment; filename=\"na_ve r_sum_.pdf\"; "
            "filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.pdf");
  EXPECT_EQ(get.HeaderOr("X-Content-Type-Options"), "nosniff");

  HttpResponse cached = Download(id, {{"If-None-Match", etag}});
  EXPECT_EQ(cached.status, 304);
  EXPECT_EQ(cached.body, "");
  EXPECT_EQ(cached.HeaderOr("ETag"), etag);
  EXPECT_EQ(Download(id, {{"If-None-Match", "\"other-1\""}}).status, 200);
  // If-Match: that version only (a download resumed by ranges must not splice two versions).
  EXPECT_EQ(Download(id, {{"If-Match", etag}}).status, 200);
  HttpResponse stale = Download(id, {{"If-Match", "\"other-1\""}, {"Range", "bytes=0-9"}});
  EXPECT_EQ(stale.status, 412) << stale.body;
  EXPECT_NE(stale.body.find("precondition_failed"), std::string::npos) << stale.body;

  HttpResponse part = Download(id, {{"Range", "bytes=1000-1999"}});
  ASSERT_EQ(part.status, 206) << part.body;
  EXPECT_EQ(part.body, data.substr(1000, 1000));
  EXPECT_EQ(part.HeaderOr("Content-Range"), "bytes 1000-1999/200000");
  EXPECT_EQ(part.HeaderOr("Content-Length"), "1000");
  HttpResponse suffix = Download(id, {{"Range", "bytes=-10"}});
  ASSERT_EQ(suffix.status, 206);
  EXPECT_EQ(suffix.body, data.substr(199990));
  HttpResponse past = Download(id, {{"Range", "bytes=200000-"}});
  EXPECT_EQ(past.status, 416);
  EXPECT_EQ(ErrorCode(past), "range_not_satisfiable");
  EXPECT_EQ(past.HeaderOr("Content-Range"), "bytes */200000");
  HttpResponse multi = Download(id, {{"Range", "bytes=0-1,5-6"}});
  EXPECT_EQ(multi.status, 200);
  EXPECT_EQ(multi.body.size(), data.size());

  HttpResponse inline_pdf =
      Call("GET", "/api/v1/nodes/" + id + "/content?inline=1", "", &me(), false);
  EXPECT_TRUE(inline_pdf.HeaderOr("Content-Disposition").starts_with("inline; "));
  // The preview frames it: our pages may, no other site may.
  EXPECT_EQ(inline_pdf.HeaderOr("X-Frame-Options"), "SAMEORIGIN");
  EXPECT_NE(inline_pdf.HeaderOr("Content-Security-Policy").find("frame-ancestors 'self'"),
            std::string::npos);
  EXPECT_EQ(Download(id).HeaderOr("X-Frame-Options"), "DENY") << "an attachment is not framed";
  HttpResponse html = Put("root", "page.html", "<script>alert(1)</script>");
  ASSERT_EQ(html.status, 201);
  HttpResponse html_get =
      Call("GET", "/api/v1/nodes/" + IdOf(html) + "/content?inline=1", "", &me(), false);
  EXPECT_TRUE(html_get.HeaderOr("Content-Disposition").starts_with("attachment; "))
      << "HTML is never rendered inline from our origin";
  EXPECT_EQ(html_get.HeaderOr("Content-Type"), "text/html; charset=utf-8");

  auto c = HttpClient::Connect(port());
  ASSERT_TRUE(c);
  std::string head = fmt::format(
      "HEAD /api/v1/nodes/{}/content HTTP/1.1\r\nHost: x\r\n"
      "Cookie: {}\r\n\r\n",
      id, me().cookie);
  ASSERT_TRUE(c->SendRaw(head));
  auto h = c->ReadResponse(HttpClient::kDefaultTimeout, true);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(h->HeaderOr("Content-Length"), "200000");

  EXPECT_EQ(Download("nonexistent").status, 404);
}

TEST_F(FilesContentTest, ExpectContinueAndChunkedUploads) {
  auto c = HttpClient::Connect(port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->SendRaw(fmt::format(
      "PUT /api/v1/nodes/root/content?path=cont.bin HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n"
      "X-CSRF-Token: {}\r\nContent-Length: 70000\r\nExpect: 100-continue\r\n\r\n",
      me().cookie, me().csrf)));
  auto interim = c->ReadResponse();
  ASSERT_TRUE(interim) << interim.error().message;
  EXPECT_EQ(interim->status, 100);
  std::string body = Bytes(70000, 4);
  ASSERT_TRUE(c->SendRaw(body));
  auto created = c->ReadResponse();
  ASSERT_TRUE(created) << created.error().message;
  ASSERT_EQ(created->status, 201) << created->body;
  EXPECT_EQ(Download(IdOf(*created)).body, body);

  // Chunked (no declared size): nothing reserved up front, the bytes are counted as they come.
  std::string chunked = fmt::format(
      "PUT /api/v1/nodes/root/content?path=chunked.bin HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n"
      "X-CSRF-Token: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
      me().cookie, me().csrf);
  std::string data = Bytes(50000, 5);
  for (std::size_t off = 0; off < data.size(); off += 16384) {
    std::string part = data.substr(off, 16384);
    chunked += fmt::format("{:x}\r\n", part.size()) + part + "\r\n";
  }
  chunked += "0\r\n\r\n";
  ASSERT_TRUE(c->SendRaw(chunked));
  auto made = c->ReadResponse();
  ASSERT_TRUE(made) << made.error().message;
  ASSERT_EQ(made->status, 201) << made->body;
  EXPECT_EQ(Download(IdOf(*made)).body, data);
  EXPECT_EQ(UsedBytes(), 120000);
  EXPECT_EQ(Reservations(), "[(0,)]\n");
}

TEST_F(FilesContentTest, ConflictsReplaceFreesTheOldBytesAndBadNames) {
  ASSERT_EQ(Put("root", "a.txt", std::string(1000, 'a')).status, 201);
  HttpResponse again = Put("root", "a.txt", "b");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(ErrorCode(again), "name_taken");
  EXPECT_EQ(UsedBytes(), 1000);
  HttpResponse replaced = Put("root", "a.txt", std::string(300, 'r'), "replace");
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_EQ(UsedBytes(), 300) << "the replaced file's bytes are freed";
  EXPECT_EQ(Download(IdOf(replaced)).body, std::string(300, 'r'));
  HttpResponse renamed = Put("root", "a.txt", "x", "rename");
  ASSERT_EQ(renamed.status, 201) << renamed.body;
  EXPECT_EQ(BodyOf(renamed).at("name").as_string(), "a (1).txt");
  for (std::string bad : {"../x", "a/../b", ".", "x\x01y", "docs/"}) {
    HttpResponse r = Put("root", bad, "z");
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_name") << bad;
  }
  HttpResponse odd = Put("root", "100% sure #1 & more.txt", "odd");
  ASSERT_EQ(odd.status, 201) << odd.body;
  EXPECT_EQ(BodyOf(odd).at("name").as_string(), "100% sure #1 & more.txt");
  EXPECT_EQ(Put("root", "x.txt", "z", "sometimes").status, 400);
}

// If-Match, a sync client's safe update: a PUT replaces, a PATCH renames and a DELETE trashes only
// the version the client read; otherwise 412 precondition_failed and nothing changes (QA pass 15:
// If-Match was ignored, so two clients overwrote each other silently).
TEST_F(FilesContentTest, IfMatchChangesOnlyTheVersionTheClientRead) {
  HttpResponse v1 = Put("root", "shared.txt", "version one");
  ASSERT_EQ(v1.status, 201) << v1.body;
  const std::string id = IdOf(v1);
  const std::string e1(BodyOf(v1).at("etag").as_string());
  EXPECT_EQ(Download(id).HeaderOr("ETag"), e1);
  HttpResponse v2 = Put("root", "shared.txt", "version two", "replace", {{"If-Match", e1}});
  ASSERT_EQ(v2.status, 200) << v2.body;
  const std::string e2(BodyOf(v2).at("etag").as_string());
  ASSERT_NE(e1, e2);
  // The other client still holds e1: refused, the file and the usage as they were.
  HttpResponse stale = Put("root", "shared.txt", "stale edit!", "replace", {{"If-Match", e1}});
  EXPECT_EQ(stale.status, 412) << stale.body;
  EXPECT_EQ(ErrorCode(stale), "precondition_failed");
  EXPECT_NE(stale.body.find(e2.substr(1, e2.size() - 2)), std::string::npos) << stale.body;
  EXPECT_EQ(Download(id).body, "version two");
  EXPECT_EQ(UsedBytes(), 11);
  EXPECT_EQ(Reservations(), "[(0,)]\n");
  // A list of tags, one of them current; "*": any version, but the file must exist.
  EXPECT_EQ(Put("root", "shared.txt", "three", "replace", {{"If-Match", "\"x-1\", " + e2}}).status,
            200);
  HttpResponse gone = Put("root", "nobody.txt", "new", "replace", {{"If-Match", "*"}});
  EXPECT_EQ(gone.status, 412) << gone.body;
  EXPECT_EQ(NodesNamed("nobody.txt"), "[(0,)]\n");
  EXPECT_EQ(Put("root", "shared.txt", "x", "rename", {{"If-Match", "*"}}).status, 400);
  // A folder of that name is there: said so, not "no longer there" (QA pass 17a, finding 9).
  ASSERT_EQ(Api("POST", "/api/v1/nodes/root/folders", R"({"path":"a folder"})").status, 201);
  HttpResponse folder = Put("root", "a folder", "x", "replace", {{"If-Match", "*"}});
  EXPECT_EQ(folder.status, 412) << folder.body;
  EXPECT_NE(folder.body.find("'a folder' is a folder, not the file you meant to replace"),
            std::string::npos)
      << folder.body;
  // Weak tags never match If-Match (strong comparison).
  const std::string e3 = Download(id).HeaderOr("ETag");
  EXPECT_EQ(Put("root", "shared.txt", "w", "replace", {{"If-Match", "W/" + e3}}).status, 412);

  HttpResponse rename =
      Api("PATCH", "/api/v1/nodes/" + id, R"({"name":"mine.txt"})", {{"If-Match", e1}});
  EXPECT_EQ(rename.status, 412) << rename.body;
  EXPECT_EQ(ErrorCode(rename), "precondition_failed");
  HttpResponse renamed =
      Api("PATCH", "/api/v1/nodes/" + id, R"({"name":"mine.txt"})", {{"If-Match", e3}});
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  const std::string e4(BodyOf(renamed).at("etag").as_string());
  EXPECT_EQ(Api("DELETE", "/api/v1/nodes/" + id, "", {{"If-Match", e3}}).status, 412);
  EXPECT_EQ(Download(id).status, 200);
  EXPECT_EQ(Api("DELETE", "/api/v1/nodes/" + id, "", {{"If-Match", e4}}).status, 200);
  EXPECT_EQ(Download(id).status, 404);
}

// X-Modified-At keeps where-it-came-from's time as the file's modified_at (a photo keeps its
// date), on a new file and on a replace; a bad or far-future value is refused before the body.
TEST_F(FilesContentTest, XModifiedAtKeepsTheFilesOwnTime) {
  HttpResponse put = Put("root", "IMG_0001.jpg", "jpeg", "fail",
                         {{"X-Modified-At", "2019-07-14T09:30:00.250+02:00"}});
  ASSERT_EQ(put.status, 201) << put.body;
  EXPECT_EQ(BodyOf(put).at("modified_at"), "2019-07-14T07:30:00.250Z");
  HttpResponse again =
      Put("root", "IMG_0001.jpg", "jpeg 2", "replace", {{"X-Modified-At", "2020-01-01T00:00:00Z"}});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(BodyOf(again).at("modified_at"), "2020-01-01T00:00:00.000Z");
  // Before 1970 too: photos scanned from old prints (QA pass 17).
  HttpResponse moon =
      Put("root", "moon.jpg", "jpeg", "fail", {{"X-Modified-At", "1969-07-20T20:17:00Z"}});
  ASSERT_EQ(moon.status, 201) << moon.body;
  EXPECT_EQ(BodyOf(moon).at("modified_at"), "1969-07-20T20:17:00.000Z");
  for (const char* bad :
       {"yesterday", "2019-07-14 09:30:00", "2999-01-01T00:00:00Z", "1899-12-31T23:59:59Z"}) {
    HttpResponse r = Put("root", "bad.jpg", "x", "fail", {{"X-Modified-At", bad}});
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
  }
  EXPECT_EQ(NodesNamed("bad.jpg"), "[(0,)]\n");
  // PATCH sets the time alone (a sync client whose copy's time changed, not its bytes); a field
  // it cannot change is refused, not ignored (QA pass 19).
  const std::string img = IdOf(again);
  HttpResponse touched =
      Api("PATCH", "/api/v1/nodes/" + img, R"({"modified_at":"2021-03-04T05:06:07Z"})");
  ASSERT_EQ(touched.status, 200) << touched.body;
  EXPECT_EQ(BodyOf(touched).at("modified_at"), "2021-03-04T05:06:07.000Z");
  EXPECT_EQ(BodyOf(touched).at("name"), "IMG_0001.jpg");
  EXPECT_NE(BodyOf(touched).at("etag"), BodyOf(again).at("etag")) << "a new version";
  for (const char* bad : {R"({"modified_at":"2999-01-01T00:00:00Z"})", R"({"size":5})",
                          R"({"name":"x.jpg","modified_at":7})"}) {
    HttpResponse r = Api("PATCH", "/api/v1/nodes/" + img, bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
  }
  EXPECT_EQ(BodyOf(Api("GET", "/api/v1/nodes/" + img)).at("name"), "IMG_0001.jpg");
  // In a zip, the extended timestamp (a signed 32-bit time) of a file from 1900 is clamped to
  // its first second, 1901-12-13, instead of wrapping to 2036 (QA pass 19).
  ASSERT_EQ(
      Put("root", "1900.jpg", "x", "fail", {{"X-Modified-At", "1900-01-01T00:00:00Z"}}).status,
      201);
  HttpResponse zip = Download("root");
  ASSERT_EQ(zip.status, 200) << zip.body;
  std::string file = data_dir() + "/../dated.zip";
  std::ofstream(file, std::ios::binary) << zip.body;
  std::string times = Python(
      "import struct, sys, zipfile\n"
      "for i in sorted(zipfile.ZipFile(sys.argv[1]).infolist(), key=lambda i: i.filename):\n"
      "    x, at = i.extra, None\n"
      "    while len(x) >= 4:\n"
      "        kind, size = struct.unpack('<HH', x[:4])\n"
      "        if kind == 0x5455: at = struct.unpack('<i', x[5:9])[0]\n"
      "        x = x[4 + size:]\n"
      "    print(i.filename, at)\n",
      {file});
  EXPECT_EQ(times, "1900.jpg -2147483648\nIMG_0001.jpg 1614834367\nmoon.jpg -14182980\n");
}

TEST_F(FilesContentTest, QuotaIsExactToTheByteAndRefusedBeforeTheBody) {
  SetQuota(100000);
  ASSERT_EQ(Put("root", "first.bin", Bytes(60000)).status, 201);
  HttpResponse over = Put("root", "over.bin", Bytes(40001));
  EXPECT_EQ(over.status, 507) << over.body;
  EXPECT_EQ(ErrorCode(over), "quota_exceeded");
  EXPECT_NE(BodyOf(over).at("error").at("message").as_string().find(
                "needs 40001 bytes but only 40000 bytes"),
            std::string::npos)
      << over.body;
  EXPECT_EQ(UsedBytes(), 60000);
  EXPECT_EQ(NodesNamed("over.bin"), "[(0,)]\n");

  // Expect: 100-continue: the 507 comes without a 100 Continue and without the body.
  auto c = HttpClient::Connect(port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->SendRaw(fmt::format(
      "PUT /api/v1/nodes/root/content?path=big.bin HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n"
      "X-CSRF-Token: {}\r\nContent-Length: 5000000\r\nExpect: 100-continue\r\n\r\n",
      me().cookie, me().csrf)));
  auto early = c->ReadResponse();
  ASSERT_TRUE(early) << early.error().message;
  EXPECT_EQ(early->status, 507);
  EXPECT_TRUE(c->WaitForPeerClose(std::chrono::milliseconds(3000)));
  // Without Expect, from a client that waits before sending its body: the 507 comes at once too,
  // not after the body timeout (QA pass 15: 30 s of silence).
  auto quiet = HttpClient::Connect(port());
  ASSERT_TRUE(quiet);
  ASSERT_TRUE(quiet->SendRaw(fmt::format(
      "PUT /api/v1/nodes/root/content?path=big.bin HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n"
      "X-CSRF-Token: {}\r\nContent-Length: 5000000\r\n\r\n",
      me().cookie, me().csrf)));
  auto at_once = quiet->ReadResponse(std::chrono::milliseconds(3000));
  ASSERT_TRUE(at_once) << at_once.error().message;
  EXPECT_EQ(at_once->status, 507);
  EXPECT_EQ(at_once->HeaderOr("Connection"), "close");
  // A client that sends its whole body before it reads (Python's urllib, no Expect) gets the
  // answer too: the rest of the body is read and dropped before the connection closes (QA
  // pass 19: "Broken pipe", and a backup script over quota retried for ever).
  std::string seen = Python(
      "import json, sys, urllib.request, urllib.error\n"
      "req = urllib.request.Request(f'http://127.0.0.1:{sys.argv[1]}/api/v1/nodes/root/content'\n"
      "    '?path=big.bin', data=bytes(8 * 1024 * 1024), method='PUT',\n"
      "    headers={'Cookie': sys.argv[2], 'X-CSRF-Token': sys.argv[3]})\n"
      "try:\n"
      "    urllib.request.urlopen(req, timeout=20)\n"
      "    print('no error')\n"
      "except urllib.error.HTTPError as e:\n"
      "    print(e.code, json.load(e)['error']['code'])\n"
      "except Exception as e:\n"
      "    print(type(e).__name__, e)\n",
      {std::to_string(port()), me().cookie, me().csrf});
  EXPECT_EQ(seen, "507 quota_exceeded\n");

  HttpResponse exact = Put("root", "exact.bin", Bytes(40000));
  ASSERT_EQ(exact.status, 201) << exact.body;
  EXPECT_EQ(UsedBytes(), 100000);
  HttpResponse one = Put("root", "one.bin", "1");
  EXPECT_EQ(one.status, 507);
  // A full account can still replace a file with one of the same size.
  HttpResponse same = Put("root", "exact.bin", Bytes(40000, 7), "replace");
  EXPECT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(UsedBytes(), 100000);
  EXPECT_EQ(Reservations(), "[(0,)]\n");
  // Deleted files count until purged: the refusal says how much the trash takes (QA pass 19).
  ASSERT_EQ(
      Api("DELETE", "/api/v1/nodes/" + IdOf(Api("GET", "/api/v1/resolve?path=/first.bin"))).status,
      200);
  HttpResponse full = Put("root", "small.bin", Bytes(1));
  EXPECT_EQ(full.status, 507) << full.body;
  EXPECT_NE(full.body.find("Deleted items in the trash take 58.6 KB of it"), std::string::npos)
      << full.body;
  // Larger than the whole plan: emptying the trash would not help, so it is not suggested.
  HttpResponse never = Put("root", "large.bin", Bytes(300000));
  EXPECT_EQ(never.status, 507) << never.body;
  EXPECT_EQ(never.body.find("trash"), std::string::npos) << never.body;
}

// A replace reserves only the growth. When the file it was to replace is renamed away while the
// body arrives, the upload makes a whole new file: that must still fit the quota (QA pass 17:
// each such upload went past the plan by the old file's size).
TEST_F(FilesContentTest, AReplaceWhoseFileWasRenamedMeanwhileStillFitsTheQuota) {
  SetQuota(1000000);  // Files over 64 KiB: a reservation row each.
  HttpResponse old = Put("root", "victim.bin", Bytes(600000));
  ASSERT_EQ(old.status, 201) << old.body;
  auto c = HttpClient::Connect(port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->SendRaw(fmt::format(
      "PUT /api/v1/nodes/root/content?path=victim.bin&on_conflict=replace HTTP/1.1\r\nHost: "
      "x\r\nCookie: {}\r\nX-CSRF-Token: {}\r\nContent-Length: 600010\r\n\r\n",
      me().cookie, me().csrf)));
  ASSERT_TRUE(c->SendRaw(Bytes(1000)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // The 10 bytes are reserved.
  HttpResponse renamed =
      Api("PATCH", "/api/v1/nodes/" + IdOf(old), R"({"name":"victim-renamed.bin"})");
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  ASSERT_TRUE(c->SendRaw(Bytes(599010)));
  auto answer = c->ReadResponse();
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->status, 507) << answer->body;
  EXPECT_NE(answer->body.find("quota_exceeded"), std::string::npos) << answer->body;
  EXPECT_EQ(NodesNamed("victim.bin"), "[(0,)]\n");
  EXPECT_EQ(UsedBytes(), 600000);
  EXPECT_EQ(Reservations(), "[(0,)]\n");
  // With room for it, the same upload is a new file of its own.
  SetQuota(2000000);
  EXPECT_EQ(Put("root", "victim.bin", Bytes(600010), "replace").status, 201);
  EXPECT_EQ(UsedBytes(), 1200010);
}

// The folder an upload goes into is deleted while the body arrives: the answer says so (404 with
// its sentence; QA pass 20: a bare "does not exist" read as a wrong folder id), nothing is kept
// and the reservation is freed.
TEST_F(FilesContentTest, AFolderDeletedWhileItsUploadArrivesIsSaidSo) {
  HttpResponse folder = Api("POST", "/api/v1/nodes/root/folders", R"({"path":"Drop"})");
  ASSERT_EQ(folder.status, 201) << folder.body;
  auto c = HttpClient::Connect(port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->SendRaw(
      fmt::format("PUT /api/v1/nodes/{}/content?path=late.bin HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n"
                  "X-CSRF-Token: {}\r\nContent-Length: 200000\r\n\r\n",
                  IdOf(folder), me().cookie, me().csrf)));
  ASSERT_TRUE(c->SendRaw(Bytes(1000)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // Reserved, body under way.
  ASSERT_EQ(Api("DELETE", "/api/v1/nodes/" + IdOf(folder)).status, 200);
  ASSERT_TRUE(c->SendRaw(Bytes(199000)));
  auto answer = c->ReadResponse();
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->status, 404) << answer->body;
  EXPECT_NE(answer->body.find("The folder this upload was going into is no longer there"),
            std::string::npos)
      << answer->body;
  EXPECT_EQ(NodesNamed("late.bin"), "[(0,)]\n");
  EXPECT_EQ(Reservations(), "[(0,)]\n");
  EXPECT_EQ(UsedBytes(), 0);
}

TEST_F(FilesContentTest, AConnectionCutMidBodyLeavesNothingAndReleasesTheReservation) {
  SetQuota(100000);
  {
    auto c = HttpClient::Connect(port());
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->SendRaw(fmt::format(
        "PUT /api/v1/nodes/root/content?path=cut.bin HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n"
        "X-CSRF-Token: {}\r\nContent-Length: 100000\r\n\r\n",
        me().cookie, me().csrf)));
    ASSERT_TRUE(c->SendRaw(Bytes(50000)));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(Reservations(), "[(1,)]\n") << "the upload holds its reservation";
    c->Close();
  }
  std::string left;
  for (int i = 0; i < 100; ++i) {  // Up to 10 s for the server to notice.
    left = Reservations();
    if (left == "[(0,)]\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(left, "[(0,)]\n");
  EXPECT_EQ(NodesNamed("cut.bin"), "[(0,)]\n");
  EXPECT_EQ(UsedBytes(), 0);
  HttpResponse full = Put("root", "full.bin", Bytes(100000));
  EXPECT_EQ(full.status, 201) << full.body;
  // The client's doing, not the server's: 499 in the log, no error line, no 5xx (QA bigfiles
  // #9: a hotel's bad Wi-Fi looked like a server outage).
  const std::string log = server().Stderr();
  const auto line_at = log.find("PUT /api/v1/nodes/{id}/content 499");
  EXPECT_NE(line_at, std::string::npos) << log;
  EXPECT_EQ(log.find("io_error"), std::string::npos) << log;
  EXPECT_EQ(log.find(" 500 "), std::string::npos) << log;
}

// Two servers on one data directory: the second refuses to start. Before, it took the first
// one's upload in flight for a leftover of a crash: it released the reservation and queued the
// blob for deletion, and the file the first server then confirmed lost its bytes at the next
// start.
// Several items ticked in a folder download as one zip (?only=): just those, with what is under
// them; an item gone meanwhile is a 404 before any byte.
TEST_F(FilesContentTest, SelectedItemsOfAFolderDownloadAsOneZip) {
  HttpResponse top = Put("root", "Pick/top.txt", "top");
  ASSERT_EQ(top.status, 201) << top.body;
  HttpResponse inner = Put("root", "Pick/sub/inner.txt", "inner");
  ASSERT_EQ(inner.status, 201) << inner.body;
  HttpResponse left = Put("root", "Pick/left out.txt", "not selected");
  ASSERT_EQ(left.status, 201) << left.body;
  const std::string folder_id(BodyOf(top).at("parent_id").as_string());
  const std::string sub_id(BodyOf(inner).at("parent_id").as_string());
  const std::string top_id(BodyOf(top).at("id").as_string());

  HttpResponse zip =
      Api("GET", "/api/v1/nodes/" + folder_id + "/content?only=" + top_id + "," + sub_id);
  ASSERT_EQ(zip.status, 200) << zip.body;
  EXPECT_EQ(
      zip.HeaderOr("Content-Disposition"),
      "attachment; filename=\"Pick (2 items).zip\"; filename*=UTF-8''Pick%20%282%20items%29.zip");
  EXPECT_EQ(ZipListing(zip.body, "z.read(i).decode()"),
            "sub/ dir\nsub/inner.txt inner\ntop.txt top\n");
  // An id given twice is one item.
  HttpResponse twice = Api("GET", "/api/v1/nodes/" + folder_id + "/content?only=" + top_id + "," +
                                      sub_id + "," + top_id);
  ASSERT_EQ(twice.status, 200);
  EXPECT_EQ(twice.HeaderOr("Content-Disposition"), zip.HeaderOr("Content-Disposition"));

  // An empty selection is a client's bug, not the whole folder (QA pass 17a).
  for (const char* empty : {"?only=", "?only=,"}) {
    HttpResponse none = Api("GET", "/api/v1/nodes/" + folder_id + "/content" + empty);
    EXPECT_EQ(none.status, 400) << empty << ": " << none.body.substr(0, 200);
    EXPECT_NE(none.body.find("names no item"), std::string::npos) << none.body.substr(0, 300);
  }

  // Something not directly in the folder (or gone): 404, no zip.
  const std::string inner_id(BodyOf(inner).at("id").as_string());
  HttpResponse deeper =
      Api("GET", "/api/v1/nodes/" + folder_id + "/content?only=" + top_id + "," + inner_id);
  EXPECT_EQ(deeper.status, 404) << deeper.body.substr(0, 200);
  EXPECT_NE(deeper.body.find("1 of the selected items is no longer in 'Pick'"), std::string::npos)
      << deeper.body.substr(0, 300);
}

TEST_F(FilesContentTest, ASecondServerOnTheSameDataDirectoryRefusesAndLeavesUploadsAlone) {
  const std::string data = Bytes(100000, 4);
  auto c = HttpClient::Connect(port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->SendRaw(fmt::format(
      "PUT /api/v1/nodes/root/content?path=race.bin HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n"
      "X-CSRF-Token: {}\r\nContent-Length: {}\r\n\r\n",
      me().cookie, me().csrf, data.size())));
  ASSERT_TRUE(c->SendRaw(std::string_view(data).substr(0, 50000)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Reservations(), "[(1,)]\n") << "the upload holds its reservation";

  auto second = RunNimbus({"serve", "--listen", "127.0.0.1:0", "--data", data_dir()}, {},
                          std::chrono::seconds(10));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE(second->timed_out) << "the second server did not exit";
  EXPECT_NE(second->exit_code(), 0) << second->out;
  EXPECT_TRUE(ContainsIgnoreCase(second->err, "another nimbus serve")) << second->err;
  EXPECT_NE(second->err.find("pid " + std::to_string(server().pid())), std::string::npos)
      << "the message does not say which process: " << second->err;

  ASSERT_TRUE(c->SendRaw(std::string_view(data).substr(50000)));
  auto done = c->ReadResponse();
  ASSERT_TRUE(done) << done.error().message;
  ASSERT_EQ(done->status, 201) << done->body;
  const std::string id(BodyOf(*done).at("id").as_string());
  EXPECT_EQ(Sql("SELECT COUNT(*) FROM blob_erasures"), "[(0,)]\n");
  // After a restart (the erasures queued by a process are carried out at the next start) the
  // file is still whole.
  server().Terminate();
  ASSERT_NO_FATAL_FAILURE(Start());
  HttpResponse back = Download(id);
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_TRUE(back.body == data) << "the file's bytes changed";
}

TEST_F(FilesContentTest, AFolderDownloadsAsAZipWithTheSameBytes) {
  std::vector<std::pair<std::string, std::string>> files = {
      {"Photos/naïve résumé.pdf", Bytes(5000, 2)},
      {"Photos/100% #1/big file.bin", Bytes(3 << 20, 3)},
      {"Photos/日本/empty.txt", ""},
      {"Photos/back\\slash.txt", "b"},
      {"Photos/back_slash.txt", "u"},
  };
  std::string folder_id;
  for (const auto& [path, data] : files) {
    HttpResponse r = Put("root", path, data);
    ASSERT_EQ(r.status, 201) << path << ": " << r.body;
  }
  HttpResponse first = Put("root", "Photos/top.txt", "top");
  ASSERT_EQ(first.status, 201);
  folder_id = std::string(BodyOf(first).at("parent_id").as_string());
  HttpResponse empty =
      Api("POST", "/api/v1/nodes/" + folder_id + "/folders", R"({"path":"nothing here"})");
  EXPECT_EQ(empty.status, 201) << empty.body;

  HttpResponse zip = Download(folder_id);
  ASSERT_EQ(zip.status, 200) << zip.body;
  EXPECT_EQ(zip.HeaderOr("Content-Type"), "application/zip");
  EXPECT_EQ(zip.HeaderOr("Content-Disposition"),
            "attachment; filename=\"Photos.zip\"; filename*=UTF-8''Photos.zip");
  std::string listing = ZipListing(zip.body, "hashlib.sha256(z.read(i)).hexdigest()");
  int n = 0;
  auto sha = [&](const std::string& s) {
    std::string file = data_dir() + "/../expected" + std::to_string(n++);
    std::ofstream(file, std::ios::binary) << s;
    return Python(
        "import sys, hashlib; print(hashlib.sha256(open(sys.argv[1], \"rb\").read())"
        ".hexdigest(), end=\"\")",
        {file});
  };
  // The folder itself is the zip's top entry, as in Dropbox's and Nextcloud's zips; a backslash,
  // a folder separator for Windows' extractor, becomes '_', numbered when the name is taken.
  std::string want = "Photos/ dir\nPhotos/100% #1/ dir\nPhotos/100% #1/big file.bin " +
                     sha(files[1].second) + "\nPhotos/back_slash (1).txt " + sha("b") +
                     "\nPhotos/back_slash.txt " + sha("u") + "\nPhotos/naïve résumé.pdf " +
                     sha(files[0].second) + "\nPhotos/nothing here/ dir\nPhotos/top.txt " +
                     sha("top") + "\nPhotos/日本/ dir\nPhotos/日本/empty.txt " + sha("") + "\n";
  EXPECT_EQ(listing, want);
}

TEST_F(FilesContentTest, CopyCountsAgainstTheQuota) {
  HttpResponse put = Put("root", "notes.txt", std::string(5000, 'n'));
  ASSERT_EQ(put.status, 201);
  HttpResponse copy =
      Api("POST", "/api/v1/nodes/" + IdOf(put) + "/copy", R"({"parent_id":"root"})");
  ASSERT_EQ(copy.status, 201) << copy.body;
  EXPECT_EQ(BodyOf(copy).at("name").as_string(), "notes (1).txt");
  EXPECT_EQ(Download(IdOf(copy)).body, std::string(5000, 'n'));
  EXPECT_EQ(UsedBytes(), 10000);
  HttpResponse named = Api("POST", "/api/v1/nodes/" + IdOf(put) + "/copy",
                           R"({"parent_id":"root","name":"notes (1).txt"})");
  EXPECT_EQ(named.status, 409);
  EXPECT_EQ(ErrorCode(named), "name_taken");
  SetQuota(14999);
  HttpResponse over =
      Api("POST", "/api/v1/nodes/" + IdOf(put) + "/copy", R"({"parent_id":"root"})");
  EXPECT_EQ(over.status, 507) << over.body;
  EXPECT_EQ(ErrorCode(over), "quota_exceeded");
  EXPECT_EQ(UsedBytes(), 10000);
}

TEST_F(FilesContentTest, AReservationLeftByAKilledServerIsReleasedAtTheNextStart) {
  SetQuota(100000);
  auto c = HttpClient::Connect(port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->SendRaw(fmt::format(
      "PUT /api/v1/nodes/root/content?path=killed.bin HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n"
      "X-CSRF-Token: {}\r\nContent-Length: 90000\r\n\r\n",
      me().cookie, me().csrf)));
  ASSERT_TRUE(c->SendRaw(Bytes(30000)));
  std::string held;
  for (int i = 0; i < 50 && held != "[(1,)]\n"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    held = Reservations();
  }
  ASSERT_EQ(held, "[(1,)]\n");
  ASSERT_TRUE(server().Signal(SIGKILL));
  ASSERT_TRUE(server().WaitForExit(std::chrono::seconds(10)).has_value());
  c->Close();
  EXPECT_EQ(Reservations(), "[(1,)]\n") << "a kill -9 leaves the row behind";
  auto restarted = StartServer();
  ASSERT_TRUE(restarted) << restarted.error().message;
  EXPECT_EQ(Reservations(), "[(0,)]\n");
  EXPECT_EQ(NodesNamed("killed.bin"), "[(0,)]\n");
  HttpResponse full = Put("root", "full.bin", Bytes(100000));
  EXPECT_EQ(full.status, 201) << full.body;
}

class FilesZipLimitTest : public FilesContentTest {
 protected:
  void SetUp() override {
    FilesTest::SetUp();
    StartWithUser({{"NIMBUS_FILES_ZIP_MAX_CONCURRENT", "2"}});
  }
};

// Two zips at once on this server, at most one of them a person's (half of the limit): one user's
// slow or stuck download does not shut the others out, and the 503 says which limit it met (QA
// pass 21b: "service unavailable, try again later").
TEST_F(FilesZipLimitTest, ZipsBeyondTheLimitGet503WithRetryAfter) {
  HttpResponse put = Put("root", "Big/a.bin", Bytes(32 << 20, 9));
  ASSERT_EQ(put.status, 201) << put.body;
  std::string folder = std::string(BodyOf(put).at("parent_id").as_string());
  // A client that asks for the zip and does not read it: the zip stays in progress.
  auto slow = HttpClient::Connect(port());
  ASSERT_TRUE(slow);
  ASSERT_TRUE(slow->SendRaw(
      fmt::format("GET /api/v1/nodes/{}/content HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n\r\n", folder,
                  me().cookie)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  HttpResponse busy = Download(folder);
  EXPECT_EQ(busy.status, 503) << busy.body;
  EXPECT_EQ(ErrorCode(busy), "unavailable");
  EXPECT_EQ(busy.HeaderOr("Retry-After"), "5");
  EXPECT_EQ(BodyOf(busy).at("error").at("message").as_string(),
            "You have 1 folder download running already; let it finish first.");
  // Someone else gets the server's second slot (and holds it: the server is full now).
  SignUp("bob@example.com");
  Browser bob = LogIn("bob@example.com");
  HttpResponse bobs =
      Call("PUT", "/api/v1/nodes/root/content?path=Other/b.bin", Bytes(32 << 20, 3), &bob);
  ASSERT_EQ(bobs.status, 201) << bobs.body;
  auto bob_slow = HttpClient::Connect(port());
  ASSERT_TRUE(bob_slow);
  ASSERT_TRUE(bob_slow->SendRaw(
      fmt::format("GET /api/v1/nodes/{}/content HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n\r\n",
                  std::string(BodyOf(bobs).at("parent_id").as_string()), bob.cookie)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // Not read: it stays running.
  HttpResponse full = Call("GET", "/api/v1/nodes/root/content", "", &bob);
  EXPECT_EQ(full.status, 503) << full.body;
  SignUp("cy@example.com");
  Browser cy = LogIn("cy@example.com");
  HttpResponse server_full = Call("GET", "/api/v1/nodes/root/content", "", &cy);
  EXPECT_EQ(server_full.status, 503) << server_full.body;
  EXPECT_NE(std::string(BodyOf(server_full).at("error").at("message").as_string())
                .find("Too many folder downloads are running on this server"),
            std::string::npos)
      << server_full.body;
  bob_slow->WaitForPeerClose(std::chrono::milliseconds(1));  // What came so far: its head.
  EXPECT_TRUE(bob_slow->TakeBuffered().starts_with("HTTP/1.1 200"));
  bob_slow->Close();
  slow->Close();  // The server's write fails, the zip stops and frees its slot.
  int status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = Download(folder).status;
  }
  EXPECT_EQ(status, 200);
}

}  // namespace
}  // namespace nimbus::test
