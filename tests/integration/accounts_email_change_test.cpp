// SPDX-License-Identifier: AGPL-3.0-or-later
// Changing the email address of an account against the real binary: the password is asked, a
// link goes to the new address (read from the file mailer's .eml files), the address changes
// only when the link is opened, links mailed to the old address stop working, and the old
// address is told.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "integration/accounts_test_util.h"

namespace nimbus::test {
namespace {

std::string ChangeBody(const std::string& email,
                       const std::string& password = "correct horse battery") {
  return R"({"email":")" + email + R"(","password":")" + password + R"("})";
}

std::string TokenBody(const std::string& token) { return R"({"token":")" + token + R"("})"; }

TEST_F(AccountsTest, EmailChangeAsksThePasswordAndTakesEffectWhenTheNewAddressOpensTheLink) {
  Start();
  SignUpConfirmed("ann@example.com");
  SignUpConfirmed("bob@example.com");
  Browser here = LogIn("ann@example.com");
  Browser there = LogIn("ann@example.com");

  HttpResponse wrong =
      Call("POST", "/api/v1/me/email", ChangeBody("ann.new@example.com", "nope nope"), &here);
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  EXPECT_EQ(ErrorCode(wrong), "invalid_credentials");
  HttpResponse malformed = Call("POST", "/api/v1/me/email", ChangeBody("ann at example"), &here);
  EXPECT_EQ(ErrorCode(malformed), "invalid_email") << malformed.body;
  HttpResponse same = Call("POST", "/api/v1/me/email", ChangeBody("ANN@example.com"), &here);
  EXPECT_EQ(ErrorCode(same), "invalid_email") << same.body;
  EXPECT_NE(BodyOf(same).at("error").at("message").as_string().find("already your"),
            std::string::npos)
      << same.body;
  HttpResponse taken = Call("POST", "/api/v1/me/email", ChangeBody("bob@example.com"), &here);
  EXPECT_EQ(taken.status, 409) << taken.body;
  EXPECT_EQ(ErrorCode(taken), "email_taken");
  EXPECT_EQ(Call("POST", "/api/v1/me/email", ChangeBody("x@example.com"), &here, false).status, 403)
      << "CSRF";

  // A reset link mailed to the old address before the change.
  ASSERT_EQ(Call("POST", "/api/v1/auth/forgot-password", R"({"email":"ann@example.com"})").status,
            202);
  const std::string reset = WaitForToken("ann@example.com", "/reset-password");
  ASSERT_FALSE(reset.empty());

  HttpResponse first =
      Call("POST", "/api/v1/me/email", ChangeBody("  Ann.New@Example.com "), &here);
  ASSERT_EQ(first.status, 202) << first.body;
  EXPECT_EQ(BodyOf(first).at("pending_email").as_string(), "ann.new@example.com");
  EXPECT_FALSE(BodyOf(first).at("expires_at").as_string().empty());
  // Nothing changed yet.
  EXPECT_EQ(BodyOf(Call("GET", "/api/v1/me", "", &here)).at("email").as_string(),
            "ann@example.com");
  EXPECT_EQ(Call("POST", "/api/v1/auth/login",
                 R"({"email":"ann.new@example.com","password":"correct horse battery"})")
                .status,
            401);
  HttpResponse waiting = Call("GET", "/api/v1/me/email", "", &there);
  ASSERT_EQ(waiting.status, 200) << waiting.body;
  EXPECT_EQ(BodyOf(waiting).at("pending_email").as_string(), "ann.new@example.com");
  // A second request retires the first link.
  ASSERT_EQ(Call("POST", "/api/v1/me/email", ChangeBody("ann2@example.com"), &here).status, 202);
  EXPECT_EQ(BodyOf(Call("GET", "/api/v1/me/email", "", &here)).at("pending_email").as_string(),
            "ann2@example.com");
  const std::string retired = WaitForToken("ann.new@example.com", "/confirm-email");
  const std::string token = WaitForToken("ann2@example.com", "/confirm-email");
  ASSERT_FALSE(retired.empty());
  ASSERT_FALSE(token.empty());
  EXPECT_TRUE(AnyMailContains("instead of ann@example.com"));
  HttpResponse old_link = Call("POST", "/api/v1/auth/confirm-email", TokenBody(retired));
  EXPECT_EQ(old_link.status, 400) << old_link.body;
  EXPECT_EQ(ErrorCode(old_link), "invalid_token");

  // Opened in another browser, signed out.
  HttpResponse done = Call("POST", "/api/v1/auth/confirm-email", TokenBody(token));
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(BodyOf(done).at("email").as_string(), "ann2@example.com");
  EXPECT_EQ(ErrorCode(Call("POST", "/api/v1/auth/confirm-email", TokenBody(token))),
            "invalid_token")
      << "single use";

  EXPECT_TRUE(BodyOf(Call("GET", "/api/v1/me/email", "", &here)).at("pending_email").is_null());
  for (const Browser* b : {&here, &there}) {  // Sessions stay, and show the new address.
    HttpResponse me = Call("GET", "/api/v1/me", "", b);
    ASSERT_EQ(me.status, 200) << me.body;
    EXPECT_EQ(BodyOf(me).at("email").as_string(), "ann2@example.com");
    EXPECT_TRUE(BodyOf(me).at("email_verified").as_bool());
  }
  EXPECT_EQ(Call("POST", "/api/v1/auth/login",
                 R"({"email":"ann@example.com","password":"correct horse battery"})")
                .status,
            401);
  EXPECT_EQ(Call("POST", "/api/v1/auth/login",
                 R"({"email":"ann2@example.com","password":"correct horse battery"})")
                .status,
            200);
  HttpResponse stale_reset = Call("POST", "/api/v1/auth/reset-password",
                                  R"({"token":")" + reset + R"(","password":"another long one"})");
  EXPECT_EQ(ErrorCode(stale_reset), "invalid_token") << "links to the old address stop working";
  // The old address is told, once.
  for (int i = 0; i < 100 && MailsTo("ann@example.com", "email address was changed") == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(MailsTo("ann@example.com", "email address was changed"), 1u);
  EXPECT_TRUE(AnyMailContains("now uses ann2@example.com"));
  // The old address is free for a new account.
  EXPECT_EQ(SignUp("ann@example.com").status, 201);
}

class EmailChangeTest : public AccountsTest {
 protected:
  // `who` asks to use `email` (expects 202); the token of the link mailed there.
  std::string AskForChange(const Browser& who, const std::string& email) {
    EXPECT_EQ(Call("POST", "/api/v1/me/email", ChangeBody(email), &who).status, 202);
    std::string token = WaitForToken(email, "/confirm-email");
    EXPECT_FALSE(token.empty()) << "no link mailed to " << email;
    return token;
  }
};

TEST_F(EmailChangeTest, AWithdrawnEmailChangeLeavesALinkThatNoLongerWorks) {
  Start();
  SignUpConfirmed("ann@example.com");
  Browser ann = LogIn("ann@example.com");
  std::string token;
  ASSERT_NO_FATAL_FAILURE(token = AskForChange(ann, "ann.new@example.com"));
  EXPECT_EQ(Call("DELETE", "/api/v1/me/email", "", &ann, false).status, 403) << "CSRF";
  EXPECT_EQ(Call("DELETE", "/api/v1/me/email", "", &ann).status, 204);
  EXPECT_TRUE(BodyOf(Call("GET", "/api/v1/me/email", "", &ann)).at("pending_email").is_null());
  EXPECT_EQ(ErrorCode(Call("POST", "/api/v1/auth/confirm-email", TokenBody(token))),
            "invalid_token");
  EXPECT_EQ(BodyOf(Call("GET", "/api/v1/me", "", &ann)).at("email").as_string(), "ann@example.com");
}

TEST_F(EmailChangeTest, AnAddressTakenAfterTheRequestIsRefusedWhenTheLinkIsOpened) {
  Start();
  SignUpConfirmed("ann@example.com");
  Browser ann = LogIn("ann@example.com");
  std::string token;
  ASSERT_NO_FATAL_FAILURE(token = AskForChange(ann, "carl@example.com"));
  ASSERT_EQ(SignUp("carl@example.com").status, 201);
  HttpResponse taken = Call("POST", "/api/v1/auth/confirm-email", TokenBody(token));
  EXPECT_EQ(taken.status, 409) << taken.body;
  EXPECT_EQ(ErrorCode(taken), "email_taken");
  EXPECT_EQ(BodyOf(Call("GET", "/api/v1/me", "", &ann)).at("email").as_string(), "ann@example.com");
}

}  // namespace
}  // namespace nimbus::test
