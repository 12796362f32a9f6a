// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/password_policy.h"

#include <gtest/gtest.h>

#include "core/common_passwords.h"
#include "core/email_address.h"
#include "core/password_hasher.h"

namespace nimbus::core {
namespace {

TEST(PasswordPolicy, RefusesShortPasswordsSayingTheMinimum) {
  config::AccountsConfig c;
  auto r = CheckPassword("Xk3#vq9!", c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kWeakPassword);
  EXPECT_NE(r.error().message.find("at least 10 characters"), std::string::npos);
}

TEST(PasswordPolicy, CountsCharactersNotBytes) {
  config::AccountsConfig c;
  // 10 characters, 20 bytes in UTF-8.
  EXPECT_TRUE(CheckPassword(
      "\xc3\xa9\xc3\xa0\xc3\xbc\xc3\xb6\xc3\xa7\xc3\xb1\xc3\xa5\xc3\xb8\xc3\xa6\xc3\xbf", c));
}

TEST(PasswordPolicy, RefusesCommonPasswordsWithAReason) {
  config::AccountsConfig c;
  for (const char* pw : {"password123", "Password123!", "qwertyuiop", "1234567890", "P@ssw0rd2024",
                         "iloveyou2024", "!!sunshine!!", "aaaaaaaaaaaa", "abcdefghijk",
                         "1234567890!", "Football1234", "letmein12345"}) {
    auto r = CheckPassword(pw, c);
    ASSERT_FALSE(r) << pw;
    EXPECT_EQ(r.error().code, Errc::kWeakPassword) << pw;
    EXPECT_NE(r.error().message.find("most commonly used"), std::string::npos) << pw;
  }
}

TEST(PasswordPolicy, AcceptsAPassphrase) {
  config::AccountsConfig c;
  EXPECT_TRUE(CheckPassword("correct horse battery", c));
  EXPECT_TRUE(CheckPassword("Tr0ub4dor&3-staple", c));
  EXPECT_TRUE(CheckPassword("sunshine on the quay", c));
}

TEST(PasswordPolicy, RefusesOverLongPasswords) {
  config::AccountsConfig c;
  c.password_max_length = 20;
  auto r = CheckPassword(std::string(21, 'x') + "yz", c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("at most 20"), std::string::npos);
}

TEST(PasswordPolicy, BuiltInListHasHundredsOfBaseWords) {
  EXPECT_GE(CommonPasswordCount(), 800u);
  EXPECT_TRUE(IsCommonPasswordExact("123456"));
  EXPECT_TRUE(IsCommonPasswordExact("password"));
}

TEST(EmailAddress, TrimsAndLowerCases) {
  auto e = NormalizeEmail("  Ann.Lee+box@Example.COM \t");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(*e, "ann.lee+box@example.com");
}

TEST(EmailAddress, RefusesMalformedAddresses) {
  for (const char* bad :
       {"", "   ", "ann", "ann@", "@example.com", "ann@example", "a@@b.com", "ann lee@example.com",
        "ann@.example.com", "ann@example..com", "<ann@example.com>"}) {
    auto e = NormalizeEmail(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().code, Errc::kInvalidEmail) << bad;
  }
}

TEST(PasswordHasher, HashesWithArgon2idAtTheConfiguredCost) {
  config::AccountsConfig c;
  PasswordHasher h(c);
  auto hash = h.HashNow("correct horse battery");
  ASSERT_TRUE(hash) << hash.error().message;
  EXPECT_TRUE(hash->starts_with("$argon2id$v=19$m=19456,t=2,")) << *hash;
  EXPECT_TRUE(h.VerifyNow(*hash, "correct horse battery"));
  EXPECT_FALSE(h.VerifyNow(*hash, "correct horse batterY"));
  EXPECT_FALSE(h.VerifyNow("not a hash", "x"));
}

}  // namespace
}  // namespace nimbus::core
