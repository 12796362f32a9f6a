// SPDX-License-Identifier: AGPL-3.0-or-later
// Public links (issue 6) against the real `nimbus serve`: the owner's /api/v1/links (create,
// list, delete, activity) and what a visitor without an account reads through
// /api/v1/public/{token}: a file (metadata, bytes, Range, download count), a folder (children,
// a subfolder by id, the zip, nothing outside it), a password (required, wrong, right, the
// limit of 5 wrong per hour with 429 and Retry-After), expiry, deletion, the trash, and another
// user who must not see the link.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <thread>
#include <vector>

#include "integration/files_test_util.h"

namespace nimbus::test {
namespace {

namespace json = boost::json;

std::string Str(const json::value& v) { return std::string(v.as_string().c_str()); }

// "2026-11-25T23:00:00Z" for a time_t.
std::string Rfc3339(std::time_t t) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class LinksApiTest : public FilesTest {
 protected:
  void SetUp() override {
    FilesTest::SetUp();
    StartWithUser();
  }

  // POST /api/v1/links with `body` (node_id and any extra fields).
  HttpResponse CreateLink(const json::object& body) {
    return Api("POST", "/api/v1/links", json::serialize(body));
  }
  // Creates a link to `node_id` (expects 201) and returns its JSON.
  json::object Link(const std::string& node_id, json::object extra = {}) {
    extra["node_id"] = node_id;
    HttpResponse r = CreateLink(extra);
    EXPECT_EQ(r.status, 201) << r.body;
    return BodyOf(r);
  }
  // GET /api/v1/public/{token}{suffix} as an anonymous visitor.
  HttpResponse Public(const std::string& token, const std::string& suffix = "",
                      Headers extra = {}) {
    return Call("GET", "/api/v1/public/" + token + suffix, "", nullptr, false, std::move(extra));
  }
  // The id of the uploaded file (expects 201).
  std::string Upload(const std::string& path, const std::string& bytes) {
    HttpResponse r = Put("root", path, bytes);
    EXPECT_EQ(r.status, 201) << path << ": " << r.body;
    return IdOf(r);
  }
  // The owner's links (GET /api/v1/links`query`).
  json::array Links(const std::string& query = "") {
    HttpResponse r = Api("GET", "/api/v1/links" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    auto body = BodyOf(r);
    return body.contains("items") ? body.at("items").as_array() : json::array{};
  }
  // download_count of link `id`, after waiting (bounded) for it to reach `want`: downloads are
  // counted off the request path.
  std::int64_t DownloadCount(const std::string& id, std::int64_t want) {
    std::int64_t n = -1;
    for (int i = 0; i < 50; ++i) {
      for (const auto& l : Links()) {
        if (Str(l.at("id")) == id) n = l.at("download_count").as_int64();
      }
      if (n == want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return n;
  }
  static std::vector<std::string> Names(const HttpResponse& page) {
    std::vector<std::string> out;
    auto body = BodyOf(page);
    if (!body.contains("items")) return out;
    for (const auto& item : body.at("items").as_array()) out.push_back(Str(item.at("name")));
    return out;
  }
};

TEST_F(LinksApiTest, CreateListAndDelete) {
  std::string file = Upload("report.pdf", "pdf bytes");
  std::string other = Upload("notes.txt", "notes");
  json::object link = Link(file);
  const std::string token = Str(link.at("token"));
  EXPECT_GE(token.size(), 22u) << "at least 128 random bits";
  EXPECT_EQ(
      token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  EXPECT_TRUE(Str(link.at("url")).starts_with("http")) << link.at("url");
  EXPECT_TRUE(Str(link.at("url")).ends_with("/s/" + token)) << link.at("url");
  EXPECT_EQ(Str(link.at("node").at("id")), file);
  EXPECT_EQ(link.at("node").at("shared"), true);
  EXPECT_TRUE(link.at("expires_at").is_null());
  EXPECT_EQ(link.at("has_password"), false);
  EXPECT_EQ(link.at("download_count"), 0);
  EXPECT_FALSE(Str(link.at("created_at")).empty());
  // Two links never share a token. (A later millisecond: equal times are ordered by id.)
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  json::object second = Link(other);
  EXPECT_NE(Str(second.at("token")), token);

  json::array all = Links();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(Str(all[0].at("id")), Str(link.at("id")));  // Oldest first.
  json::array only = Links("?node_id=" + other);
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(Str(only[0].at("id")), Str(second.at("id")));
  // Paged: one per page, then the next.
  auto first_page = BodyOf(Api("GET", "/api/v1/links?limit=1"));
  ASSERT_EQ(first_page.at("items").as_array().size(), 1u);
  ASSERT_TRUE(first_page.at("next_cursor").is_string());
  auto next_page =
      BodyOf(Api("GET", "/api/v1/links?limit=1&cursor=" + Str(first_page.at("next_cursor"))));
  ASSERT_EQ(next_page.at("items").as_array().size(), 1u);
  EXPECT_EQ(Str(next_page.at("items").as_array()[0].at("id")), Str(second.at("id")));
  EXPECT_TRUE(next_page.at("next_cursor").is_null());
  EXPECT_EQ(Public(token).status, 200);

  HttpResponse del = Api("DELETE", "/api/v1/links/" + Str(link.at("id")));
  EXPECT_EQ(del.status, 204) << del.body;
  EXPECT_EQ(Links().size(), 1u);
  HttpResponse gone = Public(token);
  EXPECT_EQ(gone.status, 404) << gone.body;
  EXPECT_EQ(ErrorCode(gone), "not_found");
  EXPECT_EQ(Public(token, "/content").status, 404);
  EXPECT_EQ(Api("DELETE", "/api/v1/links/" + Str(link.at("id"))).status, 404);

  // What cannot be linked.
  HttpResponse root = CreateLink(json::object{{"node_id", "root"}});
  EXPECT_EQ(root.status, 400) << root.body;
  EXPECT_EQ(ErrorCode(root), "invalid_request");
  EXPECT_EQ(CreateLink(json::object{{"node_id", "nope"}}).status, 404);
  EXPECT_EQ(CreateLink(json::object{}).status, 400);
  EXPECT_EQ(Public("not-a-token").status, 404);
}

TEST_F(LinksApiTest, AFileLinkShowsAndDownloadsTheFileAndCountsDownloads) {
  const std::string bytes = "0123456789abcdef";
  std::string file = Upload("movie.bin", bytes);
  json::object link = Link(file);
  const std::string token = Str(link.at("token"));

  HttpResponse meta = Public(token);
  ASSERT_EQ(meta.status, 200) << meta.body;
  auto body = BodyOf(meta);
  EXPECT_EQ(Str(body.at("node").at("name")), "movie.bin");
  EXPECT_EQ(body.at("node").at("size"), 16);
  EXPECT_EQ(Str(body.at("node").at("permission")), "read");
  EXPECT_EQ(Str(body.at("node").at("owner").at("email")), "") << "a visitor sees no address";
  EXPECT_EQ(body.at("link").at("has_password"), false);
  EXPECT_TRUE(body.at("link").at("expires_at").is_null());

  HttpResponse whole = Public(token, "/content");
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_EQ(whole.body, bytes);
  EXPECT_TRUE(whole.HeaderOr("Content-Disposition").starts_with("attachment"))
      << whole.HeaderOr("Content-Disposition");
  HttpResponse middle = Public(token, "/content", {{"Range", "bytes=4-7"}});
  ASSERT_EQ(middle.status, 206) << middle.body;
  EXPECT_EQ(middle.body, "4567");
  EXPECT_EQ(middle.HeaderOr("Content-Range"), "bytes 4-7/16");
  HttpResponse start = Public(token, "/content", {{"Range", "bytes=0-3"}});
  ASSERT_EQ(start.status, 206);
  EXPECT_EQ(start.body, "0123");
  HttpResponse by_id = Public(token, "/content?id=" + file);
  EXPECT_EQ(by_id.body, bytes);
  HttpResponse preview = Public(token, "/content?inline=1");
  EXPECT_EQ(preview.body, bytes);
  // The whole file twice and a range from byte 0: 3; the middle piece is not a download, nor
  // is a preview on the link's page (QA pass 18).
  EXPECT_EQ(DownloadCount(Str(link.at("id")), 3), 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // No 4th one arrives late.
  EXPECT_EQ(DownloadCount(Str(link.at("id")), 3), 3);
  // A file link has no children.
  EXPECT_EQ(Public(token, "/children").status, 400);
}

TEST_F(LinksApiTest, AFolderLinkListsItsTreeAndZipsItAndNothingElse) {
  std::string a = Upload("Shared/a.txt", "aaa");
  std::string b = Upload("Shared/sub/b.txt", "bbbb");
  std::string secret = Upload("secret.txt", "secret");
  std::string folder = Str(BodyOf(Api("GET", "/api/v1/nodes/" + a)).at("parent_id"));
  std::string sub = Str(BodyOf(Api("GET", "/api/v1/nodes/" + b)).at("parent_id"));
  std::string root = Str(BodyOf(Api("GET", "/api/v1/nodes/" + folder)).at("parent_id"));
  const std::string token = Str(Link(folder).at("token"));

  HttpResponse meta = Public(token);
  ASSERT_EQ(meta.status, 200) << meta.body;
  EXPECT_EQ(Str(BodyOf(meta).at("node").at("type")), "folder");
  EXPECT_EQ(Str(BodyOf(meta).at("node").at("path")), "/Shared");
  HttpResponse top = Public(token, "/children");
  ASSERT_EQ(top.status, 200) << top.body;
  EXPECT_EQ(Names(top), (std::vector<std::string>{"sub", "a.txt"}));
  EXPECT_EQ(Str(BodyOf(top).at("items").as_array()[0].at("owner").at("email")), "");
  EXPECT_EQ(Names(Public(token, "/children?id=root&sort=name&order=desc")),
            (std::vector<std::string>{"sub", "a.txt"}));  // Folders first either way.
  HttpResponse inner = Public(token, "/children?id=" + sub);
  ASSERT_EQ(inner.status, 200) << inner.body;
  EXPECT_EQ(Names(inner), std::vector<std::string>{"b.txt"});
  EXPECT_EQ(Str(BodyOf(inner).at("items").as_array()[0].at("path")), "/Shared/sub/b.txt");
  EXPECT_EQ(Public(token, "/content?id=" + b).body, "bbbb");

  HttpResponse zip = Public(token, "/content");
  ASSERT_EQ(zip.status, 200) << zip.body;
  EXPECT_EQ(zip.HeaderOr("Content-Type"), "application/zip");
  const std::string path = data_dir() + "/../shared.zip";
  std::ofstream(path, std::ios::binary) << zip.body;
  EXPECT_EQ(Python("import sys, zipfile\n"
                   "z = zipfile.ZipFile(sys.argv[1])\n"
                   "for i in sorted(z.infolist(), key=lambda i: i.filename):\n"
                   "  print(i.filename, \"dir\" if i.is_dir() else z.read(i).decode())",
                   {path}),
            "Shared/ dir\nShared/a.txt aaa\nShared/sub/ dir\nShared/sub/b.txt bbbb\n");
  HttpResponse sub_zip = Public(token, "/content?id=" + sub);
  EXPECT_EQ(sub_zip.HeaderOr("Content-Disposition").find("sub.zip") != std::string::npos, true);

  // Outside the linked folder: its parent, a sibling file, by id or as "root" of the owner.
  for (const std::string& id : {secret, root}) {
    for (std::string what : {"/content?id=", "/children?id="}) {
      HttpResponse r = Public(token, what + id);
      EXPECT_EQ(r.status, 404) << what << id << ": " << r.body;
      EXPECT_EQ(ErrorCode(r), "not_found");
    }
  }
  // A visitor cannot change anything: the node routes need an account.
  EXPECT_EQ(Call("DELETE", "/api/v1/nodes/" + a, "", nullptr, false).status, 401);
}

TEST_F(LinksApiTest, APasswordIsRequiredCheckedAndLimited) {
  std::string file = Upload("private.txt", "private");
  json::object link = Link(file, {{"password", "open sesame"}});
  EXPECT_EQ(link.at("has_password"), true);
  const std::string token = Str(link.at("token"));

  HttpResponse none = Public(token);
  EXPECT_EQ(none.status, 401) << none.body;
  EXPECT_EQ(ErrorCode(none), "password_required");
  EXPECT_EQ(ErrorCode(Public(token, "/content")), "password_required");
  HttpResponse wrong = Public(token, "", {{"X-Link-Password", "guess 1"}});
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  EXPECT_EQ(ErrorCode(wrong), "invalid_credentials");
  HttpResponse right = Public(token, "", {{"X-Link-Password", "open sesame"}});
  ASSERT_EQ(right.status, 200) << right.body;
  EXPECT_EQ(BodyOf(right).at("link").at("has_password"), true);
  EXPECT_EQ(Public(token, "/content", {{"X-Link-Password", "open sesame"}}).body, "private");
  // A plain <a href> download from the link's page carries the access key the right password
  // got, not the password (QA pass 16: the password was in every download URL).
  const std::string key = Str(BodyOf(right).at("link").at("access_key"));
  ASSERT_FALSE(key.empty());
  EXPECT_EQ(key.find("open"), std::string::npos);
  EXPECT_EQ(Public(token, "/content?key=" + key).body, "private");
  std::string forged = key;
  forged.back() = forged.back() == '0' ? '1' : '0';
  HttpResponse bad_key = Public(token, "/content?key=" + forged);
  EXPECT_EQ(bad_key.status, 401) << bad_key.body;
  EXPECT_EQ(ErrorCode(bad_key), "password_required");
  // Its expiry is part of what the MAC covers: a later one is refused.
  HttpResponse later = Public(token, "/content?key=9" + key);
  EXPECT_EQ(later.status, 401) << later.body;
  // Another link of the same file with the same password: the key is not its key.
  std::string other = Str(Link(file, {{"password", "open sesame"}}).at("token"));
  EXPECT_EQ(Public(other, "/content?key=" + key).status, 401);
  // The older form still works: the password in the query.
  EXPECT_EQ(Public(token, "/content?password=open%20sesame").body, "private");
  EXPECT_EQ(Public(token, "/content?password=nope").status, 401);
  // The query is only read by /content.
  EXPECT_EQ(ErrorCode(Public(token, "?password=open%20sesame")), "password_required");
  EXPECT_EQ(ErrorCode(Public(token, "?key=" + key)), "password_required");

  // Two wrong so far; three more make five in the hour, then the sixth is refused with 429, and
  // so is the right password while the limit lasts (it would otherwise confirm a guess).
  for (int i = 2; i <= 4; ++i) {
    HttpResponse r = Public(token, "", {{"X-Link-Password", "guess " + std::to_string(i)}});
    EXPECT_EQ(r.status, 401) << i << ": " << r.body;
  }
  HttpResponse limited = Public(token, "", {{"X-Link-Password", "guess 6"}});
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(ErrorCode(limited), "too_many_attempts");
  const int retry = std::atoi(limited.HeaderOr("Retry-After", "0").c_str());
  EXPECT_GT(retry, 3000);
  EXPECT_LE(retry, 3600);
  HttpResponse still = Public(token, "/content", {{"X-Link-Password", "open sesame"}});
  EXPECT_EQ(still.status, 429) << still.body;
  EXPECT_TRUE(still.HasHeader("Retry-After"));
  // The owner is not limited: a new link (another key) opens at once.
  std::string token2 = Str(Link(file, {{"password", "open sesame"}}).at("token"));
  EXPECT_EQ(Public(token2, "", {{"X-Link-Password", "open sesame"}}).status, 200);

  HttpResponse empty = CreateLink(json::object{{"node_id", file}, {"password", ""}});
  EXPECT_EQ(empty.status, 400) << empty.body;
  // Anyone with the address may guess: a very short password is refused, saying why.
  HttpResponse short_one = CreateLink(json::object{{"node_id", file}, {"password", "1234"}});
  EXPECT_EQ(short_one.status, 400) << short_one.body;
  EXPECT_EQ(ErrorCode(short_one), "weak_password");
  EXPECT_NE(short_one.body.find("at least 6 characters"), std::string::npos) << short_one.body;
}

TEST_F(LinksApiTest, AnExpiredLinkIsGone) {
  std::string file = Upload("soon.txt", "soon");
  HttpResponse past =
      CreateLink(json::object{{"node_id", file}, {"expires_at", Rfc3339(std::time(nullptr) - 60)}});
  EXPECT_EQ(past.status, 400) << past.body;
  EXPECT_EQ(ErrorCode(past), "invalid_request");
  HttpResponse bad = CreateLink(json::object{{"node_id", file}, {"expires_at", "tomorrow"}});
  EXPECT_EQ(bad.status, 400) << bad.body;
  HttpResponse far =
      CreateLink(json::object{{"node_id", file}, {"expires_at", "2999-01-01T00:00:00Z"}});
  EXPECT_EQ(far.status, 400) << far.body;
  HttpResponse offset =
      CreateLink(json::object{{"node_id", file}, {"expires_at", "2099-01-01T01:30:00.5+01:30"}});
  ASSERT_EQ(offset.status, 201) << offset.body;
  EXPECT_EQ(Str(BodyOf(offset).at("expires_at")), "2099-01-01T00:00:00.500Z");

  const std::time_t end = std::time(nullptr) + 3;
  json::object link = Link(file, {{"expires_at", Rfc3339(end)}});
  EXPECT_EQ(Str(link.at("expires_at")), Rfc3339(end).substr(0, 19) + ".000Z");
  const std::string token = Str(link.at("token"));
  EXPECT_EQ(Public(token).status, 200);
  EXPECT_EQ(Str(BodyOf(Public(token)).at("link").at("expires_at")), Str(link.at("expires_at")));
  while (std::time(nullptr) <= end) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  HttpResponse expired = Public(token);
  EXPECT_EQ(expired.status, 404) << expired.body;
  EXPECT_EQ(Public(token, "/content").status, 404);
}

// Deleting ends the links of what is deleted: a restore brings the files back, not the links, so
// that a link holder cannot read them again without the owner noticing (QA pass 12, sharing
// finding 7).
TEST_F(LinksApiTest, ALinkToADeletedNodeEndsAndARestoreDoesNotBringItBack) {
  std::string a = Upload("Album/one.jpg", "jpeg");
  std::string folder = Str(BodyOf(Api("GET", "/api/v1/nodes/" + a)).at("parent_id"));
  const std::string token = Str(Link(folder).at("token"));
  ASSERT_EQ(Public(token).status, 200);
  HttpResponse del = Api("DELETE", "/api/v1/nodes/" + folder);
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(Public(token).status, 404);
  EXPECT_EQ(Public(token, "/content?id=" + a).status, 404);
  EXPECT_EQ(Links().size(), 0u) << "a link of a trashed node is not listed";
  std::string item = Str(BodyOf(del).at("trash_item").at("id"));
  HttpResponse restored = Api("POST", "/api/v1/trash/" + item + "/restore");
  ASSERT_EQ(restored.status, 200) << restored.body;
  EXPECT_EQ(Public(token).status, 404);
  EXPECT_EQ(Public(token, "/content?id=" + a).status, 404);
  EXPECT_EQ(Links().size(), 0u);
  EXPECT_EQ(Api("GET", "/api/v1/nodes/" + a + "/content").body, "jpeg");  // The file is back.
  EXPECT_EQ(Public(Str(Link(folder).at("token"))).status, 200);           // A new link works.
}

TEST_F(LinksApiTest, AnotherUserCannotSeeOrChangeMyLinks) {
  std::string file = Upload("mine.txt", "mine");
  json::object link = Link(file);
  const std::string id = Str(link.at("id"));
  ASSERT_EQ(SignUp("bob@example.com").status, 201);
  Browser bob = LogIn("bob@example.com");
  HttpResponse list = Call("GET", "/api/v1/links", "", &bob);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_TRUE(BodyOf(list).at("items").as_array().empty());
  EXPECT_EQ(Call("GET", "/api/v1/links?node_id=" + file, "", &bob).status, 404);
  EXPECT_EQ(Call("DELETE", "/api/v1/links/" + id, "", &bob).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/links/" + id + "/activity", "", &bob).status, 404);
  HttpResponse create =
      Call("POST", "/api/v1/links", json::serialize(json::object{{"node_id", file}}), &bob);
  EXPECT_EQ(create.status, 404) << create.body;
  // Still there for me.
  EXPECT_EQ(Links().size(), 1u);
  EXPECT_EQ(Call("GET", "/api/v1/links", "", nullptr, false).status, 401);
}

TEST_F(LinksApiTest, ActivityShowsTheVisitorsAddressAndWhatTheyDid) {
  std::string a = Upload("Docs/a.txt", "aaa");
  std::string folder = Str(BodyOf(Api("GET", "/api/v1/nodes/" + a)).at("parent_id"));
  json::object link = Link(folder);
  const std::string token = Str(link.at("token"));
  const std::string id = Str(link.at("id"));
  // Apart by a few milliseconds: rows of the same millisecond have no defined order.
  auto pause = [] { std::this_thread::sleep_for(std::chrono::milliseconds(5)); };
  ASSERT_EQ(Public(token).status, 200);
  pause();
  ASSERT_EQ(Public(token, "/children").status, 200);
  pause();
  ASSERT_EQ(Public(token, "/content?id=" + a).status, 200);
  pause();
  ASSERT_EQ(Public(token, "/content").status, 200);
  // Written off the request path: wait (bounded) for the rows: view and list of the folder,
  // view and download of a.txt (reading a node notes a view), the zip (the folder's second
  // view within a minute is not noted again).
  json::array items;
  for (int i = 0; i < 50 && items.size() < 5; ++i) {
    HttpResponse r = Api("GET", "/api/v1/links/" + id + "/activity");
    ASSERT_EQ(r.status, 200) << r.body;
    items = BodyOf(r).at("items").as_array();
    if (items.size() < 5) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(items.size(), 5u) << json::serialize(items);
  std::vector<std::string> actions;
  for (const auto& e : items) {
    actions.push_back(Str(e.at("action")) + " " + Str(e.at("path")));
    EXPECT_EQ(Str(e.at("ip")), "127.0.0.1");
    EXPECT_TRUE(e.at("actor").is_null());
    EXPECT_FALSE(Str(e.at("at")).empty());
  }
  // Newest first (the view and the download of one request may share a millisecond: either
  // order).
  if (actions.size() == 5) std::sort(actions.begin() + 1, actions.begin() + 3);
  EXPECT_EQ(actions, (std::vector<std::string>{"zip /Docs", "download /Docs/a.txt",
                                               "view /Docs/a.txt", "list /Docs", "view /Docs"}));
  EXPECT_EQ(DownloadCount(id, 2), 2);
}

}  // namespace
}  // namespace nimbus::test
