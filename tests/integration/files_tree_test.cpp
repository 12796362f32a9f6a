// SPDX-License-Identifier: AGPL-3.0-or-later
// Files integration tests, tree and trash part of issue 5, against the real `nimbus serve`:
// names (unicode NFC/NFD, spaces, %, #, '..', '/'), folders, children paging, resolve,
// rename/move (invalid_move, name_taken), other users' nodes (404), the trash (delete, list,
// restore into a deleted parent, restore name clash, delete for good, empty), /me/usage, and
// the trash-purge job run by `nimbus job run trash-purge` next to the running server.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <tuple>
#include <vector>

#include "integration/files_test_util.h"

namespace nimbus::test {
namespace {

namespace json = boost::json;

class FilesTreeTest : public FilesTest {
 protected:
  // POST /nodes/{parent}/folders {path}.
  HttpResponse MakeFolder(const std::string& parent, const std::string& path) {
    return Api("POST", "/api/v1/nodes/" + parent + "/folders",
               json::serialize(json::object{{"path", path}}));
  }
  // Creates the folder (expects 201) and returns its id.
  std::string Folder(const std::string& parent, const std::string& path) {
    HttpResponse r = MakeFolder(parent, path);
    EXPECT_EQ(r.status, 201) << path << ": " << r.body;
    return IdOf(r);
  }
  HttpResponse Patch(const std::string& id, const json::object& body) {
    return Api("PATCH", "/api/v1/nodes/" + id, json::serialize(body));
  }
  // Names of a children page.
  static std::vector<std::string> Names(const json::object& page) {
    std::vector<std::string> out;
    for (const auto& item : page.at("items").as_array()) {
      out.emplace_back(item.at("name").as_string().c_str());
    }
    return out;
  }
  // DELETE /nodes/{id} (expects 200) → the trash item.
  json::object Trash(const std::string& id) {
    HttpResponse r = Api("DELETE", "/api/v1/nodes/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    auto body = BodyOf(r);
    return body.contains("trash_item") ? body.at("trash_item").as_object() : json::object{};
  }
  static std::string Str(const json::value& v) { return std::string(v.as_string().c_str()); }
};

TEST_F(FilesTreeTest, FolderNamesFollowTheRulesOfApiMd) {
  StartWithUser();
  // NFC and NFD of "é" are the same name.
  HttpResponse nfc = MakeFolder("root", "caf\xC3\xA9");
  ASSERT_EQ(nfc.status, 201) << nfc.body;
  EXPECT_EQ(BodyOf(nfc).at("name"), "caf\xC3\xA9");
  HttpResponse nfd = MakeFolder("root", "cafe\xCC\x81");
  EXPECT_EQ(nfd.status, 409) << nfd.body;
  EXPECT_EQ(ErrorCode(nfd), "name_taken");
  EXPECT_FALSE(BodyOf(nfd).at("error").at("message").as_string().empty());

  for (std::string name : {"my folder", "100% done", "#tag", "..hidden", "a..b", "\xE6\x97\xA5"}) {
    HttpResponse r = MakeFolder("root", name);
    ASSERT_EQ(r.status, 201) << name << ": " << r.body;
    EXPECT_EQ(Str(BodyOf(r).at("name")), name);
    EXPECT_EQ(Str(BodyOf(r).at("path")), "/" + name);
    HttpResponse found = Api("GET", "/api/v1/resolve?path=" + UrlEncode("/" + name));
    EXPECT_EQ(found.status, 200) << name << ": " << found.body;
    EXPECT_EQ(IdOf(found), IdOf(r)) << name;
  }
  for (const std::string& bad :
       std::vector<std::string>{"..", ".", "a/../b", "", "tab\there", std::string("nul\0x", 5),
                                "del\x7F", "c1\xC2\x85", std::string(256, 'x')}) {
    HttpResponse r = MakeFolder("root", bad);
    EXPECT_EQ(r.status, 400) << "'" << bad << "': " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_name") << bad;
  }
  // Bytes that are not UTF-8 are echoed readably, and no error body carries them raw: it must
  // stay valid JSON text (QA pass 17: strict JSON decoders refused the whole answer).
  HttpResponse not_utf8 = Put("root", "bad\xFF\xFE.txt", "x");
  EXPECT_EQ(ErrorCode(not_utf8), "invalid_name") << not_utf8.body;
  EXPECT_NE(not_utf8.body.find("bad<0xFF><0xFE>.txt"), std::string::npos) << not_utf8.body;
  HttpResponse unknown = Api("GET", "/api/v1/resolve?path=/bad%FF");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(unknown.body.find('\xFF'), std::string::npos) << unknown.body;
  // "/" separates folders: a/b makes two.
  HttpResponse nested = MakeFolder("root", "x/y/z");
  ASSERT_EQ(nested.status, 201) << nested.body;
  EXPECT_EQ(BodyOf(nested).at("path"), "/x/y/z");
  EXPECT_EQ(ErrorCode(MakeFolder("root", "x/y/z")), "name_taken");
  EXPECT_EQ(Api("GET", "/api/v1/resolve?path=/x/y").status, 200);
  EXPECT_EQ(ErrorCode(Api("GET", "/api/v1/resolve?path=/x/nope")), "not_found");
}

TEST_F(FilesTreeTest, RootChildrenPagingAndSorting) {
  StartWithUser();
  json::object me = BodyOf(Api("GET", "/api/v1/me"));
  HttpResponse root = Api("GET", "/api/v1/nodes/root");
  ASSERT_EQ(root.status, 200) << root.body;
  json::object r = BodyOf(root);
  EXPECT_EQ(r.at("id"), me.at("root_id"));
  EXPECT_EQ(r.at("path"), "/");
  EXPECT_TRUE(r.at("parent_id").is_null());
  EXPECT_EQ(r.at("type"), "folder");
  EXPECT_EQ(r.at("permission"), "owner");
  EXPECT_EQ(Api("GET", "/api/v1/nodes/" + Str(me.at("root_id"))).status, 200);

  for (std::string name : {"delta", "Alpha", "charlie", "Bravo", "echo"}) Folder("root", name);
  HttpResponse all = Api("GET", "/api/v1/nodes/root/children");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(Names(BodyOf(all)),
            (std::vector<std::string>{"Alpha", "Bravo", "charlie", "delta", "echo"}));
  EXPECT_TRUE(BodyOf(all).at("next_cursor").is_null());
  HttpResponse desc = Api("GET", "/api/v1/nodes/root/children?sort=name&order=desc");
  EXPECT_EQ(Names(BodyOf(desc)),
            (std::vector<std::string>{"echo", "delta", "charlie", "Bravo", "Alpha"}));

  std::vector<std::string> seen;
  std::string target = "/api/v1/nodes/root/children?limit=2";
  for (int i = 0; i < 10; ++i) {
    HttpResponse page = Api("GET", target);
    ASSERT_EQ(page.status, 200) << page.body;
    json::object body = BodyOf(page);
    EXPECT_LE(body.at("items").as_array().size(), 2u);
    for (const auto& n : Names(body)) seen.push_back(n);
    if (body.at("next_cursor").is_null()) break;
    target = "/api/v1/nodes/root/children?limit=2&cursor=" + UrlEncode(Str(body.at("next_cursor")));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"Alpha", "Bravo", "charlie", "delta", "echo"}));

