// Configuration as an operator meets it: `nimbus config check`, environment overrides, and the
// one-line errors that stop `nimbus serve`.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "integration/nimbus_fixture.h"

namespace nimbus::test {
namespace {

using ConfigTest = NimbusTest;

constexpr char kListenError[] =
    "server.toml: listen: expected a string \"host:port\", got the integer 42";

// The output of `config check`: one TOML document per file, each introduced by a comment line
// `# <file>.toml`. Parses each section on its own (the test fails if one is not TOML).
std::map<std::string, toml::table> ParseResolved(const std::string& out) {
  std::map<std::string, std::string> sections;
  std::string current;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("# ") && line.ends_with(".toml") &&
        line.find(' ', 2) == std::string::npos) {
      current = line.substr(2);
      sections[current];
      continue;
    }
    sections[current] += line + "\n";
  }
  std::map<std::string, toml::table> tables;
  for (const auto& [file, text] : sections) {
    if (file.empty()) {
      EXPECT_TRUE(text.find_first_not_of(" \n") == std::string::npos)
          << "output before the first '# <file>.toml' line: " << text;
      continue;
    }
    try {
      tables[file] = toml::parse(text);
    } catch (const toml::parse_error& e) {
      ADD_FAILURE() << file << " section is not TOML: " << e.description() << "\n" << text;
    }
  }
  return tables;
}

// The value at `path` ("smtp.port") of `file` in the parsed output, or nullptr.
const toml::node* Resolved(const std::map<std::string, toml::table>& tables,
                           const std::string& file, std::string_view path) {
  auto it = tables.find(file);
  if (it == tables.end()) return nullptr;
  return it->second.at_path(path).node();
}

TEST_F(ConfigTest, CheckOfAnEmptyConfigDirPrintsTheDefaultsAndExitsZero) {
  auto r = RunNimbus({"config", "check", "--config", config_dir()});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code(), 0) << r->err;
  auto resolved = ParseResolved(r->out);
  for (const char* file :
       {"server.toml", "accounts.toml", "email.toml", "disks.toml", "billing.toml", "files.toml"}) {
    EXPECT_TRUE(resolved.count(file)) << "no section for " << file << " in:\n" << r->out;
  }
  const toml::node* timeout = Resolved(resolved, "server.toml", "header_timeout_s");
  ASSERT_NE(timeout, nullptr) << r->out;
  EXPECT_EQ(timeout->value<int64_t>(), 10);
  const toml::node* max_header = Resolved(resolved, "server.toml", "max_header_bytes");
  ASSERT_NE(max_header, nullptr) << r->out;
  EXPECT_EQ(max_header->value<int64_t>(), 16384);
  const toml::node* listen = Resolved(resolved, "server.toml", "listen");
  ASSERT_NE(listen, nullptr) << r->out;
  EXPECT_EQ(listen->value<std::string>(), "127.0.0.1:8080");
}

