// The disks as an operator meets them: the default layout created on a fresh data dir,
// `nimbus admin disk list|show|fail|heal` (server stopped and running), a disk with the wrong
// marker refusing start-up, and the disk gauges and readiness of a running server.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "integration/nimbus_fixture.h"
#include "support/python.h"

namespace nimbus::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

using DiskCliTest = NimbusTest;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(DiskCliTest, FailingTheLastWorkingCopyOfAPairWithUsersAsksForForce) {
  std::filesystem::create_directories(data_dir());  // The operator's mkdir.
  auto user = RunNimbus({"admin", "user", "create", "ops@example.com", "--data", data_dir()});
  ASSERT_TRUE(user) << user.error().message;
  ASSERT_EQ(user->exit_code(), 0) << user->err;  // Placed on pair a1/a1m (the free plan).
  auto mirror = RunNimbus({"admin", "disk", "fail", "a1m", "--data", data_dir()});
  ASSERT_TRUE(mirror);
  ASSERT_EQ(mirror->exit_code(), 0) << mirror->err;
  auto last = RunNimbus({"admin", "disk", "fail", "a1", "--data", data_dir()});
  ASSERT_TRUE(last);
  EXPECT_EQ(last->exit_code(), 1);
  EXPECT_NE(last->err.find("disk 'a1' holds the only working copy of the files of 1 user(s): its "
                           "partner 'a1m' is failed"),
            std::string::npos)
      << last->err;
  auto show = RunNimbus({"admin", "disk", "show", "a1", "--json", "--data", data_dir()});
  ASSERT_TRUE(show);
  EXPECT_EQ(json::parse(show->out).at("state"), "healthy") << show->out;
  auto forced = RunNimbus({"admin", "disk", "fail", "a1", "--force", "--data", data_dir()});
  ASSERT_TRUE(forced);
  EXPECT_EQ(forced->exit_code(), 0) << forced->err;
  EXPECT_NE(forced->err.find("its partner 'a1m' is not serving either"), std::string::npos)
      << forced->err;
  show = RunNimbus({"admin", "disk", "show", "a1", "--json", "--data", data_dir()});
  ASSERT_TRUE(show);
  EXPECT_EQ(json::parse(show->out).at("state"), "failed") << show->out;

  // The spares that took category A's place fail too: no capacity is left there. Looking at
  // the disks then says so in the log, and mails no one (QA pass 17b: `admin disk list` mailed
  // "No storage capacity left").
  for (const char* spare : {"spare1", "spare2"}) {
    auto failed = RunNimbus({"admin", "disk", "fail", spare, "--data", data_dir()});
    ASSERT_TRUE(failed);
    ASSERT_EQ(failed->exit_code(), 0) << failed->err;
  }
  auto subjects = [this] {
    return Python(
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1])\n"
        "for (s,) in c.execute('SELECT subject FROM mail_outbox ORDER BY id'): print(s)\n",
        {data_dir() + "/nimbus.db"});
  };
  const std::string before = subjects();
  auto list = RunNimbus({"admin", "disk", "list", "--data", data_dir()});
  ASSERT_TRUE(list);
  EXPECT_EQ(list->exit_code(), 0) << list->err;
  EXPECT_NE(list->err.find("no capacity left in category A"), std::string::npos) << list->err;
  ASSERT_TRUE(RunNimbus({"admin", "disk", "show", "a1", "--data", data_dir()}));
  EXPECT_EQ(subjects(), before);
  // Commands about other things leave capacity to the server and the disk commands, instead of
  // printing the alert every time (QA pass 19).
  for (std::vector<std::string> other : {std::vector<std::string>{"admin", "user", "list"},
                                         std::vector<std::string>{"admin", "invoice", "list"}}) {
    other.insert(other.end(), {"--data", data_dir()});
    auto quiet = RunNimbus(other);
    ASSERT_TRUE(quiet);
    EXPECT_EQ(quiet->exit_code(), 0) << quiet->err;
    EXPECT_EQ(quiet->err.find("no capacity left"), std::string::npos) << quiet->err;
  }
}

