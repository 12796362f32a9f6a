// SPDX-License-Identifier: AGPL-3.0-or-later
#include "http/router.h"

#include <gtest/gtest.h>

namespace nimbus::http {
namespace {

net::awaitable<Response> Ok(Request&) { co_return EmptyResponse(204); }

Router MakeRouter() {
  Router r;
  r.Add(Method::kGet, "/api/v1/nodes/{id}", &Ok);
  r.Add(Method::kPatch, "/api/v1/nodes/{id}", &Ok);
  r.Add(Method::kDelete, "/api/v1/nodes/{id}", &Ok);
  r.Add(Method::kPut, "/api/v1/nodes/{id}/content", &Ok);
  r.Add(Method::kGet, "/api/v1/nodes/{id}/content", &Ok);
  r.Add(Method::kGet, "/api/v1/nodes/root", &Ok);
  r.Add(Method::kGet, "/api/v1/trash", &Ok);
  r.Add(Method::kPost, "/api/v1/trash/{id}/restore", &Ok);
  r.Add(Method::kPropfind, "/dav/{*rest}", &Ok);
  r.Add(Method::kGet, "/dav/{*rest}", &Ok);
  r.Add(Method::kGet, "/", &Ok);
  return r;
}

std::string Param(const RouteMatch& m, std::string_view name) {
  for (const auto& [k, v] : m.params) {
    if (k == name) return v;
  }
  return "<missing>";
}

TEST(Router, MatchesLiteralRoutesAndReportsTheTemplate) {
  Router r = MakeRouter();
  RouteMatch m = r.Match(Method::kGet, "/api/v1/trash");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kMatched);
  EXPECT_EQ(m.route->pattern, "/api/v1/trash");
  EXPECT_TRUE(m.params.empty());
  EXPECT_EQ(r.Match(Method::kGet, "/").kind, RouteMatch::Kind::kMatched);
}

TEST(Router, ExtractsDecodedPathParametersAndKeepsTheTemplate) {
  Router r = MakeRouter();
  RouteMatch m = r.Match(Method::kPost, "/api/v1/trash/ab%20c%2Fd/restore");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kMatched);
  EXPECT_EQ(m.route->pattern, "/api/v1/trash/{id}/restore");
  EXPECT_EQ(Param(m, "id"), "ab c/d");  // %2F stays inside the one segment.
}

TEST(Router, LiteralSegmentWinsOverParameter) {
  Router r = MakeRouter();
  RouteMatch root = r.Match(Method::kGet, "/api/v1/nodes/root");
  ASSERT_EQ(root.kind, RouteMatch::Kind::kMatched);
  EXPECT_EQ(root.route->pattern, "/api/v1/nodes/root");
  // Another method on the same path falls back to the parameter route.
  RouteMatch patch = r.Match(Method::kPatch, "/api/v1/nodes/root");
  ASSERT_EQ(patch.kind, RouteMatch::Kind::kMatched);
  EXPECT_EQ(patch.route->pattern, "/api/v1/nodes/{id}");
  EXPECT_EQ(Param(patch, "id"), "root");
}

TEST(Router, WildcardTakesTheRestOfThePathIncludingNothing) {
  Router r = MakeRouter();
  RouteMatch m = r.Match(Method::kPropfind, "/dav/Photos/2024/a%20b.jpg");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kMatched);
  EXPECT_EQ(m.route->pattern, "/dav/{*rest}");
  EXPECT_EQ(Param(m, "rest"), "Photos/2024/a b.jpg");
  RouteMatch empty = r.Match(Method::kPropfind, "/dav");
  ASSERT_EQ(empty.kind, RouteMatch::Kind::kMatched);
  EXPECT_EQ(Param(empty, "rest"), "");
  RouteMatch slash = r.Match(Method::kPropfind, "/dav/");
  ASSERT_EQ(slash.kind, RouteMatch::Kind::kMatched);
  EXPECT_EQ(Param(slash, "rest"), "");
}

