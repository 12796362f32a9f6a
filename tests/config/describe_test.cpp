// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/load.h"
#include "config_test_util.h"

namespace nimbus::config {
namespace {

using ::testing::HasSubstr;
using testing::LoadFrom;
using ::testing::Not;
using testing::TempConfigDir;

// Splits DescribeConfig's output into its "# <file>" sections.
std::map<std::string, std::string> Sections(const std::string& text) {
  std::map<std::string, std::string> out;
  std::string current;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    if (line.starts_with("# ") && line.ends_with(".toml")) {
      current = line.substr(2);
    } else {
      out[current] += line + "\n";
    }
    pos = end + 1;
  }
  return out;
}

TEST(DescribeConfig, MasksSecrets) {
  TempConfigDir dir;
  dir.Write("server.toml", "database = \"postgres://nimbus:pg-pass-123@db:5432/nimbus\"\n");
  dir.Write("email.toml", "[smtp]\npassword = \"smtp-pass-456\"\n");
  dir.Write("disks.toml", "[s3]\nsecret_key = \"s3-secret-789\"\n");
  auto c = LoadFrom(dir, {{"NIMBUS_BILLING_WEBHOOK_SECRET", "hook-secret-000"}});
  ASSERT_TRUE(c.has_value()) << c.error().message;
  std::string text = DescribeConfig(*c);
  for (const char* secret : {"pg-pass-123", "smtp-pass-456", "s3-secret-789", "hook-secret-000"}) {
    EXPECT_THAT(text, Not(HasSubstr(secret)));
  }
  EXPECT_THAT(text, HasSubstr("database = 'postgres://nimbus:***@db:5432/nimbus'"));
  EXPECT_THAT(text, HasSubstr("password = '***'"));
  EXPECT_THAT(text, HasSubstr("secret_key = '***'"));
  EXPECT_THAT(text, HasSubstr("webhook_secret = '***'"));
}

TEST(DescribeConfig, ShowsResolvedValuesPerFile) {
  TempConfigDir dir;
  dir.Write("server.toml", "io_threads = 7\n");
  auto c = LoadFrom(dir, {{"NIMBUS_FILES_TRASH_RETENTION_DAYS", "9"}});
  ASSERT_TRUE(c.has_value()) << c.error().message;
  auto sections = Sections(DescribeConfig(*c));
  ASSERT_EQ(sections.size(), 6u);
  EXPECT_THAT(sections["server.toml"], HasSubstr("io_threads = 7\n"));
  EXPECT_THAT(sections["server.toml"], HasSubstr("public_url = 'http://127.0.0.1:8080'\n"));
  EXPECT_THAT(sections["files.toml"], HasSubstr("trash_retention_days = 9\n"));
  EXPECT_THAT(sections["disks.toml"], HasSubstr("near_full_ratio = 0.85\n"));
  EXPECT_THAT(sections["disks.toml"], HasSubstr("[[disk]]"));
  EXPECT_THAT(sections["email.toml"], HasSubstr("[smtp]"));
}

// Writing the described sections back as files must give the same configuration.
TEST(DescribeConfig, RoundTripsThroughTheLoader) {
  TempConfigDir dir;
  dir.Write("server.toml", "io_threads = 5\nlisten = \"127.0.0.1:0\"\n");
  dir.Write("files.toml", "max_upload_bytes = \"3GiB\"\n");
  auto first = LoadFrom(dir);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  std::string text = DescribeConfig(*first);

  TempConfigDir again;
  for (const auto& [file, body] : Sections(text)) {
    if (!file.empty()) again.Write(file, body);
  }
  auto second = LoadFrom(again);
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(DescribeConfig(*second), text);
}

}  // namespace
}  // namespace nimbus::config
