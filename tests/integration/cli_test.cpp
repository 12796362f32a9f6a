// The `nimbus` command line as an operator uses it: --version, serve with no config, job run,
// admin job list, and flags placed after a subcommand's own arguments.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <regex>
#include <string>

#include "integration/nimbus_fixture.h"
#include "support/python.h"

namespace nimbus::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

using CliTest = NimbusTest;

TEST_F(CliTest, VersionPrintsNameVersionAndCommit) {
  auto r = RunNimbus({"--version"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code(), 0) << r->err;
  std::smatch m;
  std::regex re(R"(^nimbus (\S+) \((\S+)\)\n?$)");
  ASSERT_TRUE(std::regex_match(r->out, m, re)) << "stdout: '" << r->out << "'";
  EXPECT_EQ(m[1].str(), NIMBUS_PROJECT_VERSION);
  // The commit the binary was built from (written at build time), or "unknown" outside git.
  EXPECT_TRUE(std::regex_match(m[2].str(), std::regex(R"([0-9a-f]{12}(-dirty)?|unknown)")))
      << m[2].str();
}

TEST_F(CliTest, ServeWithNoConfigCreatesTheDataDirAndDatabase) {
  ASSERT_FALSE(fs::exists(data_dir()));
  fs::remove(config_dir());  // No ./config either: built-in defaults only.
  auto port = StartServer();
  ASSERT_TRUE(port) << port.error().message;
  EXPECT_TRUE(fs::is_directory(data_dir()));
  EXPECT_TRUE(fs::is_regular_file(fs::path(data_dir()) / "nimbus.db"));
  auto resp = HttpGet(*port, "/healthz");
  ASSERT_TRUE(resp) << resp.error().message;
  EXPECT_EQ(resp->status, 200);
  std::string out = server().Stdout();
  EXPECT_NE(out.find("listening on http://127.0.0.1:" + std::to_string(*port)), std::string::npos)
      << out;
}

TEST_F(CliTest, ServeAcceptsFlagsInAnyOrder) {
  fs::remove(config_dir());
  auto proc = ServerProcess::Start(
      {.args = {"serve", "--data", data_dir(), "--listen", "127.0.0.1:0"}, .cwd = tmp().path()});
  ASSERT_TRUE(proc) << proc.error().message;
  auto port = (*proc)->WaitForListening();
  ASSERT_TRUE(port) << port.error().message;
  EXPECT_TRUE(fs::exists(fs::path(data_dir()) / "nimbus.db"));
  EXPECT_EQ((*proc)->Terminate().code, 0);
}

TEST_F(CliTest, ServeWithoutDataFlagUsesDotNimbusData) {
  auto proc =
      ServerProcess::Start({.args = {"serve", "--listen", "127.0.0.1:0"}, .cwd = tmp().path()});
  ASSERT_TRUE(proc) << proc.error().message;
  auto port = (*proc)->WaitForListening();
  ASSERT_TRUE(port) << port.error().message;
  EXPECT_TRUE(fs::is_regular_file(tmp().path() / "nimbus-data" / "nimbus.db"));
  EXPECT_EQ((*proc)->Terminate().code, 0);
}

TEST_F(CliTest, JsonLogFormatWritesOneJsonObjectPerLine) {
  auto port = StartServer({{"NIMBUS_SERVER_LOG_FORMAT", "json"}});
  ASSERT_TRUE(port) << port.error().message;
  auto resp = HttpGet(*port, "/healthz");
  ASSERT_TRUE(resp) << resp.error().message;
  std::string id = resp->HeaderOr("X-Request-Id");
  ExitStatus st = server().Terminate();
  EXPECT_EQ(st.code, 0) << st.Describe();
  std::string err = server().Stderr();
  ASSERT_FALSE(err.empty());
  std::size_t lines = 0;
  bool saw_request = false;
  for (std::size_t begin = 0; begin < err.size();) {
    std::size_t end = err.find('\n', begin);
    if (end == std::string::npos) end = err.size();
    std::string line = err.substr(begin, end - begin);
    begin = end + 1;
    if (line.empty()) continue;
    ++lines;
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    EXPECT_FALSE(ec) << "not JSON: " << line;
    EXPECT_TRUE(!ec && v.is_object() && v.as_object().contains("level")) << line;
    if (line.find(id) != std::string::npos) saw_request = true;
  }
  EXPECT_GE(lines, 2u);
  EXPECT_TRUE(saw_request) << "no log line carries the request id " << id << ":\n" << err;
}

// Finds the entry of job `name` in the output of `admin job list --json`: either a top-level
// array or an array under "jobs", each item an object with "name".
const json::object* FindJob(const json::value& doc, std::string_view name) {
  const json::array* jobs = doc.if_array();
  if (jobs == nullptr && doc.is_object()) {
    if (const auto* v = doc.as_object().if_contains("jobs")) jobs = v->if_array();
  }
  if (jobs == nullptr) return nullptr;
  for (const auto& item : *jobs) {
    const auto* obj = item.if_object();
    if (obj == nullptr) continue;
    const auto* n = obj->if_contains("name");
    if (n != nullptr && n->is_string() && n->as_string() == name) return obj;
  }
  return nullptr;
}

// The first field of `job` whose key contains `part` ("last", "next"), or nullptr.
const json::value* FieldContaining(const json::object& job, std::string_view part) {
  for (const auto& kv : job) {
    if (std::string_view(kv.key()).find(part) != std::string_view::npos) return &kv.value();
  }
  return nullptr;
}

TEST_F(CliTest, JobRunDbMaintenanceRunsAndIsRecordedInJobList) {
  fs::create_directories(data_dir());  // The operator's mkdir: only serve makes one.
  // The flag after the positional job name, as an operator's cron line would have it.
  auto run = RunNimbus({"job", "run", "db-maintenance", "--data", data_dir()});
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->exit_code(), 0) << "stdout: " << run->out << "\nstderr: " << run->err;
  EXPECT_FALSE(run->out.empty()) << "job run printed no outcome; stderr: " << run->err;

  auto list = RunNimbus({"admin", "job", "list", "--json", "--data", data_dir()});
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->exit_code(), 0) << list->err;
  boost::system::error_code ec;
  json::value doc = json::parse(list->out, ec);
  ASSERT_FALSE(ec) << "not JSON: '" << list->out << "'";
  const json::object* job = FindJob(doc, "db-maintenance");
  ASSERT_NE(job, nullptr) << "db-maintenance missing from: " << list->out;
  const json::value* last = FieldContaining(*job, "last");
  const json::value* next = FieldContaining(*job, "next");
  ASSERT_NE(last, nullptr) << "no last-run field in " << json::serialize(*job);
  ASSERT_NE(next, nullptr) << "no next-run field in " << json::serialize(*job);
  EXPECT_FALSE(last->is_null()) << "the run we just made is not recorded: " << list->out;
  EXPECT_TRUE(next->is_string() && !next->as_string().empty())
      << "a daily job has no next run: " << json::serialize(*job);

  // A job that needs the disks (not registered by the listing command itself) is still a job of
  // this binary: registered, not a row left by a job that no longer exists (QA pass 15).
  auto purge = RunNimbus({"job", "run", "tus-cleanup", "--data", data_dir()});
  ASSERT_TRUE(purge) << purge.error().message;
  ASSERT_EQ(purge->exit_code(), 0) << purge->out << purge->err;
  auto again = RunNimbus({"admin", "job", "list", "--json", "--data", data_dir()});
  ASSERT_TRUE(again) << again.error().message;
  json::value listed = json::parse(again->out, ec);
  ASSERT_FALSE(ec) << again->out;
  const json::object* tus = FindJob(listed, "tus-cleanup");
  ASSERT_NE(tus, nullptr) << again->out;
  EXPECT_TRUE(tus->at("registered").as_bool()) << again->out;
}

