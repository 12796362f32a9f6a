// SPDX-License-Identifier: AGPL-3.0-or-later
#include "mail/templates.h"

#include <gtest/gtest.h>

namespace nimbus::mail {
namespace {

TEST(Templates, VerifyEmailCarriesTheLinkInBothBodies) {
  auto m = Render(Template::kVerifyEmail, "Ann <ann@example.com>",
                  {{"name", "Ann"}, {"link", "https://n.example/verify-email?token=abc_-1"}});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->to, "Ann <ann@example.com>");
  EXPECT_EQ(m->subject, "Confirm your email address");
  EXPECT_NE(m->text.find("Hello Ann,"), std::string::npos);
  EXPECT_NE(m->text.find("https://n.example/verify-email?token=abc_-1"), std::string::npos);
  EXPECT_NE(m->html.find("href=\"https://n.example/verify-email?token=abc_-1\""),
            std::string::npos);
  EXPECT_EQ(m->html.find("{{"), std::string::npos);
  EXPECT_EQ(m->text.find("{{"), std::string::npos);
}

TEST(Templates, EveryTemplateRendersWithItsVariables) {
  const Vars all{{"name", "Bo"},
                 {"link", "https://x/l"},
                 {"public_url", "https://x"},
                 {"sharer", "Cy"},
                 {"item", "Photos"},
                 {"title", "Disk a1 failed"},
                 {"detail", "It broke."},
                 {"number", "INV-000007"},
                 {"amount", "12.34 USD"},
                 {"due", "2026-12-01"},
                 {"since", "2026-11-01"},
                 {"percent", "90"},
                 {"used", "9.0 GB"},
                 {"quota", "10 GB"},
                 {"payment", "Ask."},
                 {"old_email", "bo@old.example"},
                 {"new_email", "bo@new.example"},
                 {"hours", "48"},
                 {"others", ""}};
  for (Template t : {Template::kVerifyEmail, Template::kPasswordReset, Template::kPasswordChanged,
                     Template::kEmailConfirm, Template::kEmailChanged, Template::kShareReceived,
                     Template::kAdminAlert, Template::kInvoiceIssued, Template::kPaymentReceived,
                     Template::kPaymentFailed, Template::kPastDue, Template::kUsageWarning}) {
    auto m = Render(t, "bo@example.com", all);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_FALSE(m->subject.empty());
    EXPECT_EQ(m->text.find("{{"), std::string::npos) << m->text;
    EXPECT_EQ(m->html.find("{{"), std::string::npos) << m->html;
    EXPECT_EQ(m->subject.find("{{"), std::string::npos) << m->subject;
    EXPECT_NE(m->text.find("Bo"), std::string::npos);
    EXPECT_NE(m->html.find("<html>"), std::string::npos);
  }
}

TEST(Templates, ValuesAreEscapedInHtmlButNotInText) {
  auto m = Render(Template::kShareReceived, "a@b.c",
                  {{"name", "<b>Ann</b>"},
                   {"sharer", "Eve & \"Co\""},
                   {"item", "<script>alert(1)</script>"},
                   {"link", "https://x/s/1?a=1&b=2"}});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->html.find("<script>"), std::string::npos);
  EXPECT_EQ(m->html.find("<b>Ann"), std::string::npos);
  EXPECT_NE(m->html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(m->html.find("Eve &amp; &quot;Co&quot;"), std::string::npos);
  EXPECT_NE(m->html.find("href=\"https://x/s/1?a=1&amp;b=2\""), std::string::npos);
  EXPECT_NE(m->text.find("<script>alert(1)</script>"), std::string::npos);
  EXPECT_NE(m->text.find("https://x/s/1?a=1&b=2"), std::string::npos);
  EXPECT_EQ(m->subject, "Eve & \"Co\" shared \"<script>alert(1)</script>\" with you");
}

TEST(Templates, AnOptionalVariableIsUsedWhenGivenAndLeftOutOfAnOlderQueuedMail) {
  const Vars base{{"name", "Ann"}, {"sharer", "Bo"}, {"item", "Plans"}, {"link", "https://x/s"}};
  Vars with = base;
  with.emplace("access", " You can view and download it.");
  auto now = Render(Template::kShareReceived, "a@b.c", with);
  ASSERT_TRUE(now) << now.error().message;
  EXPECT_NE(now->text.find("with you on Nimbus. You can view and download it. Open it here"),
            std::string::npos)
      << now->text;
  EXPECT_NE(now->html.find("You can view and download it."), std::string::npos);
  // A mail queued before the variable existed renders without the sentence.
  auto older = Render(Template::kShareReceived, "a@b.c", base);
  ASSERT_TRUE(older) << older.error().message;
  EXPECT_NE(older->text.find("with you on Nimbus. Open it here"), std::string::npos) << older->text;
  EXPECT_EQ(older->text.find("{{"), std::string::npos);
  EXPECT_EQ(older->html.find("{{"), std::string::npos);
}

TEST(Templates, AMissingVariableIsAnErrorNamingIt) {
  auto m = Render(Template::kPasswordReset, "a@b.c", {{"name", "Ann"}});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::kInvalidArgument);
  EXPECT_NE(m.error().message.find("'link'"), std::string::npos) << m.error().message;
}

TEST(Templates, ALineBreakInAValueCannotAddHeaderLines) {
  auto m = Render(
      Template::kAdminAlert, "a@b.c",
      {{"name", "x"}, {"title", "t\r\nBcc: evil@x"}, {"detail", "d"}, {"public_url", "https://x"}});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->subject.find_first_of("\r\n"), std::string::npos);
}

}  // namespace
}  // namespace nimbus::mail
