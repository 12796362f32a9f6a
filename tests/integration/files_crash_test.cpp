// SPDX-License-Identifier: AGPL-3.0-or-later
// Files crash safety (issue 5 Tests): `kill -9` of the server during 200 concurrent uploads,
// then a restart on the same data dir: every upload that got 201 is there byte for byte, nothing
// half-written is visible, usage equals the live files and no reservation outlived the crash.
// And `kill -9` during the copy of a folder: after the restart the copy is not there and the
// bytes it had written are removed from both disks (no orphans for scrub).
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <latch>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "integration/files_test_util.h"

namespace nimbus::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kUploads = 200;
constexpr std::size_t kMinSize = 1024;
constexpr std::size_t kMaxSize = 2 << 20;
constexpr std::size_t kSendChunk = 64 << 10;
// The server is killed once this many uploads have been answered 201 (the rest are in flight).
constexpr int kKillAfter = kUploads / 4;

// One upload: what was sent and what came back before the kill.
struct Upload {
  std::string name;
  std::string bytes;
  int status = 0;  // 0: no response (the connection died with the server).
  std::string response_body;
};

// Sends one PUT of `up` over its own connection and records the answer (0 when none came).
void RunUpload(std::uint16_t port, const std::string& target, const Browser& me, Upload& up,
               std::atomic<int>& acked) {
  auto client = HttpClient::Connect(port, seconds(10));
  if (!client) return;
  std::string head = fmt::format(
      "PUT {} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {}\r\nX-CSRF-Token: {}\r\n"
      "Content-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
      target, me.cookie, me.csrf, up.bytes.size());
  if (!client->SendRaw(head)) return;
  for (std::size_t at = 0; at < up.bytes.size(); at += kSendChunk) {
    std::string_view chunk(up.bytes.data() + at, std::min(kSendChunk, up.bytes.size() - at));
    if (!client->SendRaw(chunk)) return;
  }
  auto r = client->ReadResponse(seconds(120));
  if (!r) return;
  up.status = r->status;
  up.response_body = r->body;
  if (r->status == 201) acked.fetch_add(1);
}

// The first value named `key` anywhere in `v` (depth first), or nullopt.
std::optional<std::int64_t> FindInt(const boost::json::value& v, const std::string& key) {
  if (v.is_object()) {
    const auto& o = v.as_object();
    if (auto* x = o.if_contains(key); x && x->is_int64()) return x->as_int64();
    if (auto* x = o.if_contains(key); x && x->is_uint64()) {
      return static_cast<std::int64_t>(x->as_uint64());
    }
    for (const auto& [k, child] : o) {
      if (auto found = FindInt(child, key)) return found;
    }
  } else if (v.is_array()) {
    for (const auto& child : v.as_array()) {
      if (auto found = FindInt(child, key)) return found;
    }
  }
  return std::nullopt;
}

std::int64_t IntField(const boost::json::object& o, const char* key) {
  auto* v = o.if_contains(key);
  if (v == nullptr) return -1;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return -1;
}

std::string StringField(const boost::json::object& o, const char* key) {
  auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : "";
}

// A listed file: its id and the size the listing reports.
struct Listed {
  std::string id;
  std::int64_t size = -1;
  std::string type;
};

// Blob files on every disk of data dir `data` (small blobs are rows of small.sqlite instead).
std::size_t BlobFiles(const std::string& data) {
  std::size_t n = 0;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(data + "/disks", ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string path = it->path().string();
    if (it->is_regular_file(ec) && path.find("/blobs/") != std::string::npos) ++n;
  }
  return n;
}

class FilesCrashTest : public FilesTest {
 protected:
  // Every child of `folder_id` by name, following next_cursor (at most 20 pages).
  std::map<std::string, Listed> ListAll(const std::string& folder_id) {
    std::map<std::string, Listed> out;
    std::string cursor;
    for (int page = 0; page < 20; ++page) {
      std::string target = "/api/v1/nodes/" + folder_id + "/children?limit=1000";
      if (!cursor.empty()) target += "&cursor=" + UrlEncode(cursor, false);
      HttpResponse r = Api("GET", target);
      EXPECT_EQ(r.status, 200) << target << ": " << r.body;
      auto body = BodyOf(r);
      auto* items = body.if_contains("items");
      if (r.status != 200 || items == nullptr || !items->is_array()) break;
      for (const auto& item : items->as_array()) {
        if (!item.is_object()) continue;
        const auto& o = item.as_object();
        out[StringField(o, "name")] =
            Listed{StringField(o, "id"), IntField(o, "size"), StringField(o, "type")};
      }
      auto* next = body.if_contains("next_cursor");
      if (next == nullptr || !next->is_string() || next->as_string().empty()) return out;
      cursor = next->as_string().c_str();
    }
    return out;
  }
};