  // Sorted by size, folders (which have no size of their own) come by name, page after page.
  for (std::string order : {"", "&order=desc"}) {
    std::vector<std::string> by_size;
    std::string next = "/api/v1/nodes/root/children?sort=size&limit=2" + order;
    for (int i = 0; i < 10; ++i) {
      json::object body = BodyOf(Api("GET", next));
      for (const auto& n : Names(body)) by_size.push_back(n);
      if (body.at("next_cursor").is_null()) break;
      next = "/api/v1/nodes/root/children?sort=size&limit=2" + order +
             "&cursor=" + UrlEncode(Str(body.at("next_cursor")));
    }
    EXPECT_EQ(by_size, (std::vector<std::string>{"Alpha", "Bravo", "charlie", "delta", "echo"}))
        << order;
  }

  EXPECT_EQ(ErrorCode(Api("GET", "/api/v1/nodes/root/children?sort=color")), "invalid_request");
  EXPECT_EQ(ErrorCode(Api("GET", "/api/v1/nodes/root/children?order=up")), "invalid_request");
  EXPECT_EQ(ErrorCode(Api("GET", "/api/v1/nodes/root/children?limit=0")), "invalid_request");
  EXPECT_EQ(ErrorCode(Api("GET", "/api/v1/nodes/root/children?limit=1001")), "invalid_request");
  EXPECT_EQ(ErrorCode(Api("GET", "/api/v1/nodes/root/children?cursor=%25%25")), "invalid_request");
  // A cursor belongs to its folder's list: in another folder's it would skip items silently.
  const std::string root_cursor =
      Str(BodyOf(Api("GET", "/api/v1/nodes/root/children?limit=2")).at("next_cursor"));
  const std::string alpha = IdOf(Api("GET", "/api/v1/resolve?path=/Alpha"));
  ASSERT_FALSE(alpha.empty());
  HttpResponse foreign =
      Api("GET", "/api/v1/nodes/" + alpha + "/children?limit=2&cursor=" + UrlEncode(root_cursor));
  EXPECT_EQ(foreign.status, 400) << foreign.body;
  EXPECT_EQ(ErrorCode(foreign), "invalid_request");
  EXPECT_EQ(Api("GET", "/api/v1/nodes/nope/children").status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/nodes/root").status, 401);
}

// Every item of every page (the page JSON is written by hand, not through a JSON DOM) equals
// the node as GET /nodes/{id} gives it: path under a nested folder, owner, etag, times, checksum.
TEST_F(FilesTreeTest, ChildrenPagesCarryTheSameNodesAsGetNode) {
  StartWithUser();
  const std::string sub = Folder("root", "deep/sub dir");
  Folder(sub, "Zeta folder");
  Folder(sub, "\xC3\xA9t\xC3\xA9");
  const std::vector<std::string> files{"a \"quoted\" name.txt", "back\\slash", "100% #1.txt",
                                       "\xE6\x97\xA5\xE6\x9C\xAC.txt", "empty"};
  for (const std::string& name : files) {
    HttpResponse put = Put(sub, name, name == "empty" ? "" : "bytes of " + name);
    ASSERT_EQ(put.status, 201) << name << ": " << put.body;
  }
  const json::object me_json = BodyOf(Api("GET", "/api/v1/me"));
  for (std::string order : {"sort=name", "sort=size&order=desc"}) {
    std::string target = "/api/v1/nodes/" + sub + "/children?limit=2&" + order;
    std::size_t seen = 0;
    int pages = 0;
    for (; pages < 10; ++pages) {
      HttpResponse page = Api("GET", target);
      ASSERT_EQ(page.status, 200) << page.body;
      EXPECT_EQ(page.HeaderOr("Content-Type"), "application/json; charset=utf-8");
      json::object body = BodyOf(page);
      for (const auto& item : body.at("items").as_array()) {
        const json::object& got = item.as_object();
        HttpResponse one = Api("GET", "/api/v1/nodes/" + Str(got.at("id")));
        ASSERT_EQ(one.status, 200) << one.body;
        EXPECT_EQ(got, BodyOf(one)) << order << " page " << pages;
        EXPECT_EQ(Str(got.at("path")), "/deep/sub dir/" + Str(got.at("name")));
        EXPECT_EQ(got.at("owner").at("id"), me_json.at("id"));
        EXPECT_EQ(got.at("parent_id"), json::value(sub));
        ++seen;
      }
      if (body.at("next_cursor").is_null()) break;
      target = "/api/v1/nodes/" + sub + "/children?limit=2&" + order +
               "&cursor=" + UrlEncode(Str(body.at("next_cursor")));
    }
    EXPECT_EQ(seen, files.size() + 2) << order;
    EXPECT_EQ(pages, 3) << order;  // 7 items, 2 a page: 4 pages (0..3).
  }
}

TEST_F(FilesTreeTest, RenameAndMoveWithTheirErrors) {
  StartWithUser();
  std::string a = Folder("root", "a");
  std::string b = Folder(a, "b");
  std::string c = Folder("root", "c");
  Folder(c, "taken");

  const auto modified_b = BodyOf(Api("GET", "/api/v1/nodes/" + b)).at("modified_at");
  const auto modified_a = BodyOf(Api("GET", "/api/v1/nodes/" + a)).at("modified_at");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // A later time would show.
  HttpResponse renamed = Patch(b, {{"name", "b2"}});
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(BodyOf(renamed).at("path"), "/a/b2");
  // Rename and move leave modified_at (when the content last changed), as file managers do.
  EXPECT_EQ(BodyOf(renamed).at("modified_at"), modified_b);
  HttpResponse moved = Patch(a, {{"parent_id", c}});
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(BodyOf(moved).at("path"), "/c/a");
  EXPECT_EQ(BodyOf(moved).at("modified_at"), modified_a);
  EXPECT_EQ(BodyOf(Api("GET", "/api/v1/nodes/" + b)).at("path"), "/c/a/b2");
  HttpResponse both = Patch(a, {{"name", "a moved"}, {"parent_id", "root"}});
  ASSERT_EQ(both.status, 200) << both.body;
  EXPECT_EQ(BodyOf(both).at("path"), "/a moved");

  HttpResponse into_self = Patch(a, {{"parent_id", a}});
  EXPECT_EQ(into_self.status, 400) << into_self.body;
  EXPECT_EQ(ErrorCode(into_self), "invalid_move");
  EXPECT_EQ(ErrorCode(Patch(a, {{"parent_id", b}})), "invalid_move");
  EXPECT_EQ(ErrorCode(Patch("root", {{"name", "x"}})), "invalid_move");
  HttpResponse clash = Patch(a, {{"name", "taken"}, {"parent_id", c}});
  EXPECT_EQ(clash.status, 409) << clash.body;
  EXPECT_EQ(ErrorCode(clash), "name_taken");
  // The sentence names the folder moved into, or says "this folder" for a rename.
  EXPECT_NE(clash.body.find("'taken' already exists in 'c'."), std::string::npos) << clash.body;
  Folder("root", "other");
  HttpResponse rename_clash = Patch(a, {{"name", "other"}});
  EXPECT_NE(rename_clash.body.find("'other' already exists in this folder: choose another name."),
            std::string::npos)
      << rename_clash.body;
  EXPECT_EQ(ErrorCode(Patch(a, {{"name", "x/y"}})), "invalid_name");
  EXPECT_EQ(ErrorCode(Patch(a, {{"name", ".."}})), "invalid_name");
  EXPECT_EQ(ErrorCode(Patch(a, json::object{})), "invalid_request");
  EXPECT_EQ(Patch(a, {{"parent_id", "nope"}}).status, 404);

  // A file of one's own as the target: a move or copy into it is an invalid move, an upload into
  // it a bad request; the sentences name the file. Nothing moves.
  HttpResponse put = Put("root", "notes.txt", "hello");
  ASSERT_EQ(put.status, 201) << put.body;
  const std::string file = std::string(BodyOf(put).at("id").as_string());
  HttpResponse into_file = Patch(b, {{"parent_id", file}});
  EXPECT_EQ(into_file.status, 400) << into_file.body;
  EXPECT_EQ(ErrorCode(into_file), "invalid_move");
  EXPECT_NE(into_file.body.find("notes.txt"), std::string::npos) << into_file.body;
  EXPECT_EQ(BodyOf(Api("GET", "/api/v1/nodes/" + b)).at("path"), "/a moved/b2");
  HttpResponse copy = Api("POST", "/api/v1/nodes/" + b + "/copy",
                          json::serialize(json::object{{"parent_id", file}}));
  EXPECT_EQ(copy.status, 400) << copy.body;
  EXPECT_EQ(ErrorCode(copy), "invalid_move");
  HttpResponse upload = Put(file, "x.txt", "x");
  EXPECT_EQ(upload.status, 400) << upload.body;
  EXPECT_EQ(ErrorCode(upload), "invalid_request");
  EXPECT_NE(upload.body.find("notes.txt"), std::string::npos) << upload.body;
}

// Search by name: own live nodes only (not the trash, not another user's), letters in any case
// (Unicode too), LIKE's wildcards as typed, folders first then by name, with paths; limit and
// truncated; an empty query is refused.
TEST_F(FilesTreeTest, SearchFindsOwnLiveNodesByPartOfTheirName) {
  StartWithUser();
  std::string reports = Folder("root", "Reports/2026");
  ASSERT_EQ(Put(reports, "Annual report.pdf", "a").status, 201);
  ASSERT_EQ(Put("root", "report 100%_final.txt", "b").status, 201);
  ASSERT_EQ(Put("root", "notes.txt", "c").status, 201);
  ASSERT_EQ(Put("root", "Élan vital.txt", "e").status, 201);
  Trash(IdOf(Put("root", "old report.txt", "d")));
  ASSERT_EQ(SignUp("eve@example.com").status, 201);
  Browser eve = LogIn("eve@example.com");
  ASSERT_EQ(Call("POST", "/api/v1/nodes/root/folders", R"({"path":"eve report"})", &eve).status,
            201);

  auto search = [&](const std::string& query) {
    HttpResponse r = Api("GET", "/api/v1/search?q=" + UrlEncode(query, false));
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    return BodyOf(r);
  };
  auto paths = [](const json::object& found) {
    std::vector<std::string> out;
    for (const auto& n : found.at("items").as_array()) out.push_back(Str(n.at("path")));
    return out;
  };
  json::object found = search("REPORT");
  EXPECT_EQ(paths(found), (std::vector<std::string>{"/Reports", "/Reports/2026/Annual report.pdf",
                                                    "/report 100%_final.txt"}));
  EXPECT_FALSE(found.at("truncated").as_bool());
  EXPECT_EQ(Str(found.at("items").as_array()[0].at("type")), "folder");
  EXPECT_EQ(paths(search("100%_")), (std::vector<std::string>{"/report 100%_final.txt"}));
  // Letters beyond ASCII in any case (Unicode case folding).
  EXPECT_EQ(paths(search("éLAN")), (std::vector<std::string>{"/Élan vital.txt"}));
  EXPECT_EQ(paths(search("ÉLAN VITAL")), (std::vector<std::string>{"/Élan vital.txt"}));
  // Accents do not matter either way.
  EXPECT_EQ(paths(search("elan")), (std::vector<std::string>{"/Élan vital.txt"}));
  EXPECT_TRUE(paths(search("%")).size() == 1) << "a % is a percent sign, not a wildcard";
  EXPECT_TRUE(paths(search("_")).size() == 1);
  EXPECT_TRUE(paths(search("eve")).empty()) << "another user's folder";
  EXPECT_TRUE(paths(search("old")).empty()) << "the trash";
  // What eve shares with ann is found after ann's own nodes, as ann sees it there; eve's other
  // folder stays hidden.
  ASSERT_NO_FATAL_FAILURE(ConfirmEmail("ann@example.com"));
  HttpResponse shared_folder =
      Call("POST", "/api/v1/nodes/root/folders", R"({"path":"Shared stuff"})", &eve);
  ASSERT_EQ(shared_folder.status, 201) << shared_folder.body;
  ASSERT_EQ(
      Call("PUT", "/api/v1/nodes/" + IdOf(shared_folder) + "/content?path=report%20from%20eve.txt",
           "e", &eve)
          .status,
      201);
  HttpResponse share = Call(
      "POST", "/api/v1/shares",
      json::serialize(json::object{
          {"node_id", IdOf(shared_folder)}, {"email", "ann@example.com"}, {"permission", "read"}}),
      &eve);
  ASSERT_EQ(share.status, 201) << share.body;
  found = search("report");
  EXPECT_EQ(paths(found), (std::vector<std::string>{"/Reports", "/Reports/2026/Annual report.pdf",
                                                    "/report 100%_final.txt",
                                                    "/Shared stuff/report from eve.txt"}));
  const json::object& theirs = found.at("items").as_array().back().as_object();
  EXPECT_EQ(Str(theirs.at("permission")), "read");
  EXPECT_EQ(Str(theirs.at("owner").at("email")), "eve@example.com");
  EXPECT_EQ(paths(search("eve")), (std::vector<std::string>{"/Shared stuff/report from eve.txt"}));
  HttpResponse limited = Api("GET", "/api/v1/search?q=r&limit=2");
  ASSERT_EQ(limited.status, 200) << limited.body;
  EXPECT_EQ(BodyOf(limited).at("items").as_array().size(), 2u);
  EXPECT_TRUE(BodyOf(limited).at("truncated").as_bool());
  for (const std::string target : {"/api/v1/search?q=", "/api/v1/search?q=%20%20", "/api/v1/search",
                                   "/api/v1/search?q=a&limit=0", "/api/v1/search?q=a&limit=201"}) {
    HttpResponse bad = Api("GET", target);
    EXPECT_EQ(bad.status, 400) << target << ": " << bad.body;
  }
}

TEST_F(FilesTreeTest, AnotherUsersNodesAndTrashItemsAre404) {
  StartWithUser();
  std::string mine = Folder("root", "private");
  json::object item = Trash(Folder("root", "old"));
  ASSERT_EQ(SignUp("eve@example.com").status, 201);
  Browser eve = LogIn("eve@example.com");
  auto as_eve = [&](const std::string& method, const std::string& target,
                    const std::string& body = "") {
    return Call(method, target, body, &eve, true);
  };
  for (auto [method, target, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "/api/v1/nodes/" + mine, ""},
           {"GET", "/api/v1/nodes/" + mine + "/children", ""},
           {"POST", "/api/v1/nodes/" + mine + "/folders", R"({"path":"x"})"},
           {"PATCH", "/api/v1/nodes/" + mine, R"({"name":"mine now"})"},
           {"DELETE", "/api/v1/nodes/" + mine, ""},
           {"POST", "/api/v1/trash/" + Str(item.at("id")) + "/restore", ""},
           {"DELETE", "/api/v1/trash/" + Str(item.at("id")), ""}}) {
    HttpResponse r = as_eve(method, target, body);
    EXPECT_EQ(r.status, 404) << method << " " << target << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), "not_found");
  }
  // Moving eve's folder into ann's is as if ann's did not exist.
  std::string evefolder = IdOf(as_eve("POST", "/api/v1/nodes/root/folders", R"({"path":"e"})"));
  EXPECT_EQ(as_eve("PATCH", "/api/v1/nodes/" + evefolder,
                   json::serialize(json::object{{"parent_id", mine}}))
                .status,
            404);
  EXPECT_TRUE(BodyOf(as_eve("GET", "/api/v1/trash")).at("items").as_array().empty());
  EXPECT_EQ(as_eve("DELETE", "/api/v1/trash").status, 204);
  EXPECT_EQ(Api("GET", "/api/v1/nodes/" + mine).status, 200);  // Still there, unchanged.
  EXPECT_EQ(BodyOf(Api("GET", "/api/v1/trash")).at("items").as_array().size(), 1u);
}