TEST_F(ConfigTest, WithoutConfigFlagTheDotConfigDirIsUsed) {
  WriteConfig("server.toml", "idle_timeout_s = 44\n");  // The fixture's cwd has ./config.
  auto r = RunNimbus({"config", "check"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code(), 0) << r->err;
  auto resolved = ParseResolved(r->out);
  const toml::node* idle = Resolved(resolved, "server.toml", "idle_timeout_s");
  ASSERT_NE(idle, nullptr) << r->out;
  EXPECT_EQ(idle->value<int64_t>(), 44);
}

TEST_F(ConfigTest, CheckShowsValuesFromTheFileAndFromTheEnvironment) {
  WriteConfig("server.toml", "idle_timeout_s = 33\nheader_timeout_s = 7\n");
  auto r = RunNimbus({"config", "check", "--config", config_dir()},
                     {{"NIMBUS_SERVER_HEADER_TIMEOUT_S", "3"}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code(), 0) << r->err;
  auto resolved = ParseResolved(r->out);
  const toml::node* idle = Resolved(resolved, "server.toml", "idle_timeout_s");
  const toml::node* header = Resolved(resolved, "server.toml", "header_timeout_s");
  ASSERT_TRUE(idle != nullptr && header != nullptr) << r->out;
  EXPECT_EQ(idle->value<int64_t>(), 33);
  EXPECT_EQ(header->value<int64_t>(), 3) << "the environment must win over the file";
}

TEST_F(ConfigTest, CheckHidesSecrets) {
  WriteConfig("billing.toml", "webhook_secret = \"hunter2-in-the-file\"\n");
  auto r = RunNimbus({"config", "check", "--config", config_dir()});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code(), 0) << r->err;
  EXPECT_EQ(r->out.find("hunter2"), std::string::npos) << r->out;
  EXPECT_EQ(r->err.find("hunter2"), std::string::npos) << r->err;
  auto resolved = ParseResolved(r->out);
  const toml::node* secret = Resolved(resolved, "billing.toml", "webhook_secret");
  ASSERT_NE(secret, nullptr) << r->out;
  EXPECT_EQ(secret->value<std::string>(), "***");
}

TEST_F(ConfigTest, CheckHidesSecretsFromTheEnvironment) {
  auto r = RunNimbus({"config", "check", "--config", config_dir()},
                     {{"NIMBUS_EMAIL_SMTP_PASSWORD", "hunter3-in-the-env"}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code(), 0) << r->err;
  EXPECT_EQ((r->out + r->err).find("hunter3"), std::string::npos) << r->out;
  auto resolved = ParseResolved(r->out);
  const toml::node* secret = Resolved(resolved, "email.toml", "smtp.password");
  ASSERT_NE(secret, nullptr) << r->out;
  EXPECT_EQ(secret->value<std::string>(), "***");
}

TEST_F(ConfigTest, CheckRejectsAWrongTypeNamingFileKeyAndProblem) {
  WriteConfig("server.toml", "listen = 42\n");
  auto r = RunNimbus({"config", "check", "--config", config_dir()});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code(), 2);
  EXPECT_NE((r->out + r->err).find(kListenError), std::string::npos)
      << "stdout: " << r->out << "\nstderr: " << r->err;
}

TEST_F(ConfigTest, ServeRefusesToStartWithTheSameConfigError) {
  WriteConfig("server.toml", "listen = 42\n");
  auto r = RunNimbus(
      {"serve", "--listen", "127.0.0.1:0", "--data", data_dir(), "--config", config_dir()}, {},
      std::chrono::seconds(10));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->timed_out) << "serve kept running with an invalid config";
  EXPECT_EQ(r->exit_code(), 2);
  EXPECT_NE(r->err.find(kListenError), std::string::npos) << "stderr: " << r->err;
  EXPECT_EQ(r->out.find("listening on"), std::string::npos) << r->out;
}

TEST_F(ConfigTest, AnUnknownKeyIsAnErrorNamingIt) {
  WriteConfig("server.toml", "header_timeout_z = 5\n");
  auto r = RunNimbus({"config", "check", "--config", config_dir()});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE(r->exit_code(), 0);
  std::string all = r->out + r->err;
  EXPECT_NE(all.find("server.toml"), std::string::npos) << all;
  EXPECT_NE(all.find("header_timeout_z"), std::string::npos) << all;
}

TEST_F(ConfigTest, AnOutOfRangeValueIsAnErrorNamingTheKey) {
  WriteConfig("server.toml", "header_timeout_s = 0\n");
  auto r = RunNimbus({"config", "check", "--config", config_dir()});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE(r->exit_code(), 0);
  std::string all = r->out + r->err;
  EXPECT_NE(all.find("server.toml: header_timeout_s:"), std::string::npos) << all;
}

TEST_F(ConfigTest, ABadEnvironmentValueIsAnErrorNamingTheVariableOrKey) {
  auto r = RunNimbus({"config", "check", "--config", config_dir()},
                     {{"NIMBUS_SERVER_MAX_CONNECTIONS", "lots"}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE(r->exit_code(), 0);
  std::string all = r->out + r->err;
  EXPECT_TRUE(ContainsIgnoreCase(all, "max_connections")) << all;
  EXPECT_NE(all.find("lots"), std::string::npos) << all;
}

TEST_F(ConfigTest, EveryErrorIsReportedNotOnlyTheFirst) {
  WriteConfig("server.toml", "listen = 42\n");
  WriteConfig("files.toml", "trash_retention_days = \"x\"\n");
  auto r = RunNimbus({"config", "check", "--config", config_dir()});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code(), 2);
  std::string all = r->out + r->err;
  EXPECT_NE(all.find(kListenError), std::string::npos) << all;
  EXPECT_NE(all.find("files.toml: trash_retention_days:"), std::string::npos) << all;
}

TEST_F(ConfigTest, ASecretReadFromAFileIsHidden) {
  std::string secret_path = tmp().File("webhook.secret");
  {
    std::ofstream f(secret_path);
    f << "hunter4-in-a-file\n";
  }
  WriteConfig("billing.toml", "webhook_secret_file = \"" + secret_path + "\"\n");
  auto r = RunNimbus({"config", "check", "--config", config_dir()});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code(), 0) << r->err;
  EXPECT_EQ((r->out + r->err).find("hunter4"), std::string::npos) << r->out;
  auto resolved = ParseResolved(r->out);
  const toml::node* secret = Resolved(resolved, "billing.toml", "webhook_secret");
  ASSERT_NE(secret, nullptr) << r->out;
  EXPECT_EQ(secret->value<std::string>(), "***")
      << "the file's secret was not loaded or not hidden";
}

