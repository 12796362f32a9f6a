// SPDX-License-Identifier: AGPL-3.0-or-later
// Sign-up, verification, admin rules: AccountService over a real SQLite file and DiskPool.
#include "core/account_service.h"

#include <chrono>

#include "core/accounts_fixture.h"

namespace nimbus::core {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TEST_F(AccountsTest, FirstAccountIsAdminAndGetsTheFreePlanOnCategoryA) {
  User ann = SignUp(" Ann@Example.COM ");
  User bob = SignUp("bob@example.com");
  EXPECT_EQ(ann.email, "ann@example.com");
  EXPECT_TRUE(ann.is_admin);
  EXPECT_FALSE(bob.is_admin);
  EXPECT_FALSE(ann.email_verified);
  EXPECT_NE(ann.root_id, bob.root_id);
  EXPECT_GT(ann.id, 0);
  auto profile = Run(accounts().GetProfile(bob.id));
  ASSERT_TRUE(profile) << profile.error().message;
  EXPECT_EQ(profile->plan_bytes, kG);
  EXPECT_EQ(profile->category, "A");
  EXPECT_EQ(profile->used_bytes, 0u);
}

TEST_F(AccountsTest, TakenEmailIsRefusedWhateverItsCase) {
  SignUp("ann@example.com");
  auto again = Run(accounts().Signup("ANN@example.com ", "another good passphrase", "Ann"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kEmailTaken);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM users"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM allocations"), 1);  // The second one was released.
}

TEST_F(AccountsTest, InvalidEmailAndWeakPasswordCreateNothing) {
  auto bad = Run(accounts().Signup("not-an-email", "correct horse battery", "X"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalidEmail);
  auto weak = Run(accounts().Signup("ann@example.com", "password1!", "X"));
  ASSERT_FALSE(weak);
  EXPECT_EQ(weak.error().code, Errc::kWeakPassword);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM users"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM allocations"), 0);
}

TEST_F(AccountsTest, NoCapacityCreatesNothing) {
  Open(kG / 2);  // Category A cannot hold one 1 GiB plan.
  auto r = Run(accounts().Signup("ann@example.com", "correct horse battery", "Ann"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kNoCapacity);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM users"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM allocations"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM mail_outbox"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM email_tokens"), 0);
}

TEST_F(AccountsTest, VerificationMailLinksToThePublicUrlAndOpenedAgainSaysConfirmed) {
  User ann = SignUp("ann@example.com");
  ASSERT_EQ(Mails("ann@example.com").size(), 1u);
  const std::string token = LastToken("ann@example.com", "/verify-email");
  ASSERT_GE(token.size(), 43u);  // 256 bits in URL-safe base64.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM email_tokens WHERE token_hash = '" + token + "'"), 0)
      << "only the hash is stored";
  ASSERT_TRUE(Run(accounts().VerifyEmail(token)));
  auto profile = Run(accounts().GetProfile(ann.id));
  ASSERT_TRUE(profile);
  EXPECT_TRUE(profile->user.email_verified);
  EXPECT_TRUE(Run(accounts().VerifyEmail(token))) << "a second click: confirmed already";
  auto unknown = Run(accounts().VerifyEmail(token + "x"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::kInvalidToken);
  EXPECT_NE(unknown.error().message.find("new one"), std::string::npos);
}

TEST_F(AccountsTest, ACachedProfileIsForgottenWhenTheUserChangesIt) {
  User ann = SignUp("ann@example.com");
  const std::string token = LastToken("ann@example.com", "/verify-email");
  auto before = Run(accounts().GetProfile(ann.id));  // Now cached.
  ASSERT_TRUE(before);
  EXPECT_FALSE(before->user.email_verified);
  ASSERT_TRUE(Run(accounts().VerifyEmail(token)));
  ASSERT_TRUE(Run(accounts().UpdateName(ann.id, "Ann B.")));
  auto after = Run(accounts().GetProfile(ann.id));
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->user.email_verified);
  EXPECT_EQ(after->user.name, "Ann B.");
}

TEST_F(AccountsTest, VerificationTokenExpiresAfterItsTtl) {
  SignUp("ann@example.com");
  const std::string token = LastToken("ann@example.com", "/verify-email");
  clock_.Advance(hours(48) + minutes(1));
  auto r = Run(accounts().VerifyEmail(token));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidToken);
  // Resend gives a fresh, working link.
  ASSERT_TRUE(Run(accounts().ResendVerification("ann@example.com", ClientInfo{"10.0.0.1", ""})));
  const std::string fresh = LastToken("ann@example.com", "/verify-email");
  ASSERT_NE(fresh, token);
  EXPECT_TRUE(Run(accounts().VerifyEmail(fresh)));
}

