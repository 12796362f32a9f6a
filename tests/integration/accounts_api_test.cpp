// SPDX-License-Identifier: AGPL-3.0-or-later
// The accounts API against the real binary: sessions, API tokens (Bearer), password change,
// the admin users endpoints, and `nimbus admin user`.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/accounts_test_util.h"

namespace nimbus::test {
namespace {

namespace json = boost::json;

TEST_F(AccountsTest, SessionsListedAndEndedOneOrAllButCurrent) {
  Start();
  ASSERT_EQ(SignUp("ann@example.com").status, 201);
  Browser here = LogIn("ann@example.com");
  Browser there = LogIn("ann@example.com");
  Browser third = LogIn("ann@example.com");
  HttpResponse list = Call("GET", "/api/v1/me/sessions", "", &here);
  ASSERT_EQ(list.status, 200) << list.body;
  auto sessions = BodyOf(list).at("sessions").as_array();
  ASSERT_EQ(sessions.size(), 3u);
  int current = 0;
  std::string other_id;
  for (const auto& s : sessions) {
    EXPECT_EQ(s.at("ip").as_string(), "127.0.0.1");
    EXPECT_FALSE(s.at("last_seen_at").as_string().empty());
    if (s.at("current").as_bool()) {
      ++current;
    } else {
      other_id = s.at("id").as_string().c_str();
    }
  }
  EXPECT_EQ(current, 1);
  EXPECT_EQ(Call("DELETE", "/api/v1/me/sessions/" + other_id, "", &here).status, 204);
  EXPECT_EQ(Call("DELETE", "/api/v1/me/sessions/" + other_id, "", &here).status, 404);
  EXPECT_EQ(Call("DELETE", "/api/v1/me/sessions", "", &here, false).status, 403) << "CSRF";
  EXPECT_EQ(Call("DELETE", "/api/v1/me/sessions", "", &here).status, 204);
  EXPECT_EQ(Call("GET", "/api/v1/me", "", &there).status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/me", "", &third).status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/me", "", &here).status, 200) << "the current session stays";
}

TEST_F(AccountsTest, PasswordChangeNeedsTheCurrentOneAndEndsOtherSessions) {
  Start();
  ASSERT_EQ(SignUp("ann@example.com").status, 201);
  Browser here = LogIn("ann@example.com");
  Browser there = LogIn("ann@example.com");
  HttpResponse wrong = Call(
      "POST", "/api/v1/me/password",
      R"({"current_password":"nope nope nope","new_password":"a brand new passphrase"})", &here);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(ErrorCode(wrong), "invalid_credentials");
  HttpResponse weak =
      Call("POST", "/api/v1/me/password",
           R"({"current_password":"correct horse battery","new_password":"password1"})", &here);
  EXPECT_EQ(ErrorCode(weak), "weak_password");
  HttpResponse same =
      Call("POST", "/api/v1/me/password",
           R"({"current_password":"correct horse battery","new_password":"correct horse battery"})",
           &here);
  EXPECT_EQ(same.status, 400) << "the same password is no change (QA pass 15)";
  EXPECT_EQ(ErrorCode(same), "weak_password");
  EXPECT_EQ(Call("GET", "/api/v1/me", "", &there).status, 200) << "nothing was changed";
  EXPECT_EQ(
      Call(
          "POST", "/api/v1/me/password",
          R"({"current_password":"correct horse battery","new_password":"a brand new passphrase"})",
          &here)
          .status,
      204);
  EXPECT_EQ(Call("GET", "/api/v1/me", "", &here).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/me", "", &there).status, 401);
}

// Wrong current passwords count as failed sign-ins of the account: a stolen session or token
// cannot be used to guess the password without limit (QA pass 10, finding 11).
TEST_F(AccountsTest, CurrentPasswordGuessesAreLimitedLikeSignIns) {
  Start({{"NIMBUS_ACCOUNTS_LOGIN_MAX_FAILURES", "3"}});
  ASSERT_EQ(SignUp("ann@example.com").status, 201);
  Browser b = LogIn("ann@example.com");
  for (int i = 0; i < 3; ++i) {
    HttpResponse wrong =
        Call("POST", "/api/v1/me/password",
             fmt::format(
                 R"({{"current_password":"guess {}","new_password":"a brand new passphrase"}})", i),
             &b);
    EXPECT_EQ(wrong.status, 401) << i << ": " << wrong.body;
  }
  HttpResponse limited = Call(
      "POST", "/api/v1/me/password",
      R"({"current_password":"correct horse battery","new_password":"a brand new passphrase"})",
      &b);
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(ErrorCode(limited), "too_many_attempts");
  EXPECT_FALSE(limited.HeaderOr("Retry-After").empty());
  // The same budget as signing in: the account's sign-in is limited too.
  HttpResponse login = Call("POST", "/api/v1/auth/login",
                            R"({"email":"ann@example.com","password":"correct horse battery"})");
  EXPECT_EQ(login.status, 429) << login.body;
}

TEST_F(AccountsTest, ApiTokensWorkAsBearerWithoutCsrfUntilRevoked) {
  Start();
  ASSERT_EQ(SignUp("ann@example.com").status, 201);
  Browser b = LogIn("ann@example.com");
  HttpResponse created = Call("POST", "/api/v1/me/tokens", R"({"name":"backup script"})", &b);
  ASSERT_EQ(created.status, 201) << created.body;
  auto t = BodyOf(created);
  const std::string secret = t.at("token").as_string().c_str();
  const std::string id = t.at("id").as_string().c_str();
  EXPECT_EQ(t.at("name").as_string(), "backup script");
  HttpResponse list = Call("GET", "/api/v1/me/tokens", "", &b);
  ASSERT_EQ(list.status, 200);
  auto tokens = BodyOf(list).at("tokens").as_array();
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].as_object().if_contains("token"), nullptr) << "shown once only";