TEST_F(ConfigTest, ServeRefusesABadEnvironmentValue) {
  auto r = RunNimbus({"serve", "--listen", "127.0.0.1:0", "--data", data_dir()},
                     {{"NIMBUS_SERVER_MAX_CONNECTIONS", "lots"}}, std::chrono::seconds(10));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->exit_code(), 2);
  EXPECT_TRUE(ContainsIgnoreCase(r->err, "max_connections")) << r->err;
  EXPECT_EQ(r->out.find("listening on"), std::string::npos);
}

TEST_F(ConfigTest, ServeRefusesABadListenFlag) {
  auto r = RunNimbus({"serve", "--listen", "127.0.0.1:99999", "--data", data_dir()}, {},
                     std::chrono::seconds(10));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->exit_code(), 2);
  EXPECT_NE(r->err.find("99999"), std::string::npos) << r->err;
}

TEST_F(ConfigTest, AnEnvironmentOverrideChangesWhatServeDoes) {
  // max_header_bytes from the environment: a 3 KiB header passes the 16 KiB default but not
  // a 2 KiB limit.
  auto port = StartServer({{"NIMBUS_SERVER_MAX_HEADER_BYTES", "2048"}});
  ASSERT_TRUE(port) << port.error().message;
  auto resp = HttpGet(*port, "/healthz", {{"X-Filler", std::string(3072, 'a')}});
  ASSERT_TRUE(resp) << resp.error().message;
  EXPECT_EQ(resp->status, 431);
}

TEST_F(ConfigTest, MalformedTomlIsAnErrorNamingTheFile) {
  WriteConfig("files.toml", "trash_retention_days = = 3\n");
  auto r = RunNimbus({"config", "check", "--config", config_dir()});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE(r->exit_code(), 0);
  EXPECT_NE((r->out + r->err).find("files.toml"), std::string::npos) << r->out << r->err;
}

// `config check` next to an installation compares disks.toml with the disks the database
// records (QA pass 14, finding 15): a disk taken out of the file is still in use, one moved to
// another place would stop the server, a new one is set up at the next start.
TEST_F(ConfigTest, CheckComparesDisksTomlWithTheDatabase) {
  const std::string pair = R"(
[[disk]]
id = "a1"
category = "A"
uri = "file:disks/a1"
capacity = "512MiB"
mirror = "a1m"

[[disk]]
id = "a1m"
category = "A"
uri = "file:disks/a1m"
capacity = "512MiB"
role = "mirror"
mirror = "a1"
)";
  WriteConfig("disks.toml", pair + R"(
[[spare]]
id = "spare1"
uri = "file:disks/spare1"
capacity = "256MiB"
)");
  auto before = RunNimbus({"config", "check", "--config", config_dir(), "--data", data_dir()});
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ(before->exit_code(), 0) << before->err;
  EXPECT_NE(before->out.find("# database: none yet at"), std::string::npos) << before->out;
  ASSERT_TRUE(StartServer({}, {}, true));
  EXPECT_EQ(server().Terminate().code, 0);

  auto same = RunNimbus({"config", "check", "--config", config_dir(), "--data", data_dir()});
  ASSERT_TRUE(same);
  EXPECT_EQ(same->exit_code(), 0) << same->err;
  EXPECT_NE(same->out.find("#   they match"), std::string::npos) << same->out;
  ParseResolved(same->out);  // Still TOML: the report is comments.

  // spare1 taken out of the file, a2 added, a1 moved: a1 is the problem that stops `serve`.
  std::string moved = pair;
  moved.replace(moved.find("file:disks/a1\""), 14, "file:disks/a1-new\"");
  WriteConfig("disks.toml", moved + R"(
[[disk]]
id = "a2"
category = "A"
uri = "file:disks/a2"
capacity = "512MiB"
mirror = "a2m"

[[disk]]
id = "a2m"
category = "A"
uri = "file:disks/a2m"
capacity = "512MiB"
role = "mirror"
mirror = "a2"
)");
  auto changed = RunNimbus({"config", "check", "--config", config_dir(), "--data", data_dir()});
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->exit_code(), 1) << changed->out;
  EXPECT_NE(changed->out.find("#   problem: disk 'a1' is recorded at"), std::string::npos)
      << changed->out;
  EXPECT_NE(changed->out.find("#   new: disk 'a2' is set up at the next start"), std::string::npos)
      << changed->out;
  EXPECT_NE(changed->out.find("#   not in disks.toml: disk 'spare1' is recorded and stays in use"),
            std::string::npos)
      << changed->out;
  EXPECT_NE(changed->err.find("does not match the database"), std::string::npos) << changed->err;
}

}  // namespace
}  // namespace nimbus::test
