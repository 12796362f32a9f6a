// SPDX-License-Identifier: AGPL-3.0-or-later
// User shares (issue 6) against the real `nimbus serve`: POST/GET/PATCH/DELETE /shares with their
// error codes and the mail to the recipient, what a read and an edit recipient may do through
// the ordinary /nodes endpoints (uploads charged to the owner, deletes into the owner's trash,
// the shared folder itself kept), revoke / leave / trash ending access on the very next request,
// the activity owners see, and the contacts autocomplete. ann shares, bob receives, carol is a
// stranger.
#include <fmt/core.h>

#include <chrono>
#include <thread>
#include <tuple>
#include <vector>

#include "integration/files_test_util.h"

namespace nimbus::test {
namespace {

namespace json = boost::json;

std::string Str(const json::value& v) { return std::string(v.as_string().c_str()); }

class SharesApiTest : public FilesTest {
 protected:
  void SetUp() override {
    FilesTest::SetUp();
    StartWithUser();  // ann
    ASSERT_NO_FATAL_FAILURE(SignUpConfirmed("bob@example.com"));
    bob_ = LogIn("bob@example.com");
    ASSERT_NO_FATAL_FAILURE(SignUpConfirmed("carol@example.com"));
    carol_ = LogIn("carol@example.com");
  }