  const Headers bearer = {{"Authorization", "Bearer " + secret}};
  HttpResponse me = Call("GET", "/api/v1/me", "", nullptr, false, bearer);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_TRUE(BodyOf(me).at("csrf_token").is_null());
  EXPECT_EQ(Call("PATCH", "/api/v1/me", R"({"name":"Scripted"})", nullptr, false, bearer).status,
            200)
      << "Bearer requests need no CSRF token";
  // A token cannot mint another (a leaked one would outlive its revocation; QA pass 12).
  HttpResponse minted =
      Call("POST", "/api/v1/me/tokens", R"({"name":"copy"})", nullptr, false, bearer);
  EXPECT_EQ(minted.status, 403) << minted.body;
  EXPECT_EQ(ErrorCode(minted), "forbidden");
  EXPECT_EQ(Call("DELETE", "/api/v1/me/tokens/" + id, "", &b).status, 204);
  HttpResponse revoked = Call("GET", "/api/v1/me", "", nullptr, false, bearer);
  EXPECT_EQ(revoked.status, 401);
  EXPECT_EQ(ErrorCode(revoked), "unauthenticated");
  EXPECT_EQ(Call("DELETE", "/api/v1/me/tokens/" + id, "", &b).status, 404);
}

TEST_F(AccountsTest, AdminDisablesAUserWhoIsLockedOutAtOnce) {
  Start();
  ASSERT_EQ(SignUp("ann@example.com").status, 201);
  HttpResponse bob_signup = SignUp("bob@example.com");
  ASSERT_EQ(bob_signup.status, 201);
  const std::string bob_id = BodyOf(bob_signup).at("user").at("id").as_string().c_str();
  Browser admin = LogIn("ann@example.com");
  Browser bob = LogIn("bob@example.com");

  HttpResponse hidden = Call("GET", "/api/v1/admin/users", "", &bob);
  EXPECT_EQ(hidden.status, 404) << "non-admins do not see admin routes";
  EXPECT_EQ(Call("PATCH", "/api/v1/admin/users/" + bob_id, R"({"is_admin":true})", &bob).status,
            404);
  EXPECT_EQ(Call("GET", "/api/v1/admin/users").status, 401);

  HttpResponse users = Call("GET", "/api/v1/admin/users", "", &admin);
  ASSERT_EQ(users.status, 200) << users.body;
  EXPECT_EQ(BodyOf(users).at("users").as_array().size(), 2u);
  EXPECT_TRUE(BodyOf(users).at("next_cursor").is_null());

  HttpResponse me = Call("GET", "/api/v1/me", "", &admin);
  const std::string admin_id = BodyOf(me).at("id").as_string().c_str();
  HttpResponse last =
      Call("PATCH", "/api/v1/admin/users/" + admin_id, R"({"is_admin":false})", &admin);
  EXPECT_EQ(last.status, 409) << "the last admin cannot demote themselves";
  EXPECT_EQ(ErrorCode(last), "conflict");

  HttpResponse token = Call("POST", "/api/v1/me/tokens", R"({"name":"sync"})", &bob);
  ASSERT_EQ(token.status, 201) << token.body;
  const std::string bearer = "Bearer " + std::string(BodyOf(token).at("token").as_string());
  HttpResponse disabled =
      Call("PATCH", "/api/v1/admin/users/" + bob_id, R"({"disabled":true})", &admin);
  ASSERT_EQ(disabled.status, 200) << disabled.body;
  EXPECT_TRUE(BodyOf(disabled).at("user").at("disabled").as_bool());
  EXPECT_EQ(Call("GET", "/api/v1/me", "", &bob).status, 401) << "sessions end at once";
  // Its API token says why (it said "invalid or has been revoked"), within the session cache.
  HttpResponse with_token;
  for (int i = 0; i < 100; ++i) {
    with_token = Call("GET", "/api/v1/me", "", nullptr, false, {{"Authorization", bearer}});
    if (with_token.status != 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(with_token.status, 403) << with_token.body;
  EXPECT_NE(with_token.body.find("This account is disabled"), std::string::npos) << with_token.body;
  EXPECT_EQ(Call("GET", "/healthz", "", nullptr, false, {{"Authorization", bearer}}).status, 200)
      << "public routes ignore it";
  HttpResponse login = Call("POST", "/api/v1/auth/login",
                            R"({"email":"bob@example.com","password":"correct horse battery"})");
  EXPECT_EQ(login.status, 403);
  EXPECT_NE(login.body.find("disabled"), std::string::npos) << login.body;

  ASSERT_EQ(Call("PATCH", "/api/v1/admin/users/" + bob_id, R"({"disabled":false})", &admin).status,
            200);
  Browser bob_again = LogIn("bob@example.com");
  // A field it does not know is refused, not answered 200 with nothing done.
  HttpResponse typo =
      Call("PATCH", "/api/v1/admin/users/" + bob_id, R"({"size_gb":5,"disabled":true})", &admin);
  EXPECT_EQ(typo.status, 400) << typo.body;
  EXPECT_NE(typo.body.find("Unknown field 'size_gb'"), std::string::npos) << typo.body;
  EXPECT_EQ(Call("GET", "/api/v1/me", "", &bob_again).status, 200) << "nothing was changed";
}

TEST_F(AccountsTest, RequiredVerificationRefusesLoginUntilTheLinkIsUsed) {
  Start({{"NIMBUS_ACCOUNTS_REQUIRE_EMAIL_VERIFICATION", "true"}});
  ASSERT_EQ(SignUp("ann@example.com").status, 201);
  HttpResponse r = Call("POST", "/api/v1/auth/login",
                        R"({"email":"ann@example.com","password":"correct horse battery"})");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ErrorCode(r), "email_unverified");
  const std::string token = WaitForToken("ann@example.com", "/verify-email");
  ASSERT_FALSE(token.empty());
  ASSERT_EQ(
      Call("POST", "/api/v1/auth/verify-email", json::serialize(json::object{{"token", token}}))
          .status,
      204);
  LogIn("ann@example.com");
}

TEST_F(AccountsTest, AdminUserCommands) {
  const std::string pw_file = tmp().File("pw");
  std::ofstream(pw_file) << "correct horse battery\n";
  // A data directory that does not exist (a mistyped --data) is refused; nothing is created.
  auto nowhere = RunNimbus({"admin", "user", "create", "ops@example.com", "--password-file",
                            pw_file, "--data", data_dir()});
  ASSERT_TRUE(nowhere);
  EXPECT_NE(nowhere->exit_code(), 0) << nowhere->out;
  EXPECT_NE(nowhere->err.find("there is no data directory " + data_dir()), std::string::npos)
      << nowhere->err;
  EXPECT_FALSE(std::filesystem::exists(data_dir()));
  std::filesystem::create_directories(data_dir());  // The operator's mkdir: set up as usual.
  auto created = RunNimbus({"admin", "user", "create", "Ops@Example.com", "--name", "Ops",
                            "--admin", "--password-file", pw_file, "--data", data_dir()});
  ASSERT_TRUE(created);
  ASSERT_EQ(created->exit_code(), 0) << created->err;
  EXPECT_NE(created->out.find("ops@example.com"), std::string::npos) << created->out;
  auto generated = RunNimbus({"admin", "user", "create", "eve@example.com", "--data", data_dir()});
  ASSERT_TRUE(generated);
  ASSERT_EQ(generated->exit_code(), 0) << generated->err;
  const auto pos = generated->out.find("password: ");
  ASSERT_NE(pos, std::string::npos) << generated->out;
  const std::string eve_pw =
      generated->out.substr(pos + 10, generated->out.find('\n', pos) - pos - 10);
  auto dup = RunNimbus({"admin", "user", "create", "eve@example.com", "--data", data_dir()});
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->exit_code(), 1);
  EXPECT_NE(dup->err.find("already exists"), std::string::npos) << dup->err;

  auto promote = RunNimbus({"admin", "user", "promote", "eve@example.com", "--data", data_dir()});
  ASSERT_TRUE(promote);
  EXPECT_EQ(promote->exit_code(), 0) << promote->err;
  EXPECT_EQ(promote->out, "eve@example.com is now an admin\n");
  auto again = RunNimbus({"admin", "user", "promote", "eve@example.com", "--data", data_dir()});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->exit_code(), 0) << again->err;
  EXPECT_EQ(again->out, "eve@example.com was already an admin\n");
  auto disable = RunNimbus({"admin", "user", "disable", "eve@example.com", "--data", data_dir()});
  ASSERT_TRUE(disable);
  EXPECT_EQ(disable->exit_code(), 0) << disable->err;
  EXPECT_EQ(disable->out, "eve@example.com is now disabled\n");
  auto disable_again =
      RunNimbus({"admin", "user", "disable", "eve@example.com", "--data", data_dir()});
  ASSERT_TRUE(disable_again);
  EXPECT_EQ(disable_again->out, "eve@example.com was already disabled\n");
  // Demoted and promoted back: the flags go both ways from the CLI.
  auto demote =
      RunNimbus({"admin", "user", "promote", "--demote", "eve@example.com", "--data", data_dir()});
  ASSERT_TRUE(demote);
  EXPECT_EQ(demote->out, "eve@example.com is now a regular user (not an admin)\n") << demote->err;
  ASSERT_TRUE(RunNimbus({"admin", "user", "promote", "eve@example.com", "--data", data_dir()}));
  auto unknown =
      RunNimbus({"admin", "user", "disable", "nobody@example.com", "--data", data_dir()});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->exit_code(), 2);

  auto list = RunNimbus({"admin", "user", "list", "--json", "--data", data_dir()});
  ASSERT_TRUE(list);
  ASSERT_EQ(list->exit_code(), 0) << list->err;
  auto users = json::parse(list->out).as_array();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].at("email").as_string(), "ops@example.com");
  EXPECT_TRUE(users[0].at("is_admin").as_bool());
  EXPECT_TRUE(users[0].at("email_verified").as_bool());
  EXPECT_TRUE(users[1].at("is_admin").as_bool());
  EXPECT_TRUE(users[1].at("disabled").as_bool());

  // A mistyped --data: the listing commands say there is no database there and create nothing
  // (found in an exploratory QA pass: they made an empty database and listed nothing).
  const std::string typo = data_dir() + "-typo";
  for (std::vector<std::string> cmd :
       std::vector<std::vector<std::string>>{{"admin", "user", "list"},
                                             {"admin", "disk", "list"},
                                             {"admin", "disk", "show", "a1"},
                                             {"admin", "invoice", "list"},
                                             {"admin", "job", "list"}}) {
    cmd.insert(cmd.end(), {"--data", typo});
    auto r = RunNimbus(cmd);
    ASSERT_TRUE(r);
    EXPECT_NE(r->exit_code(), 0) << cmd[1] << " " << cmd[2];
    EXPECT_NE(r->err.find("there is no data directory " + typo), std::string::npos) << r->err;
    EXPECT_FALSE(std::filesystem::exists(typo)) << cmd[1] << " " << cmd[2];
  }

  Start();
  LogIn("ops@example.com");
  HttpResponse eve =
      Call("POST", "/api/v1/auth/login",
           json::serialize(json::object{{"email", "eve@example.com"}, {"password", eve_pw}}));
  EXPECT_EQ(eve.status, 403) << "disabled from the CLI";

  // Disabled from the CLI while signed in to the running server: shut out within the session
  // cache's 5 s (found in an exploratory QA pass: it took a minute).
  auto sam = RunNimbus({"admin", "user", "create", "sam@example.com", "--password-file", pw_file,
                        "--data", data_dir()});
  ASSERT_TRUE(sam);
  ASSERT_EQ(sam->exit_code(), 0) << sam->err;
  Browser sam_browser = LogIn("sam@example.com");
  ASSERT_EQ(Call("GET", "/api/v1/me", "", &sam_browser).status, 200);
  auto off = RunNimbus({"admin", "user", "disable", "sam@example.com", "--data", data_dir()});
  ASSERT_TRUE(off);
  ASSERT_EQ(off->exit_code(), 0) << off->err;
  const auto disabled_at = std::chrono::steady_clock::now();
  int status = 200;
  while (status == 200 &&
         std::chrono::steady_clock::now() - disabled_at < std::chrono::seconds(20)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    status = Call("GET", "/api/v1/me", "", &sam_browser).status;
  }
  EXPECT_EQ(status, 401);
  EXPECT_LT(std::chrono::steady_clock::now() - disabled_at, std::chrono::seconds(7));
}

}  // namespace
}  // namespace nimbus::test