TEST_F(FilesTreeTest, TrashListRestoreAndDeleteForGood) {
  StartWithUser();
  std::string docs = Folder("root", "docs");
  std::string inner = Folder(docs, "inner");
  std::string leaf = Folder(inner, "leaf");

  // The leaf, then its parent: the parent's item holds inner; the leaf is its own item.
  json::object leaf_item = Trash(leaf);
  EXPECT_EQ(leaf_item.at("original_path"), "/docs/inner/leaf");
  EXPECT_EQ(leaf_item.at("type"), "folder");
  EXPECT_EQ(leaf_item.at("name"), "leaf");
  EXPECT_EQ(leaf_item.at("size"), 0);
  EXPECT_TRUE(leaf_item.at("deleted_at").is_string());
  EXPECT_TRUE(leaf_item.at("expires_at").is_string());
  EXPECT_GT(Str(leaf_item.at("expires_at")), Str(leaf_item.at("deleted_at")));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  json::object inner_item = Trash(inner);
  EXPECT_EQ(Api("GET", "/api/v1/nodes/" + inner).status, 404);
  EXPECT_EQ(ErrorCode(Api("GET", "/api/v1/resolve?path=/docs/inner")), "not_found");

  json::object list = BodyOf(Api("GET", "/api/v1/trash"));
  ASSERT_EQ(list.at("items").as_array().size(), 2u);
  EXPECT_EQ(list.at("items").as_array()[0].at("id"), inner_item.at("id"));  // Newest first.
  EXPECT_TRUE(list.at("next_cursor").is_null());
  json::object page = BodyOf(Api("GET", "/api/v1/trash?limit=1"));
  ASSERT_EQ(page.at("items").as_array().size(), 1u);
  ASSERT_TRUE(page.at("next_cursor").is_string());
  json::object page2 =
      BodyOf(Api("GET", "/api/v1/trash?limit=1&cursor=" + UrlEncode(Str(page.at("next_cursor")))));
  ASSERT_EQ(page2.at("items").as_array().size(), 1u);
  EXPECT_EQ(page2.at("items").as_array()[0].at("id"), leaf_item.at("id"));
  json::object from_docs = BodyOf(Api("GET", "/api/v1/trash?parent_id=" + docs));
  ASSERT_EQ(from_docs.at("items").as_array().size(), 1u);
  EXPECT_EQ(from_docs.at("items").as_array()[0].at("id"), inner_item.at("id"));
  // Where each goes back: inner into /docs; leaf, whose folder is in the trash, to the path it
  // came from.
  EXPECT_EQ(list.at("items").as_array()[0].at("restores_to"), "/docs");
  EXPECT_EQ(list.at("items").as_array()[1].at("restores_to"), "/docs/inner");

  // Restore the leaf: its parent is in the trash, so /docs/inner is made again.
  HttpResponse back = Api("POST", "/api/v1/trash/" + Str(leaf_item.at("id")) + "/restore");
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(BodyOf(back).at("restored_path"), "/docs/inner/leaf");
  EXPECT_EQ(IdOf(back), leaf);
  EXPECT_EQ(Api("GET", "/api/v1/resolve?path=/docs/inner/leaf").status, 200);
  // Restore the old inner: /docs/inner exists again, so it becomes "inner (restored)".
  HttpResponse clash = Api("POST", "/api/v1/trash/" + Str(inner_item.at("id")) + "/restore");
  ASSERT_EQ(clash.status, 200) << clash.body;
  EXPECT_EQ(BodyOf(clash).at("restored_path"), "/docs/inner (restored)");
  EXPECT_EQ(BodyOf(clash).at("node").at("name"), "inner (restored)");
  EXPECT_EQ(IdOf(clash), inner);
  EXPECT_EQ(Api("POST", "/api/v1/trash/" + Str(inner_item.at("id")) + "/restore").status, 404);

  // An item goes back into its folder wherever that folder is now, and the list says where
  // before the restore (QA pass 19: it said the old path).
  HttpResponse put = Put("root", "moved/b.txt", "b");
  ASSERT_EQ(put.status, 201) << put.body;
  json::object b_item = Trash(IdOf(put));
  EXPECT_EQ(b_item.at("original_path"), "/moved/b.txt");
  const std::string moved = Str(BodyOf(put).at("parent_id"));
  ASSERT_EQ(Api("PATCH", "/api/v1/nodes/" + moved, R"({"name":"renamed"})").status, 200);
  json::array now = BodyOf(Api("GET", "/api/v1/trash")).at("items").as_array();
  ASSERT_FALSE(now.empty());
  EXPECT_EQ(now[0].at("restores_to"), "/renamed");
  HttpResponse b_back = Api("POST", "/api/v1/trash/" + Str(b_item.at("id")) + "/restore");
  ASSERT_EQ(b_back.status, 200) << b_back.body;
  EXPECT_EQ(BodyOf(b_back).at("restored_path"), "/renamed/b.txt");

  // Delete for good, then empty.
  json::object one = Trash(inner);
  json::object two = Trash(docs);
  EXPECT_EQ(Api("DELETE", "/api/v1/trash/" + Str(one.at("id"))).status, 204);
  EXPECT_EQ(Api("DELETE", "/api/v1/trash/" + Str(one.at("id"))).status, 404);
  EXPECT_EQ(BodyOf(Api("GET", "/api/v1/trash")).at("items").as_array().size(), 1u);
  EXPECT_EQ(Api("DELETE", "/api/v1/trash").status, 204);
  EXPECT_TRUE(BodyOf(Api("GET", "/api/v1/trash")).at("items").as_array().empty());
  EXPECT_EQ(Api("POST", "/api/v1/trash/" + Str(two.at("id")) + "/restore").status, 404);
  HttpResponse root = Api("DELETE", "/api/v1/nodes/root");
  EXPECT_EQ(root.status, 400) << root.body;
  EXPECT_EQ(ErrorCode(root), "invalid_move");
}

