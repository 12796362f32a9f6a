// The access-control sweep of issue 6 on the real server: user A creates one of everything
// (a folder with a file, a trash item, a tus upload in progress, a share with C, a public link,
// a personal token, a session), then user B, who has no share of any of it, calls every route
// whose template takes an id (read from the server's own "route METHOD /template" debug log, so
// a new endpoint is swept without touching this file) with A's id of the right kind. Each must
// answer 404: never 200, never 403 (which would tell that the id exists). A template whose
// prefix has no id kind below fails the test until one is added. Then A still sees everything
// as it was. C, A's grantee of the folder, gets the same 404s for everything outside it.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include <fmt/core.h>

#include <boost/beast/core/detail/base64.hpp>
#include <boost/json.hpp>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "integration/files_test_util.h"

namespace nimbus::test {
namespace {

namespace json = boost::json;

// A route of the server's log: "GET" and "/api/v1/nodes/{id}".
struct Route {
  std::string method;
  std::string pattern;
};

// The kinds of ids a route template can take, chosen by its prefix (the longest one wins).
enum class IdKind {
  kNode,
  kTrash,
  kShare,
  kLink,
  kUpload,
  kAdmin,
  kToken,
  kSession,
  kPublic,
  kInvoice
};

const std::vector<std::pair<std::string, IdKind>>& KindTable() {
  static const std::vector<std::pair<std::string, IdKind>> table = {
      {"/api/v1/nodes/", IdKind::kNode},      {"/api/v1/trash/", IdKind::kTrash},
      {"/api/v1/shares/", IdKind::kShare},    {"/api/v1/links/", IdKind::kLink},
      {"/api/v1/uploads/", IdKind::kUpload},  {"/api/v1/admin/", IdKind::kAdmin},
      {"/api/v1/me/tokens/", IdKind::kToken}, {"/api/v1/me/sessions/", IdKind::kSession},
      {"/api/v1/public/", IdKind::kPublic},   {"/api/v1/invoices/", IdKind::kInvoice},
  };
  return table;
}

std::optional<IdKind> KindOf(const std::string& pattern) {
  std::optional<IdKind> kind;
  std::size_t best = 0;
  for (const auto& [prefix, k] : KindTable()) {
    if (pattern.starts_with(prefix) && prefix.size() > best) {
      best = prefix.size();
      kind = k;
    }
  }
  return kind;
}

// Templates with a parameter that is not an id of someone's data, and why they are not swept.
bool NotAnId(const std::string& pattern) {
  // The web app's static files and WebDAV (a path below the caller's own root, never an id).
  return pattern.starts_with("/{*") || pattern == "/dav" || pattern.starts_with("/dav/");
}

std::string Base64(const std::string& in) {
  namespace b64 = boost::beast::detail::base64;
  std::string out(b64::encoded_size(in.size()), '\0');
  out.resize(b64::encode(out.data(), in.data(), in.size()));
  return out;
}

std::string Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

// A copy of the array `key` of a JSON answer (empty when absent): safe to loop over.
json::array Items(const HttpResponse& r, std::string_view key = "items") {
  json::object body = BodyOf(r);
  const json::value* v = body.if_contains(key);
  return v && v->is_array() ? v->as_array() : json::array();
}

class AccessSweepTest : public FilesTest {
 protected:
  void SetUp() override {
    FilesTest::SetUp();
    // JSON log lines at debug level: the server logs every route it registers.
    StartWithUser({{"NIMBUS_SERVER_LOG_LEVEL", "debug"}, {"NIMBUS_SERVER_LOG_FORMAT", "json"}},
                  "ann@example.com");
    ASSERT_NO_FATAL_FAILURE(SignUpConfirmed("bob@example.com"));
    bob_ = LogIn("bob@example.com");
    ASSERT_NO_FATAL_FAILURE(SignUpConfirmed("carol@example.com"));
  }