TEST_F(FilesCrashTest, KillNineDuringConcurrentUploadsKeepsEveryAcknowledgedFileAndNothingElse) {
  ASSERT_NO_FATAL_FAILURE(StartWithUser());
  HttpResponse folder = Api("POST", "/api/v1/nodes/root/folders", R"({"path":"crash"})");
  ASSERT_EQ(folder.status, 201) << folder.body;
  const std::string folder_id = IdOf(folder);
  ASSERT_FALSE(folder_id.empty()) << folder.body;

  // Distinct names and contents of random sizes (1 KiB – 2 MiB); the seed is printed so a
  // failure can be replayed.
  const auto seed = static_cast<std::uint32_t>(std::random_device{}());
  SCOPED_TRACE(fmt::format("seed {}", seed));
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> size_of(kMinSize, kMaxSize);
  std::vector<Upload> uploads(kUploads);
  for (int i = 0; i < kUploads; ++i) {
    Upload& up = uploads[i];
    up.name = fmt::format("upload-{:03}.bin", i);
    up.bytes.resize(size_of(rng));
    for (std::size_t at = 0; at < up.bytes.size(); at += 8) {
      std::uint64_t word = rng();
      std::memcpy(up.bytes.data() + at, &word, std::min<std::size_t>(8, up.bytes.size() - at));
    }
  }

  std::atomic<int> acked{0};
  std::atomic<int> finished{0};
  std::latch go(kUploads + 1);
  std::vector<std::thread> threads;
  threads.reserve(kUploads);
  const std::uint16_t port_before = port();
  const Browser me_copy = me();
  for (int i = 0; i < kUploads; ++i) {
    std::string target = fmt::format("/api/v1/nodes/{}/content?path={}&on_conflict=fail", folder_id,
                                     uploads[i].name);
    auto run = [&, i, target] {
      go.arrive_and_wait();
      RunUpload(port_before, target, me_copy, uploads[i], acked);
      finished.fetch_add(1);
    };
    threads.emplace_back(run);
  }
  go.arrive_and_wait();

  // kill -9 once a quarter of the uploads were acknowledged (bounded: 120 s).
  const auto deadline = std::chrono::steady_clock::now() + seconds(120);
  while (acked.load() < kKillAfter && finished.load() < kUploads &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(2));
  }
  const int acked_at_kill = acked.load();
  ASSERT_TRUE(server().Signal(SIGKILL)) << "the server was gone before the kill";
  auto exit = server().WaitForExit(seconds(10));
  ASSERT_TRUE(exit.has_value()) << "the server did not die from SIGKILL";
  EXPECT_EQ(exit->signal, SIGKILL) << exit->Describe();
  for (auto& t : threads) t.join();

  int answered = 0, got_201 = 0;
  std::map<int, int> statuses;
  for (const Upload& up : uploads) {
    if (up.status != 0) ++answered;
    if (up.status == 201) ++got_201;
    ++statuses[up.status];
    // Only "created" or "no answer" are possible: any other status is a server error under load.
    EXPECT_TRUE(up.status == 0 || up.status == 201)
        << up.name << " answered " << up.status << ": " << up.response_body;
  }
  std::cerr << "[ crash    ] " << got_201 << " of " << kUploads
            << " uploads got 201 before the kill (" << acked_at_kill << " when it was sent), "
            << kUploads - answered << " got no answer;";
  for (const auto& [status, n] : statuses) std::cerr << " status " << status << ": " << n;
  std::cerr << "\n";
  ASSERT_GE(got_201, 1) << "no upload succeeded before the kill";
  ASSERT_LT(answered, kUploads)
      << "every upload was answered before the kill: nothing was in flight";

  // Restart on the same data dir; the session survives (it is in the database).
  ASSERT_NO_FATAL_FAILURE(Start());

  // Nothing reserved from before the crash.
  HttpResponse usage = Api("GET", "/api/v1/me/usage");
  ASSERT_EQ(usage.status, 200) << usage.body;
  boost::system::error_code ec;
  auto usage_json = boost::json::parse(usage.body, ec);
  ASSERT_FALSE(ec) << usage.body;
  auto reserved = FindInt(usage_json, "reserved_bytes");
  ASSERT_TRUE(reserved.has_value()) << "no reserved_bytes in " << usage.body;
  EXPECT_EQ(*reserved, 0) << "reservations left from before the crash: " << usage.body;

  // Every acknowledged upload is listed; nothing else is, unless its bytes are all there.
  std::map<std::string, Listed> listed = ListAll(folder_id);
  std::map<std::string, const Upload*> by_name;
  for (const Upload& up : uploads) by_name[up.name] = &up;
  std::int64_t live_bytes = 0;
  int completed_unanswered = 0;
  for (const auto& [name, file] : listed) {
    SCOPED_TRACE("listed " + name);
    auto it = by_name.find(name);
    ASSERT_NE(it, by_name.end()) << "a file nobody uploaded is visible";
    const Upload& up = *it->second;
    EXPECT_EQ(file.type, "file");
    EXPECT_EQ(file.size, static_cast<std::int64_t>(up.bytes.size()));
    live_bytes += file.size;
    HttpResponse content = Download(file.id);
    EXPECT_EQ(content.status, 200) << content.body.substr(0, 200);
    // Byte-exact for acknowledged uploads; for one whose answer was lost, the same rule: only a
    // complete file may be visible.
    EXPECT_TRUE(content.body == up.bytes)
        << "content differs (" << content.body.size() << " bytes, expected " << up.bytes.size()
        << "), upload status " << up.status;
    if (up.status != 201) ++completed_unanswered;
  }
  for (const Upload& up : uploads) {
    if (up.status == 201) {
      EXPECT_TRUE(listed.contains(up.name)) << up.name << " got 201 but is gone";
    }
  }
  std::cerr << "[ crash    ] after the restart: " << listed.size() << " files listed ("
            << completed_unanswered << " completed but unanswered)\n";

  // Usage equals the sum of the live files (the folder holds all of this user's files).
  boost::json::object u = Usage();
  EXPECT_EQ(IntField(u, "used_bytes"), live_bytes) << boost::json::serialize(u);
  EXPECT_EQ(IntField(u, "trash_bytes"), 0) << boost::json::serialize(u);

  // And the account still works: a new upload after the crash lands and reads back.
  HttpResponse again = Put(folder_id, "after-restart.txt", "still here");
  EXPECT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(Download(IdOf(again)).body, "still here");
}