// A folder of 30,000 items goes to the trash, comes back and is deleted for good, each in one
// request (QA pass 16: past about 3,000 items the statement's journal spilled to a temporary
// file and SQLite answered "database or disk is full": the folder could not be deleted).
TEST_F(FilesTreeTest, AFolderOfThirtyThousandItemsGoesToTheTrashAndBack) {
  StartWithUser();
  const std::string huge = Folder("root", "Huge");
  // The items are written straight into the database (30,000 uploads would take the test's
  // whole time); folders, so that no blob is needed.
  Sql("INSERT INTO nodes (id, owner_id, parent_id, name, sort_name, type, created_at, "
      "modified_at) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
      "30000) SELECT 'huge-' || i, (SELECT owner_id FROM nodes WHERE id = '" +
      huge + "'), '" + huge +
      "', 'a folder with a longish name, number ' || i, 'a folder with a longish name, number ' "
      "|| i, 'folder', 0, 0 FROM n");
  const std::string live =
      "SELECT COUNT(*) FROM nodes WHERE parent_id = '" + huge + "' AND trash_id IS NULL";
  ASSERT_EQ(Sql(live), "[(30000,)]\n");

  json::object item = Trash(huge);
  EXPECT_EQ(item.at("name"), "Huge");
  EXPECT_EQ(Sql(live), "[(0,)]\n");
  HttpResponse back = Api("POST", "/api/v1/trash/" + Str(item.at("id")) + "/restore");
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(Sql(live), "[(30000,)]\n");
  json::object again = Trash(huge);
  EXPECT_EQ(Api("DELETE", "/api/v1/trash/" + Str(again.at("id"))).status, 204);
  EXPECT_EQ(Sql("SELECT COUNT(*) FROM nodes WHERE id LIKE 'huge-%'"), "[(0,)]\n");
}