// A partner that is in service but still lacks some blobs (writes it missed while it was out,
// repairs pending) has no copy of those: failing the disk that has them asks for force too (QA
// pass 17: such files answered 404 after the fail).
TEST_F(DiskCliTest, FailingADiskWhosePartnerStillLacksBlobsAsksForForce) {
  std::filesystem::create_directories(data_dir());
  auto user = RunNimbus({"admin", "user", "create", "ops@example.com", "--data", data_dir()});
  ASSERT_TRUE(user) << user.error().message;
  ASSERT_EQ(user->exit_code(), 0) << user->err;
  const std::string queued = Python(
      "import sqlite3, sys\n"
      "c = sqlite3.connect(sys.argv[1])\n"
      "c.execute(\"INSERT INTO repair_queue (primary_id, blob_id, target, reason, created_at) "
      "VALUES ('a1', '0123456789abcdef0123456789abcdef', 'mirror', 'write failed', 1)\")\n"
      "c.commit()\n"
      "print('ok')\n",
      {data_dir() + "/nimbus.db"});
  ASSERT_EQ(queued, "ok\n");
  auto fail = RunNimbus({"admin", "disk", "fail", "a1", "--data", data_dir()});
  ASSERT_TRUE(fail);
  EXPECT_EQ(fail->exit_code(), 1);
  EXPECT_NE(fail->err.find("disk 'a1' holds the only copy of 1 file(s): its partner 'a1m' is "
                           "degraded and still lacks them"),
            std::string::npos)
      << fail->err;
  auto forced = RunNimbus({"admin", "disk", "fail", "a1", "--force", "--data", data_dir()});
  ASSERT_TRUE(forced);
  EXPECT_EQ(forced->exit_code(), 0) << forced->err;
}

TEST_F(DiskCliTest, FreshDataDirHasTheDefaultLayout) {
  // An empty data directory (a listing never creates a missing one: a mistyped --data).
  ASSERT_TRUE(fs::create_directories(data_dir()));
  auto r = RunNimbus({"admin", "disk", "list", "--json", "--data", data_dir()});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->exit_code(), 0) << r->err;
  json::array disks = json::parse(r->out).as_array();
  ASSERT_EQ(disks.size(), 12u) << r->out;
  std::map<std::string, json::object> by_id;
  for (const auto& d : disks) by_id[std::string(d.at("id").as_string())] = d.as_object();
  for (std::string p : {"a1", "b1", "c1", "d1", "e1"}) {
    const std::string category(1, static_cast<char>(std::toupper(p[0])));
    ASSERT_TRUE(by_id.contains(p)) << r->out;
    ASSERT_TRUE(by_id.contains(p + "m")) << r->out;
    const auto& primary = by_id[p];
    const auto& mirror = by_id[p + "m"];
    EXPECT_EQ(primary.at("role"), "primary");
    EXPECT_EQ(primary.at("category"), category.c_str());
    EXPECT_EQ(primary.at("mirror_id"), (p + "m").c_str());
    EXPECT_EQ(primary.at("state"), "healthy");
    EXPECT_EQ(mirror.at("role"), "mirror");
    EXPECT_EQ(mirror.at("category"), category.c_str());
    EXPECT_EQ(mirror.at("mirror_id"), p.c_str());
    EXPECT_GT(primary.at("capacity_bytes").to_number<double>(), 0);
    EXPECT_EQ(primary.at("allocated_bytes").to_number<double>(), 0);
    EXPECT_EQ(primary.at("used_bytes").to_number<double>(), 0);
    EXPECT_EQ(primary.at("users").to_number<double>(), 0);
    EXPECT_NE(std::string(primary.at("uri").as_string()).find("/disks/" + p), std::string::npos);
  }
  for (std::string s : {"spare1", "spare2"}) {
    ASSERT_TRUE(by_id.contains(s)) << r->out;
    EXPECT_EQ(by_id[s].at("role"), "spare");
    EXPECT_EQ(by_id[s].at("state"), "spare");
    EXPECT_EQ(by_id[s].at("category"), "");
  }

  // The CLI does not touch the disks; the server creates them with their markers.
  auto port = StartServer();
  ASSERT_TRUE(port) << port.error().message;
  for (const auto& [id, d] : by_id) {
    const fs::path marker = fs::path(data_dir()) / "disks" / id / ".nimbus-disk";
    ASSERT_TRUE(fs::is_regular_file(marker)) << marker;
    EXPECT_NE(ReadFile(marker).find("id = \"" + id + "\""), std::string::npos) << marker;
  }
  const std::string log = server().Stdout() + server().Stderr();
  EXPECT_NE(log.find("the layout (12 disks)"), std::string::npos) << log;
  EXPECT_NE(log.find("spare2  spare"), std::string::npos) << log;
  EXPECT_EQ(server().Terminate().code, 0);
}