  // One request as `who` with exactly `headers` (plus cookie and CSRF token) and `body`.
  HttpResponse As(const Browser& who, const std::string& method, const std::string& target,
                  Headers headers = {}, const std::string& body = "") {
    headers.emplace_back("Cookie", who.cookie);
    headers.emplace_back("X-CSRF-Token", who.csrf);
    auto client = HttpClient::Connect(port());
    EXPECT_TRUE(client) << client.error().message;
    if (!client) return {};
    auto r = client->Request(method, target, headers, body, std::chrono::seconds(20));
    EXPECT_TRUE(r) << method << " " << target << ": " << r.error().message;
    return r.value_or(HttpResponse{});
  }

  // The routes the server registered, from its log.
  std::vector<Route> RouteTable() {
    std::vector<Route> routes;
    std::istringstream lines(server().Stderr());
    for (std::string line; std::getline(lines, line);) {
      boost::system::error_code ec;
      json::value v = json::parse(line, ec);
      if (ec || !v.is_object()) continue;
      std::string msg = Str(v.as_object(), "msg");
      if (!msg.starts_with("route ") || msg.contains(" is not in ")) continue;
      auto space = msg.find(' ', 6);
      if (space == std::string::npos) continue;
      routes.push_back({msg.substr(6, space - 6), msg.substr(space + 1)});
    }
    return routes;
  }

  // A tus request of `who`: Tus-Resumable and, for PATCH, the offset headers and one byte.
  HttpResponse Tus(const Browser& who, const std::string& method, const std::string& target,
                   Headers headers = {}) {
    headers.emplace_back("Tus-Resumable", "1.0.0");
    std::string body;
    if (method == "PATCH") {
      headers.emplace_back("Content-Type", "application/offset+octet-stream");
      headers.emplace_back("Upload-Offset", "0");
      body = "x";
    }
    return As(who, method, target, std::move(headers), body);
  }

  // `who`'s request on `target` (a template with its ids filled in) with what the route needs
  // to get past its own checks, so a 404 is not masked by a 400.
  HttpResponse Probe(const Browser& who, const std::string& method, const std::string& pattern,
                     const std::string& target) {
    if (pattern.starts_with("/api/v1/uploads")) return Tus(who, method, target);
    if (pattern.ends_with("/content") && method == "PUT") {
      return As(who, method, target + "?path=x.txt&on_conflict=replace",
                {{"Content-Type", "application/octet-stream"}}, "x");
    }
    if (method == "POST" || method == "PATCH" || method == "PUT") {
      json::object body{{"name", "x"}, {"parent_id", "root"}, {"permission", "edit"}, {"path", "x"},
                        {"with", "x"}, {"plan_gb", 10},       {"disabled", true}};
      return As(who, method, target, {{"Content-Type", "application/json"}}, json::serialize(body));
    }
    return As(who, method, target);
  }

  struct SweepResult {
    std::vector<std::string> wrong;      // "METHOD target (template): status body"
    std::vector<std::string> no_kind;    // Templates without an id kind.
    std::vector<std::string> not_swept;  // Routes of kinds whose ids could not be made yet.
    int calls = 0;
  };

  // Calls, as `who`, every route of the route log whose template takes an id, once per id of
  // its kind in `ids` (kinds absent from `ids` are left out), and lists every answer that is
  // not a 404 of the handler.
  SweepResult Sweep(const Browser& who, const std::map<IdKind, std::vector<std::string>>& ids) {
    SweepResult out;
    const std::vector<Route> routes = RouteTable();
    EXPECT_GE(routes.size(), 45u) << "the route log is missing or incomplete";
    const std::regex param(R"(\{[A-Za-z_*]+\})");
    for (const Route& route : routes) {
      if (!std::regex_search(route.pattern, param) || NotAnId(route.pattern)) continue;
      std::optional<IdKind> kind = KindOf(route.pattern);
      if (!kind) {
        out.no_kind.push_back("add an id kind for " + route.pattern);
        continue;
      }
      if (unbuilt_.contains(*kind)) {
        out.not_swept.push_back(route.method + " " + route.pattern + " (" + unbuilt_[*kind] + ")");
        continue;
      }
      auto of_kind = ids.find(*kind);
      if (of_kind == ids.end()) continue;
      std::vector<std::string> methods{route.method};
      if (route.method == "GET") methods.push_back("HEAD");  // Served by the GET route.
      for (const std::string& id : of_kind->second) {
        const std::string target = std::regex_replace(route.pattern, param, id);
        for (const std::string& method : methods) {
          HttpResponse r = Probe(who, method, route.pattern, target);
          ++out.calls;
          if (method == "OPTIONS") {
            // tus discovery: public and the same for every id, so it tells nothing about A's.
            HttpResponse any = Probe(who, method, route.pattern,
                                     std::regex_replace(route.pattern, param, "no-such-id"));
            if (r.status != any.status) {
              out.wrong.push_back(fmt::format("{} {}: {} but {} for an unknown id", method, target,
                                              r.status, any.status));
            }
            continue;
          }
          // A 404 of the router would mean the handler was never reached (the admin routes
          // answer a non-admin exactly as the router does, on purpose: they do not exist for
          // them).
          const bool router_404 =
              *kind != IdKind::kAdmin && r.body.contains("There is nothing at this address.");
          const bool leaks = r.body.contains("AnnPrivate") || r.body.contains("ann-secret");
          if (r.status != 404 || router_404 || leaks ||
              (method != "HEAD" && ErrorCode(r) != "not_found")) {
            out.wrong.push_back(fmt::format("{} {} ({}): {} {}", method, target, route.pattern,
                                            r.status, r.body.substr(0, 200)));
          }
        }
      }
    }
    return out;
  }

