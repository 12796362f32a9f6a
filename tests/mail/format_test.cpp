// SPDX-License-Identifier: AGPL-3.0-or-later
#include "mail/format.h"

#include <gtest/gtest.h>

#include <sstream>

namespace nimbus::mail {
namespace {

const Clock::TimePoint kDate = FromUnixMs(1'764'092'716'000);  // 2025-11-25T17:45:16Z

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t end = s.find("\r\n", pos);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(pos, end - pos));
    pos = end + 2;
  }
  return out;
}

TEST(Format, Base64MatchesTheRfcVectors) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
}

TEST(Format, QuotedPrintableEscapesWhatTransportWouldMangle) {
  EXPECT_EQ(QuotedPrintable("a=b\n"), "a=3Db\r\n");
  EXPECT_EQ(QuotedPrintable("caf\xc3\xa9"), "caf=C3=A9\r\n");
  EXPECT_EQ(QuotedPrintable("end \nx"), "end=20\r\nx\r\n");
  // A line that is just "." would end SMTP DATA; "From " breaks mbox files.
  EXPECT_EQ(QuotedPrintable("a\n.\nFrom here\n"), "a\r\n=2E\r\n=46rom here\r\n");
  EXPECT_EQ(QuotedPrintable("x\r\ny"), "x\r\ny\r\n");
}

TEST(Format, QuotedPrintableLinesStayWithin76Characters) {
  const std::string long_line(300, 'x');
  const std::string qp = QuotedPrintable(long_line + "\n" + std::string(100, '\xe2'));
  for (const std::string& l : Lines(qp)) EXPECT_LE(l.size(), 76u) << l;
  std::string undone;
  for (const std::string& l : Lines(qp)) {
    undone += l.ends_with("=") ? l.substr(0, l.size() - 1) : l + "\n";
  }
  EXPECT_EQ(undone.substr(0, 301), long_line + "\n");
}

TEST(Format, SubjectIsEncodedOnlyWhenNotAscii) {
  EXPECT_EQ(EncodeHeaderText("Hello there", 9), "Hello there");
  const std::string enc = EncodeHeaderText("Grüße aus Köln", 9);
  EXPECT_EQ(enc, "=?UTF-8?B?" + Base64("Grüße aus Köln") + "?=");
  // A long non-ASCII subject: several words of at most 75 characters, folded, none splitting a
  // UTF-8 character (each word decodes to valid UTF-8 on its own).
  std::string longer;
  for (int i = 0; i < 20; ++i) longer += "日本語";
  for (const std::string& l : Lines(EncodeHeaderText(longer, 9) + "\r\n")) {
    std::string w = l.starts_with(" ") ? l.substr(1) : l;
    EXPECT_LE(w.size(), 75u);
    EXPECT_TRUE(w.starts_with("=?UTF-8?B?") && w.ends_with("?=")) << w;
  }
}

TEST(Format, MailboxesAreQuotedOrEncoded) {
  EXPECT_EQ(AddressOf("Ann <ann@x.org>"), "ann@x.org");
  EXPECT_EQ(AddressOf(" ann@x.org "), "ann@x.org");
  EXPECT_EQ(DomainOf("Nimbus <nimbus@files.example>"), "files.example");
  EXPECT_EQ(DomainOf("nobody"), "localhost");
  EXPECT_EQ(EncodeMailbox("Ann <ann@x.org>"), "Ann <ann@x.org>");
  EXPECT_EQ(EncodeMailbox("Smith, Ann <ann@x.org>"), "\"Smith, Ann\" <ann@x.org>");
  EXPECT_EQ(EncodeMailbox("Zoë <z@x.org>"), "=?UTF-8?B?" + Base64("Zoë") + "?= <z@x.org>");
  EXPECT_EQ(EncodeMailbox("z@x.org"), "z@x.org");
}

TEST(Format, AMultipartMessageHasEveryHeaderAndBothParts) {
  Message m{"Ann <ann@x.org>", "Confirm", "Hello Ann\n", "<p>Hello Ann</p>"};
  Message long_subject = m;
  long_subject.subject = std::string(10, 'x') + "é" + std::string(200, 'y');
  for (const std::string& l : Lines(FormatMessage(long_subject, "n@h.example", "1", kDate))) {
    EXPECT_LE(l.size(), 76u) << l;
  }
  const std::string s = FormatMessage(m, "Nimbus <nimbus@files.example>", "17.abc", kDate);
  EXPECT_TRUE(s.starts_with("Date: Tue, 25 Nov 2025 17:45:16 +0000\r\n")) << s;
  EXPECT_NE(s.find("\r\nFrom: Nimbus <nimbus@files.example>\r\n"), std::string::npos);
  EXPECT_NE(s.find("\r\nTo: Ann <ann@x.org>\r\n"), std::string::npos);
  EXPECT_NE(s.find("\r\nSubject: Confirm\r\n"), std::string::npos);
  EXPECT_NE(s.find("\r\nMessage-ID: <17.abc@files.example>\r\n"), std::string::npos);
  EXPECT_NE(s.find("\r\nMIME-Version: 1.0\r\n"), std::string::npos);
  const auto b = s.find("boundary=\"");
  ASSERT_NE(b, std::string::npos);
  const std::string boundary = s.substr(b + 10, s.find('"', b + 10) - b - 10);
  const auto first = s.find("\r\n--" + boundary + "\r\nContent-Type: text/plain; charset=UTF-8");
  const auto second = s.find("\r\n--" + boundary + "\r\nContent-Type: text/html; charset=UTF-8");
  const auto end = s.find("\r\n--" + boundary + "--\r\n");
  EXPECT_TRUE(first != std::string::npos && second > first && end > second) << s;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n') {
      ASSERT_TRUE(i > 0 && s[i - 1] == '\r') << "bare LF at " << i;
    }
  }
  for (const std::string& l : Lines(s)) EXPECT_LE(l.size(), 78u) << l;
}

TEST(Format, ATextOnlyMessageIsOnePart) {
  Message m{"ann@x.org", "Hi", "Body", ""};
  const std::string s = FormatMessage(m, "n@h.example", "id@given.example", kDate);
  EXPECT_EQ(s.find("multipart"), std::string::npos);
  EXPECT_NE(s.find("Content-Type: text/plain; charset=UTF-8\r\n"), std::string::npos);
  EXPECT_NE(s.find("Message-ID: <id@given.example>\r\n"), std::string::npos);
  EXPECT_TRUE(s.ends_with("\r\n\r\nBody\r\n")) << s;
}

TEST(Format, HeaderValuesCannotSmuggleHeaders) {
  Message m{"ann@x.org\r\nBcc: eve@x.org", "Hi\r\nBcc: eve@x.org", "b", ""};
  const std::string s = FormatMessage(m, "n@h.example", "1", kDate);
  EXPECT_EQ(s.find("\r\nBcc:"), std::string::npos) << s;
}

}  // namespace
}  // namespace nimbus::mail
