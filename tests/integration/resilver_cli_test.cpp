// Replacing a failed disk for real: the `nimbus` binary serving a data dir, blobs on its local
// disks, `nimbus admin disk fail/replace/attach` while the server runs, Ctrl-C and kill -9 in the
// middle of a resilver, and every blob checked byte for byte on the new disk's directory.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include "integration/nimbus_fixture.h"
#include "integration/pair_blobs.h"
#include "storage/local/local_volume.h"
#include "util/worker_pool.h"

namespace nimbus::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

class ResilverCliTest : public NimbusTest {
 protected:
  fs::path Disk(const std::string& id) const { return fs::path(data_dir()) / "disks" / id; }

  std::unique_ptr<storage::LocalVolume> OpenDisk(const std::string& id) {
    storage::LocalVolumeOptions o;
    o.id = id;
    o.root = (id.starts_with("spare") && !fs::exists(Disk(id)) ? DiskDir(id) : Disk(id)).string();
    o.create_if_missing = false;
    auto v = storage::LocalVolume::Open(o, workers_);
    EXPECT_TRUE(v) << id << ": " << v.error().message;
    return v ? std::move(*v) : nullptr;
  }

  std::map<std::string, json::object> DiskList() {
    std::map<std::string, json::object> out;
    auto r = RunNimbus({"admin", "disk", "list", "--json", "--data", data_dir()});
    EXPECT_TRUE(r) << r.error().message;
    if (!r) return out;
    EXPECT_EQ(r->exit_code(), 0) << r->err;
    const json::value parsed = json::parse(r->out);
    for (const auto& d : parsed.as_array()) {
      out[std::string(d.at("id").as_string())] = d.as_object();
    }
    return out;
  }

  json::object Show(const std::string& id) {
    auto r = RunNimbus({"admin", "disk", "show", id, "--json", "--data", data_dir()});
    EXPECT_TRUE(r) << r.error().message;
    if (!r || r->exit_code() != 0) return {};
    return json::parse(r->out).as_object();
  }

  // Attaches spare3 and spare4 under the temp dir. Needed because a category left without a
  // healthy pair (every default category has one pair) gets the configured spares spare1/spare2
  // attached as a new pair by the pool, so replace needs spares of its own.
  void AttachSpares() {
    for (const char* id : {"spare3", "spare4"}) {
      const fs::path dir = tmp().path() / "extra" / id;
      fs::create_directories(dir);  // The operator mounts the disk there first.
      auto r = RunNimbus({"admin", "disk", "attach", id, "--uri", "file:" + dir.string(),
                          "--capacity-gb", "5", "--json", "--data", data_dir()});
      ASSERT_TRUE(r) << r.error().message;
      ASSERT_EQ(r->exit_code(), 0) << r->err;
      EXPECT_EQ(json::parse(r->out).at("state"), "spare");
      EXPECT_TRUE(fs::is_regular_file(dir / ".nimbus-disk")) << dir;
    }
  }

  // An unused spare (state spare), "" when there is none.
  std::string UnusedSpare() {
    for (auto& [id, d] : DiskList()) {
      if (d.at("state") == "spare") return id;
    }
    return "";
  }

  fs::path DiskDir(const std::string& id) {
    auto d = DiskList()[id];
    std::string uri(d.at("uri").as_string());
    return fs::path(uri.substr(5));
  }