  // Creates what A owns and fills ids_ (kind → every id of that kind to try); kinds whose
  // creation endpoint is not built yet go to unbuilt_ with the answer.
  void CreateEverythingAsA() {
    me_id_ = Str(BodyOf(Api("GET", "/api/v1/me")), "id");
    root_id_ = Str(BodyOf(Api("GET", "/api/v1/me")), "root_id");
    HttpResponse folder = Api("POST", "/api/v1/nodes/root/folders", R"({"path":"AnnPrivate"})");
    ASSERT_EQ(folder.status, 201) << folder.body;
    folder_id_ = IdOf(folder);
    HttpResponse file = Put(folder_id_, "ann-secret.txt", "secret bytes of A");
    ASSERT_EQ(file.status, 201) << file.body;
    file_id_ = IdOf(file);

    HttpResponse doomed = Put("root", "trashed.txt", "deleted by A");
    ASSERT_EQ(doomed.status, 201) << doomed.body;
    HttpResponse trashed = Api("DELETE", "/api/v1/nodes/" + IdOf(doomed));
    ASSERT_EQ(trashed.status, 200) << trashed.body;
    trash_id_ = Str(BodyOf(trashed).at("trash_item").as_object(), "id");
    ids_[IdKind::kTrash] = {trash_id_};
    // A's folder, file, root, and a node in A's trash.
    trashed_node_id_ = IdOf(doomed);
    ids_[IdKind::kNode] = {folder_id_, file_id_, root_id_, trashed_node_id_};

    HttpResponse upload =
        Tus(me(), "POST", "/api/v1/uploads",
            {{"Upload-Length", "10"}, {"Upload-Metadata", "filename " + Base64("pending.bin")}});
    ASSERT_EQ(upload.status, 201) << upload.body;
    upload_path_ = upload.HeaderOr("Location");
    ASSERT_TRUE(upload_path_.starts_with("/api/v1/uploads/")) << upload_path_;
    HttpResponse part = As(me(), "PATCH", upload_path_,
                           {{"Tus-Resumable", "1.0.0"},
                            {"Content-Type", "application/offset+octet-stream"},
                            {"Upload-Offset", "0"}},
                           "abc");
    ASSERT_EQ(part.status, 204) << part.body;
    ids_[IdKind::kUpload] = {upload_path_.substr(std::string("/api/v1/uploads/").size())};

    HttpResponse token = Api("POST", "/api/v1/me/tokens", R"({"name":"sweep"})");
    ASSERT_EQ(token.status, 201) << token.body;
    token_id_ = Str(BodyOf(token), "id");
    ids_[IdKind::kToken] = {token_id_};
    for (const json::value& s : Items(Api("GET", "/api/v1/me/sessions"), "sessions")) {
      if (s.at("current").as_bool()) session_id_ = Str(s.as_object(), "id");
    }
    ASSERT_FALSE(session_id_.empty());
    ids_[IdKind::kSession] = {session_id_};
    ids_[IdKind::kAdmin] = {me_id_};
    ids_[IdKind::kPublic] = {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};  // Random: no link.

    json::object share{
        {"node_id", folder_id_}, {"email", "carol@example.com"}, {"permission", "edit"}};
    HttpResponse shared = Api("POST", "/api/v1/shares", json::serialize(share));
    if (shared.status == 201) {
      share_id_ = Str(BodyOf(shared), "id");
      ids_[IdKind::kShare] = {share_id_};
      // B is a grantee of A too, of another folder: that must not open A's other nodes.
      HttpResponse other = Api("POST", "/api/v1/nodes/root/folders", R"({"path":"For Bob"})");
      ASSERT_EQ(other.status, 201) << other.body;
      json::object to_bob{
          {"node_id", IdOf(other)}, {"email", "bob@example.com"}, {"permission", "edit"}};
      HttpResponse bob_share = Api("POST", "/api/v1/shares", json::serialize(to_bob));
      EXPECT_EQ(bob_share.status, 201) << bob_share.body;
    } else {
      ASSERT_EQ(shared.status, 503) << "POST /api/v1/shares: " << shared.body;
      unbuilt_[IdKind::kShare] = "POST /api/v1/shares answered 503 " + ErrorCode(shared);
    }
    // A's first paid plan issues an invoice at once (issue 7).
    HttpResponse plan = Api("PUT", "/api/v1/plan", R"({"size_gb":10})");
    ASSERT_EQ(plan.status, 200) << "PUT /api/v1/plan: " << plan.body;
    ids_[IdKind::kInvoice] = {Str(BodyOf(plan).at("invoice").as_object(), "id")};
    usage_ = json::serialize(Usage());
    HttpResponse link =
        Api("POST", "/api/v1/links", json::serialize(json::object{{"node_id", folder_id_}}));
    if (link.status == 201) {
      link_id_ = Str(BodyOf(link), "id");
      link_token_ = Str(BodyOf(link), "token");
      ids_[IdKind::kLink] = {link_id_};
    } else {
      ASSERT_EQ(link.status, 503) << "POST /api/v1/links: " << link.body;
      unbuilt_[IdKind::kLink] = "POST /api/v1/links answered 503 " + ErrorCode(link);
      unbuilt_[IdKind::kPublic] = unbuilt_[IdKind::kLink];  // The same helper writes both.
    }
  }

