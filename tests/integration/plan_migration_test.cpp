// SPDX-License-Identifier: AGPL-3.0-or-later
// A move between disk categories under load (issue 7 "Tests"), against the real `nimbus serve`
// with an A, a B and a C pair of real directories: a user on 10 GB (B) with 20 files goes to
// 25 GB (C) while a slow download (still reading after the old copies are deleted) and two
// uploads run (one ends during the copy, one after the switch). Afterwards every file has its
// SHA-256, the download got the original bytes, the uploads are there, the blobs lie on both C
// disks and on no B disk (tmp/ empty too), the admin's allocated and used bytes per disk add up,
// and /me's quota was 25 GiB from the PUT on. The same after a `kill -9` in the middle of a move
// and a restart (the move resumes at once), and after one right after the switch (the old copies
// are deleted at the restart).
#include <arpa/inet.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "integration/accounts_test_util.h"
#include "util/sha256.h"

namespace nimbus::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kMiB = std::int64_t{1} << 20;
constexpr std::int64_t kGiB = std::int64_t{1} << 30;

// `n` pseudo-random bytes (xorshift64 from `seed`): every file distinct, nothing compressible.
std::string Bytes(std::size_t n, std::uint64_t seed) {
  std::string out(n, '\0');
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 8 == 0) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
    out[i] = static_cast<char>(x >> (8 * (i % 8)));
  }
  return out;
}

// A primary and its mirror of `category` under `dir` (ids `id` and `id`m).
std::string Pair(const fs::path& dir, const std::string& id, const std::string& category,
                 const std::string& capacity) {
  return fmt::format(
      "[[disk]]\nid = \"{0}\"\ncategory = \"{1}\"\nuri = \"file:{3}/{0}\"\ncapacity = \"{2}\"\n"
      "mirror = \"{0}m\"\n\n[[disk]]\nid = \"{0}m\"\ncategory = \"{1}\"\nuri = \"file:{3}/{0}m\"\n"
      "capacity = \"{2}\"\nrole = \"mirror\"\nmirror = \"{0}\"\n\n",
      id, category, capacity, dir.string());
}

// The regular files under `dir` (recursively), health probes (tmp/probe-*, written and removed
// every few seconds) left out.
std::vector<fs::path> FilesUnder(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->path().filename().string().starts_with("probe-")) {
      out.push_back(it->path());
    }
  }
  return out;
}

// What a slow download saw.
struct Slow {
  int status = 0;
  std::string etag;
  std::int64_t length = -1;
  std::int64_t received = 0;
  std::string sha256;
  std::string error;  // "" when the body came whole.
};

Slow Failed(const std::string& what) {
  Slow out;
  out.error = what;
  return out;
}

// GET `target` on a socket with a small receive buffer, the body read 16 KiB at a time with a
// 20 ms pause after each while `slow` holds, then at full speed. `received` counts body bytes.
Slow DownloadSlowly(std::uint16_t port, const std::string& target, const std::string& cookie,
                    const std::atomic<bool>& slow, std::atomic<std::int64_t>& received) {
  Slow out;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Failed("socket failed");
  int small = 32 * 1024;  // Before connect, so the window stays small: the server must wait.
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return Failed("connect failed");
  }
  const std::string request =
      fmt::format("GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {}\r\nConnection: close\r\n\r\n",
                  target, cookie);
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return Failed("send failed");
  }
  Sha256 hash;
  std::string head;
  bool in_body = false;
  char buf[16 * 1024];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 30'000) <= 0) {
      out.error = "nothing for 30 s";
      break;
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      out.error = "recv failed";
      break;
    }
    if (n == 0) {
      if (!in_body) out.error = "closed before the headers";
      break;
    }
    std::string_view got(buf, static_cast<std::size_t>(n));
    if (!in_body) {
      head.append(got);
      const auto end = head.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      in_body = true;
      got = std::string_view(head).substr(end + 4);
      out.status = std::atoi(head.c_str() + head.find(' ') + 1);
      HttpResponse parsed;  // For its case-insensitive header lookup.
      std::size_t pos = head.find("\r\n") + 2;
      while (pos < end) {
        const auto eol = head.find("\r\n", pos);
        const std::string line = head.substr(pos, eol - pos);
        const auto colon = line.find(':');
        if (colon != std::string::npos) {
          parsed.headers.emplace_back(line.substr(0, colon),
                                      line.substr(line.find_first_not_of(' ', colon + 1)));
        }
        pos = eol + 2;
      }
      out.etag = parsed.HeaderOr("ETag");
      out.length = std::atoll(parsed.HeaderOr("Content-Length", "-1").c_str());
    }
    hash.Update(got);
    out.received += static_cast<std::int64_t>(got.size());
    received = out.received;
    if (out.length >= 0 && out.received >= out.length) break;
    if (slow) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::close(fd);
  out.sha256 = hash.FinishHex();
  if (out.error.empty() && out.received != out.length) {
    out.error = fmt::format("{} of {} bytes", out.received, out.length);
  }
  return out;
}