  // Waits (bounded) until the server's log contains `text`.
  bool WaitForLog(const std::string& text, std::chrono::seconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if ((server().Stdout() + server().Stderr()).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  WorkerPool workers_{2};
  PairBlobs blobs_{[this](const std::string& id) { return OpenDisk(id); }};
};

TEST_F(ResilverCliTest, ReplaceWhileTheServerRunsRebuildsEveryBlobOnTheSpare) {
  auto port = StartServer({{"NIMBUS_DISKS_HEALTH_INTERVAL_S", "1"}});
  ASSERT_TRUE(port) << port.error().message;
  AttachSpares();
  blobs_.Write(data_dir(), 40, 300 * 1024);

  auto fail = RunNimbus({"admin", "disk", "fail", "a1", "--data", data_dir()});
  ASSERT_TRUE(fail) << fail.error().message;
  ASSERT_EQ(fail->exit_code(), 0) << fail->err;
  // The server stops using a1 on its next round (one alert), then the operator replaces it.
  ASSERT_TRUE(WaitForLog("disk_failed disk=a1:", std::chrono::seconds(15))) << server().Stderr();
  const std::string spare = UnusedSpare();
  ASSERT_FALSE(spare.empty());
  auto replace =
      RunNimbus({"admin", "disk", "replace", "a1", "--with", spare, "--data", data_dir()}, {},
                std::chrono::seconds(120));
  ASSERT_TRUE(replace) << replace.error().message;
  ASSERT_EQ(replace->exit_code(), 0) << replace->out << replace->err;
  EXPECT_NE(replace->out.find("disk " + spare + " replaces a1 in category A"), std::string::npos)
      << replace->out;
  EXPECT_NE(replace->out.find("resilver " + spare + " from a1m: 100% (40/40 blobs"),
            std::string::npos)
      << replace->out;
  EXPECT_NE(replace->out.find("40 blobs (40 copied, 0 already there)"), std::string::npos)
      << replace->out;
  blobs_.ExpectAllOn(spare);

  auto disks = DiskList();
  ASSERT_TRUE(disks.contains(spare));
  EXPECT_EQ(disks[spare].at("role"), "primary");
  EXPECT_EQ(disks[spare].at("state"), "healthy");
  EXPECT_EQ(disks[spare].at("category"), "A");
  EXPECT_EQ(disks[spare].at("mirror_id"), "a1m");
  EXPECT_EQ(disks["a1m"].at("mirror_id"), spare.c_str());
  EXPECT_EQ(disks["a1m"].at("state"), "healthy");
  EXPECT_EQ(disks["a1"].at("role"), "spare");
  EXPECT_EQ(disks["a1"].at("state"), "failed");
  json::object shown = Show(spare);
  ASSERT_TRUE(shown.contains("task")) << json::serialize(shown);
  EXPECT_EQ(shown.at("task").at("kind"), "resilver");
  EXPECT_EQ(shown.at("task").at("state"), "done");
  EXPECT_EQ(shown.at("task").at("total_blobs").to_number<int>(), 40);
  EXPECT_EQ(shown.at("task").at("result").at("copied").to_number<int>(), 40);

  // The running server takes the new disk into the pair on its next health round.
  EXPECT_TRUE(WaitForLog("disk " + spare + " replaces a1 as the primary of pair a1",
                         std::chrono::seconds(15)))
      << server().Stderr();
  auto ready = HttpGet(*port, "/readyz");
  ASSERT_TRUE(ready) << ready.error().message;
  EXPECT_EQ(ready->status, 200) << ready->body;
  const std::string ratio = "nimbus_disk_resilver_progress_ratio{disk=\"" + spare + "\"} 1";
  std::string body;
  for (int i = 0; i < 50; ++i) {  // The gauges follow the topology in the same round.
    auto metrics = HttpGet(*port, "/metrics");
    ASSERT_TRUE(metrics) << metrics.error().message;
    body = metrics->body;
    if (body.find(ratio) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(body.find(ratio), std::string::npos) << body;
  EXPECT_NE(body.find("nimbus_storage_alerts_total{kind=\"disk_failed\",disk=\"a1\"} 1"),
            std::string::npos)
      << body;

  auto again =
      RunNimbus({"admin", "disk", "attach", "spare3", "--uri", "file:/x", "--data", data_dir()});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->exit_code(), 1);
  EXPECT_NE(again->err.find("disk 'spare3' exists already"), std::string::npos) << again->err;
  EXPECT_EQ(again->err.find("warning"), std::string::npos) << "refused first: " << again->err;
  // A path without its scheme is a directory (file:), here one where no disk is mounted; an
  // unknown scheme and a negative capacity are refused saying what is wrong.
  auto no_scheme =
      RunNimbus({"admin", "disk", "attach", "spare8", "--uri", "/mnt/x", "--data", data_dir()});
  ASSERT_TRUE(no_scheme);
  EXPECT_EQ(no_scheme->exit_code(), 2);
  EXPECT_NE(no_scheme->err.find("is not a directory: mount the disk there"), std::string::npos)
      << no_scheme->err;
  auto bad_scheme =
      RunNimbus({"admin", "disk", "attach", "spare8", "--uri", "ftp:/mnt/x", "--data", data_dir()});
  ASSERT_TRUE(bad_scheme);
  EXPECT_EQ(bad_scheme->exit_code(), 2);
  EXPECT_NE(bad_scheme->err.find("unknown uri scheme in 'ftp:/mnt/x' (want file:/absolute/path, "
                                 "file:relative/path inside the data directory"),
            std::string::npos)
      << bad_scheme->err;
  auto negative = RunNimbus({"admin", "disk", "attach", "spare9", "--uri", "file:/mnt/y",
                             "--capacity-gb", "-5", "--data", data_dir()});
  ASSERT_TRUE(negative);
  EXPECT_EQ(negative->exit_code(), 2);
  EXPECT_NE(negative->err.find("--capacity-gb: Value -5 not in range"), std::string::npos)
      << negative->err;
  // An absolute path that is not there (a typo, a disk not mounted) is refused, not created on
  // the root file system (QA pass 14, finding 14).
  auto typo = RunNimbus({"admin", "disk", "attach", "spare11", "--uri",
                         "file:" + (tmp().path() / "mnt" / "dsk3").string(), "--data", data_dir()});
  ASSERT_TRUE(typo);
  EXPECT_EQ(typo->exit_code(), 2);
  EXPECT_NE(typo->err.find("is not a directory: mount the disk there"), std::string::npos)
      << typo->err;
  EXPECT_FALSE(fs::exists(tmp().path() / "mnt")) << "nothing created";
  // A relative path is inside the data directory, as in disks.toml (QA pass 12, plans finding 9).
  auto relative = RunNimbus({"admin", "disk", "attach", "spare10", "--uri", "file:disks/spare10",
                             "--json", "--data", data_dir()});
  ASSERT_TRUE(relative);
  EXPECT_EQ(relative->exit_code(), 0) << relative->err;
  EXPECT_NE(relative->out.find("\"file:" + data_dir() + "/disks/spare10\""), std::string::npos)
      << relative->out;
  // So is a plain relative path, without file: (QA pass 20).
  auto plain = RunNimbus({"admin", "disk", "attach", "spare12", "--uri", "disks/spare12", "--json",
                          "--data", data_dir()});
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->exit_code(), 0) << plain->err;
  EXPECT_NE(plain->out.find("\"file:" + data_dir() + "/disks/spare12\""), std::string::npos)
      << plain->out;
  auto unknown =
      RunNimbus({"admin", "disk", "replace", "a1", "--with", "nosuch", "--data", data_dir()});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->exit_code(), 2);
  EXPECT_NE(unknown->err.find("nosuch"), std::string::npos) << unknown->err;
  EXPECT_EQ(server().Terminate().code, 0);

  // With the server stopped, one health round from the CLI probes every disk in use.
  int expected = 0;
  for (auto& [id, d] : DiskList()) expected += d.at("state") == "failed" ? 0 : 1;
  auto job = RunNimbus({"job", "run", "disk-health", "--data", data_dir()});
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->exit_code(), 0) << job->out << job->err;
  EXPECT_NE(job->out.find("job disk-health: ok"), std::string::npos) << job->out;
  EXPECT_NE(job->out.find(fmt::format("{} disks probed, {} ok", expected, expected)),
            std::string::npos)
      << job->out;
}