  // The names in A's folder `id`.
  std::set<std::string> ChildNames(const std::string& id) {
    HttpResponse children = Api("GET", "/api/v1/nodes/" + id + "/children");
    EXPECT_EQ(children.status, 200) << children.body;
    std::set<std::string> names;
    for (const json::value& item : Items(children)) names.insert(Str(item.as_object(), "name"));
    return names;
  }

  // What A must still see after B's calls.
  void ExpectAUntouched() {
    HttpResponse folder = Api("GET", "/api/v1/nodes/" + folder_id_);
    EXPECT_EQ(folder.status, 200) << folder.body;
    EXPECT_EQ(Str(BodyOf(folder), "name"), "AnnPrivate");
    EXPECT_EQ(ChildNames(folder_id_), std::set<std::string>{"ann-secret.txt"})
        << "B changed A's folder";
    std::set<std::string> top = ChildNames("root");
    top.erase("For Bob");
    EXPECT_EQ(top, std::set<std::string>{"AnnPrivate"}) << "B changed A's root folder";
    EXPECT_EQ(json::serialize(Usage()), usage_) << "A's usage changed";
    HttpResponse bytes = Download(file_id_);
    EXPECT_EQ(bytes.status, 200);
    EXPECT_EQ(bytes.body, "secret bytes of A");
    HttpResponse trash = Api("GET", "/api/v1/trash");
    ASSERT_EQ(trash.status, 200) << trash.body;
    std::set<std::string> trash_ids;
    for (const json::value& item : Items(trash)) {
      trash_ids.insert(Str(item.as_object(), "id"));
    }
    EXPECT_EQ(trash_ids, std::set<std::string>{trash_id_}) << trash.body;
    HttpResponse upload = Tus(me(), "HEAD", upload_path_);
    EXPECT_EQ(upload.status, 200);
    EXPECT_EQ(upload.HeaderOr("Upload-Offset"), "3");
    HttpResponse tokens = Api("GET", "/api/v1/me/tokens");
    EXPECT_TRUE(tokens.body.contains(token_id_)) << tokens.body;
    HttpResponse sessions = Api("GET", "/api/v1/me/sessions");  // A's session still works.
    EXPECT_EQ(sessions.status, 200) << sessions.body;
    HttpResponse usage = Api("GET", "/api/v1/me/usage");
    EXPECT_EQ(usage.status, 200) << usage.body;
    if (!share_id_.empty()) {
      HttpResponse shares = Api("GET", "/api/v1/shares?direction=outgoing");
      EXPECT_EQ(shares.status, 200) << shares.body;
      EXPECT_TRUE(shares.body.contains(share_id_)) << shares.body;
      EXPECT_TRUE(shares.body.contains("\"edit\"")) << shares.body;
    }
    if (!link_id_.empty()) {
      HttpResponse links = Api("GET", "/api/v1/links");
      EXPECT_EQ(links.status, 200) << links.body;
      EXPECT_TRUE(links.body.contains(link_id_)) << links.body;
    }
  }