TEST_F(DiskCliTest, FailShowsFailedAndUnknownIdsAreRefused) {
  std::filesystem::create_directories(data_dir());  // The operator's mkdir.
  auto fail = RunNimbus({"admin", "disk", "fail", "a1", "--data", data_dir()});
  ASSERT_TRUE(fail) << fail.error().message;
  EXPECT_EQ(fail->exit_code(), 0) << fail->err;
  auto show = RunNimbus({"admin", "disk", "show", "a1", "--json", "--data", data_dir()});
  ASSERT_TRUE(show) << show.error().message;
  ASSERT_EQ(show->exit_code(), 0) << show->err;
  json::object a1 = json::parse(show->out).as_object();
  EXPECT_EQ(a1.at("state"), "failed");
  EXPECT_EQ(a1.at("mirror_id"), "a1m");

  auto list = RunNimbus({"admin", "disk", "list", "--data", data_dir()});
  ASSERT_TRUE(list) << list.error().message;
  EXPECT_EQ(list->exit_code(), 0) << list->err;
  EXPECT_NE(list->out.find("a1       A    primary  failed"), std::string::npos) << list->out;

  for (const char* verb : {"show", "fail", "heal"}) {
    auto unknown = RunNimbus({"admin", "disk", verb, "nosuchdisk", "--data", data_dir()});
    ASSERT_TRUE(unknown) << unknown.error().message;
    EXPECT_EQ(unknown->exit_code(), 2) << verb;
    EXPECT_NE(unknown->err.find("nosuchdisk"), std::string::npos) << unknown->err;
  }

  auto heal = RunNimbus({"admin", "disk", "heal", "a1", "--data", data_dir()});
  ASSERT_TRUE(heal) << heal.error().message;
  EXPECT_EQ(heal->exit_code(), 0) << heal->err;
  show = RunNimbus({"admin", "disk", "show", "a1", "--json", "--data", data_dir()});
  ASSERT_TRUE(show) << show.error().message;
  EXPECT_EQ(json::parse(show->out).at("state"), "healthy");
}

TEST_F(DiskCliTest, ADiskWithAnotherDisksMarkerStopsServeNamingIt) {
  const fs::path dir = fs::path(data_dir()) / "disks" / "c1m";
  fs::create_directories(dir);
  std::ofstream(dir / ".nimbus-disk") << "id = \"b1\"\n";
  auto proc = ServerProcess::Start(
      {.args = {"serve", "--data", data_dir(), "--listen", "127.0.0.1:0"}, .cwd = tmp().path()});
  ASSERT_TRUE(proc) << proc.error().message;
  auto status = (*proc)->WaitForExit(std::chrono::seconds(20));
  ASSERT_TRUE(status) << "serve kept running";
  EXPECT_NE(status->code, 0);
  const std::string output = (*proc)->Stdout() + (*proc)->Stderr();
  EXPECT_NE(output.find("disk c1m"), std::string::npos) << output;
  EXPECT_NE(output.find(dir.string()), std::string::npos) << output;
  EXPECT_EQ(output.find("listening on"), std::string::npos) << output;
  EXPECT_EQ(ReadFile(dir / ".nimbus-disk"), "id = \"b1\"\n") << "the marker must be left alone";
}