TEST_F(FilesCrashTest, KillNineDuringAFolderCopyLeavesNeitherTheCopyNorItsBytes) {
  ASSERT_NO_FATAL_FAILURE(StartWithUser());
  HttpResponse folder = Api("POST", "/api/v1/nodes/root/folders", R"({"path":"src"})");
  ASSERT_EQ(folder.status, 201) << folder.body;
  const std::string src = IdOf(folder);
  // Files over the small-blob size, so that each copy is a file on each disk.
  constexpr int kFiles = 150;
  for (int i = 0; i < kFiles; ++i) {
    std::string bytes(100 * 1024, static_cast<char>('a' + i % 26));
    bytes += fmt::format("file {}", i);
    ASSERT_EQ(Put(src, fmt::format("f{:03}.bin", i), bytes).status, 201);
  }
  const boost::json::object usage_before = Usage();
  const std::size_t files_before = BlobFiles(data_dir());
  ASSERT_GE(files_before, static_cast<std::size_t>(2 * kFiles));

  // The copy runs on its own connection; the server is killed once a tenth of its blob files
  // are on the disks.
  std::atomic<int> copy_status{0};
  const std::uint16_t port_before = port();
  const Browser me_copy = me();
  std::thread copier([&] {
    auto client = HttpClient::Connect(port_before, seconds(10));
    if (!client) return;
    const std::string body = R"({"parent_id":"root","name":"copy"})";
    std::string request = fmt::format(
        "POST /api/v1/nodes/{}/copy HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {}\r\n"
        "X-CSRF-Token: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        src, me_copy.cookie, me_copy.csrf, body.size(), body);
    if (!client->SendRaw(request)) return;
    if (auto r = client->ReadResponse(seconds(60))) copy_status = r->status;
  });
  const auto deadline = std::chrono::steady_clock::now() + seconds(60);
  while (BlobFiles(data_dir()) < files_before + kFiles / 5 && copy_status.load() == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  ASSERT_TRUE(server().Signal(SIGKILL)) << "the server was gone before the kill";
  auto exit = server().WaitForExit(seconds(10));
  ASSERT_TRUE(exit.has_value()) << "the server did not die from SIGKILL";
  copier.join();
  ASSERT_EQ(copy_status.load(), 0) << "the copy finished before the kill: nothing to check";
  const std::size_t files_at_kill = BlobFiles(data_dir());
  std::cerr << "[ crash    ] " << files_at_kill - files_before
            << " blob files of the copy were on the disks at the kill\n";
  ASSERT_GT(files_at_kill, files_before);

  // After the restart the bytes of the unfinished copy are removed (in the background, soon),
  // the copy is not listed and usage is what it was.
  ASSERT_NO_FATAL_FAILURE(Start());
  const auto settle = std::chrono::steady_clock::now() + seconds(20);
  while (BlobFiles(data_dir()) != files_before && std::chrono::steady_clock::now() < settle) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(BlobFiles(data_dir()), files_before) << "bytes of the killed copy are left on disk";
  std::map<std::string, Listed> top = ListAll("root");
  EXPECT_EQ(top.size(), 1u);
  EXPECT_TRUE(top.contains("src"));
  EXPECT_EQ(ListAll(src).size(), static_cast<std::size_t>(kFiles));
  const boost::json::object usage_after = Usage();
  EXPECT_EQ(IntField(usage_after, "used_bytes"), IntField(usage_before, "used_bytes"))
      << boost::json::serialize(usage_after);

  // And copying again works to the end.
  HttpResponse again =
      Api("POST", "/api/v1/nodes/" + src + "/copy", R"({"parent_id":"root","name":"copy"})");
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(ListAll(IdOf(again)).size(), static_cast<std::size_t>(kFiles));
  EXPECT_EQ(BlobFiles(data_dir()), files_before * 2);
}

}  // namespace
}  // namespace nimbus::test