  Browser bob_;
  std::string me_id_, root_id_, folder_id_, file_id_, trash_id_, upload_path_, token_id_,
      session_id_, share_id_, link_id_, trashed_node_id_, link_token_;
  std::string usage_;  // A's usage (as JSON) once everything is made.
  std::map<IdKind, std::vector<std::string>> ids_;
  std::map<IdKind, std::string> unbuilt_;  // Kinds whose creation route is still a stub.
};

TEST_F(AccessSweepTest, EveryRouteWithAnIdAnswers404ToAnotherUser) {
  CreateEverythingAsA();
  if (HasFatalFailure()) return;
  SweepResult sweep = Sweep(bob_, ids_);
  if (HasFatalFailure()) return;
  EXPECT_TRUE(sweep.no_kind.empty()) << ::testing::PrintToString(sweep.no_kind);
  EXPECT_TRUE(sweep.wrong.empty()) << "B reached A's data (must be 404):\n"
                                   << ::testing::PrintToString(sweep.wrong);
  EXPECT_GE(sweep.calls, 40);
  ExpectAUntouched();
  if (!sweep.not_swept.empty() && !HasFailure()) {
    GTEST_SKIP() << sweep.calls << " calls answered as they must; NOT swept yet (endpoint a stub): "
                 << ::testing::PrintToString(sweep.not_swept);
  }
}

// C has an edit share of A's folder: inside it C works (the shares tests cover that); A's root,
// trash, uploads, tokens, sessions and links stay as invisible to C as to anyone.
TEST_F(AccessSweepTest, AGranteeReachesNothingOutsideTheSharedFolder) {
  CreateEverythingAsA();
  if (HasFatalFailure()) return;
  if (share_id_.empty()) GTEST_SKIP() << unbuilt_[IdKind::kShare];
  const Browser carol = LogIn("carol@example.com");
  ASSERT_EQ(As(carol, "GET", "/api/v1/nodes/" + file_id_).status, 200) << "the share works";
  std::map<IdKind, std::vector<std::string>> outside = ids_;
  outside[IdKind::kNode] = {root_id_, trashed_node_id_};
  outside.erase(IdKind::kShare);  // C's own share: leaving it is C's right.
  SweepResult sweep = Sweep(carol, outside);
  if (HasFatalFailure()) return;
  EXPECT_TRUE(sweep.wrong.empty()) << "C reached A's data outside the share (must be 404):\n"
                                   << ::testing::PrintToString(sweep.wrong);
  EXPECT_GE(sweep.calls, 30);
  ExpectAUntouched();
}

// A visitor of A's link to the folder (no session) names nodes by ?id= on the public routes:
// inside the folder that works, anything else (A's root, a trashed node, another user's file)
// is 404.
TEST_F(AccessSweepTest, ALinkVisitorReachesNothingOutsideTheLinkedFolder) {
  CreateEverythingAsA();
  if (HasFatalFailure()) return;
  if (link_token_.empty()) GTEST_SKIP() << unbuilt_[IdKind::kLink];
  HttpResponse own = As(bob_, "PUT", "/api/v1/nodes/root/content?path=b.txt",
                        {{"Content-Type", "application/octet-stream"}}, "bob");
  ASSERT_EQ(own.status, 201) << own.body;
  const Browser visitor;  // No cookie.
  const std::string base = "/api/v1/public/" + link_token_;
  HttpResponse inside = As(visitor, "GET", base + "/content?id=" + file_id_);
  ASSERT_EQ(inside.status, 200) << "the link works: " << inside.body;
  EXPECT_EQ(inside.body, "secret bytes of A");
  std::vector<std::string> wrong;
  for (const std::string& id : {root_id_, trashed_node_id_, IdOf(own)}) {
    // (GET /public/{token} itself takes no id: it always describes the link's node.)
    for (const std::string path : {"/children", "/content"}) {
      HttpResponse r = As(visitor, "GET", base + path + "?id=" + id);
      if (r.status != 404 || ErrorCode(r) != "not_found") {
        wrong.push_back(
            fmt::format("GET {}{}?id={}: {} {}", base, path, id, r.status, r.body.substr(0, 200)));
      }
    }
  }
  EXPECT_TRUE(wrong.empty()) << ::testing::PrintToString(wrong);
  ExpectAUntouched();
}

TEST_F(AccessSweepTest, IdsInBodiesAndQueriesDoNotReachAnotherUsersNodes) {
  CreateEverythingAsA();
  if (HasFatalFailure()) return;
  // B's own file, to copy or move into A's folder.
  HttpResponse own = As(bob_, "PUT", "/api/v1/nodes/root/content?path=b.txt",
                        {{"Content-Type", "application/octet-stream"}}, "bob");
  ASSERT_EQ(own.status, 201) << own.body;
  const std::string own_id = IdOf(own);
  const Headers json_type{{"Content-Type", "application/json"}};
  const std::string into_a = json::serialize(json::object{{"parent_id", folder_id_}});

  HttpResponse copy = As(bob_, "POST", "/api/v1/nodes/" + own_id + "/copy", json_type, into_a);
  EXPECT_EQ(copy.status, 404) << "copy into A's folder: " << copy.body;
  HttpResponse move = As(bob_, "PATCH", "/api/v1/nodes/" + own_id, json_type, into_a);
  EXPECT_EQ(move.status, 404) << "move into A's folder: " << move.body;
  HttpResponse tus = Tus(
      bob_, "POST", "/api/v1/uploads",
      {{"Upload-Length", "3"},
       {"Upload-Metadata", "parent_id " + Base64(folder_id_) + ",filename " + Base64("in-a.bin")}});
  EXPECT_EQ(tus.status, 404) << "tus upload into A's folder: " << tus.body;

  std::vector<std::string> unbuilt;
  const std::string node_query = "?node_id=" + folder_id_;
  for (const std::string list : {"/api/v1/shares", "/api/v1/links"}) {
    HttpResponse r = As(bob_, "GET", list + node_query);
    if (r.status == 503) {
      unbuilt.push_back("GET " + list + " (503)");
      continue;
    }
    // Not leaking: 404 as for any node B cannot see, or an empty list.
    if (r.status == 200) {
      EXPECT_TRUE(Items(r).empty()) << list << ": " << r.body;
    } else {
      EXPECT_EQ(r.status, 404) << list << ": " << r.body;
    }
    // Creating one on A's node: B must not share or publish it.
    json::object create{
        {"node_id", folder_id_}, {"email", "carol@example.com"}, {"permission", "read"}};
    HttpResponse made = As(bob_, "POST", list, json_type, json::serialize(create));
    EXPECT_EQ(made.status, 404) << "POST " << list << " on A's folder: " << made.body;
  }
  ExpectAUntouched();
  if (!unbuilt.empty() && !HasFailure()) {
    GTEST_SKIP() << "not checked yet (endpoint a stub): " << ::testing::PrintToString(unbuilt);
  }
}

}  // namespace
}  // namespace nimbus::test