TEST_F(FilesTreeTest, UsageBreakdown) {
  StartWithUser();
  Folder("root", "Photos/2024");
  Folder("root", "Docs");
  HttpResponse r = Api("GET", "/api/v1/me/usage");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object u = BodyOf(r);
  for (const char* key :
       {"quota_bytes", "used_bytes", "trash_bytes", "reserved_bytes", "root_files_bytes"}) {
    ASSERT_TRUE(u.contains(key) && u.at(key).is_int64()) << key << " in " << r.body;
  }
  EXPECT_GT(u.at("quota_bytes").as_int64(), 0);
  EXPECT_EQ(u.at("used_bytes"), 0);
  ASSERT_EQ(u.at("by_folder").as_array().size(), 2u);
  EXPECT_EQ(u.at("by_folder").as_array()[0].at("bytes"), 0);
  EXPECT_TRUE(u.at("largest_files").as_array().empty());
  json::object me_usage = Usage();
  EXPECT_EQ(me_usage.at("quota_bytes"), u.at("quota_bytes"));
}

TEST_F(FilesTreeTest, JobRunTrashPurgeWithRetentionZeroEmptiesTheTrashOfARunningServer) {
  StartWithUser();
  // The admin jobs list shows the daily trash-purge with its next run.
  std::map<std::string, json::object> jobs;
  auto load_jobs = [&] {
    jobs.clear();
    json::object body = BodyOf(Api("GET", "/api/v1/admin/jobs"));
    if (!body.contains("jobs")) return;
    for (const auto& j : body.at("jobs").as_array()) {
      jobs[Str(j.at("name"))] = j.as_object();
    }
  };
  load_jobs();
  ASSERT_TRUE(jobs.contains("trash-purge"));
  EXPECT_EQ(jobs["trash-purge"].at("schedule"), "daily 03:00");
  EXPECT_TRUE(jobs["trash-purge"].at("next_run_at").is_string());
  EXPECT_TRUE(jobs["trash-purge"].at("registered").as_bool());

  json::object a = Trash(Folder("root", "a"));
  json::object b = Trash(Folder("root", "b/c"));
  // Default retention (30 days): nothing is old enough.
  auto keep = RunNimbus({"job", "run", "trash-purge", "--data", data_dir()});
  ASSERT_TRUE(keep) << keep.error().message;
  EXPECT_EQ(keep->exit_code(), 0) << keep->out << keep->err;
  EXPECT_NE(keep->out.find("0 trash item(s) purged"), std::string::npos) << keep->out;
  EXPECT_EQ(BodyOf(Api("GET", "/api/v1/trash")).at("items").as_array().size(), 2u);

  // A temp file in a disk's tmp/ stands for a running upload: the job must leave it alone
  // (opening the disks normally sweeps tmp/ of unlocked files, as disk-health shows below).
  const std::string in_flight = data_dir() + "/disks/a1/tmp/in-flight-upload";
  ASSERT_TRUE(std::filesystem::is_directory(data_dir() + "/disks/a1/tmp"));
  std::ofstream(in_flight) << "partial";
  auto purge = RunNimbus({"job", "run", "trash-purge", "--data", data_dir()},
                         {{"NIMBUS_FILES_TRASH_RETENTION_DAYS", "0"}});
  ASSERT_TRUE(purge) << purge.error().message;
  EXPECT_EQ(purge->exit_code(), 0) << purge->out << purge->err;
  EXPECT_NE(purge->out.find("2 trash item(s) purged"), std::string::npos) << purge->out;
  EXPECT_TRUE(std::filesystem::exists(in_flight)) << "trash-purge swept the server's tmp/";
  auto health = RunNimbus({"job", "run", "disk-health", "--data", data_dir()});
  ASSERT_TRUE(health) << health.error().message;
  EXPECT_FALSE(std::filesystem::exists(in_flight)) << "the sweep this test relies on did not run";
  EXPECT_TRUE(BodyOf(Api("GET", "/api/v1/trash")).at("items").as_array().empty());
  EXPECT_EQ(Api("POST", "/api/v1/trash/" + Str(a.at("id")) + "/restore").status, 404);
  // The server still works, and the job list shows the run.
  EXPECT_EQ(MakeFolder("root", "after").status, 201);
  load_jobs();
  ASSERT_TRUE(jobs.contains("trash-purge"));
  EXPECT_EQ(jobs["trash-purge"].at("last_outcome"), "ok");
  EXPECT_TRUE(jobs["trash-purge"].at("last_finished_at").is_string());
  EXPECT_TRUE(jobs["trash-purge"].at("next_run_at").is_string());
}

