// MirroredVolume over two LocalVolumes in a temp dir: damaged and missing blob files (and
// damaged rows of small.sqlite) on the primary are served from the mirror, byte-exact, and
// repaired. SPDX-License-Identifier:
// AGPL-3.0-or-later
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/conformance/test_streams.h"
#include "storage/faulty_volume.h"
#include "storage/local/damage_blob.h"
#include "storage/mirror/local_mirror_fixture.h"
#include "storage/put_blob.h"
#include "storage/run_co.h"

namespace nimbus::storage::testing {
namespace {

using nimbus::testing::RunCo;
constexpr std::uint64_t kMiB = 1 << 20;

// Bytes of `path` in the page cache (mincore of a mapping, which faults nothing in); -1 on error.
std::int64_t CachedBytes(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size == 0) {
    ::close(fd);
    return -1;
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return -1;
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> in((size + page - 1) / page);
  std::int64_t cached = -1;
  if (::mincore(map, size, in.data()) == 0) {
    cached = 0;
    for (unsigned char c : in) cached += (c & 1) ? static_cast<std::int64_t>(page) : 0;
  }
  ::munmap(map, size);
  return cached;
}

// Whether the file system of `dir` takes O_DIRECT (tmpfs does not: everything is cached there).
bool TakesDirectIo(const std::string& dir) {
  const std::string probe = dir + "/direct-probe";
  int fd = ::open(probe.c_str(), O_CREAT | O_WRONLY | O_DIRECT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  ::unlink(probe.c_str());
  return fd >= 0;
}

TEST_F(LocalMirrorTest, FlippedByteInThePrimaryFileIsServedFromTheMirrorAndRepaired) {
  const std::string data = TestBytes(5 * kMiB, 31);
  const BlobId id = BlobId::Random();
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(*vol_, id, data)).has_value());
  ASSERT_TRUE(FlipByte(primary_->BlobPath(id), 5 * kMiB / 2));
  ASSERT_EQ(RunCo(ioc_, ReadBlob(*primary_, id)).error().code, Errc::kChecksumMismatch);

  RecordingSink sink;
  auto r = RunCo(ioc_, vol_->Get(id, {}, sink));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(sink.out.size(), data.size());
  EXPECT_EQ(Sha256Hex(sink.out), Sha256Hex(data));
  EXPECT_EQ(vol_->failovers(), 1u);
  EXPECT_EQ(vol_->state()->state(Side::kPrimary), SideState::kDegraded);
  EXPECT_EQ(alerts_->Count(AlertKind::kDiskDegraded, "a1"), 1);

  EXPECT_EQ(RunCo(ioc_, vol_->RepairPending()).repaired, 1u);
  auto fixed = RunCo(ioc_, ReadBlob(*primary_, id));
  ASSERT_TRUE(fixed.has_value()) << fixed.error().message;
  EXPECT_EQ(Sha256Hex(*fixed), Sha256Hex(data));
  EXPECT_EQ(vol_->state()->state(Side::kPrimary), SideState::kHealthy);
}

TEST_F(LocalMirrorTest, ADamagedSmallBlobRowIsServedFromTheMirrorAndRepaired) {
  const std::string data = TestBytes(4096, 34);  // A row of small.sqlite on each disk.
  const BlobId id = BlobId::Random();
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(*vol_, id, data)).has_value());
  ASSERT_FALSE(std::filesystem::exists(primary_->BlobPath(id)));
  ASSERT_TRUE(DamageBlob(*primary_, id, 4000));
  ASSERT_EQ(RunCo(ioc_, ReadBlob(*primary_, id)).error().code, Errc::kChecksumMismatch);

  auto got = RunCo(ioc_, ReadBlob(*vol_, id));
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, data);
  EXPECT_EQ(vol_->failovers(), 1u);
  EXPECT_EQ(RunCo(ioc_, vol_->RepairPending()).repaired, 1u);
  auto fixed = RunCo(ioc_, ReadBlob(*primary_, id));
  ASSERT_TRUE(fixed.has_value()) << fixed.error().message;
  EXPECT_EQ(*fixed, data);
  EXPECT_EQ(vol_->state()->state(Side::kPrimary), SideState::kHealthy);
}

TEST_F(LocalMirrorTest, PutBlobsWholeBlocksLandOnBothDisksWithTheirChecksums) {
  // PutBlob checksums each whole block once and hands it to both sides (AppendBlock): each
  // copy must read back verified on its own, ranges across block edges included.
  const std::string data = TestBytes(3 * kMiB + 4321, 33);
  const BlobId id = BlobId::Random();
  StringSource source(data, 300 * 1000);
  auto info = RunCo(ioc_, PutBlob(*vol_, id, source, data.size()));
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->sha256_hex, Sha256Hex(data));
  for (LocalVolume* side : {primary_.get(), mirror_.get()}) {
    auto back = RunCo(ioc_, ReadBlob(*side, id));
    ASSERT_TRUE(back.has_value()) << side->id() << ": " << back.error().message;
    EXPECT_EQ(Sha256Hex(*back), Sha256Hex(data)) << side->id();
    auto edge = RunCo(ioc_, ReadBlob(*side, id, ByteRange{2 * kMiB - 3, kMiB + 6}));
    ASSERT_TRUE(edge.has_value()) << side->id();
    EXPECT_EQ(*edge, data.substr(2 * kMiB - 3, kMiB + 6)) << side->id();
  }
}

