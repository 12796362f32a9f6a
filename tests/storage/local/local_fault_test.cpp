// SPDX-License-Identifier: AGPL-3.0-or-later
// Fault tests for LocalVolume on real files: a helper process writes blobs while fiu-run makes
// pwrite/fdatasync/rename fail with EIO or ENOSPC, or is killed with SIGKILL mid-write; a
// loop-mounted ext4 image is filled to ENOSPC. After each: the failure is reported as io_error,
// no partial blob is visible, tmp/ is swept at reopen, and every committed blob reads back
// byte-exact (SHA-256).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "storage/conformance/test_streams.h"
#include "storage/local/local_volume.h"
#include "storage/put_blob.h"
#include "storage/run_co.h"
#include "util/sha256.h"

extern char** environ;

namespace nimbus::storage {
namespace {

namespace fs = std::filesystem;
using nimbus::testing::RunCo;
using testing::StringSource;
using testing::TestBytes;

struct Line {
  std::string kind, id, a, b;  // OK id size sha | ERR id errc message
};

std::vector<Line> ParseLines(const std::string& path) {
  std::vector<Line> out;
  std::ifstream in(path);
  std::string text;
  while (std::getline(in, text)) {
    std::istringstream s(text);
    Line l;
    s >> l.kind >> l.id >> l.a;
    std::getline(s, l.b);
    out.push_back(l);
  }
  return out;
}

// Starts argv with stdout and stderr to `out_path`; returns the pid (or -1).
pid_t Spawn(const std::vector<std::string>& args, const std::string& out_path) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

// Waits for `pid` (bounded: kills it after `limit`); returns the exit status, or 128+signal.
int Wait(pid_t pid, std::chrono::seconds limit = std::chrono::seconds(120)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool HaveFiu() { return ::access("/usr/bin/fiu-run", X_OK) == 0; }

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;  // fiu-run's preload and the ASan runtime crash together at start.
#else
constexpr bool kAsan = false;
#endif

class LocalFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "nimbus-fault-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    root_ = dir_ + "/disk";
    auto v = LocalVolume::Open({"a1", root_, 0, true}, pool_);
    ASSERT_TRUE(v.has_value()) << v.error().message;
    // Blobs committed before any fault: they must survive everything below.
    for (std::size_t size : {std::size_t{0}, kBlockSize + 7, 3 * kBlockSize}) {
      auto id = BlobId::Random();
      StringSource src(TestBytes(size, static_cast<std::uint32_t>(size)));
      auto info = RunCo(ioc_, PutBlob(**v, id, src));
      ASSERT_TRUE(info.has_value()) << info.error().message;
      committed_[id.str()] = info->sha256_hex;
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs the helper (under fiu-run with `fiu_commands` unless empty); returns exit status.
  int RunHelper(const std::vector<std::string>& fiu_commands,
                std::vector<std::string> helper_args) {
    // The helper enables the fail points itself once the disk is open (NIMBUS_FIU_ENABLE).
    std::vector<std::string> args;
    std::string commands;
    if (!fiu_commands.empty()) {
      args = {"/usr/bin/fiu-run", "-x"};
      for (const auto& c : fiu_commands) commands += c + "\n";
    }
    ::setenv("NIMBUS_FIU_ENABLE", commands.c_str(), 1);
    args.push_back(NIMBUS_FAULT_HELPER);
    args.push_back(root_);
    args.push_back("a1");
    args.insert(args.end(), helper_args.begin(), helper_args.end());
    out_ = dir_ + "/helper.out";
    pid_t pid = Spawn(args, out_);
    ::unsetenv("NIMBUS_FIU_ENABLE");
    EXPECT_GT(pid, 0);
    return pid > 0 ? Wait(pid) : -1;
  }

  // Reopens the disk without faults and checks: tmp/ swept, exactly the committed blobs
  // listed, each byte-exact, each failed blob absent.
  void VerifyDisk(const std::vector<std::string>& failed_ids) {
    auto v = LocalVolume::Open({"a1", root_, 0, false}, pool_);
    ASSERT_TRUE(v.has_value()) << v.error().message;
    EXPECT_EQ(std::distance(fs::directory_iterator(root_ + "/tmp"), fs::directory_iterator()), 0);
    std::map<std::string, std::uint64_t> listed;
    BlobVisitor visit = [&listed](const BlobId& id, std::uint64_t size) -> Result<void> {
      listed[id.str()] = size;
      return {};
    };
    ASSERT_TRUE(RunCo(ioc_, (*v)->ForEach(visit)).has_value());
    EXPECT_EQ(listed.size(), committed_.size());
    for (const auto& [hex, sha] : committed_) {
      SCOPED_TRACE(hex);
      EXPECT_TRUE(listed.contains(hex));
      auto bytes = RunCo(ioc_, testing::ReadBlob(**v, *BlobId::Parse(hex)));
      ASSERT_TRUE(bytes.has_value()) << bytes.error().message;
      EXPECT_EQ(Sha256::HexOf(*bytes), sha);
    }
    for (const auto& hex : failed_ids) {
      EXPECT_EQ(RunCo(ioc_, (*v)->Stat(*BlobId::Parse(hex))).error().code, Errc::kNotFound) << hex;
    }
  }

  // Reads the helper's report: OK lines join committed_, ERR ids are returned.
  std::vector<std::string> Collect(int* ok_count, const std::string& want_in_errors = "") {
    std::vector<std::string> failed;
    *ok_count = 0;
    for (const auto& l : ParseLines(out_)) {
      if (l.kind == "OK") {
        committed_[l.id] = l.b.substr(l.b.find_first_not_of(' '));
        ++*ok_count;
      } else if (l.kind == "ERR") {
        EXPECT_EQ(l.a, "io_error") << l.b;
        if (!want_in_errors.empty()) {
          EXPECT_NE(l.b.find(want_in_errors), std::string::npos) << l.b;
        }
        EXPECT_NE(l.b.find("disk a1"), std::string::npos) << l.b;
        failed.push_back(l.id);
      }
    }
    return failed;
  }

  net::io_context ioc_;
  WorkerPool pool_{2};
  std::string dir_, root_, out_;
  std::map<std::string, std::string> committed_;  // id -> SHA-256 of every acknowledged blob.
};

TEST_F(LocalFaultTest, PwriteEioFailsTheWritesAndLeavesNoPartialBlob) {
  if (!HaveFiu()) GTEST_SKIP() << "fiu-run not installed (apt-get install fiu-utils)";
  if (kAsan) GTEST_SKIP() << "fiu-run cannot preload into an ASan binary; run the plain build";
  int status =
      RunHelper({"enable name=posix/io/rw/pwrite,failinfo=5"}, {"write", "3", "2500000", "1"});
  EXPECT_EQ(status, 2);
  int ok = 0;
  auto failed = Collect(&ok, "Input/output error (EIO)");
  EXPECT_EQ(ok, 0);
  EXPECT_EQ(failed.size(), 3u);
  VerifyDisk(failed);
}

TEST_F(LocalFaultTest, PwriteEnospcIsReportedAsSuch) {
  if (!HaveFiu()) GTEST_SKIP() << "fiu-run not installed (apt-get install fiu-utils)";
  if (kAsan) GTEST_SKIP() << "fiu-run cannot preload into an ASan binary; run the plain build";
  // Blobs kept as files, and small blobs kept as rows of small.sqlite.
  EXPECT_EQ(
      RunHelper({"enable name=posix/io/rw/pwrite,failinfo=28"}, {"write", "2", "100000", "2"}), 2);
  int ok = 0;
  auto failed = Collect(&ok, "No space left on device (ENOSPC)");
  EXPECT_EQ(failed.size(), 2u);
  EXPECT_EQ(RunHelper({"enable name=posix/io/rw/pwrite,failinfo=28"}, {"write", "2", "100", "2"}),
            2);
  auto failed_small = Collect(&ok, "No space left on device (ENOSPC)");
  EXPECT_EQ(failed_small.size(), 2u);
  failed.insert(failed.end(), failed_small.begin(), failed_small.end());
  VerifyDisk(failed);
}

TEST_F(LocalFaultTest, FdatasyncEioFailsTheCommit) {
  if (!HaveFiu()) GTEST_SKIP() << "fiu-run not installed (apt-get install fiu-utils)";
  if (kAsan) GTEST_SKIP() << "fiu-run cannot preload into an ASan binary; run the plain build";
  EXPECT_EQ(
      RunHelper({"enable name=posix/io/sync/fdatasync,failinfo=5"}, {"write", "2", "1500000", "3"}),
      2);
  int ok = 0;
  auto failed = Collect(&ok, "fdatasync");
  EXPECT_EQ(ok, 0);
  EXPECT_EQ(failed.size(), 2u);
  VerifyDisk(failed);
}

TEST_F(LocalFaultTest, RenameFailureLeavesNothingVisible) {
  if (!HaveFiu()) GTEST_SKIP() << "fiu-run not installed (apt-get install fiu-utils)";
  if (kAsan) GTEST_SKIP() << "fiu-run cannot preload into an ASan binary; run the plain build";
  EXPECT_EQ(RunHelper({"enable name=posix/io/dir/rename,failinfo=5"}, {"write", "2", "70000", "4"}),
            2);
  int ok = 0;
  auto failed = Collect(&ok, "rename");
  EXPECT_EQ(failed.size(), 2u);
  VerifyDisk(failed);
}

TEST_F(LocalFaultTest, RandomPwriteAndFdatasyncFailuresNeverLoseAnAcknowledgedBlob) {
  if (!HaveFiu()) GTEST_SKIP() << "fiu-run not installed (apt-get install fiu-utils)";
  if (kAsan) GTEST_SKIP() << "fiu-run cannot preload into an ASan binary; run the plain build";
  int status = RunHelper({"enable_random name=posix/io/rw/pwrite,probability=0.25,failinfo=5",
                          "enable_random name=posix/io/sync/fdatasync,probability=0.2,failinfo=28"},
                         {"write", "16", "1500000", "5"});
  int ok = 0;
  auto failed = Collect(&ok);
  EXPECT_EQ(ok + failed.size(), 16u);
  EXPECT_EQ(status, failed.empty() ? 0 : 2);
  std::printf("random faults: %d blobs committed, %zu failed\n", ok, failed.size());
  VerifyDisk(failed);
}

TEST_F(LocalFaultTest, PreadEioIsAnIoErrorAndTheDiskIsFineAfterwards) {
  if (!HaveFiu()) GTEST_SKIP() << "fiu-run not installed (apt-get install fiu-utils)";
  if (kAsan) GTEST_SKIP() << "fiu-run cannot preload into an ASan binary; run the plain build";
  EXPECT_EQ(RunHelper({}, {"read", "x"}), 0);  // Without faults every blob reads and matches.
  int good = 0;
  for (const auto& l : ParseLines(out_)) {
    ASSERT_EQ(l.kind, "READ-OK");
    EXPECT_EQ(l.a, committed_[l.id]);
    ++good;
  }
  EXPECT_EQ(good, 3);
  EXPECT_EQ(RunHelper({"enable name=posix/io/rw/pread,failinfo=5"}, {"read", "x"}), 2);
  // The two blobs kept as files fail. The empty one is a row of small.sqlite, whose pages SQLite
  // may still hold from listing it: then it reads right, else it fails the same way.
  int errors = 0, cached = 0;
  for (const auto& l : ParseLines(out_)) {
    if (l.kind == "READ-OK") {
      EXPECT_EQ(l.a, committed_[l.id]);
      EXPECT_EQ(l.a, Sha256::HexOf("")) << "only the small blob may be served from SQLite's cache";
      ++cached;
      continue;
    }
    ASSERT_EQ(l.kind, "READ-ERR") << l.b;
    EXPECT_EQ(l.a, "io_error");
    EXPECT_NE(l.b.find("Input/output error (EIO)"), std::string::npos) << l.b;
    EXPECT_NE(l.b.find(l.id), std::string::npos) << l.b;
    ++errors;
  }
  EXPECT_GE(errors, 2);
  EXPECT_EQ(errors + cached, 3);
  VerifyDisk({});
}

TEST_F(LocalFaultTest, KillDuringALargeWriteLeavesNoPartialBlob) {
  out_ = dir_ + "/helper.out";
  pid_t pid = Spawn(
      {NIMBUS_FAULT_HELPER, root_, "a1", "big", std::to_string(std::uint64_t{512} << 20)}, out_);
  ASSERT_GT(pid, 0);
  // Wait (bounded) until the helper has written several blocks of its temp file.
  bool started = false;
  for (int i = 0; i < 1500 && !started; ++i) {
    std::ifstream in(out_);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    started = text.find("STARTED") != std::string::npos;
    if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  EXPECT_EQ(Wait(pid), 128 + SIGKILL);
  ASSERT_TRUE(started) << "the helper never started writing";
  EXPECT_EQ(std::distance(fs::directory_iterator(root_ + "/tmp"), fs::directory_iterator()), 1)
      << "the killed write should have left its temp file";
  {
    auto v = LocalVolume::Open({"a1", root_, 0, false}, pool_);
    ASSERT_TRUE(v.has_value()) << v.error().message;
    EXPECT_EQ((*v)->swept_at_open(), 1u);
  }
  VerifyDisk({});
}

// Fills a real (loop-mounted, 64 MiB) ext4 file system until ENOSPC.
class LoopExt4Test : public LocalFaultTest {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "nimbus-ext4-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    if (::geteuid() != 0)
      GTEST_SKIP() << "loop mount needs root; not root, skipping the ext4 ENOSPC test";
    std::string img = dir_ + "/disk.img", mnt = dir_ + "/mnt";
    fs::create_directories(mnt);
    std::string cmd = fmt::format(
        "truncate -s 64M {0} && mkfs.ext4 -q -m 0 {0} && mount -o loop {0} {1} 2>&1", img, mnt);
    if (std::system(cmd.c_str()) != 0)
      GTEST_SKIP() << "mount -o loop was refused here; skipping: " << cmd;
    mounted_ = mnt;
    root_ = mnt + "/disk";
  }
  void TearDown() override {
    if (!mounted_.empty()) std::system(fmt::format("umount {}", mounted_).c_str());
    fs::remove_all(dir_);
  }
  std::string mounted_;
};

TEST_F(LoopExt4Test, FillingTheDiskGivesEnospcAndKeepsEveryCommittedBlob) {
  auto v = LocalVolume::Open({"a1", root_, 0, true}, pool_);
  ASSERT_TRUE(v.has_value()) << v.error().message;
  const BlobId small_id = BlobId::Random();  // A row of small.sqlite.
  StringSource small_src("a small blob, written before the disk filled up");
  auto small = RunCo(ioc_, PutBlob(**v, small_id, small_src));
  ASSERT_TRUE(small.has_value()) << small.error().message;
  committed_[small_id.str()] = small->sha256_hex;
  std::optional<Error> error;
  BlobId failed_id = BlobId::Random();
  for (int i = 0; i < 40 && !error; ++i) {  // 40 × 4 MiB > 64 MiB: the loop must hit ENOSPC.
    auto id = BlobId::Random();
    StringSource src(TestBytes(4 * kBlockSize + 11, 1000 + i));
    auto info = RunCo(ioc_, PutBlob(**v, id, src));
    if (info) {
      committed_[id.str()] = info->sha256_hex;
    } else {
      error = info.error();
      failed_id = id;
    }
  }
  ASSERT_TRUE(error.has_value()) << "the 64 MiB file system never filled up";
  EXPECT_EQ(error->code, Errc::kIoError);
  EXPECT_NE(error->message.find("ENOSPC"), std::string::npos) << error->message;
  EXPECT_NE(error->message.find("disk a1"), std::string::npos) << error->message;
  EXPECT_GE(committed_.size(), 10u);
  auto space = RunCo(ioc_, (*v)->Space());
  ASSERT_TRUE(space.has_value());
  EXPECT_LT(space->free_bytes, 4 * kBlockSize);
  // Full to the last block: a full disk is not a broken one. Its health probe passes (the health
  // job would fail it otherwise, and a pair fills up together), and it keeps small.sqlite open
  // however long it is idle: opening it again needs room for its WAL, so its small blobs would
  // stop reading (QA pass 17).
  {
    const std::string filler = root_ + "/filler";
    int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    const std::string block(4096, 'f');
    for (int i = 0; i < 2000 && ::write(fd, block.data(), block.size()) > 0; ++i) {
    }
    ::close(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));  // Past the idle close.
  auto probe = RunCo(ioc_, (*v)->Probe());
  EXPECT_TRUE(probe.has_value()) << probe.error().message;
  auto small_back = RunCo(ioc_, testing::ReadBlob(**v, small_id));
  ASSERT_TRUE(small_back.has_value()) << small_back.error().message;
  EXPECT_EQ(*small_back, "a small blob, written before the disk filled up");
  fs::remove(root_ + "/filler");
  // Freeing space makes writes work again.
  auto victim = *BlobId::Parse(committed_.begin()->first);
  ASSERT_TRUE(RunCo(ioc_, (*v)->Remove(victim)).has_value());
  committed_.erase(committed_.begin());
  auto id = BlobId::Random();
  StringSource again(TestBytes(kBlockSize, 7));
  auto info = RunCo(ioc_, PutBlob(**v, id, again));
  ASSERT_TRUE(info.has_value()) << info.error().message;
  committed_[id.str()] = info->sha256_hex;
  v->reset();
  VerifyDisk({failed_id.str()});
}

// small.sqlite keeps files open while the disk is busy. Idle, the health probe closes them, so a
// disk can be unmounted under a running server; its small blobs then fail as I/O errors (the
// mirror's turn), and read again once the same disk is mounted back.
TEST_F(LoopExt4Test, AnIdleDiskCanBeUnmountedAndItsSmallBlobsComeBackWithIt) {
  auto v = LocalVolume::Open({"a1", root_, 0, true}, pool_);
  ASSERT_TRUE(v.has_value()) << v.error().message;
  auto id = BlobId::Random();
  StringSource src(TestBytes(3000, 77));
  auto info = RunCo(ioc_, PutBlob(**v, id, src));
  ASSERT_TRUE(info.has_value()) << info.error().message;
  const std::string umount = fmt::format("umount {} 2>/dev/null", mounted_);
  EXPECT_NE(std::system(umount.c_str()), 0) << "busy: small.sqlite is open";

  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  ASSERT_TRUE(RunCo(ioc_, (*v)->Probe()).has_value());  // Idle for 2 s: lets go.
  ASSERT_EQ(std::system(umount.c_str()), 0) << "the disk could not be unmounted";
  auto gone = RunCo(ioc_, testing::ReadBlob(**v, id));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Errc::kIoError) << gone.error().message;
  auto put = RunCo(ioc_, testing::WriteBlob(**v, BlobId::Random(), "while unmounted"));
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, Errc::kIoError) << put.error().message;
  EXPECT_FALSE(fs::exists(root_ + "/small.sqlite"))
      << "nothing may be written into the empty mount point";