TEST_F(FilesTreeTest, TrashAndUsageBytesAreExactWithFiles) {
  StartWithUser();
  std::string a = Folder("root", "a");
  std::string b = Folder(a, "b");
  ASSERT_EQ(Put(a, "one.bin", std::string(1000, '1')).status, 201);
  ASSERT_EQ(Put(b, "two.bin", std::string(234, '2')).status, 201);
  HttpResponse top = Put("root", "top.txt", std::string(40, 't'));
  ASSERT_EQ(top.status, 201) << top.body;

  json::object u = BodyOf(Api("GET", "/api/v1/me/usage"));
  EXPECT_EQ(u.at("used_bytes"), 1274);
  EXPECT_EQ(u.at("trash_bytes"), 0);
  EXPECT_EQ(u.at("root_files_bytes"), 40);
  ASSERT_EQ(u.at("by_folder").as_array().size(), 1u);
  EXPECT_EQ(u.at("by_folder").as_array()[0].at("name"), "a");
  EXPECT_EQ(u.at("by_folder").as_array()[0].at("bytes"), 1234);
  ASSERT_EQ(u.at("largest_files").as_array().size(), 3u);
  EXPECT_EQ(u.at("largest_files").as_array()[0].at("path"), "/a/one.bin");

  json::object item = Trash(a);
  EXPECT_EQ(item.at("size"), 1234);
  json::object me = Usage();
  EXPECT_EQ(me.at("used_bytes"), 40);
  EXPECT_EQ(me.at("trash_bytes"), 1234);
  HttpResponse back = Api("POST", "/api/v1/trash/" + Str(item.at("id")) + "/restore");
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(Download(IdOf(Api("GET", "/api/v1/resolve?path=/a/b/two.bin"))).body,
            std::string(234, '2'));
  EXPECT_EQ(Usage().at("used_bytes"), 1274);

  // A file's name clash on restore keeps the file's bytes under "name (restored)".
  std::string one = IdOf(Api("GET", "/api/v1/resolve?path=/a/one.bin"));
  json::object one_item = Trash(one);
  ASSERT_EQ(Put(a, "one.bin", std::string(5, 'n')).status, 201);
  HttpResponse clash = Api("POST", "/api/v1/trash/" + Str(one_item.at("id")) + "/restore");
  ASSERT_EQ(clash.status, 200) << clash.body;
  EXPECT_EQ(BodyOf(clash).at("restored_path"), "/a/one (restored).bin");
  EXPECT_EQ(Download(one).body, std::string(1000, '1'));

  json::object gone = Trash(a);
  EXPECT_EQ(gone.at("size"), 1239);
  EXPECT_EQ(Api("DELETE", "/api/v1/trash/" + Str(gone.at("id"))).status, 204);
  me = Usage();
  EXPECT_EQ(me.at("used_bytes"), 40);
  EXPECT_EQ(me.at("trash_bytes"), 0);
  EXPECT_EQ(Download(one).status, 404);

  // Purge with retention 0 frees the trash bytes too.
  Trash(IdOf(top));
  EXPECT_EQ(Usage().at("trash_bytes"), 40);
  auto purge = RunNimbus({"job", "run", "trash-purge", "--data", data_dir()},
                         {{"NIMBUS_FILES_TRASH_RETENTION_DAYS", "0"}});
  ASSERT_TRUE(purge) << purge.error().message;
  EXPECT_EQ(purge->exit_code(), 0)
      << purge->status.Describe() << (purge->timed_out ? " (timed out)" : "") << "\n"
      << purge->out << purge->err;
  json::object after;
  for (int i = 0; i < 30; ++i) {  // The profile may be cached for a second; bounded: 3 s.
    after = Usage();
    if (after.at("trash_bytes") == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(after.at("trash_bytes"), 0);
  EXPECT_EQ(after.at("used_bytes"), 0);
  EXPECT_EQ(BodyOf(Api("GET", "/api/v1/me/usage")).at("trash_bytes"), 0);
}

}  // namespace
}  // namespace nimbus::test