TEST_F(LocalMirrorTest, AnUploadStaysInThePageCacheOfTheSideThatServesReadsOnly) {
  // PutBlob (uploads) keeps the blocks cached where Get reads first, so a file read right after
  // its upload comes from memory; the other side's whole blocks bypass the cache (O_DIRECT).
  if (!TakesDirectIo(dir_)) GTEST_SKIP() << dir_ << " does not take O_DIRECT";
  const std::string data = TestBytes(6 * kMiB + 100, 35);
  const BlobId id = BlobId::Random();
  StringSource source(data, 256 * 1024);
  ASSERT_TRUE(RunCo(ioc_, PutBlob(*vol_, id, source, data.size())).has_value());
  EXPECT_GE(CachedBytes(primary_->BlobPath(id)), static_cast<std::int64_t>(6 * kMiB));
  const std::int64_t mirror_cached = CachedBytes(mirror_->BlobPath(id));
  ASSERT_GE(mirror_cached, 0);
  EXPECT_LT(mirror_cached, static_cast<std::int64_t>(kMiB));  // The tail and footer only.

  // With the primary failed, reads come from the mirror, so an upload keeps that side cached.
  vol_->state()->MarkFailed(Side::kPrimary, "test");
  const BlobId id2 = BlobId::Random();
  StringSource source2(data, 256 * 1024);
  ASSERT_TRUE(RunCo(ioc_, PutBlob(*vol_, id2, source2, data.size())).has_value());
  EXPECT_GE(CachedBytes(mirror_->BlobPath(id2)), static_cast<std::int64_t>(6 * kMiB));
}

TEST_F(LocalMirrorTest, RangeReadThroughAFlippedByte) {
  const std::string data = TestBytes(4 * kMiB + 100, 32);
  const BlobId id = BlobId::Random();
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(*vol_, id, data)).has_value());
  ASSERT_TRUE(FlipByte(primary_->BlobPath(id), 2 * kMiB + 5));
  const std::uint64_t off = kMiB + 333;
  auto part = RunCo(ioc_, ReadBlob(*vol_, id, {off, 2 * kMiB}));
  ASSERT_TRUE(part.has_value()) << part.error().message;
  EXPECT_EQ(*part, data.substr(off, 2 * kMiB));
}

TEST_F(LocalMirrorTest, DeletedPrimaryFileIsServedFromTheMirrorAndRepaired) {
  const std::string data = TestBytes(3 * kMiB + 1, 33);
  const BlobId id = BlobId::Random();
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(*vol_, id, data)).has_value());
  ASSERT_EQ(::unlink(primary_->BlobPath(id).c_str()), 0);
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*vol_, id)), data);
  EXPECT_EQ(RunCo(ioc_, vol_->RepairPending()).repaired, 1u);
  EXPECT_TRUE(std::filesystem::exists(primary_->BlobPath(id)));
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*primary_, id)), data);
}

TEST_F(LocalMirrorTest, IoErrorAtTwoAndAHalfMiBOnARealFileFailsOverByteExact) {
  const std::string data = TestBytes(5 * kMiB, 34);
  const BlobId id = BlobId::Random();
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(*vol_, id, data)).has_value());
  auto faulty = std::make_shared<FaultyVolume>(primary_);
  faulty->fail_get_at = 5 * kMiB / 2;
  MirroredVolume pair(faulty, mirror_);
  RecordingSink sink;
  ASSERT_TRUE(RunCo(ioc_, pair.Get(id, {}, sink)).has_value());
  EXPECT_EQ(sink.out.size(), data.size());
  EXPECT_EQ(Sha256Hex(sink.out), Sha256Hex(data));
  EXPECT_EQ(pair.failovers(), 1u);
}

TEST_F(LocalMirrorTest, MirrorDirectoryGoneWriteLandsOnThePrimaryAndIsRepairedLater) {
  std::filesystem::rename(dir_ + "/a1m", dir_ + "/a1m.away");
  const std::string data = TestBytes(2 * kMiB, 35);
  const BlobId id = BlobId::Random();
  auto w = RunCo(ioc_, WriteBlob(*vol_, id, data));
  ASSERT_TRUE(w.has_value()) << w.error().message;
  EXPECT_EQ(vol_->state()->state(Side::kMirror), SideState::kDegraded);
  EXPECT_EQ(alerts_->Count(AlertKind::kDiskDegraded, "a1m"), 1);
  std::filesystem::rename(dir_ + "/a1m.away", dir_ + "/a1m");
  EXPECT_EQ(RunCo(ioc_, vol_->RepairPending()).repaired, 1u);
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*mirror_, id)), data);
  EXPECT_EQ(vol_->state()->Snapshot().pair_state(), SideState::kHealthy);
}

}  // namespace
}  // namespace nimbus::storage::testing