TEST_F(AccountsTest, ResendIsSilentForUnknownAddressesAndRateLimited) {
  SignUp("ann@example.com");
  for (int i = 0; i < 5; ++i) {
    auto r = Run(accounts().ResendVerification("nobody@example.com", ClientInfo{"10.0.0.2", ""}));
    ASSERT_TRUE(r) << i << ": " << r.error().message;
  }
  EXPECT_TRUE(Mails("nobody@example.com").empty());
  auto sixth = Run(accounts().ResendVerification("nobody@example.com", ClientInfo{"10.0.0.3", ""}));
  ASSERT_FALSE(sixth);
  EXPECT_EQ(sixth.error().code, Errc::kTooManyAttempts);
  clock_.Advance(hours(1) + minutes(1));
  EXPECT_TRUE(Run(accounts().ResendVerification("nobody@example.com", ClientInfo{"10.0.0.3", ""})));
}

TEST_F(AccountsTest, LastAdminCannotBeDemotedOrDisabled) {
  User ann = SignUp("ann@example.com");
  User bob = SignUp("bob@example.com");
  auto demote = Run(accounts().UpdateUser(ann, ann.id, std::nullopt, false));
  ASSERT_FALSE(demote);
  EXPECT_EQ(demote.error().code, Errc::kConflict);
  auto disable = Run(accounts().UpdateUser(ann, ann.id, true, std::nullopt));
  ASSERT_FALSE(disable);
  EXPECT_EQ(disable.error().code, Errc::kConflict);
  ASSERT_TRUE(Run(accounts().UpdateUser(ann, bob.id, std::nullopt, true)));
  auto now_ok = Run(accounts().UpdateUser(ann, ann.id, std::nullopt, false));
  ASSERT_TRUE(now_ok) << now_ok.error().message;
  EXPECT_FALSE(now_ok->is_admin);
  auto admins = accounts().AdminEmails();
  ASSERT_TRUE(admins);
  EXPECT_EQ(*admins, std::vector<std::string>{"bob@example.com"});
}

TEST_F(AccountsTest, NonAdminsSeeNoAdminViews) {
  SignUp("ann@example.com");
  User bob = SignUp("bob@example.com");
  auto list = Run(accounts().ListUsers(bob));
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().code, Errc::kNotFound);
  auto patch = Run(accounts().UpdateUser(bob, bob.id, std::nullopt, true));
  ASSERT_FALSE(patch);
  EXPECT_EQ(patch.error().code, Errc::kNotFound);
}

TEST_F(AccountsTest, DisablingAUserEndsTheirSessionsAtOnce) {
  User ann = SignUp("ann@example.com");
  SignUp("bob@example.com");
  NewSession bob = LogIn("bob@example.com");
  auto before = Run(sessions().Resolve(bob.cookie_value));
  ASSERT_TRUE(before && *before);  // Cached now.
  ASSERT_TRUE(Run(accounts().UpdateUser(ann, bob.user.id, true, std::nullopt)));
  auto after = Run(sessions().Resolve(bob.cookie_value));
  ASSERT_TRUE(after);
  EXPECT_FALSE(*after);
  LoginOutcome again = Run(passwords().Login("bob@example.com", "correct horse battery", {}));
  ASSERT_FALSE(again.session);
  EXPECT_EQ(again.session.error().code, Errc::kForbidden);
}

TEST_F(AccountsTest, OperatorCreatedUsersAreVerifiedAndMayBeAdmins) {
  SignUp("ann@example.com");
  auto u = Run(accounts().CreateUser("Ops@Example.com", "", "correct horse battery", true));
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_TRUE(u->is_admin);
  EXPECT_TRUE(u->email_verified);
  EXPECT_EQ(u->name, "ops");
  EXPECT_TRUE(Mails("ops@example.com").empty());
  config_.signup_enabled = false;
  auto closed = Run(accounts().Signup("carl@example.com", "correct horse battery", "Carl"));
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code, Errc::kForbidden);
  EXPECT_TRUE(
      Run(accounts().CreateUser("carl@example.com", "Carl", "correct horse battery", false)));
}

}  // namespace
}  // namespace nimbus::core
