// SPDX-License-Identifier: AGPL-3.0-or-later
#include "mail/file_mailer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/email.h"
#include "fakes/fake_clock.h"
#include "mail/mail_test_util.h"
#include "support/temp_dir.h"

namespace nimbus::mail {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(FileMailer, WritesOneEmlFileNamedByTimeAndId) {
  nimbus::testing::TempDir dir;
  FakeClock clock(FromUnixMs(1'764'092'716'042));
  FileMailer mailer(dir.File("mail"), "Nimbus <nimbus@files.example>", clock);
  Message m{"ann@x.org", "Hello", "Body text", "<p>Body</p>"};
  ASSERT_TRUE(mailer.Send(m, "1764092716042.00ff"));
  auto files = testing::EmlFiles(dir.File("mail"));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].filename(), "20251125T174516.042Z-1764092716042.00ff.eml");
  const std::string eml = ReadAll(files[0]);
  EXPECT_NE(eml.find("Message-ID: <1764092716042.00ff@files.example>\r\n"), std::string::npos);
  EXPECT_NE(eml.find("Subject: Hello\r\n"), std::string::npos);
  // Nothing else is left in the folder (no temporary file).
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.File("mail"))) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(FileMailer, AnUnwritableFolderIsAnIoErrorNamingIt) {
  nimbus::testing::TempDir dir;
  std::ofstream(dir.File("not-a-dir")) << "x";
  FakeClock clock;
  FileMailer mailer(dir.File("not-a-dir") + "/mail", "n@h.example", clock);
  auto r = mailer.Send(Message{"a@b.c", "s", "t", ""}, "1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kIoError);
  EXPECT_NE(r.error().message.find("not-a-dir"), std::string::npos) << r.error().message;
}

TEST(FileMailer, AnIdCannotEscapeTheFolder) {
  nimbus::testing::TempDir dir;
  FakeClock clock;
  FileMailer mailer(dir.File("mail"), "n@h.example", clock);
  ASSERT_TRUE(mailer.Send(Message{"a@b.c", "s", "t", ""}, "../../evil/x"));
  auto files = testing::EmlFiles(dir.File("mail"));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].parent_path(), fs::path(dir.File("mail")));
}

TEST(MakeMailer, PicksTheTransportFromTheConfig) {
  config::EmailConfig c;
  c.mail_dir = "/tmp/x";
  auto file = MakeMailer(c);
  ASSERT_TRUE(file);
  EXPECT_NE(dynamic_cast<FileMailer*>(file->get()), nullptr);
  c.transport = "smtp";
  auto smtp = MakeMailer(c);
  ASSERT_TRUE(smtp);
  EXPECT_EQ(dynamic_cast<FileMailer*>(smtp->get()), nullptr);
  c.transport = "pigeon";
  auto bad = MakeMailer(c);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace nimbus::mail