// `nimbus admin backup` while the server runs: a checked copy of the catalog that SQLite (and
// Python) opens with the same accounts; an existing file is not overwritten (QA pass 19: no
// documented way to back the catalog up).
TEST_F(CliTest, BackupCopiesTheCatalogWhileTheServerRuns) {
  auto port = StartServer();
  ASSERT_TRUE(port) << port.error().message;
  auto ann = RunNimbus({"admin", "user", "create", "ann@example.com", "--data", data_dir()});
  ASSERT_TRUE(ann) << ann.error().message;
  ASSERT_EQ(ann->exit_code(), 0) << ann->err;
  const fs::path dir = fs::path(data_dir()).parent_path() / "backups";
  fs::create_directories(dir);
  auto backup = RunNimbus({"admin", "backup", dir.string(), "--data", data_dir()});
  ASSERT_TRUE(backup) << backup.error().message;
  ASSERT_EQ(backup->exit_code(), 0) << backup->out << backup->err;
  EXPECT_NE(backup->out.find("and checked"), std::string::npos) << backup->out;
  std::vector<fs::path> copies;
  for (const auto& e : fs::directory_iterator(dir)) copies.push_back(e.path());
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_TRUE(copies[0].filename().string().starts_with("nimbus-")) << copies[0];
  EXPECT_EQ(Python("import sqlite3, sys\n"
                   "c = sqlite3.connect(sys.argv[1])\n"
                   "print(c.execute('PRAGMA integrity_check').fetchone()[0],\n"
                   "      c.execute('SELECT email FROM users').fetchall())",
                   {copies[0].string()}),
            "ok [('ann@example.com',)]\n");
  auto again = RunNimbus({"admin", "backup", copies[0].string(), "--data", data_dir()});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->exit_code(), 2);
  EXPECT_NE(again->err.find("exists already"), std::string::npos) << again->err;
  auto health = HttpGet(*port, "/healthz");
  ASSERT_TRUE(health) << health.error().message;
  EXPECT_EQ(health->status, 200);
}

