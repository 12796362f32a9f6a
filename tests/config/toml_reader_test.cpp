// SPDX-License-Identifier: AGPL-3.0-or-later
#include "config/toml_reader.h"

#include <gtest/gtest.h>

#include "config/load.h"

namespace nimbus::config {
namespace {

TEST(TomlReader, EditDistance) {
  EXPECT_EQ(EditDistance("listen", "listen"), 0u);
  EXPECT_EQ(EditDistance("listn", "listen"), 1u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(TomlReader, SuggestOnlyCloseMatches) {
  std::vector<std::string> keys = {"listen", "log_level", "log_format"};
  EXPECT_EQ(Suggest("listn", keys), "listen");
  EXPECT_EQ(Suggest("log_levle", keys), "log_level");
  EXPECT_EQ(Suggest("database", keys), "");
}

TEST(TomlReader, EnvVarNameJoinsTablesWithUnderscore) {
  EXPECT_EQ(EnvVarName({"email.toml", "smtp.port"}), "NIMBUS_EMAIL_SMTP_PORT");
  EXPECT_EQ(EnvVarName({"server.toml", "header_timeout_s"}), "NIMBUS_SERVER_HEADER_TIMEOUT_S");
}

TEST(TomlReader, KnownKeysAreUniquePerFile) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& key : KnownConfigKeys()) {
    EXPECT_TRUE(seen.insert({key.file, key.path}).second) << key.file << " " << key.path;
  }
  EXPECT_TRUE(seen.contains({"server.toml", "listen"}));
  EXPECT_TRUE(seen.contains({"email.toml", "smtp.password_file"}));
  EXPECT_TRUE(seen.contains({"disks.toml", "disk.mirror"}));
}

TEST(TomlReader, ReadsIntoStructAndReportsUnknownKeys) {
  ReadContext ctx;
  std::map<std::string, std::string> env = {{"NIMBUS_T_B", "true"}};
  ctx.env = &env;
  toml::table table = toml::parse("a = 5\nb = false\nc = 1\n");
  TomlReader r(ctx, "t.toml", &table, "NIMBUS_T_", "/", nullptr);
  int a = 0;
  bool b = false;
  r.Int("a", a, 0, 10);
  r.Bool("b", b);
  r.Finish();
  EXPECT_EQ(a, 5);
  EXPECT_TRUE(b);  // The environment wins over the file.
  EXPECT_EQ(r.Where("b"), "NIMBUS_T_B");
  EXPECT_EQ(r.Where("a"), "t.toml: a");
  ASSERT_EQ(ctx.errors.size(), 1u);
  EXPECT_EQ(ctx.errors[0], "t.toml: c: unknown key");
}

}  // namespace
}  // namespace nimbus::config