// A second installation (another data directory, e.g. a service started from another working
// directory) given the same disks refuses them and does not start: it would place its users on
// them, and its scrub would delete the first one's blobs as orphans (QA pass 17b, finding 4).
TEST_F(DiskCliTest, ASecondInstallationGivenTheSameDisksRefusesToStart) {
  const fs::path mnt = tmp().path() / "mnt";
  WriteConfig("disks.toml", fmt::format(R"([[disk]]
id = "a1"
category = "A"
uri = "file:{0}/a1"
capacity = "1GiB"
mirror = "a1m"

[[disk]]
id = "a1m"
role = "mirror"
uri = "file:{0}/a1m"
capacity = "1GiB"
)",
                                        mnt.string()));
  fs::create_directories(mnt / "a1");
  fs::create_directories(mnt / "a1m");
  auto port = StartServer({}, {}, /*with_config=*/true);
  ASSERT_TRUE(port) << port.error().message;
  EXPECT_EQ(server().Terminate().code, 0);
  const std::string marker = ReadFile(mnt / "a1" / ".nimbus-disk");
  EXPECT_NE(marker.find("installation = \""), std::string::npos) << marker;

  const std::string other = (tmp().path() / "other-data").string();
  auto proc = ServerProcess::Start(
      {.args = {"serve", "--data", other, "--config", config_dir(), "--listen", "127.0.0.1:0"},
       .cwd = tmp().path()});
  ASSERT_TRUE(proc) << proc.error().message;
  auto status = (*proc)->WaitForExit(std::chrono::seconds(20));
  ASSERT_TRUE(status) << "the second installation kept running";
  EXPECT_NE(status->code, 0);
  const std::string output = (*proc)->Stdout() + (*proc)->Stderr();
  EXPECT_NE(output.find("belongs to another Nimbus installation"), std::string::npos) << output;
  EXPECT_EQ(output.find("listening on"), std::string::npos) << output;
  EXPECT_EQ(ReadFile(mnt / "a1" / ".nimbus-disk"), marker) << "the marker must be left alone";

  // The first installation still starts with them.
  ASSERT_TRUE(StartServer({}, {}, /*with_config=*/true));
  EXPECT_EQ(server().Terminate().code, 0);
}