// An operator lists jobs to see when each runs next, before any has run.
TEST_F(CliTest, JobListBeforeAnyRunShowsEveryJobWithItsNextRun) {
  // An empty data directory (a listing never creates a missing one: a mistyped --data).
  ASSERT_TRUE(std::filesystem::create_directories(data_dir()));
  auto list = RunNimbus({"admin", "job", "list", "--json", "--data", data_dir()});
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->exit_code(), 0) << list->err;
  boost::system::error_code ec;
  json::value doc = json::parse(list->out, ec);
  ASSERT_FALSE(ec) << "not JSON: '" << list->out << "'";
  const json::object* job = FindJob(doc, "db-maintenance");
  ASSERT_NE(job, nullptr) << list->out;
  const json::value* last = FieldContaining(*job, "last");
  ASSERT_NE(last, nullptr) << json::serialize(*job);
  EXPECT_TRUE(last->is_null() || (last->is_object() && last->as_object().empty()))
      << "a job that never ran shows a last run: " << json::serialize(*job);
  const json::value* next = FieldContaining(*job, "next");
  ASSERT_NE(next, nullptr) << json::serialize(*job);
  EXPECT_TRUE(next->is_string() && !next->as_string().empty())
      << "a daily job has no next run: " << json::serialize(*job);
}

TEST_F(CliTest, JobRunOfAnUnknownJobFailsNamingTheKnownJobs) {
  auto r = RunNimbus({"job", "run", "no-such-job", "--data", data_dir()});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE(r->exit_code(), 0);
  std::string all = r->out + r->err;
  EXPECT_NE(all.find("no-such-job"), std::string::npos) << all;
  // All of them, also those that need the disks (QA pass 10 saw only four).
  for (const char* job : {"billing", "db-maintenance", "disk-health", "mail-outbox", "scrub",
                          "trash-purge", "tus-cleanup", "thumbnail-cache"}) {
    EXPECT_NE(all.find(job), std::string::npos) << job << " not named: " << all;
  }
}

TEST_F(CliTest, UnknownSubcommandFailsNamingItAndTheCommandsThereAre) {
  auto r = RunNimbus({"frobnicate"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code(), 2);
  EXPECT_NE(r->err.find("nimbus: 'frobnicate' is not a command here; the commands are: serve, "
                        "config, job, admin."),
            std::string::npos)
      << r->err;
  auto deeper = RunNimbus({"admin", "disk", "frobnicate"});
  ASSERT_TRUE(deeper) << deeper.error().message;
  EXPECT_EQ(deeper->exit_code(), 2);
  EXPECT_NE(deeper->err.find("nimbus admin disk: 'frobnicate' is not a command here"),
            std::string::npos)
      << deeper->err;
  EXPECT_NE(deeper->err.find("Run 'nimbus admin disk --help'"), std::string::npos) << deeper->err;
}

}  // namespace
}  // namespace nimbus::test