TEST_F(ResilverCliTest, AnInterruptedReplaceResumesByCommandAndAfterKillByTheServer) {
  auto port = StartServer({{"NIMBUS_DISKS_HEALTH_INTERVAL_S", "1"}});
  ASSERT_TRUE(port) << port.error().message;
  AttachSpares();
  blobs_.Write(data_dir(), 600, 40 * 1024);
  auto fail = RunNimbus({"admin", "disk", "fail", "a1m", "--data", data_dir()});
  ASSERT_TRUE(fail && fail->exit_code() == 0);
  const std::string spare = UnusedSpare();
  ASSERT_FALSE(spare.empty());
  const std::vector<std::string> args = {"admin",  "disk", "replace", "a1m",
                                         "--with", spare,  "--data",  data_dir()};

  // Ctrl-C once it has started: it stops between two blobs and says how to go on.
  auto logs = tmp().path() / "logs" / "replace1";
  fs::create_directories(logs);
  auto cli = ServerProcess::Start({.args = args, .cwd = tmp().path(), .log_dir = logs});
  ASSERT_TRUE(cli) << cli.error().message;
  for (int i = 0; i < 500 && (*cli)->Stdout().find("resilver " + spare) == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (*cli)->Signal(SIGINT);
  auto ended = (*cli)->WaitForExit(std::chrono::seconds(30));
  ASSERT_TRUE(ended);
  const bool interrupted = ended->code == 1;
  if (interrupted) {
    EXPECT_NE((*cli)->Stderr().find("interrupted after"), std::string::npos) << (*cli)->Stderr();
    EXPECT_EQ(Show(spare).at("state"), "resilvering");
  } else {
    EXPECT_EQ(ended->code, 0) << (*cli)->Stdout() << (*cli)->Stderr();
  }

  // kill -9 of the next run: the lease it held expires and the server's health round resumes.
  logs = tmp().path() / "logs" / "replace2";
  fs::create_directories(logs);
  auto cli2 = ServerProcess::Start({.args = args, .cwd = tmp().path(), .log_dir = logs});
  ASSERT_TRUE(cli2) << cli2.error().message;
  for (int i = 0; i < 500 && (*cli2)->Stdout().find("resilver " + spare) == std::string::npos &&
                  (*cli2)->Running();
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (*cli2)->Signal(SIGKILL);
  ASSERT_TRUE((*cli2)->WaitForExit(std::chrono::seconds(10)));
  const bool killed_midway = Show(spare).at("state") == "resilvering";
  if (interrupted) {
    EXPECT_NE((*cli2)->Stdout().find("resuming the copy"), std::string::npos) << (*cli2)->Stdout();
  }

  std::string state;
  for (int i = 0; i < 400 && state != "healthy"; ++i) {  // Lease 20 s, then the next round.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    state = std::string(Show(spare).at("state").as_string());
  }
  ASSERT_EQ(state, "healthy") << server().Stderr();
  blobs_.ExpectAllOn(spare);
  json::object task = Show(spare).at("task").as_object();
  EXPECT_EQ(task.at("state"), "done");
  EXPECT_EQ(task.at("total_blobs").to_number<int>(), 600);
  const std::string log = server().Stdout() + server().Stderr();
  if (killed_midway) {
    EXPECT_NE(log.find("resuming the resilver of disk " + spare), std::string::npos) << log;
  }
  if (!interrupted || !killed_midway) {
    std::cerr << "note: the resilver finished before it could be interrupted (interrupted="
              << interrupted << ", killed_midway=" << killed_midway << ")\n";
  }
  // The same command once more, after the server finished the copy: nothing left to do.
  auto again =
      RunNimbus({"admin", "disk", "replace", "a1m", "--with", spare, "--data", data_dir()});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->exit_code(), 0) << again->err;
  EXPECT_NE(again->out.find("disk " + spare + " replaced a1m already and its rebuild is finished"),
            std::string::npos)
      << again->out << again->err;
  EXPECT_EQ(server().Terminate().code, 0);
}

// A replace killed with kill -9 (no server running): run again at once, it takes the lease of
// the dead process over and finishes the copy, instead of "running in another process … try
// again later" for the rest of the lease (QA pass 17b, finding 9).
TEST_F(ResilverCliTest, AReplaceKilledWithKill9ResumesAtOnceWhenRunAgain) {
  auto port = StartServer();  // Sets the data directory up; stopped before the replace.
  ASSERT_TRUE(port) << port.error().message;
  AttachSpares();
  blobs_.Write(data_dir(), 1500, 40 * 1024);
  auto fail = RunNimbus({"admin", "disk", "fail", "a1m", "--data", data_dir()});
  ASSERT_TRUE(fail && fail->exit_code() == 0);
  EXPECT_EQ(server().Terminate().code, 0);
  const std::string spare = UnusedSpare();
  ASSERT_FALSE(spare.empty());
  const std::vector<std::string> args = {"admin",  "disk", "replace", "a1m",
                                         "--with", spare,  "--data",  data_dir()};
  auto logs = tmp().path() / "logs" / "killed";
  fs::create_directories(logs);
  auto cli = ServerProcess::Start({.args = args, .cwd = tmp().path(), .log_dir = logs});
  ASSERT_TRUE(cli) << cli.error().message;
  for (int i = 0; i < 1000 && (*cli)->Stdout().find("resilver " + spare) == std::string::npos &&
                  (*cli)->Running();
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  (*cli)->Signal(SIGKILL);
  ASSERT_TRUE((*cli)->WaitForExit(std::chrono::seconds(10)));
  if (Show(spare).at("state") != "resilvering") {
    GTEST_SKIP() << "the copy finished before it could be killed";
  }
  auto again = RunNimbus(args, {}, std::chrono::seconds(120));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->exit_code(), 0) << again->out << again->err;
  EXPECT_NE(again->err.find("a process that is gone"), std::string::npos) << again->err;
  EXPECT_EQ(Show(spare).at("state"), "healthy");
  blobs_.ExpectAllOn(spare);
}

}  // namespace
}  // namespace nimbus::test