  const std::string mount = fmt::format("mount -o loop {}/disk.img {}", dir_, mounted_);
  ASSERT_EQ(std::system(mount.c_str()), 0);
  auto back = RunCo(ioc_, testing::ReadBlob(**v, id));
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, TestBytes(3000, 77));
}

// A file system remounted read-only (as ext4 does itself on errors with errors=remount-ro):
// writes fail as I/O errors naming the disk, the blobs kept as files still read, and the small
// blobs fail as I/O errors (the mirror serves them) until the disk is writable again.
TEST_F(LoopExt4Test, ADiskRemountedReadOnlyFailsWritesAndStillReads) {
  auto v = LocalVolume::Open({"a1", root_, 0, true}, pool_);
  ASSERT_TRUE(v.has_value()) << v.error().message;
  auto small = BlobId::Random(), big = BlobId::Random();
  ASSERT_TRUE(RunCo(ioc_, testing::WriteBlob(**v, small, TestBytes(2000, 5))));
  ASSERT_TRUE(RunCo(ioc_, testing::WriteBlob(**v, big, TestBytes(kBlockSize + 5, 6))));
  // An open small.sqlite keeps the file system from going read-only by hand (busy); idle, the
  // probe lets go of it.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  ASSERT_TRUE(RunCo(ioc_, (*v)->Probe()).has_value());
  ASSERT_EQ(std::system(fmt::format("mount -o remount,ro {}", mounted_).c_str()), 0);
  for (std::size_t size : {std::size_t{100}, kBlockSize + 1}) {
    auto put = RunCo(ioc_, testing::WriteBlob(**v, BlobId::Random(), TestBytes(size, 7)));
    ASSERT_FALSE(put) << size;
    EXPECT_EQ(put.error().code, Errc::kIoError) << put.error().message;
    EXPECT_NE(put.error().message.find("disk a1"), std::string::npos) << put.error().message;
  }
  // small.sqlite was closed (idle) and SQLite cannot open its WAL on a read-only file system:
  // the small blobs are the mirror's to serve meanwhile.
  auto small_back = RunCo(ioc_, testing::ReadBlob(**v, small));
  ASSERT_FALSE(small_back);
  EXPECT_EQ(small_back.error().code, Errc::kIoError) << small_back.error().message;
  EXPECT_NE(small_back.error().message.find("read-only"), std::string::npos)
      << small_back.error().message;
  auto big_back = RunCo(ioc_, testing::ReadBlob(**v, big));
  ASSERT_TRUE(big_back.has_value()) << big_back.error().message;
  EXPECT_EQ(*big_back, TestBytes(kBlockSize + 5, 6));
  ASSERT_EQ(std::system(fmt::format("mount -o remount,rw {}", mounted_).c_str()), 0);
  EXPECT_TRUE(RunCo(ioc_, testing::WriteBlob(**v, BlobId::Random(), "writable again")));
  auto small_again = RunCo(ioc_, testing::ReadBlob(**v, small));
  ASSERT_TRUE(small_again.has_value()) << small_again.error().message;
  EXPECT_EQ(*small_again, TestBytes(2000, 5));
}

}  // namespace
}  // namespace nimbus::storage