  HttpResponse Bob(const std::string& method, const std::string& target,
                   const std::string& body = "") {
    return Call(method, target, body, &bob_);
  }
  HttpResponse Carol(const std::string& method, const std::string& target,
                     const std::string& body = "") {
    return Call(method, target, body, &carol_);
  }
  // PUT …/content as `who` (FilesTest::Put is ann's).
  HttpResponse PutAs(const Browser& who, const std::string& parent, const std::string& path,
                     const std::string& bytes) {
    return PutInPlaceAs(who, parent, bytes, "?path=" + UrlEncode(path));
  }
  // PUT /nodes/{id}/content with `query` ("" or "?on_conflict=…") as `who`: without a path,
  // {id} is the file to replace.
  HttpResponse PutInPlaceAs(const Browser& who, const std::string& id, const std::string& bytes,
                            const std::string& query = "") {
    auto client = HttpClient::Connect(port());
    EXPECT_TRUE(client);
    if (!client) return {};
    Headers h{{"Content-Type", "application/octet-stream"},
              {"Cookie", who.cookie},
              {"X-CSRF-Token", who.csrf}};
    auto r = client->Request("PUT", "/api/v1/nodes/" + id + "/content" + query, h, bytes);
    EXPECT_TRUE(r);
    return r.value_or(HttpResponse{});
  }
  std::string Folder(const std::string& parent, const std::string& path) {
    HttpResponse r = Api("POST", "/api/v1/nodes/" + parent + "/folders",
                         json::serialize(json::object{{"path", path}}));
    EXPECT_EQ(r.status, 201) << r.body;
    return IdOf(r);
  }
  std::string File(const std::string& parent, const std::string& path, const std::string& bytes) {
    HttpResponse r = Put(parent, path, bytes);
    EXPECT_EQ(r.status, 201) << r.body;
    return IdOf(r);
  }
  static std::string ShareBody(const std::string& node, const std::string& email,
                               const std::string& permission) {
    return json::serialize(
        json::object{{"node_id", node}, {"email", email}, {"permission", permission}});
  }
  // ann shares `node` (expects 201) and returns the share's id.
  std::string ShareWith(const std::string& node, const std::string& email,
                        const std::string& permission) {
    HttpResponse r = Api("POST", "/api/v1/shares", ShareBody(node, email, permission));
    EXPECT_EQ(r.status, 201) << r.body;
    return Str(BodyOf(r).at("id"));
  }
  static json::array Items(const HttpResponse& r) {
    auto body = BodyOf(r);
    return body.contains("items") ? body.at("items").as_array() : json::array{};
  }
  static std::string Rename(const std::string& name) {
    return json::serialize(json::object{{"name", name}});
  }
  static std::string MoveTo(const std::string& parent) {
    return json::serialize(json::object{{"parent_id", parent}});
  }
  std::int64_t UsedBytesOf(const HttpResponse& me) {
    return BodyOf(me).at("usage").at("used_bytes").as_int64();
  }
  // Sets ann's plan to `bytes` in the server's SQLite file (as files_content_test does).
  void SetAnnQuota(std::int64_t bytes) {
    std::string id = Str(BodyOf(Api("GET", "/api/v1/me")).at("id"));
    Sql(fmt::format("UPDATE allocations SET bytes = {} WHERE owner_id = {}", bytes, id));
  }
  // Runs one statement on the server's SQLite file (the test's way to set up a state).
  void Sql(const std::string& statement) {
    std::string out = Python(
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], timeout=10)\n"
        "c.execute(sys.argv[2]).fetchall()\n"
        "c.commit()\n",
        {data_dir() + "/nimbus.db", statement});
    ASSERT_EQ(out.rfind("ERROR", 0), std::string::npos) << out;
  }
  // The share's activity once it has at least `n` entries (it is written just after the
  // request is answered); bounded at 10 s.
  json::array WaitForActivity(const std::string& share, std::size_t n) {
    json::array items;
    for (int i = 0; i < 100; ++i) {
      HttpResponse r = Api("GET", "/api/v1/shares/" + share + "/activity");
      EXPECT_EQ(r.status, 200) << r.body;
      items = Items(r);
      if (items.size() >= n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return items;
  }

  Browser bob_;
  Browser carol_;
};

TEST_F(SharesApiTest, CreateEmailsTheRecipientAndRefusesWhatApiMdRefuses) {
  std::string project = Folder("root", "Project");
  HttpResponse created =
      Api("POST", "/api/v1/shares", ShareBody(project, " Bob@Example.com ", "edit"));
  ASSERT_EQ(created.status, 201) << created.body;
  auto share = BodyOf(created);
  EXPECT_FALSE(Str(share.at("id")).empty());
  EXPECT_EQ(Str(share.at("node").at("id")), project);
  EXPECT_EQ(share.at("node").at("path"), "/Project");
  EXPECT_EQ(share.at("node").at("shared"), true);
  EXPECT_EQ(share.at("owner").at("email"), "ann@example.com");
  EXPECT_EQ(share.at("grantee").at("email"), "bob@example.com");
  EXPECT_EQ(share.at("permission"), "edit");
  EXPECT_TRUE(share.at("created_at").is_string());

  // bob gets a mail with the link to the item (the outbox is polled every second).
  bool mailed = false;
  for (int i = 0; i < 100 && !mailed; ++i) {
    mailed = MailsTo("bob@example.com", "shared") == 1 && AnyMailContains("/shared/" + project);
    if (!mailed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(mailed) << "no share mail to bob with " << project;
  // It says what the share lets bob do.
  EXPECT_TRUE(AnyMailContains("add, rename, move and delete files in it"));

  auto post = [&](const std::string& node, const std::string& email, const std::string& perm) {
    return Api("POST", "/api/v1/shares", ShareBody(node, email, perm));
  };
  for (auto [node, email, perm, status, code] :
       std::vector<std::tuple<std::string, std::string, std::string, int, std::string>>{
           {project, "nobody@example.com", "read", 404, "user_not_found"},
           {project, "ANN@example.com", "read", 400, "cannot_share_with_self"},
           {project, "bob@example.com", "read", 409, "already_shared"},
           {project, "carol@example.com", "owner", 400, "invalid_request"},
           {"root", "carol@example.com", "read", 400, "invalid_request"},
           {"nope", "carol@example.com", "read", 404, "not_found"}}) {
    HttpResponse r = post(node, email, perm);
    EXPECT_EQ(r.status, status) << email << " " << perm << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), code) << r.body;
  }
  // A disabled account: the same code, with a sentence that says why.
  ASSERT_NO_FATAL_FAILURE(SignUpConfirmed("eve@example.com"));
  auto disabled = RunNimbus({"admin", "user", "disable", "eve@example.com", "--data", data_dir()});
  ASSERT_TRUE(disabled && disabled->exit_code() == 0);
  HttpResponse to_disabled = post(project, "eve@example.com", "read");
  EXPECT_EQ(to_disabled.status, 404) << to_disabled.body;
  EXPECT_EQ(ErrorCode(to_disabled), "user_not_found");
  EXPECT_NE(to_disabled.body.find("is disabled"), std::string::npos) << to_disabled.body;
  // Anyone can sign up with any address: an unconfirmed account gets nothing shared with it
  // (no share, no mail) until it confirms the address.
  ASSERT_EQ(SignUp("dan@example.com").status, 201);
  HttpResponse unconfirmed = post(project, "dan@example.com", "read");
  EXPECT_EQ(unconfirmed.status, 409) << unconfirmed.body;
  EXPECT_EQ(ErrorCode(unconfirmed), "recipient_unconfirmed") << unconfirmed.body;
  EXPECT_NE(unconfirmed.body.find("has not confirmed their email address"), std::string::npos)
      << unconfirmed.body;
  Browser dan = LogIn("dan@example.com");
  HttpResponse incoming = Call("GET", "/api/v1/shares?direction=incoming", "", &dan);
  ASSERT_EQ(incoming.status, 200) << incoming.body;
  EXPECT_TRUE(Items(incoming).empty()) << incoming.body;
  EXPECT_EQ(MailsTo("dan@example.com", "shared"), 0u);
  ASSERT_NO_FATAL_FAILURE(ConfirmEmail("dan@example.com"));
  HttpResponse confirmed = post(project, "dan@example.com", "read");
  EXPECT_EQ(confirmed.status, 201) << confirmed.body;
  // A recipient cannot reshare; a stranger does not see the node at all.
  HttpResponse reshare =
      Bob("POST", "/api/v1/shares", ShareBody(project, "carol@example.com", "read"));
  EXPECT_EQ(reshare.status, 403) << reshare.body;
  EXPECT_EQ(ErrorCode(reshare), "forbidden");
  HttpResponse stranger =
      Carol("POST", "/api/v1/shares", ShareBody(project, "bob@example.com", "edit"));
  EXPECT_EQ(stranger.status, 404) << stranger.body;
  EXPECT_EQ(ErrorCode(stranger), "not_found");
}

TEST_F(SharesApiTest, ListsPatchAndContacts) {
  std::string a = Folder("root", "A");
  std::string b = File("root", "b.txt", "bee");
  // Lists are ordered by creation time in ms (then id): a few ms apart, the order is known.
  auto apart = [] { std::this_thread::sleep_for(std::chrono::milliseconds(3)); };
  std::string to_bob = ShareWith(a, "bob@example.com", "edit");
  apart();
  std::string to_carol = ShareWith(b, "carol@example.com", "read");
  apart();
  ShareWith(a, "carol@example.com", "read");

  // Outgoing, paged oldest first.
  HttpResponse first = Api("GET", "/api/v1/shares?direction=outgoing&limit=2");
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ(Items(first).size(), 2u);
  EXPECT_EQ(Str(Items(first)[0].at("id")), to_bob);
  EXPECT_EQ(Str(Items(first)[1].at("id")), to_carol);
  std::string cursor = Str(BodyOf(first).at("next_cursor"));
  HttpResponse second = Api("GET", "/api/v1/shares?direction=outgoing&limit=2&cursor=" + cursor);
  ASSERT_EQ(Items(second).size(), 1u) << second.body;
  EXPECT_TRUE(BodyOf(second).at("next_cursor").is_null());
  EXPECT_EQ(ErrorCode(Api("GET", "/api/v1/shares?cursor=not-a-cursor")), "invalid_request");
  EXPECT_EQ(ErrorCode(Api("GET", "/api/v1/shares?direction=sideways")), "invalid_request");
  EXPECT_TRUE(Items(Api("GET", "/api/v1/shares?direction=incoming")).empty());

  // Incoming: bob sees the folder as his: its path inside the share, ann as its owner.
  json::array incoming = Items(Bob("GET", "/api/v1/shares?direction=incoming"));
  ASSERT_EQ(incoming.size(), 1u);
  EXPECT_EQ(Str(incoming[0].at("id")), to_bob);
  EXPECT_EQ(incoming[0].at("node").at("path"), "/A");
  EXPECT_EQ(incoming[0].at("node").at("permission"), "edit");
  EXPECT_EQ(incoming[0].at("node").at("owner").at("email"), "ann@example.com");
  EXPECT_EQ(Items(Carol("GET", "/api/v1/shares?direction=incoming")).size(), 2u);

  // The shares of one node (the share dialog): the owner's only.
  json::array of_a = Items(Api("GET", "/api/v1/shares?node_id=" + a));
  ASSERT_EQ(of_a.size(), 2u);
  EXPECT_EQ(of_a[0].at("grantee").at("email"), "bob@example.com");
  EXPECT_EQ(of_a[1].at("grantee").at("email"), "carol@example.com");
  EXPECT_EQ(Bob("GET", "/api/v1/shares?node_id=" + a).status, 403);
  EXPECT_EQ(Carol("GET", "/api/v1/shares?node_id=" + b).status, 403);
  EXPECT_EQ(ErrorCode(Bob("GET", "/api/v1/shares?node_id=" + b)), "not_found");

  // Renaming or moving a shared node, and restoring it from the trash, answers "shared": true
  // as GET does (QA pass 10, finding 16).
  HttpResponse renamed = Api("PATCH", "/api/v1/nodes/" + a, Rename("A2"));
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(BodyOf(renamed).at("shared"), true) << renamed.body;
  HttpResponse binned = Api("DELETE", "/api/v1/nodes/" + b);
  ASSERT_EQ(binned.status, 200) << binned.body;
  HttpResponse back =
      Api("POST", "/api/v1/trash/" + Str(BodyOf(binned).at("trash_item").at("id")) + "/restore");
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(BodyOf(back).at("node").at("shared"), true) << back.body;
  ASSERT_EQ(Api("PATCH", "/api/v1/nodes/" + a, Rename("A")).status, 200);

  // PATCH: the owner changes it; the recipient cannot raise it; a stranger gets 404.
  HttpResponse patched = Api("PATCH", "/api/v1/shares/" + to_bob, R"({"permission":"read"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(BodyOf(patched).at("permission"), "read");
  EXPECT_EQ(BodyOf(Bob("GET", "/api/v1/nodes/" + a)).at("permission"), "read");
  HttpResponse raise = Bob("PATCH", "/api/v1/shares/" + to_bob, R"({"permission":"edit"})");
  EXPECT_EQ(raise.status, 403) << raise.body;
  EXPECT_EQ(ErrorCode(raise), "forbidden");
  EXPECT_EQ(ErrorCode(Carol("PATCH", "/api/v1/shares/" + to_bob, R"({"permission":"edit"})")),
            "not_found");
  HttpResponse bad = Api("PATCH", "/api/v1/shares/" + to_bob, R"({"permission":"write"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(BodyOf(bad).at("error").at("message").as_string().find("read"), std::string::npos);
  EXPECT_EQ(ErrorCode(Api("PATCH", "/api/v1/shares/nope", R"({"permission":"read"})")),
            "not_found");

  // Contacts: the people ann has shared with, most recent first, by prefix in any case.
  auto contacts = [&](const std::string& q) {
    std::vector<std::string> out;
    for (const auto& e : Items(Api("GET", "/api/v1/contacts?q=" + q))) out.push_back(Str(e));
    return out;
  };
  EXPECT_EQ(contacts(""), (std::vector<std::string>{"carol@example.com", "bob@example.com"}));
  EXPECT_EQ(contacts("BO"), std::vector<std::string>{"bob@example.com"});
  EXPECT_TRUE(contacts("z").empty());
  EXPECT_TRUE(Items(Bob("GET", "/api/v1/contacts?q=a")).empty());
}

TEST_F(SharesApiTest, ReadRecipientOpensAndDownloadsButChangesNothing) {
  std::string docs = Folder("root", "Docs");
  std::string sub = Folder(docs, "sub");
  std::string file = File(docs, "a.txt", "hello");
  ShareWith(docs, "bob@example.com", "read");

  HttpResponse node = Bob("GET", "/api/v1/nodes/" + docs);
  ASSERT_EQ(node.status, 200) << node.body;
  EXPECT_EQ(BodyOf(node).at("permission"), "read");
  EXPECT_EQ(BodyOf(node).at("owner").at("email"), "ann@example.com");
  EXPECT_EQ(BodyOf(node).at("path"), "/Docs");
  // The shared folder's own folder is Ann's: Bob is not told its id.
  EXPECT_TRUE(BodyOf(node).at("parent_id").is_null()) << node.body;
  EXPECT_EQ(BodyOf(Bob("GET", "/api/v1/nodes/" + sub)).at("parent_id"), json::value(docs));
  EXPECT_EQ(Items(Bob("GET", "/api/v1/nodes/" + docs + "/children")).size(), 2u);
  HttpResponse download = Bob("GET", "/api/v1/nodes/" + file + "/content");
  EXPECT_EQ(download.status, 200);
  EXPECT_EQ(download.body, "hello");
  HttpResponse zip = Bob("GET", "/api/v1/nodes/" + docs + "/content");
  EXPECT_EQ(zip.status, 200);
  EXPECT_EQ(zip.HeaderOr("Content-Type"), "application/zip");
  EXPECT_EQ(zip.body.substr(0, 2), "PK");

  std::vector<std::pair<std::string, HttpResponse>> denied;
  denied.emplace_back("upload", PutAs(bob_, docs, "new.txt", "x"));
  denied.emplace_back("folder",
                      Bob("POST", "/api/v1/nodes/" + docs + "/folders", R"({"path":"n"})"));
  denied.emplace_back("rename", Bob("PATCH", "/api/v1/nodes/" + file, Rename("b.txt")));
  denied.emplace_back("move", Bob("PATCH", "/api/v1/nodes/" + file, MoveTo(sub)));
  denied.emplace_back("delete", Bob("DELETE", "/api/v1/nodes/" + file));
  // Nothing goes into a folder shared to view only: its space is not Bob's to see.
  denied.emplace_back("space", Bob("GET", "/api/v1/nodes/" + docs + "/space"));
  for (const auto& [what, r] : denied) {
    EXPECT_EQ(r.status, 403) << what << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), "forbidden") << what;
  }
  EXPECT_EQ(Items(Api("GET", "/api/v1/nodes/" + docs + "/children")).size(), 2u);
  EXPECT_EQ(Download(file).body, "hello");
}

// "Can edit" on a single file: its grantee uploads a new version of it (PUT to the file's id,
// no path), on the owner's space; "Can view" may not (QA pass 18: edit changed nothing).
TEST_F(SharesApiTest, AnEditGranteeOfOneFileReplacesItsContentInPlace) {
  std::string plan = File("root", "plan.txt", "hello");
  ShareWith(plan, "bob@example.com", "edit");
  ShareWith(plan, "carol@example.com", "read");

  HttpResponse v2 = PutInPlaceAs(bob_, plan, "hello, version 2");
  ASSERT_EQ(v2.status, 200) << v2.body;
  EXPECT_EQ(Str(BodyOf(v2).at("id")), plan);
  EXPECT_EQ(BodyOf(v2).at("name"), "plan.txt");
  EXPECT_EQ(BodyOf(v2).at("size"), 16);
  EXPECT_EQ(BodyOf(v2).at("owner").at("email"), "ann@example.com");
  EXPECT_EQ(Download(plan).body, "hello, version 2");
  EXPECT_EQ(UsedBytesOf(Api("GET", "/api/v1/me")), 16);
  EXPECT_EQ(Items(Api("GET", "/api/v1/nodes/root/children")).size(), 1u);
  // Ann's version from before Bob's is in her trash, deleted by Bob, as his delete would be (QA
  // pass 21a: a colleague's Replace destroyed the owner's file for good).
  json::array trash = Items(Api("GET", "/api/v1/trash"));
  ASSERT_EQ(trash.size(), 1u);
  const std::string kept = Str(trash[0].at("id"));
  EXPECT_EQ(Str(trash[0].at("name")), "plan.txt");
  EXPECT_EQ(Str(trash[0].at("original_path")), "/plan.txt");
  EXPECT_EQ(trash[0].at("size"), 5);
  EXPECT_EQ(Str(trash[0].at("deleted_by").at("email")), "bob@example.com");
  EXPECT_EQ(Usage().at("trash_bytes"), 5);

  // A read grantee may not; nor may anyone say "fail if it exists" with no path.
  HttpResponse carol = PutInPlaceAs(carol_, plan, "carol's");
  EXPECT_EQ(carol.status, 403) << carol.body;
  EXPECT_EQ(ErrorCode(carol), "forbidden");
  HttpResponse fail = PutInPlaceAs(bob_, plan, "x", "?on_conflict=fail");
  EXPECT_EQ(fail.status, 400) << fail.body;
  EXPECT_NE(fail.body.find("'path' is required"), std::string::npos) << fail.body;
  EXPECT_EQ(Download(plan).body, "hello, version 2");

  // The owner too, with If-Match for a safe update; a folder still needs a path.
  auto etag = Download(plan).HeaderOr("ETag");
  auto client = HttpClient::Connect(port());
  ASSERT_TRUE(client);
  HttpResponse stale =
      client
          ->Request(
              "PUT", "/api/v1/nodes/" + plan + "/content",
              {{"Cookie", me().cookie}, {"X-CSRF-Token", me().csrf}, {"If-Match", "\"not-it\""}},
              "v3")
          .value_or(HttpResponse{});
  EXPECT_EQ(stale.status, 412) << stale.body;
  HttpResponse v3 = PutInPlaceAs(me(), plan, "v3");
  EXPECT_EQ(v3.status, 200) << v3.body;
  EXPECT_NE(Download(plan).HeaderOr("ETag"), etag);
  std::string docs = Folder("root", "Docs");
  HttpResponse folder = PutInPlaceAs(me(), docs, "x");
  EXPECT_EQ(folder.status, 400) << folder.body;
  EXPECT_NE(folder.body.find("'path' is required"), std::string::npos) << folder.body;
  // The owner's own replace frees the old bytes (nothing more in the trash); Bob's kept
  // version comes back beside the current one.
  EXPECT_EQ(Items(Api("GET", "/api/v1/trash")).size(), 1u);
  HttpResponse restored = Api("POST", "/api/v1/trash/" + kept + "/restore");
  ASSERT_EQ(restored.status, 200) << restored.body;
  const std::string back = Str(BodyOf(restored).at("node").at("id"));
  EXPECT_EQ(Str(BodyOf(restored).at("node").at("name")), "plan (restored).txt");
  EXPECT_EQ(Download(back).body, "hello");
  EXPECT_EQ(Download(plan).body, "v3");
}

TEST_F(SharesApiTest, EditRecipientWorksInTheTreeOnTheOwnersSpaceAndTrash) {
  std::string team = Folder("root", "Team");
  std::string in = Folder(team, "in");
  std::string file = File(team, "a.txt", "abc");
  std::string share = ShareWith(team, "bob@example.com", "edit");
  const std::int64_t ann_before = Usage().at("used_bytes").as_int64();
  const std::int64_t bob_before = UsedBytesOf(Bob("GET", "/api/v1/me"));

  // Before sending a byte, Bob's client can see how much of Ann's space is free (a dropped
  // folder is checked against it, as against his own in his own folders).
  HttpResponse space = Bob("GET", "/api/v1/nodes/" + in + "/space");
  ASSERT_EQ(space.status, 200) << space.body;
  EXPECT_EQ(BodyOf(space).at("owner").at("email"), "ann@example.com");
  const json::object ann_usage = Usage();
  const std::int64_t ann_free =
      ann_usage.at("quota_bytes").as_int64() - ann_usage.at("used_bytes").as_int64() -
      ann_usage.at("trash_bytes").as_int64() - ann_usage.at("reserved_bytes").as_int64();
  EXPECT_EQ(BodyOf(space).at("free_bytes").as_int64(), ann_free) << space.body;
  EXPECT_EQ(BodyOf(space).at("quota_bytes"), ann_usage.at("quota_bytes"));
  HttpResponse own = Bob("GET", "/api/v1/nodes/root/space");
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(BodyOf(own).at("owner").at("email"), "bob@example.com");

  HttpResponse up = PutAs(bob_, team, "b.txt", std::string(1000, 'b'));
  ASSERT_EQ(up.status, 201) << up.body;
  EXPECT_EQ(BodyOf(Bob("GET", "/api/v1/nodes/" + team + "/space")).at("free_bytes").as_int64(),
            ann_free - 1000);
  std::string uploaded = IdOf(up);
  EXPECT_EQ(BodyOf(up).at("owner").at("email"), "ann@example.com");
  EXPECT_EQ(Usage().at("used_bytes").as_int64(), ann_before + 1000);
  EXPECT_EQ(UsedBytesOf(Bob("GET", "/api/v1/me")), bob_before);
  EXPECT_EQ(Bob("POST", "/api/v1/nodes/" + team + "/folders", R"({"path":"new"})").status, 201);
  HttpResponse renamed = Bob("PATCH", "/api/v1/nodes/" + file, Rename("a2.txt"));
  EXPECT_EQ(renamed.status, 200) << renamed.body;
  HttpResponse moved = Bob("PATCH", "/api/v1/nodes/" + file, MoveTo(in));
  EXPECT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(BodyOf(moved).at("path"), "/Team/in/a2.txt");
  HttpResponse out = Bob("PATCH", "/api/v1/nodes/" + file, MoveTo("root"));
  EXPECT_EQ(out.status, 400) << out.body;
  EXPECT_EQ(ErrorCode(out), "invalid_move");
  EXPECT_EQ(BodyOf(Api("GET", "/api/v1/nodes/" + file)).at("path"), "/Team/in/a2.txt");

  // The shared folder itself stays the owner's to rename, move or delete.
  for (const auto& r : {Bob("PATCH", "/api/v1/nodes/" + team, Rename("Mine")),
                        Bob("PATCH", "/api/v1/nodes/" + team, MoveTo(in)),
                        Bob("DELETE", "/api/v1/nodes/" + team)}) {
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(ErrorCode(r), "forbidden");
  }

  // A delete goes to ann's trash, not bob's.
  HttpResponse deleted = Bob("DELETE", "/api/v1/nodes/" + uploaded);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  json::array ann_trash = Items(Api("GET", "/api/v1/trash"));
  ASSERT_EQ(ann_trash.size(), 1u);
  EXPECT_EQ(Str(ann_trash[0].at("node_id")), uploaded);
  // It says who deleted it (QA pass 18: ann's trash did not, and it counts against her space).
  ASSERT_TRUE(ann_trash[0].as_object().contains("deleted_by")) << json::serialize(ann_trash);
  EXPECT_EQ(Str(ann_trash[0].at("deleted_by").at("email")), "bob@example.com");
  EXPECT_TRUE(Items(Bob("GET", "/api/v1/trash")).empty());
  const std::string mine = File("root", "mine.txt", "x");
  ASSERT_EQ(Api("DELETE", "/api/v1/nodes/" + mine).status, 200);
  for (const auto& t : Items(Api("GET", "/api/v1/trash"))) {
    if (Str(t.at("node_id")) == mine) {
      EXPECT_FALSE(t.as_object().contains("deleted_by"));
    }
  }

  // ann's space full: bob's upload is refused, naming whose space it is.
  SetAnnQuota(Usage().at("used_bytes").as_int64() + Usage().at("trash_bytes").as_int64() + 10);
  HttpResponse full = PutAs(bob_, team, "big.bin", std::string(1000, 'x'));
  EXPECT_EQ(full.status, 507) << full.body;
  EXPECT_EQ(ErrorCode(full), "quota_exceeded");
  EXPECT_NE(full.body.find("ann@example.com"), std::string::npos) << full.body;
  EXPECT_NE(full.body.find("is full: this upload needs"), std::string::npos) << full.body;
  EXPECT_NE(full.body.find("of their "), std::string::npos) << full.body;

  // ann sees what bob did, newest first, with bob as the actor.
  json::array activity = WaitForActivity(share, 5);
  std::vector<std::string> actions;
  for (const auto& e : activity) {
    actions.push_back(Str(e.at("action")));
    EXPECT_EQ(e.at("actor").at("email"), "bob@example.com");
  }
  ASSERT_GE(actions.size(), 5u);
  EXPECT_EQ(std::vector<std::string>(actions.begin(), actions.begin() + 5),
            (std::vector<std::string>{"delete", "move", "rename", "folder", "upload"}));
  EXPECT_EQ(Str(activity[0].at("node_id")), uploaded);
  EXPECT_EQ(activity[0].at("path"), "/Team/b.txt");
  EXPECT_GE(Str(activity[0].at("at")), Str(activity[4].at("at")));
  EXPECT_EQ(ErrorCode(Bob("GET", "/api/v1/shares/" + share + "/activity")), "forbidden");
  EXPECT_EQ(ErrorCode(Carol("GET", "/api/v1/shares/" + share + "/activity")), "not_found");
}

// An editable share inside a read-only one takes uploads by path from the outer folder, as by
// its own id; the read-only folder itself still refuses them (QA pass 10, finding 16).
TEST_F(SharesApiTest, APathUploadReachesAnEditableShareInsideAReadOnlyOne) {
  std::string nest = Folder("root", "nest");
  std::string inner = Folder(nest, "inner");
  ShareWith(nest, "bob@example.com", "read");
  ShareWith(inner, "bob@example.com", "edit");
  HttpResponse by_path = PutAs(bob_, nest, "inner/d2.txt", "two");
  EXPECT_EQ(by_path.status, 201) << by_path.body;
  HttpResponse deeper = PutAs(bob_, nest, "inner/new/d3.txt", "three");
  EXPECT_EQ(deeper.status, 201) << deeper.body;
  HttpResponse in_nest = PutAs(bob_, nest, "d4.txt", "four");
  EXPECT_EQ(in_nest.status, 403) << in_nest.body;
  HttpResponse beside = PutAs(bob_, nest, "other/d5.txt", "five");
  EXPECT_EQ(beside.status, 403) << beside.body;
  // What bob wrote is ann's, where the path says.
  HttpResponse listed = Api("GET", "/api/v1/resolve?path=" + UrlEncode("/nest/inner/new/d3.txt"));
  EXPECT_EQ(listed.status, 200) << listed.body;

  // inner is in nest, read-only for bob: he cannot rename, move or delete it (that changes nest),
  // though he edits inside it (QA pass 12, sharing finding 1).
  std::string other = Folder(nest, "other");
  for (const auto& r : {Bob("PATCH", "/api/v1/nodes/" + inner, Rename("inner2")),
                        Bob("PATCH", "/api/v1/nodes/" + inner, MoveTo(other)),
                        Bob("DELETE", "/api/v1/nodes/" + inner)}) {
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(ErrorCode(r), "forbidden");
    EXPECT_NE(r.body.find("'inner' is in 'nest', which is shared with you to view only"),
              std::string::npos)
        << r.body;
  }
  EXPECT_EQ(BodyOf(Api("GET", "/api/v1/nodes/" + inner)).at("path"), "/nest/inner");
  // Listed in nest, inner shows the higher of its permissions, as GET of it does (QA pass 13).
  bool listed_inner = false;
  for (const auto& item : Items(Bob("GET", "/api/v1/nodes/" + nest + "/children"))) {
    if (Str(item.at("id")) != inner) continue;
    listed_inner = true;
    EXPECT_EQ(Str(item.at("permission")), "edit");
  }
  EXPECT_TRUE(listed_inner);
  EXPECT_EQ(Str(BodyOf(Bob("GET", "/api/v1/nodes/" + inner)).at("permission")), "edit");
  std::string d2 = IdOf(Api("GET", "/api/v1/resolve?path=" + UrlEncode("/nest/inner/d2.txt")));
  HttpResponse renamed = Bob("PATCH", "/api/v1/nodes/" + d2, Rename("d2b.txt"));
  EXPECT_EQ(renamed.status, 200) << renamed.body;
  HttpResponse deleted = Bob("DELETE", "/api/v1/nodes/" + d2);
  EXPECT_EQ(deleted.status, 200) << deleted.body;
}

// A subfolder of a folder shared with bob: sharing it again with the same permission or less
// gives nothing and showed him less than what applies ("Can view" where he could edit, QA pass
// 18); it is refused, saying through which share he has it. More (edit inside a folder shared to
// view) is a real grant.
TEST_F(SharesApiTest, ASubfolderSharedAgainWithNoMoreThanItsParentGivesIsRefused) {
  std::string alpha = Folder("root", "Alpha");
  std::string specs = Folder(alpha, "Specs");
  std::string parent = ShareWith(alpha, "bob@example.com", "edit");
  for (const char* perm : {"read", "edit"}) {
    HttpResponse again = Api("POST", "/api/v1/shares", ShareBody(specs, "bob@example.com", perm));
    EXPECT_EQ(again.status, 409) << perm << ": " << again.body;
    EXPECT_EQ(ErrorCode(again), "already_shared");
    EXPECT_NE(again.body.find("bob@example.com can already edit 'Specs': it is inside 'Alpha'"),
              std::string::npos)
        << again.body;
  }
  ASSERT_EQ(Api("PATCH", "/api/v1/shares/" + parent, R"({"permission":"read"})").status, 200);
  HttpResponse same = Api("POST", "/api/v1/shares", ShareBody(specs, "bob@example.com", "read"));
  EXPECT_EQ(same.status, 409) << same.body;
  HttpResponse more = Api("POST", "/api/v1/shares", ShareBody(specs, "bob@example.com", "edit"));
  EXPECT_EQ(more.status, 201) << more.body;
  HttpResponse inside = Bob("GET", "/api/v1/nodes/" + specs);
  ASSERT_EQ(inside.status, 200) << inside.body;
  EXPECT_EQ(BodyOf(inside).at("permission"), "edit");
}

// A recipient who can edit is told when a public link of the owner shows the folder (on it or a
// folder above): what they add there is public too (QA pass 18: bob uploaded "internal
// salaries.txt" into a folder anyone with ann's link could open, and nothing said so).
TEST_F(SharesApiTest, ARecipientSeesWhenAPublicLinkShowsTheFolder) {
  std::string projects = Folder("root", "Projects");
  std::string alpha = Folder(projects, "Alpha");
  std::string specs = Folder(alpha, "Specs");
  ShareWith(alpha, "bob@example.com", "edit");
  auto public_for_bob = [&](const std::string& id) {
    HttpResponse r = Bob("GET", "/api/v1/nodes/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    const json::object o = BodyOf(r);
    return o.contains("public_link") && o.at("public_link").as_bool();
  };
  EXPECT_FALSE(public_for_bob(alpha));
  HttpResponse link =
      Api("POST", "/api/v1/links", json::serialize(json::object{{"node_id", projects}}));
  ASSERT_EQ(link.status, 201) << link.body;
  EXPECT_TRUE(public_for_bob(alpha)) << "a link on a folder above the share";
  EXPECT_TRUE(public_for_bob(specs));
  ASSERT_EQ(Api("DELETE", "/api/v1/links/" + Str(BodyOf(link).at("id"))).status, 204);
  EXPECT_FALSE(public_for_bob(alpha));
}

TEST_F(SharesApiTest, RevokeLeaveAndTrashEndAccessOnTheNextRequest) {
  std::string folder = Folder("root", "Shared");
  std::string child = File(folder, "c.txt", "see");
  auto bob_sees = [&] {
    return std::pair(Bob("GET", "/api/v1/nodes/" + folder).status,
                     Bob("GET", "/api/v1/nodes/" + child + "/content").status);
  };
  std::string share = ShareWith(folder, "bob@example.com", "read");
  EXPECT_EQ(bob_sees(), std::pair(200, 200));
  EXPECT_EQ(ErrorCode(Carol("DELETE", "/api/v1/shares/" + share)), "not_found");
  EXPECT_EQ(Api("DELETE", "/api/v1/shares/" + share).status, 204);  // Revoke.
  EXPECT_EQ(bob_sees(), std::pair(404, 404));
  EXPECT_TRUE(Items(Bob("GET", "/api/v1/shares?direction=incoming")).empty());
  EXPECT_EQ(ErrorCode(Api("DELETE", "/api/v1/shares/" + share)), "not_found");

  share = ShareWith(folder, "bob@example.com", "read");
  EXPECT_EQ(bob_sees(), std::pair(200, 200));
  EXPECT_EQ(Bob("DELETE", "/api/v1/shares/" + share).status, 204);  // Leave.
  EXPECT_EQ(bob_sees(), std::pair(404, 404));
  EXPECT_TRUE(Items(Api("GET", "/api/v1/shares?direction=outgoing")).empty());

  // Deleting the shared folder ends access; restoring it from the trash brings it back.
  share = ShareWith(folder, "bob@example.com", "read");
  HttpResponse trashed = Api("DELETE", "/api/v1/nodes/" + folder);
  ASSERT_EQ(trashed.status, 200) << trashed.body;
  EXPECT_EQ(bob_sees(), std::pair(404, 404));
  EXPECT_TRUE(Items(Bob("GET", "/api/v1/shares?direction=incoming")).empty());
  EXPECT_EQ(ErrorCode(Api("PATCH", "/api/v1/shares/" + share, R"({"permission":"edit"})")),
            "not_found");
  std::string item = Str(BodyOf(trashed).at("trash_item").at("id"));
  ASSERT_EQ(Api("POST", "/api/v1/trash/" + item + "/restore").status, 200);
  EXPECT_EQ(bob_sees(), std::pair(200, 200));
  json::array incoming = Items(Bob("GET", "/api/v1/shares?direction=incoming"));
  ASSERT_EQ(incoming.size(), 1u);
  EXPECT_EQ(Str(incoming[0].at("id")), share);
}

// A deletion cut short: the process was killed right after its first step, which disables the
// account and marks it as being deleted. It used to stay an ordinary disabled account whose files
// were gone, which an admin could enable into an account without a root folder (QA pass 18). It
// cannot be enabled, the list says so, and the next start of the server finishes it.
TEST_F(SharesApiTest, AnAccountDeletionCutShortIsFinishedAtTheNextStart) {
  ASSERT_EQ(PutAs(bob_, "root", "notes.txt", "bob's notes").status, 201);
  const std::string bob_id = Str(BodyOf(Bob("GET", "/api/v1/me")).at("id"));
  ASSERT_NO_FATAL_FAILURE(
      Sql(fmt::format("UPDATE users SET disabled = 1, closing_at = 1 WHERE id = {}", bob_id)));

  auto list = RunNimbus({"admin", "user", "list", "--data", data_dir()});
  ASSERT_TRUE(list);
  EXPECT_NE(list->out.find("deleting"), std::string::npos) << list->out;
  auto enable =
      RunNimbus({"admin", "user", "disable", "bob@example.com", "--enable", "--data", data_dir()});
  ASSERT_TRUE(enable);
  EXPECT_NE(enable->exit_code(), 0) << enable->out;
  EXPECT_NE(enable->err.find("was cut short"), std::string::npos) << enable->err;

  server().Terminate();
  ASSERT_TRUE(StartServer());
  auto bob_listed = [&] {
    auto users = RunNimbus({"admin", "user", "list", "--data", data_dir()});
    EXPECT_TRUE(users);
    return users && users->out.find("bob@example.com") != std::string::npos;
  };
  for (int i = 0; i < 100 && bob_listed(); ++i) {  // Finished in the background; bounded: 10 s.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE(bob_listed());
  EXPECT_EQ(Call("POST", "/api/v1/auth/login",
                 R"({"email":"bob@example.com","password":"correct horse battery"})")
                .status,
            401);
  // The address can sign up again, to a new, empty account.
  ASSERT_EQ(SignUp("bob@example.com").status, 201);
  Browser again = LogIn("bob@example.com");
  HttpResponse root = Call("GET", "/api/v1/nodes/root/children", "", &again);
  ASSERT_EQ(root.status, 200) << root.body;
  EXPECT_TRUE(Items(root).empty()) << root.body;
}

// DELETE /api/v1/me: bob deletes his account. His files, shares and links go; what was shared
// with him is no longer his; he can sign up again with the address, fresh (QA pass 12, sharing
// finding 5: there was no way to delete an account).
TEST_F(SharesApiTest, DeletingAnAccountRemovesItsFilesSharesAndLinksForGood) {
  std::string team = Folder("root", "Team");
  ShareWith(team, "bob@example.com", "read");
  HttpResponse bob_folder = Bob("POST", "/api/v1/nodes/root/folders", R"({"path":"BobStuff"})");
  ASSERT_EQ(bob_folder.status, 201) << bob_folder.body;
  const std::string stuff = IdOf(bob_folder);
  ASSERT_EQ(PutAs(bob_, stuff, "notes.txt", "bob's notes").status, 201);
  HttpResponse bob_share =
      Bob("POST", "/api/v1/shares", ShareBody(stuff, "carol@example.com", "edit"));
  ASSERT_EQ(bob_share.status, 201) << bob_share.body;
  HttpResponse bob_link =
      Bob("POST", "/api/v1/links", json::serialize(json::object{{"node_id", stuff}}));
  ASSERT_EQ(bob_link.status, 201) << bob_link.body;
  const std::string token = Str(BodyOf(bob_link).at("token"));
  ASSERT_EQ(Call("GET", "/api/v1/public/" + token).status, 200);

  // An unfinished resumable upload: its staged bytes go with the account (QA pass 13).
  HttpResponse tus = Call("POST", "/api/v1/uploads", "", &bob_, true,
                          {{"Tus-Resumable", "1.0.0"},
                           {"Upload-Length", "10"},
                           {"Upload-Metadata", "filename cGVuZGluZy5iaW4="}});  // pending.bin
  ASSERT_EQ(tus.status, 201) << tus.body;
  const std::string upload = tus.HeaderOr("Location");
  ASSERT_EQ(Call("PATCH", upload, "abc", &bob_, true,
                 {{"Tus-Resumable", "1.0.0"},
                  {"Content-Type", "application/offset+octet-stream"},
                  {"Upload-Offset", "0"}})
                .status,
            204);
  const std::string staged =
      data_dir() + "/uploads/" + upload.substr(std::string("/api/v1/uploads/").size());
  ASSERT_TRUE(std::filesystem::exists(staged)) << staged;

  HttpResponse wrong = Bob("DELETE", "/api/v1/me", R"({"password":"not my password"})");
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  EXPECT_EQ(ErrorCode(wrong), "invalid_credentials");
  EXPECT_EQ(Bob("GET", "/api/v1/nodes/" + stuff).status, 200) << "nothing deleted";
  EXPECT_EQ(
      Call("DELETE", "/api/v1/me", R"({"password":"correct horse battery"})", &bob_, false).status,
      403)
      << "CSRF";

  HttpResponse deleted = Bob("DELETE", "/api/v1/me", R"({"password":"correct horse battery"})");
  ASSERT_EQ(deleted.status, 204) << deleted.body;
  EXPECT_NE(deleted.HeaderOr("Set-Cookie").find("Max-Age=0"), std::string::npos)
      << deleted.HeaderOr("Set-Cookie");
  EXPECT_EQ(Bob("GET", "/api/v1/me").status, 401);
  EXPECT_FALSE(std::filesystem::exists(staged)) << staged;
  HttpResponse login = Call("POST", "/api/v1/auth/login",
                            R"({"email":"bob@example.com","password":"correct horse battery"})");
  EXPECT_EQ(login.status, 401) << login.body;
  EXPECT_EQ(Call("GET", "/api/v1/public/" + token).status, 404) << "his link ended";
  EXPECT_TRUE(Items(Carol("GET", "/api/v1/shares?direction=incoming")).empty())
      << "what he shared is gone";
  EXPECT_TRUE(Items(Api("GET", "/api/v1/shares?direction=outgoing")).empty())
      << "what was shared with him is no longer his";
  for (int i = 0; i < 100 && MailsTo("bob@example.com", "account was deleted") == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // The outbox sends it.
  }
  EXPECT_EQ(MailsTo("bob@example.com", "account was deleted"), 1u);

  // The address can sign up again: a new, empty account.
  ASSERT_EQ(SignUp("bob@example.com").status, 201);
  Browser again = LogIn("bob@example.com");
  HttpResponse root = Call("GET", "/api/v1/nodes/root/children", "", &again);
  ASSERT_EQ(root.status, 200) << root.body;
  EXPECT_TRUE(Items(root).empty()) << root.body;
  EXPECT_EQ(Call("GET", "/api/v1/nodes/" + stuff, "", &again).status, 404);

  // ann is the only administrator: she cannot delete herself.
  HttpResponse admin = Api("DELETE", "/api/v1/me", R"({"password":"correct horse battery"})");
  EXPECT_EQ(admin.status, 409) << admin.body;
  EXPECT_NE(admin.body.find("only administrator"), std::string::npos) << admin.body;
  EXPECT_EQ(Api("GET", "/api/v1/nodes/" + team).status, 200);

  // An operator deletes carol from the command line, next to the running server.
  ASSERT_EQ(PutAs(carol_, "root", "carol.txt", "carol's").status, 201);
  auto unsure = RunNimbus({"admin", "user", "delete", "carol@example.com", "--data", data_dir()});
  ASSERT_TRUE(unsure);
  EXPECT_EQ(unsure->exit_code(), 2);
  EXPECT_NE(unsure->err.find("--yes"), std::string::npos) << unsure->err;
  auto cli =
      RunNimbus({"admin", "user", "delete", "carol@example.com", "--yes", "--data", data_dir()});
  ASSERT_TRUE(cli);
  EXPECT_EQ(cli->exit_code(), 0) << cli->err;
  EXPECT_EQ(cli->out, "deleted the account carol@example.com and its files\n");
  EXPECT_EQ(Call("POST", "/api/v1/auth/login",
                 R"({"email":"carol@example.com","password":"correct horse battery"})")
                .status,
            401);
  auto unknown =
      RunNimbus({"admin", "user", "delete", "carol@example.com", "--yes", "--data", data_dir()});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->exit_code(), 2) << unknown->err;

  // And an admin from the admin page's API; anyone else gets 404.
  HttpResponse dave = SignUp("dave@example.com");
  ASSERT_EQ(dave.status, 201) << dave.body;
  const std::string dave_id = Str(BodyOf(dave).at("user").at("id"));
  EXPECT_EQ(Call("DELETE", "/api/v1/admin/users/" + dave_id, "", &again).status, 404);
  EXPECT_EQ(Api("DELETE", "/api/v1/admin/users/" + dave_id).status, 204);
  EXPECT_EQ(Api("DELETE", "/api/v1/admin/users/" + dave_id).status, 404);
  for (int i = 0; i < 100 && !AnyMailContains("deleted by an administrator of this Nimbus"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(AnyMailContains("deleted by an administrator of this Nimbus"));
  EXPECT_TRUE(AnyMailContains("deleted as you asked"));  // bob's, who deleted his own.
  EXPECT_EQ(Call("POST", "/api/v1/auth/login",
                 R"({"email":"dave@example.com","password":"correct horse battery"})")
                .status,
            401);
}

}  // namespace
}  // namespace nimbus::test
