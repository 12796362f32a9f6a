// The admin disk and job endpoints (api.md "Admin") against the real `nimbus serve` on real
// disks under a temp dir: the list matches `nimbus admin disk list --json`; non-admins get 404,
// nobody 401, a cookie POST without CSRF 403; attach, fail (the mirror serves: /readyz ok),
// replace (202, the resilver in the background, every blob byte-exact on the spare), scrub
// (202, 409 while it runs, then its report), and the jobs with their last and next runs.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "integration/accounts_test_util.h"
#include "integration/pair_blobs.h"
#include "storage/local/local_volume.h"
#include "util/worker_pool.h"

namespace nimbus::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

class AdminDiskApiTest : public AccountsTest {
 protected:
  // Starts the server (disk-health every second), signs up ann (the first user: admin) and bob.
  void StartWithUsers() {
    Start({{"NIMBUS_DISKS_HEALTH_INTERVAL_S", "1"}});
    ASSERT_EQ(SignUp("ann@example.com").status, 201);
    ASSERT_EQ(SignUp("bob@example.com").status, 201);
    admin_ = LogIn("ann@example.com");
    bob_ = LogIn("bob@example.com");
  }

  json::object Get(const std::string& target) {
    HttpResponse r = Call("GET", target, "", &admin_);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    return BodyOf(r);
  }

  // The disks of GET /api/v1/admin/disks by id.
  std::map<std::string, json::object> ApiDisks() {
    std::map<std::string, json::object> out;
    json::object body = Get("/api/v1/admin/disks");
    if (!body.contains("disks")) return out;
    EXPECT_TRUE(body.at("next_cursor").is_null());
    for (const auto& d : body.at("disks").as_array()) {
      out[std::string(d.at("id").as_string())] = d.as_object();
    }
    return out;
  }