TEST_F(DiskCliTest, RunningServerExportsDiskGaugesAndPicksUpAdminFailures) {
  auto port = StartServer({{"NIMBUS_DISKS_HEALTH_INTERVAL_S", "1"}});
  ASSERT_TRUE(port) << port.error().message;
  auto metrics = HttpGet(*port, "/metrics");
  ASSERT_TRUE(metrics) << metrics.error().message;
  EXPECT_NE(metrics->body.find("nimbus_disk_state{disk=\"a1\",category=\"A\",state=\"healthy\"} 1"),
            std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("nimbus_disk_capacity_bytes{disk=\"e1m\",category=\"E\"}"),
            std::string::npos);
  EXPECT_NE(metrics->body.find("nimbus_disk_allocated_bytes{disk=\"b1\",category=\"B\"} 0"),
            std::string::npos);
  EXPECT_NE(metrics->body.find("nimbus_disk_used_bytes{disk=\"spare1\",category=\"\"} 0"),
            std::string::npos);
  auto ready = HttpGet(*port, "/readyz");
  ASSERT_TRUE(ready) << ready.error().message;
  EXPECT_EQ(ready->status, 200) << ready->body;

  // Both disks of category D's only pair failed while the server runs: not ready, naming it.
  // The spares are failed first: a category without a healthy pair would get them attached as
  // a new pair, which the server then serves from (see resilver_cli_test.cpp).
  for (const char* id : {"spare1", "spare2", "d1", "d1m"}) {
    auto fail = RunNimbus({"admin", "disk", "fail", id, "--data", data_dir()});
    ASSERT_TRUE(fail) << fail.error().message;
    ASSERT_EQ(fail->exit_code(), 0) << fail->err;
  }
  int status = 0;
  std::string body;
  for (int i = 0; i < 100 && status != 503; ++i) {  // The health job runs every second.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto r = HttpGet(*port, "/readyz");
    ASSERT_TRUE(r) << r.error().message;
    status = r->status;
    body = r->body;
  }
  EXPECT_EQ(status, 503);
  EXPECT_NE(body.find("category D"), std::string::npos) << body;
  // The gauges are refreshed at the end of the same health round, just after /readyz changed.
  const std::string failed_gauge =
      "nimbus_disk_state{disk=\"d1m\",category=\"D\",state=\"failed\"} 1";
  for (int i = 0; i < 50; ++i) {
    metrics = HttpGet(*port, "/metrics");
    ASSERT_TRUE(metrics) << metrics.error().message;
    if (metrics->body.find(failed_gauge) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(metrics->body.find(failed_gauge), std::string::npos) << metrics->body;
  EXPECT_EQ(server().Terminate().code, 0);
}

// A command run next to a server started with --listen (no public_url set) mails links to where
// that server serves, not to the default 127.0.0.1:8080 (QA pass 12, plans finding 2).
TEST_F(DiskCliTest, MailsOfCommandsLinkToWhereTheServerServes) {
  auto port = StartServer({{"NIMBUS_EMAIL_OUTBOX_POLL_INTERVAL_S", "1"}});
  ASSERT_TRUE(port) << port.error().message;
  const std::string url = "http://127.0.0.1:" + std::to_string(*port);
  EXPECT_EQ(ReadFile(fs::path(data_dir()) / "served_url"), url + "\n");
  auto admin =
      RunNimbus({"admin", "user", "create", "boss@example.com", "--admin", "--data", data_dir()});
  ASSERT_TRUE(admin) << admin.error().message;
  ASSERT_EQ(admin->exit_code(), 0) << admin->err;
  auto fail = RunNimbus({"admin", "disk", "fail", "spare1", "--data", data_dir()});
  ASSERT_TRUE(fail) << fail.error().message;
  ASSERT_EQ(fail->exit_code(), 0) << fail->err;
  std::string alert;
  for (int i = 0; i < 100 && alert.empty(); ++i) {  // Sent by the server's outbox, every second.
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(data_dir()) / "mail", ec)) {
      std::string text = ReadFile(e.path());
      if (text.find("spare1") != std::string::npos) alert = text;
    }
    if (alert.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(alert.empty()) << "no alert mail about spare1";
  EXPECT_NE(alert.find(url + "/admin"), std::string::npos) << alert;
  EXPECT_EQ(alert.find("127.0.0.1:8080"), std::string::npos) << alert;
}

TEST_F(DiskCliTest, ADiskFailingItsProbesIsFailedAfterFailAfterRounds) {
  auto port =
      StartServer({{"NIMBUS_DISKS_HEALTH_INTERVAL_S", "1"}, {"NIMBUS_DISKS_FAIL_AFTER", "2"}});
  ASSERT_TRUE(port) << port.error().message;
  const fs::path disk = fs::path(data_dir()) / "disks" / "b1";
  fs::rename(disk, disk.string() + ".gone");  // Every probe of b1 now fails (no such directory).

  std::string state;
  for (int i = 0; i < 100 && state != "failed"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto show = RunNimbus({"admin", "disk", "show", "b1", "--json", "--data", data_dir()});
    ASSERT_TRUE(show) << show.error().message;
    ASSERT_EQ(show->exit_code(), 0) << show->err;
    state = std::string(json::parse(show->out).at("state").as_string());
  }
  EXPECT_EQ(state, "failed");
  auto mirror = RunNimbus({"admin", "disk", "show", "b1m", "--json", "--data", data_dir()});
  ASSERT_TRUE(mirror) << mirror.error().message;
  EXPECT_EQ(json::parse(mirror->out).at("state"), "healthy");

  auto metrics = HttpGet(*port, "/metrics");
  ASSERT_TRUE(metrics) << metrics.error().message;
  EXPECT_NE(metrics->body.find("nimbus_storage_alerts_total{kind=\"disk_failed\",disk=\"b1\"}"),
            std::string::npos)
      << metrics->body;
  // The mirror serves category B alone: still ready.
  auto ready = HttpGet(*port, "/readyz");
  ASSERT_TRUE(ready) << ready.error().message;
  EXPECT_EQ(ready->status, 200) << ready->body;
  const std::string log = server().Stdout() + server().Stderr();
  EXPECT_NE(log.find("failing disk b1: 2 health probes failed in a row"), std::string::npos) << log;
  EXPECT_EQ(server().Terminate().code, 0);
}

}  // namespace
}  // namespace nimbus::test