TEST(Router, WrongMethodOnAKnownPathIsMethodNotAllowedWithAllow) {
  Router r = MakeRouter();
  RouteMatch m = r.Match(Method::kPost, "/api/v1/nodes/42");
  EXPECT_EQ(m.kind, RouteMatch::Kind::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET, HEAD, PATCH, DELETE, OPTIONS");
  EXPECT_EQ(m.pattern, "/api/v1/nodes/{id}");
  RouteMatch put_only = r.Match(Method::kDelete, "/api/v1/trash/1/restore");
  EXPECT_EQ(put_only.kind, RouteMatch::Kind::kMethodNotAllowed);
  EXPECT_EQ(put_only.allow, "POST, OPTIONS");
}

TEST(Router, HeadIsServedByTheGetRoute) {
  Router r = MakeRouter();
  RouteMatch m = r.Match(Method::kHead, "/api/v1/nodes/7/content");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kMatched);
  EXPECT_EQ(m.route->method, Method::kGet);
  EXPECT_EQ(Param(m, "id"), "7");
}

TEST(Router, UnknownPathsAndBadEscapesAreNotFound) {
  Router r = MakeRouter();
  EXPECT_EQ(r.Match(Method::kGet, "/api/v1/nope").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(r.Match(Method::kGet, "/api/v1/nodes").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(r.Match(Method::kGet, "/api/v1/nodes/1/content/x").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(r.Match(Method::kGet, "/api/v1/nodes/%zz").kind, RouteMatch::Kind::kNotFound);
  // An empty parameter segment does not match {id}.
  EXPECT_EQ(r.Match(Method::kGet, "/api/v1/nodes//content").kind, RouteMatch::Kind::kNotFound);
}

TEST(Request, ParsesTargetPathQueryAndHeaders) {
  Request req;
  ASSERT_TRUE(req.SetTarget("/a%20b/c?limit=10&q=x+y%26z&flag&empty=&limit=20"));
  EXPECT_EQ(req.path(), "/a b/c");
  EXPECT_EQ(req.raw_query(), "limit=10&q=x+y%26z&flag&empty=&limit=20");
  EXPECT_EQ(req.query("limit"), "10");
  EXPECT_EQ(req.query("q"), "x y&z");
  EXPECT_EQ(req.query("flag"), "");
  EXPECT_EQ(req.query("empty"), "");
  EXPECT_EQ(req.query("missing"), std::nullopt);
  req.AddHeader("If-None-Match", "\"abc\"");
  EXPECT_EQ(req.header("if-none-match"), "\"abc\"");
  EXPECT_TRUE(req.has_header("IF-NONE-MATCH"));
  EXPECT_EQ(req.header("X-Missing"), "");
  EXPECT_FALSE(req.SetTarget("/bad%2"));
  EXPECT_FALSE(req.SetTarget("http://example.com/"));
}

TEST(Request, AttributesAreTyped) {
  struct User {
    std::string id;
  };
  Request req;
  EXPECT_EQ(req.Get<User>(), nullptr);
  req.Set(User{"u1"});
  ASSERT_NE(req.Get<User>(), nullptr);
  EXPECT_EQ(req.Get<User>()->id, "u1");
  EXPECT_EQ(req.Get<int>(), nullptr);
}

TEST(Response, ErrorResponseHidesFiveHundredDetailsAndKeepsFourHundredMessages) {
  Response r409 = ErrorResponse(Error{Errc::kNameTaken, "'a.txt' exists"});
  EXPECT_EQ(r409.status, 409);
  EXPECT_EQ(std::get<std::string>(r409.body),
            R"({"error":{"code":"name_taken","message":"'a.txt' exists"}})");
  Response r500 = ErrorResponse(Error{Errc::kIoError, "disk a1: EIO at /srv/x"}, "rid1");
  EXPECT_EQ(r500.status, 500);
  const std::string& body = std::get<std::string>(r500.body);
  EXPECT_EQ(body.find("/srv/x"), std::string::npos);
  EXPECT_NE(body.find("rid1"), std::string::npos);
  EXPECT_NE(body.find("\"code\":\"io_error\""), std::string::npos);
  EXPECT_EQ(r500.header("content-type"), "application/json; charset=utf-8");
  // A database constraint is not shown as SQL (a user deleted meanwhile, say).
  Response fk = ErrorResponse(
      Error{Errc::kConflict, "sqlite: FOREIGN KEY constraint failed (787) in: INSERT INTO x"});
  EXPECT_EQ(fk.status, 409);
  const std::string& fk_body = std::get<std::string>(fk.body);
  EXPECT_EQ(fk_body.find("FOREIGN KEY"), std::string::npos) << fk_body;
  EXPECT_NE(fk_body.find("changed or deleted meanwhile"), std::string::npos) << fk_body;
}

}  // namespace
}  // namespace nimbus::http