  std::map<std::string, json::object> CliDisks() {
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

  fs::path DiskDir(const std::string& id) {
    std::string uri(ApiDisks()[id].at("uri").as_string());
    return fs::path(uri.substr(5));  // "file:…"
  }

  std::unique_ptr<storage::LocalVolume> OpenDisk(const std::string& id) {
    storage::LocalVolumeOptions o;
    o.id = id;
    o.root = DiskDir(id).string();
    o.create_if_missing = false;
    auto v = storage::LocalVolume::Open(o, workers_);
    EXPECT_TRUE(v) << id << ": " << v.error().message;
    return v ? std::move(*v) : nullptr;
  }

  // Polls GET /api/v1/admin/disks/{id} (bounded by `limit`) until `done(disk)`; the last body.
  template <class F>
  json::object WaitForDisk(const std::string& id, F done, std::chrono::seconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    json::object disk;
    while (std::chrono::steady_clock::now() < end) {
      json::object body = Get("/api/v1/admin/disks/" + id);
      if (body.contains("disk")) disk = body.at("disk").as_object();
      if (!disk.empty() && done(disk)) return disk;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return disk;
  }

  Browser admin_, bob_;
  WorkerPool workers_{2};
  PairBlobs blobs_{[this](const std::string& id) { return OpenDisk(id); }};
};

TEST_F(AdminDiskApiTest, ListMatchesTheCliAndOnlyAdminsSeeTheRoutes) {
  StartWithUsers();
  auto api = ApiDisks();
  auto cli = CliDisks();
  ASSERT_FALSE(cli.empty());
  ASSERT_EQ(api.size(), cli.size());
  for (const auto& [id, c] : cli) {
    ASSERT_TRUE(api.contains(id)) << id;
    for (const auto& [key, value] : c) {
      EXPECT_EQ(api[id].at(key), value) << id << "." << key;
    }
    EXPECT_TRUE(api[id].contains("task")) << id;
    EXPECT_TRUE(api[id].contains("last_scrub")) << id;
  }
  EXPECT_EQ(api["a1"].at("state"), "healthy");
  EXPECT_EQ(api["a1"].at("mirror_id"), "a1m");

  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/api/v1/admin/disks"},
      {"POST", "/api/v1/admin/disks"},
      {"GET", "/api/v1/admin/disks/a1"},
      {"POST", "/api/v1/admin/disks/a1/fail"},
      {"POST", "/api/v1/admin/disks/a1/replace"},
      {"POST", "/api/v1/admin/disks/a1/scrub"},
      {"POST", "/api/v1/admin/disks/e1/retire"},
      {"GET", "/api/v1/admin/jobs"}};
  for (const auto& [method, target] : routes) {
    HttpResponse hidden = Call(method, target, R"({"with":"spare1"})", &bob_);
    EXPECT_EQ(hidden.status, 404) << method << " " << target << ": " << hidden.body;
    EXPECT_EQ(ErrorCode(hidden), "not_found") << method << " " << target;
    HttpResponse nobody = Call(method, target, R"({"with":"spare1"})");
    EXPECT_EQ(nobody.status, 401) << method << " " << target;
    EXPECT_EQ(ErrorCode(nobody), "unauthenticated") << method << " " << target;
  }
  HttpResponse no_csrf = Call("POST", "/api/v1/admin/disks/a1/fail", "", &admin_, false);
  EXPECT_EQ(no_csrf.status, 403);
  EXPECT_EQ(ErrorCode(no_csrf), "csrf_failed");
  EXPECT_EQ(ApiDisks()["a1"].at("state"), "healthy") << "the refused POSTs changed nothing";

  // Errors with their codes and a sentence.
  HttpResponse unknown = Call("POST", "/api/v1/admin/disks/zz9/fail", "", &admin_);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(ErrorCode(unknown), "not_found");
  EXPECT_EQ(Call("GET", "/api/v1/admin/disks/zz9", "", &admin_).status, 404);
  HttpResponse healthy =
      Call("POST", "/api/v1/admin/disks/a1/replace", R"({"with":"spare1"})", &admin_);
  EXPECT_EQ(healthy.status, 409) << healthy.body;
  EXPECT_EQ(ErrorCode(healthy), "conflict");
  EXPECT_FALSE(BodyOf(healthy).at("error").at("message").as_string().empty());
  HttpResponse no_with = Call("POST", "/api/v1/admin/disks/a1/replace", R"({"to":"x"})", &admin_);
  EXPECT_EQ(no_with.status, 400) << no_with.body;
  EXPECT_EQ(ErrorCode(no_with), "invalid_request");
  HttpResponse bad_cap =
      Call("POST", "/api/v1/admin/disks",
           R"({"id":"s9","uri":"file:/nowhere","capacity_bytes":"big"})", &admin_);
  EXPECT_EQ(bad_cap.status, 400) << bad_cap.body;
  HttpResponse scrub_spare = Call("POST", "/api/v1/admin/disks/spare1/scrub", "", &admin_);
  EXPECT_EQ(scrub_spare.status, 400) << "a spare holds no blobs: " << scrub_spare.body;

  // Jobs: every registered job with its schedule and next run; disk-health runs every second.
  std::map<std::string, json::object> jobs;
  for (int i = 0; i < 100; ++i) {  // Bounded: 10 s.
    json::object body = Get("/api/v1/admin/jobs");
    jobs.clear();
    if (body.contains("jobs")) {
      for (const auto& j : body.at("jobs").as_array()) {
        jobs[std::string(j.at("name").as_string())] = j.as_object();
      }
    }
    // A run in progress shows "running"; wait for one that finished.
    if (jobs.contains("disk-health") && jobs["disk-health"].at("last_outcome") == "ok") {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (const char* name : {"disk-health", "scrub", "mail-outbox"}) {
    ASSERT_TRUE(jobs.contains(name)) << name;
    EXPECT_TRUE(jobs[name].at("registered").as_bool()) << name;
    EXPECT_FALSE(jobs[name].at("schedule").as_string().empty()) << name;
    EXPECT_TRUE(jobs[name].at("next_run_at").is_string()) << name;
  }
  EXPECT_EQ(jobs["disk-health"].at("last_outcome"), "ok");
  EXPECT_TRUE(jobs["disk-health"].at("last_started_at").is_string());
  EXPECT_TRUE(jobs["disk-health"].at("last_finished_at").is_string());
  EXPECT_GE(jobs["disk-health"].at("run_count").to_number<std::int64_t>(), 1);
}

// `retire` through the API and the CLI: a pair that holds anyone's files, or the last pair of a
// category, is refused saying why (the pool and engine tests retire an empty one).
TEST_F(AdminDiskApiTest, RetireRefusesABusyPairAndACategorysLast) {
  StartWithUsers();  // Both accounts live on category A's pair.
  HttpResponse busy = Call("POST", "/api/v1/admin/disks/a1m/retire", "", &admin_);
  EXPECT_EQ(busy.status, 409) << busy.body;
  EXPECT_EQ(ErrorCode(busy), "conflict");
  EXPECT_NE(busy.body.find("2 owner(s) placed on it"), std::string::npos) << busy.body;
  auto cli = RunNimbus({"admin", "disk", "retire", "a1", "--data", data_dir()});
  ASSERT_TRUE(cli) << cli.error().message;
  EXPECT_NE(cli->exit_code(), 0);
  EXPECT_NE(cli->err.find("Only an empty pair, and not the last of its category, goes back"),
            std::string::npos)
      << cli->err;
  HttpResponse last = Call("POST", "/api/v1/admin/disks/e1/retire", "", &admin_);
  EXPECT_EQ(last.status, 409) << last.body;
  EXPECT_NE(last.body.find("it is the only pair of category E"), std::string::npos) << last.body;
  auto disks = ApiDisks();
  EXPECT_EQ(disks["a1"].at("role"), "primary");
  EXPECT_EQ(disks["e1"].at("role"), "primary");
  EXPECT_EQ(Call("POST", "/api/v1/admin/disks/spare1/retire", "", &admin_).status, 409)
      << "a spare already";
  EXPECT_EQ(Call("POST", "/api/v1/admin/disks/zz9/retire", "", &admin_).status, 404);
}

TEST_F(AdminDiskApiTest, AttachFailReplaceAndScrubThroughTheApi) {
  StartWithUsers();
  // Attach two spares of our own (failing a1 leaves its category without a healthy pair, and the
  // pool then gives it the configured spares as a new pair).
  for (const char* id : {"spare3", "spare4"}) {
    const fs::path dir = tmp().path() / "extra" / id;
    fs::create_directories(dir);  // The admin mounts the disk there first.
    json::object req{{"id", id}, {"uri", "file:" + dir.string()}, {"capacity_bytes", 5LL << 30}};
    HttpResponse r = Call("POST", "/api/v1/admin/disks", json::serialize(req), &admin_);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(BodyOf(r).at("disk").at("state"), "spare");
    EXPECT_TRUE(fs::is_regular_file(dir / ".nimbus-disk")) << dir;
  }
  auto listed = ApiDisks();
  ASSERT_TRUE(listed.contains("spare3") && listed.contains("spare4"));
  EXPECT_EQ(listed["spare4"].at("capacity_bytes").to_number<std::int64_t>(), 5LL << 30);
  HttpResponse again =
      Call("POST", "/api/v1/admin/disks",
           R"({"id":"spare3","uri":"file:/elsewhere","capacity_bytes":1})", &admin_);
  EXPECT_EQ(again.status, 409) << again.body;
  // A bad id or a relative path is a 400 with the rule, and nothing is recorded.
  for (auto [body, says] : std::vector<std::pair<std::string, std::string>>{
           {R"({"id":"bad id!","uri":"file:/tmp/x","capacity_bytes":1})",
            "must be 1-64 letters, digits"},
           {R"({"id":"spare9","uri":"file:disks/spare9","capacity_bytes":1})",
            "is not an absolute path"}}) {
    HttpResponse bad = Call("POST", "/api/v1/admin/disks", body, &admin_);
    EXPECT_EQ(bad.status, 400) << bad.body;
    EXPECT_NE(bad.body.find(says), std::string::npos) << bad.body;
  }
  EXPECT_FALSE(ApiDisks().contains("spare9"));
  // A path where no disk is mounted (a typo) is refused, and nothing is created there.
  HttpResponse typo =
      Call("POST", "/api/v1/admin/disks",
           json::serialize(json::object{{"id", "spare7"},
                                        {"uri", "file:" + (tmp().path() / "mnt" / "dsk3").string()},
                                        {"capacity_bytes", 1 << 20}}),
           &admin_);
  EXPECT_EQ(typo.status, 400) << typo.body;
  EXPECT_NE(typo.body.find("mount the disk there"), std::string::npos) << typo.body;
  EXPECT_FALSE(fs::exists(tmp().path() / "mnt"));

  blobs_.Write(data_dir(), 40, 300 * 1024);

  // Fail a1: the API shows it failed at once, and the server stays ready (a1m serves).
  HttpResponse failed = Call("POST", "/api/v1/admin/disks/a1/fail", "", &admin_);
  ASSERT_EQ(failed.status, 200) << failed.body;
  EXPECT_EQ(BodyOf(failed).at("disk").at("state"), "failed");
  EXPECT_EQ(ApiDisks()["a1"].at("state"), "failed");
  HttpResponse ready = Call("GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  // a1m now holds the only working copy of its users' files: failing it too asks for force=1.
  HttpResponse last_copy = Call("POST", "/api/v1/admin/disks/a1m/fail", "", &admin_);
  EXPECT_EQ(last_copy.status, 409) << last_copy.body;
  EXPECT_NE(last_copy.body.find("holds the only working copy"), std::string::npos)
      << last_copy.body;
  EXPECT_NE(last_copy.body.find("?force=1"), std::string::npos) << last_copy.body;
  EXPECT_EQ(ApiDisks()["a1m"].at("state"), "healthy");

  // A spare smaller than what a1 holds (the users placed on it at sign-up) is refused.
  const std::int64_t a1_allocated =
      ApiDisks()["a1"].at("allocated_bytes").to_number<std::int64_t>();
  ASSERT_GT(a1_allocated, 0) << "sign-up places the users on pair a1";
  fs::create_directories(tmp().path() / "extra" / "tiny");
  json::object tiny_req{{"id", "tiny"},
                        {"uri", "file:" + (tmp().path() / "extra" / "tiny").string()},
                        {"capacity_bytes", 1 << 20}};
  ASSERT_EQ(Call("POST", "/api/v1/admin/disks", json::serialize(tiny_req), &admin_).status, 201);
  HttpResponse small =
      Call("POST", "/api/v1/admin/disks/a1/replace", R"({"with":"tiny"})", &admin_);
  EXPECT_EQ(small.status, 507) << small.body;
  EXPECT_EQ(ErrorCode(small), "no_capacity");
  EXPECT_EQ(ApiDisks()["a1"].at("state"), "failed") << "the refused replace changed nothing";

  // Replace a1 with an unused spare: 202 at once with the queued/running resilver task.
  std::string spare;
  for (auto& [id, d] : ApiDisks()) {
    if (d.at("state") == "spare" && id.starts_with("spare")) {
      spare = id;
      break;
    }
  }
  ASSERT_FALSE(spare.empty());
  HttpResponse replaced = Call("POST", "/api/v1/admin/disks/a1/replace",
                               json::serialize(json::object{{"with", spare}}), &admin_);
  ASSERT_EQ(replaced.status, 202) << replaced.body;
  json::object started = BodyOf(replaced);
  EXPECT_EQ(started.at("replaced"), "a1");
  EXPECT_EQ(started.at("disk").at("id"), json::value(spare));
  ASSERT_TRUE(started.at("task").is_object()) << replaced.body;
  EXPECT_EQ(started.at("task").at("kind"), "resilver");
  // It starts at once, not a lease (20 s) later at a health round (a helper's finding, session
  // 19: the server left the task it had just queued for the process that queued it, itself).
  json::object begun = WaitForDisk(
      spare, [](const json::object& d) { return d.at("task").at("state") != "queued"; },
      std::chrono::seconds(8));
  EXPECT_NE(begun.at("task").at("state"), "queued") << json::serialize(begun);

  json::object rebuilt = WaitForDisk(
      spare, [](const json::object& d) { return d.at("state") == "healthy"; },
      std::chrono::seconds(90));
  ASSERT_EQ(rebuilt.at("state"), "healthy") << json::serialize(rebuilt);
  ASSERT_TRUE(rebuilt.at("task").is_object());
  EXPECT_EQ(rebuilt.at("task").at("kind"), "resilver");
  EXPECT_EQ(rebuilt.at("task").at("state"), "done");
  EXPECT_EQ(rebuilt.at("task").at("done_blobs").to_number<int>(), 40);
  EXPECT_EQ(rebuilt.at("mirror_id"), "a1m");
  blobs_.ExpectAllOn(spare);
  // The CLI sees the same.
  EXPECT_EQ(CliDisks()[spare].at("state"), "healthy");

  // Scrub the pair: 202 with the task; a second one while it runs is refused.
  HttpResponse scrub = Call("POST", "/api/v1/admin/disks/" + spare + "/scrub", "", &admin_);
  ASSERT_EQ(scrub.status, 202) << scrub.body;
  json::object scrub_body = BodyOf(scrub);
  ASSERT_TRUE(scrub_body.at("task").is_object()) << scrub.body;
  EXPECT_EQ(scrub_body.at("task").at("kind"), "scrub");
  const std::int64_t task_id = scrub_body.at("task").at("id").to_number<std::int64_t>();
  HttpResponse second = Call("POST", "/api/v1/admin/disks/a1m/scrub", "", &admin_);
  RecordProperty("second_scrub_status", second.status);
  if (second.status == 202) {
    // Only acceptable when the first scrub had already finished.
    json::object last = Get("/api/v1/admin/disks/" + spare).at("disk").at("last_scrub").as_object();
    EXPECT_NE(last.at("task_id").to_number<std::int64_t>(), task_id);
  } else {
    EXPECT_EQ(second.status, 409) << second.body;
    EXPECT_EQ(ErrorCode(second), "conflict");
  }
  json::object scrubbed = WaitForDisk(
      spare,
      [](const json::object& d) {
        return d.at("last_scrub").is_object() && d.at("last_scrub").at("state") == "done";
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(scrubbed.at("last_scrub").is_object()) << json::serialize(scrubbed);
  const json::object& last = scrubbed.at("last_scrub").as_object();
  EXPECT_EQ(last.at("state"), "done") << json::serialize(last);
  ASSERT_TRUE(last.at("result").is_object()) << json::serialize(last);
  EXPECT_EQ(last.at("result").at("blobs_checked").to_number<int>(), 40) << json::serialize(last);
  EXPECT_EQ(last.at("result").at("lost").to_number<int>(), 0);
  EXPECT_FALSE(last.at("summary").as_string().empty());
  // Times are RFC 3339 UTC, as everywhere in the API ("2026-11-26T20:59:01.123Z").
  const std::regex rfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z)");
  for (const char* at : {"started_at", "finished_at"}) {
    ASSERT_TRUE(last.at(at).is_string()) << at << ": " << json::serialize(last);
    EXPECT_TRUE(std::regex_match(std::string(last.at(at).as_string()), rfc3339)) << at;
  }
}

}  // namespace
}  // namespace nimbus::test
