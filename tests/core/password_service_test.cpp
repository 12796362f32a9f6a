// SPDX-License-Identifier: AGPL-3.0-or-later
// Login and its brute-force limit, forgot/reset password, change of password.
#include "core/password_service.h"

#include <chrono>

#include "core/account_mail.h"
#include "core/accounts_fixture.h"

namespace nimbus::core {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TEST_F(AccountsTest, UnknownEmailAndWrongPasswordLookTheSame) {
  SignUp("ann@example.com");
  LoginOutcome wrong =
      Run(passwords().Login("ann@example.com", "wrong password!", {"10.0.0.1", ""}));
  LoginOutcome unknown =
      Run(passwords().Login("zed@example.com", "wrong password!", {"10.0.0.1", ""}));
  ASSERT_FALSE(wrong.session);
  ASSERT_FALSE(unknown.session);
  EXPECT_EQ(wrong.session.error().code, Errc::kInvalidCredentials);
  EXPECT_EQ(unknown.session.error().code, Errc::kInvalidCredentials);
  EXPECT_EQ(wrong.session.error().message, unknown.session.error().message);
}

TEST_F(AccountsTest, TooManyFailuresPerAccountGive429UntilTheWindowPasses) {
  SignUp("ann@example.com");
  for (int i = 0; i < 10; ++i) {
    // Each from another IP: the account's own counter trips.
    LoginOutcome o = Run(passwords().Login("ann@example.com", "nope nope nope",
                                           {"10.1.0." + std::to_string(i), ""}));
    ASSERT_EQ(o.session.error().code, Errc::kInvalidCredentials) << i;
  }
  clock_.Advance(minutes(1));
  LoginOutcome blocked =
      Run(passwords().Login("ann@example.com", "correct horse battery", {"10.2.0.1", ""}));
  ASSERT_FALSE(blocked.session);
  EXPECT_EQ(blocked.session.error().code, Errc::kTooManyAttempts);
  EXPECT_GT(blocked.retry_after_s, 0);
  EXPECT_LE(blocked.retry_after_s, 15 * 60);
  clock_.Advance(std::chrono::seconds(blocked.retry_after_s));
  LogIn("ann@example.com", "correct horse battery", "10.2.0.1");
}

TEST_F(AccountsTest, TooManyFailuresFromOneIpAcrossAccountsGive429) {
  SignUp("ann@example.com");
  const int ip_limit = config_.login_max_failures * kPeoplePerAddress;
  for (int i = 0; i < ip_limit - 1; ++i) {
    Run(passwords().Login("user" + std::to_string(i) + "@example.com", "nope nope nope",
                          {"10.9.9.9", ""}));
  }
  LogIn("ann@example.com", "correct horse battery", "10.9.9.9");  // Under the address's limit.
  Run(passwords().Login("last@example.com", "nope nope nope", {"10.9.9.9", ""}));
  LoginOutcome blocked =
      Run(passwords().Login("ann@example.com", "correct horse battery", {"10.9.9.9", ""}));
  ASSERT_FALSE(blocked.session);
  EXPECT_EQ(blocked.session.error().code, Errc::kTooManyAttempts);
  LogIn("ann@example.com", "correct horse battery", "10.9.9.10");  // Another IP is fine.
  // Signed in (from elsewhere), ann can still change her password from the locked address: a
  // check of a signed-in user's password counts only her own failures (QA pass 13, finding 7).
  NewSession session = LogIn("ann@example.com", "correct horse battery", "10.9.9.10");
  auto me = Run(sessions().Resolve(session.cookie_value));
  ASSERT_TRUE(me && *me);
  auto changed = Run(passwords().ChangePassword(**me, "correct horse battery",
                                                "a brand new passphrase", {"10.9.9.9", ""}));
  EXPECT_TRUE(changed) << changed.error().message;
}

TEST_F(AccountsTest, UnverifiedLoginRefusedWhenVerificationIsRequired) {
  SignUp("ann@example.com");
  config_.require_email_verification = true;
  LoginOutcome o = Run(passwords().Login("ann@example.com", "correct horse battery", {}));
  ASSERT_FALSE(o.session);
  EXPECT_EQ(o.session.error().code, Errc::kEmailUnverified);
  ASSERT_TRUE(Run(accounts().VerifyEmail(LastToken("ann@example.com", "/verify-email"))));
  LogIn("ann@example.com");
}

TEST_F(AccountsTest, ResetTokenWorksOnceEndsSessionsAndMailsTheChange) {
  SignUp("ann@example.com");
  NewSession old = LogIn("ann@example.com");
  ASSERT_TRUE(Run(passwords().ForgotPassword("Ann@example.com", {"10.0.0.1", ""})));
  const std::string token = LastToken("ann@example.com", "/reset-password");
  ASSERT_FALSE(token.empty());
  auto weak = Run(passwords().ResetPassword(token, "password2024"));
  ASSERT_FALSE(weak);
  EXPECT_EQ(weak.error().code, Errc::kWeakPassword);
  ASSERT_TRUE(Run(passwords().ResetPassword(token, "a brand new passphrase")));
  auto again = Run(passwords().ResetPassword(token, "another new passphrase"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kInvalidToken);
  auto resolved = Run(sessions().Resolve(old.cookie_value));
  ASSERT_TRUE(resolved);
  EXPECT_FALSE(*resolved) << "the reset ends every session";
  LoginOutcome with_old = Run(passwords().Login("ann@example.com", "correct horse battery", {}));
  EXPECT_FALSE(with_old.session);
  LogIn("ann@example.com", "a brand new passphrase");
  auto mails = Mails("ann@example.com");
  ASSERT_EQ(mails.size(), 3u);  // Verify, reset, password changed.
}

TEST_F(AccountsTest, ResetTokenExpiresAfterAnHour) {
  SignUp("ann@example.com");
  ASSERT_TRUE(Run(passwords().ForgotPassword("ann@example.com", {"10.0.0.1", ""})));
  const std::string token = LastToken("ann@example.com", "/reset-password");
  clock_.Advance(minutes(61));
  auto r = Run(passwords().ResetPassword(token, "a brand new passphrase"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidToken);
}

TEST_F(AccountsTest, ForgotPasswordIsSilentForUnknownAddressesAndRateLimitedPerIp) {
  for (int i = 0; i < config_.email_requests_per_hour * kPeoplePerAddress; ++i) {
    ASSERT_TRUE(Run(
        passwords().ForgotPassword("u" + std::to_string(i) + "@example.com", {"10.5.5.5", ""})));
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM mail_outbox"), 0);
  int retry_after_s = 0;
  auto sixth = Run(passwords().ForgotPassword("u99@example.com", {"10.5.5.5", ""}, &retry_after_s));
  ASSERT_FALSE(sixth);
  EXPECT_EQ(sixth.error().code, Errc::kTooManyAttempts);
  EXPECT_GT(retry_after_s, 0);
  EXPECT_LE(retry_after_s, 3600);
}

TEST_F(AccountsTest, ChangePasswordNeedsTheCurrentOneAndEndsOtherSessions) {
  SignUp("ann@example.com");
  NewSession here = LogIn("ann@example.com");
  NewSession there = LogIn("ann@example.com");
  auto me = Run(sessions().Resolve(here.cookie_value));
  ASSERT_TRUE(me && *me);
  auto wrong = Run(passwords().ChangePassword(**me, "not my password", "a brand new passphrase"));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Errc::kInvalidCredentials);
  auto weak = Run(passwords().ChangePassword(**me, "correct horse battery", "short"));
  ASSERT_FALSE(weak);
  EXPECT_EQ(weak.error().code, Errc::kWeakPassword);
  ASSERT_TRUE(
      Run(passwords().ChangePassword(**me, "correct horse battery", "a brand new passphrase")));
  auto still = Run(sessions().Resolve(here.cookie_value));
  ASSERT_TRUE(still && *still) << "the current session stays";
  auto other = Run(sessions().Resolve(there.cookie_value));
  ASSERT_TRUE(other);
  EXPECT_FALSE(*other) << "other sessions end";
}

TEST_F(AccountsTest, LoginRehashesAPasswordStoredAtAnOlderCost) {
  SignUp("ann@example.com");
  auto stored = [&] {
    auto h = db_->Read([&](db::Transaction& tx) -> Result<std::string> {
      auto row = tx.QueryOne("SELECT password_hash FROM users");
      if (!row) return std::unexpected(row.error());
      return (**row).Text(0);
    });
    return h.value_or("");
  };
  EXPECT_NE(stored().find(",t=2,"), std::string::npos) << stored();
  config_.argon2_passes = 3;
  Open(100 * kG);  // A new hasher at the new cost.
  LogIn("ann@example.com");
  EXPECT_NE(stored().find(",t=3,"), std::string::npos) << stored();
  LogIn("ann@example.com");  // And the new hash works.
}

}  // namespace
}  // namespace nimbus::core