// Clears a flag when the scope ends (a slow reader then finishes at full speed).
struct SetOnExit {
  std::atomic<bool>& flag;
  ~SetOnExit() { flag = false; }
};

struct StoredFile {
  std::string id;
  std::string bytes_sha256;
  std::int64_t size = 0;
};

class PlanMigrationTest : public AccountsTest {
 protected:
  // Pairs a1 (A), b1 (B), c1 (C) under <tmp>/disks; root@ (the first user: admin) and ann@.
  void StartWithPairs() {
    const fs::path disks = tmp().path() / "disks";
    WriteConfig("disks.toml", Pair(disks, "a1", "A", "10GiB") + Pair(disks, "b1", "B", "20GiB") +
                                  Pair(disks, "c1", "C", "40GiB"));
    Start({}, true);
    ASSERT_EQ(SignUp("root@example.com").status, 201);
    admin_ = LogIn("root@example.com");
    ASSERT_EQ(SignUp("ann@example.com").status, 201);
    ann_ = LogIn("ann@example.com");
  }
  fs::path DiskDir(const std::string& id) const { return tmp().path() / "disks" / id; }
  HttpResponse As(const Browser& who, const std::string& method, const std::string& target,
                  const std::string& body = "", Headers extra = {}) {
    return Call(method, target, body, &who, true, std::move(extra));
  }
  json::object Plan() {
    HttpResponse r = As(ann_, "GET", "/api/v1/plan");
    EXPECT_EQ(r.status, 200) << r.body;
    return BodyOf(r);
  }
  std::int64_t Quota() {
    json::object me = BodyOf(As(ann_, "GET", "/api/v1/me"));
    return me.contains("usage") ? Int(me.at("usage").as_object(), "quota_bytes") : -1;
  }
  // GET /api/v1/admin/disks by id.
  std::map<std::string, json::object> Disks() {
    std::map<std::string, json::object> out;
    HttpResponse r = As(admin_, "GET", "/api/v1/admin/disks");
    EXPECT_EQ(r.status, 200) << r.body;
    json::object body = BodyOf(r);
    if (!body.contains("disks")) return out;
    for (const auto& d : body.at("disks").as_array()) {
      out[std::string(d.at("id").as_string())] = d.as_object();
    }
    return out;
  }
  // PUT /plan {size_gb} as ann; then GET /plan until it is no longer migrating (bounded).
  void ChangePlanAndWait(int size_gb) {
    HttpResponse r = As(ann_, "PUT", "/api/v1/plan", fmt::format("{{\"size_gb\":{}}}", size_gb));
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(Str(WaitWhileMigrating(std::chrono::seconds(60)), "state"), "active");
  }
  json::object WaitWhileMigrating(std::chrono::seconds limit) {
    const auto end = Clock::now() + limit;
    json::object plan = Plan();
    while (Str(plan, "state") == "migrating" && Clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      plan = Plan();
    }
    return plan;
  }
  // ann's 20 files: four of several MiB (big.bin, 48 MiB, is the slow download's), sixteen
  // small ones; each PUT carries its X-Checksum-Sha256. About 110 MiB in all.
  void UploadFiles() {
    const std::vector<std::int64_t> big = {48 * kMiB, 24 * kMiB, 16 * kMiB, 12 * kMiB};
    for (int i = 0; i < 20; ++i) {
      const std::string name = i == 0 ? "big.bin" : fmt::format("file-{:02}.bin", i);
      const std::int64_t size = i < 4 ? big[i] : 1000 + (i * 97'531) % (1536 * 1024);
      const std::string bytes = Bytes(static_cast<std::size_t>(size), 1000 + i);
      ASSERT_NO_FATAL_FAILURE(Upload(name, bytes));
    }
  }
  void Upload(const std::string& name, const std::string& bytes) {
    const std::string sha = Sha256::HexOf(bytes);
    HttpResponse put = As(ann_, "PUT", "/api/v1/nodes/root/content?path=" + name, bytes,
                          {{"X-Checksum-Sha256", sha}});
    ASSERT_EQ(put.status, 201) << name << ": " << put.body;
    files_[name] = StoredFile{Str(BodyOf(put), "id"), sha, static_cast<std::int64_t>(bytes.size())};
  }
  std::int64_t TotalBytes() const {
    std::int64_t total = 0;
    for (const auto& [name, f] : files_) total += f.size;
    return total;
  }
  // ann's allocation must be on the C pair and nowhere else: every file reads back with its
  // SHA-256 and ETag; no blob (nor tmp/ file) left on b1 or b1m once the old copies are freed
  // (bounded wait: they go right after the switch, a late write's a second later); one blob
  // file per file on c1 and on c1m; allocated and used bytes per disk as the users add up.
  void ExpectAllOnC(std::int64_t b_allocated_before) {
    for (const auto& [name, f] : files_) {
      HttpResponse r = As(ann_, "GET", "/api/v1/nodes/" + f.id + "/content");
      ASSERT_EQ(r.status, 200) << name;
      EXPECT_EQ(static_cast<std::int64_t>(r.body.size()), f.size) << name;
      EXPECT_EQ(Sha256::HexOf(r.body), f.bytes_sha256) << name;
      EXPECT_TRUE(r.HeaderOr("ETag").starts_with("\"" + f.bytes_sha256.substr(0, 32)))
          << name << ": " << r.HeaderOr("ETag");
    }
    const auto end = Clock::now() + std::chrono::seconds(30);
    std::size_t left = 0;
    do {
      left = 0;
      for (const std::string d : {"b1", "b1m"}) {
        left += FilesUnder(DiskDir(d) / "blobs").size() + FilesUnder(DiskDir(d) / "tmp").size();
      }
      if (left > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (left > 0 && Clock::now() < end);
    for (const std::string d : {"b1", "b1m"}) {
      EXPECT_TRUE(FilesUnder(DiskDir(d) / "blobs").empty()) << d << " still holds blobs";
      EXPECT_TRUE(FilesUnder(DiskDir(d) / "tmp").empty()) << d << "/tmp is not empty";
    }
    for (const std::string d : {"c1", "c1m"}) {
      EXPECT_EQ(FilesUnder(DiskDir(d) / "blobs").size(), files_.size()) << d;
      EXPECT_TRUE(FilesUnder(DiskDir(d) / "tmp").empty()) << d << "/tmp is not empty";
    }
    auto disks = Disks();
    const std::int64_t used = TotalBytes();
    for (const std::string side : {"", "m"}) {
      const json::object& a = disks["a1" + side];
      EXPECT_EQ(Int(a, "allocated_bytes"), kGiB) << "a1" << side << ": root's free 1 GB only";
      EXPECT_EQ(Int(a, "users"), 1) << "a1" << side;
      const json::object& b = disks["b1" + side];
      EXPECT_EQ(Int(b, "allocated_bytes"), b_allocated_before) << "b1" << side;
      EXPECT_EQ(Int(b, "used_bytes"), 0) << "b1" << side;
      EXPECT_EQ(Int(b, "users"), 0) << "b1" << side;
      const json::object& c = disks["c1" + side];
      EXPECT_EQ(Int(c, "allocated_bytes"), 25 * kGiB) << "c1" << side;
      EXPECT_EQ(Int(c, "used_bytes"), used) << "c1" << side;
      EXPECT_EQ(Int(c, "users"), 1) << "c1" << side;
    }
    json::object plan = Plan();
    EXPECT_EQ(Int(plan, "size_gb"), 25);
    EXPECT_EQ(Str(plan, "category"), "C");
    EXPECT_EQ(Quota(), 25 * kGiB);
  }
  // The kill tests' start: ann on 10 GB (B) with UploadFiles(), then PUT /plan {25}.
  void FilesOnBThenMoveToC() {
    ASSERT_NO_FATAL_FAILURE(StartWithPairs());
    b_before_ = Int(Disks()["b1"], "allocated_bytes");
    ASSERT_NO_FATAL_FAILURE(ChangePlanAndWait(10));
    ASSERT_NO_FATAL_FAILURE(UploadFiles());
    HttpResponse put = As(ann_, "PUT", "/api/v1/plan", R"({"size_gb":25})");
    ASSERT_EQ(put.status, 200) << put.body;
  }
  // kill -9 of the server, then the same server again (same data, config and sessions).
  void KillAndRestart() {
    ASSERT_TRUE(server().Signal(SIGKILL));
    auto exit = server().WaitForExit(std::chrono::seconds(10));
    ASSERT_TRUE(exit.has_value()) << "the server did not die from SIGKILL";
    EXPECT_EQ(exit->signal, SIGKILL) << exit->Describe();
    auto port = StartServer({{"NIMBUS_EMAIL_OUTBOX_POLL_INTERVAL_S", "1"}}, {}, true);
    ASSERT_TRUE(port) << port.error().message;
  }
  // An upload (PUT /nodes/root/content) on its own connection, its body sent in parts.
  struct Uploading {
    std::string name;
    std::string bytes;
    std::string sha256;
    std::optional<HttpClient> client;
  };
  // Sends the headers (with X-Checksum-Sha256) and the first MiB of `bytes`.
  Uploading BeginUpload(const std::string& name, std::string bytes) {
    Uploading u{name, std::move(bytes), "", std::nullopt};
    u.sha256 = Sha256::HexOf(u.bytes);
    auto client = HttpClient::Connect(port());
    EXPECT_TRUE(client) << client.error().message;
    if (!client) return u;
    const std::string head = fmt::format(
        "PUT /api/v1/nodes/root/content?path={} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {}\r\n"
        "X-CSRF-Token: {}\r\nContent-Type: application/octet-stream\r\n"
        "X-Checksum-Sha256: {}\r\nContent-Length: {}\r\n\r\n",
        name, ann_.cookie, ann_.csrf, u.sha256, u.bytes.size());
    auto sent = client->SendRaw(head + u.bytes.substr(0, kMiB));
    EXPECT_TRUE(sent) << name << ": " << sent.error().message;
    u.client.emplace(std::move(*client));
    return u;
  }
  // Sends bytes [from, to) of the body, 512 KiB every 10 ms.
  static void SendRest(Uploading& u, std::size_t from, std::size_t to) {
    for (std::size_t at = from; at < to; at += 512 * 1024) {
      const std::size_t n = std::min<std::size_t>(512 * 1024, to - at);
      if (!u.client->SendRaw(std::string_view(u.bytes).substr(at, n))) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  // Reads the answer (201 expected) and records the file.
  void EndUpload(Uploading& u) {
    auto answered = u.client->ReadResponse(std::chrono::seconds(60));
    ASSERT_TRUE(answered) << u.name << ": " << answered.error().message;
    ASSERT_EQ(answered->status, 201) << u.name << ": " << answered->body;
    files_[u.name] = StoredFile{Str(BodyOf(*answered), "id"), u.sha256,
                                static_cast<std::int64_t>(u.bytes.size())};
  }
  static std::int64_t Int(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v != nullptr && v->is_number() ? v->to_number<std::int64_t>() : -1;
  }
  static std::string Str(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : "";
  }

  Browser admin_, ann_;
  std::map<std::string, StoredFile> files_;
  std::int64_t b_before_ = -1;  // b1's allocated bytes before ann came to B.
};

TEST_F(PlanMigrationTest, BToCWhileADownloadAndUploadsRun) {
  ASSERT_NO_FATAL_FAILURE(StartWithPairs());
  const std::int64_t b_before = Int(Disks()["b1"], "allocated_bytes");
  ASSERT_NO_FATAL_FAILURE(ChangePlanAndWait(10));  // A → B (nothing to move yet).
  ASSERT_EQ(Str(Plan(), "category"), "B");
  ASSERT_NO_FATAL_FAILURE(UploadFiles());
  ASSERT_EQ(FilesUnder(DiskDir("b1") / "blobs").size(), files_.size());
  ASSERT_EQ(FilesUnder(DiskDir("b1m") / "blobs").size(), files_.size());
  EXPECT_EQ(Int(Disks()["b1"], "allocated_bytes"), b_before + 10 * kGiB);

  // The download starts first and reads slowly until the old copies are gone.
  std::atomic<bool> slow{true};
  std::atomic<std::int64_t> received{0};
  Slow slow_result;
  const StoredFile big = files_.at("big.bin");
  std::jthread download([&, target = "/api/v1/nodes/" + big.id + "/content"] {
    slow_result = DownloadSlowly(port(), target, ann_.cookie, slow, received);
  });
  const SetOnExit speed_up{slow};  // Also when an assertion below ends the test early.
  // Two uploads send their headers and the first MiB now: the server starts writing both to the
  // B pair. late.bin sends the rest while the move copies; later.bin its last bytes only once the
  // switch is made (a write that started on B and is recorded after the owner left it).
  Uploading late = BeginUpload("late.bin", Bytes(8 * kMiB, 4242));
  Uploading later = BeginUpload("later.bin", Bytes(3 * kMiB, 4343));
  ASSERT_TRUE(late.client && later.client);
  // Bounded wait until both temporary files are on b1: the writes are in flight on B.
  for (int i = 0; i < 200 && FilesUnder(DiskDir("b1") / "tmp").size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(FilesUnder(DiskDir("b1") / "tmp").size(), 2u) << "the uploads did not start on b1";
  for (int i = 0; i < 100 && received < 256 * 1024; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(received.load(), 256 * 1024) << "the download did not start";

  HttpResponse put = As(ann_, "PUT", "/api/v1/plan", R"({"size_gb":25})");
  ASSERT_EQ(put.status, 200) << put.body;
  json::object changed = BodyOf(put).at("plan").as_object();
  EXPECT_EQ(Str(changed, "category"), "C");
  EXPECT_EQ(Str(changed, "state"), "migrating") << put.body;
  EXPECT_EQ(Quota(), 25 * kGiB) << "the new quota applies at once, before the move ends";
  std::jthread send_late([&] { SendRest(late, kMiB, late.bytes.size()); });

  // GET /plan while it migrates: progress only grows, the quota stays 25 GiB; bounded.
  const auto start = Clock::now();
  json::object plan = Plan();
  std::int64_t last_copied = 0;
  int polls = 0;
  while (Str(plan, "state") == "migrating" && Clock::now() - start < std::chrono::seconds(90)) {
    ++polls;
    const json::value* m = plan.if_contains("migration");
    ASSERT_TRUE(m != nullptr && m->is_object()) << json::serialize(plan);
    const std::int64_t copied = Int(m->as_object(), "copied_bytes");
    EXPECT_GE(copied, last_copied) << "progress went back";
    EXPECT_GT(Int(m->as_object(), "total_bytes"), 0);
    last_copied = std::max(last_copied, copied);
    EXPECT_EQ(Quota(), 25 * kGiB);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    plan = Plan();
  }
  const std::int64_t move_ms = MsSince(start);
  ASSERT_EQ(Str(plan, "state"), "active") << "still migrating after 90 s";
  EXPECT_GE(polls, 1);
  EXPECT_GT(last_copied, 0) << "no progress seen";

  // Both uploads end with their own bytes: late.bin (sent during the copy), later.bin now.
  send_late.join();
  ASSERT_NO_FATAL_FAILURE(EndUpload(late));
  SendRest(later, kMiB, later.bytes.size());
  ASSERT_NO_FATAL_FAILURE(EndUpload(later));

  // Bounded wait until b1 holds no blob: the download's copy is gone under it.
  for (int i = 0; i < 300 && !FilesUnder(DiskDir("b1") / "blobs").empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::int64_t read_slowly = received;
  std::cerr << "move: " << move_ms << " ms, " << polls << " polls, " << last_copied
            << " bytes copied when last seen; download at " << read_slowly << " of " << big.size
            << " bytes once b1 was empty\n";
  EXPECT_TRUE(FilesUnder(DiskDir("b1") / "blobs").empty());
  EXPECT_LT(read_slowly, big.size) << "the download ended before the move did";
  slow = false;  // The rest of the download at full speed.
  download.join();
  EXPECT_EQ(slow_result.error, "");
  EXPECT_EQ(slow_result.status, 200);
  EXPECT_EQ(slow_result.length, big.size);
  EXPECT_EQ(slow_result.sha256, big.bytes_sha256) << "the download's bytes changed";
  EXPECT_TRUE(slow_result.etag.starts_with("\"" + big.bytes_sha256.substr(0, 32)))
      << slow_result.etag;

  ExpectAllOnC(b_before);
}

TEST_F(PlanMigrationTest, AKillNineInTheMiddleOfTheMoveResumesAfterARestart) {
  ASSERT_NO_FATAL_FAILURE(FilesOnBThenMoveToC());
  // kill -9 once a quarter of the bytes were copied and before the switch (bounded: 60 s).
  std::int64_t copied = 0;
  const auto end = Clock::now() + std::chrono::seconds(60);
  json::object plan = Plan();
  while (Str(plan, "state") == "migrating" && Clock::now() < end) {
    const json::value* m = plan.if_contains("migration");
    copied = m != nullptr && m->is_object() ? Int(m->as_object(), "copied_bytes") : 0;
    if (copied >= TotalBytes() / 4) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    plan = Plan();
  }
  ASSERT_EQ(Str(plan, "state"), "migrating") << "the move ended before the kill";
  ASSERT_GE(copied, TotalBytes() / 4);
  ASSERT_NO_FATAL_FAILURE(KillAndRestart());
  std::cerr << "killed with " << copied << " of " << TotalBytes() << " bytes copied\n";
  // The restarted server shows the new quota and finishes the move by itself.
  EXPECT_EQ(Quota(), 25 * kGiB);
  plan = WaitWhileMigrating(std::chrono::seconds(60));
  ASSERT_EQ(Str(plan, "state"), "active") << "the move did not resume: " << json::serialize(plan);
  ExpectAllOnC(b_before_);
}

// The window after the switch: the old copies are still on b1 when the server dies; the restarted
// server deletes them (they are nobody's any more: the rows name c1).
TEST_F(PlanMigrationTest, AKillNineRightAfterTheSwitchStillFreesTheOldCopies) {
  ASSERT_NO_FATAL_FAILURE(FilesOnBThenMoveToC());
  const auto end = Clock::now() + std::chrono::seconds(60);
  json::object plan = Plan();
  while (Str(plan, "state") == "migrating" && Clock::now() < end) plan = Plan();
  ASSERT_EQ(Str(plan, "state"), "active") << "still migrating after 60 s";
  const std::size_t left = FilesUnder(DiskDir("b1") / "blobs").size();
  ASSERT_NO_FATAL_FAILURE(KillAndRestart());  // At once: the old copies are being deleted.
  std::cerr << "killed after the switch with about " << left << " of " << files_.size()
            << " old copies still on b1\n";
  ExpectAllOnC(b_before_);
}

}  // namespace
}  // namespace nimbus::test
