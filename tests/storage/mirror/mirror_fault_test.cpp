// Fault tests on real files (label integration): two LocalVolumes in a temp dir, a 20 MiB blob,
// and the primary broken in the middle of the read: its directory renamed away, its blob file
// truncated, a byte flipped ahead of the reader. Every read must return exactly the original
// bytes. SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>
#include <unistd.h>

#include "storage/conformance/test_streams.h"
#include "storage/mirror/local_mirror_fixture.h"
#include "storage/run_co.h"

namespace nimbus::storage::testing {
namespace {

using nimbus::testing::RunCo;
constexpr std::uint64_t kMiB = 1 << 20;

class MirrorFaultTest : public LocalMirrorTest {
 protected:
  void SetUp() override {
    LocalMirrorTest::SetUp();
    data_ = TestBytes(20 * kMiB, 41);
    auto w = RunCo(ioc_, WriteBlob(*vol_, id_, data_, kMiB));
    ASSERT_TRUE(w.has_value()) << w.error().message;
  }
  std::string data_;
  BlobId id_ = BlobId::Random();
};

TEST_F(MirrorFaultTest, PrimaryDirectoryRenamedAwayMidReadStillReadsByteExact) {
  const std::string root = dir_ + "/a1";
  TriggerSink sink(8 * kMiB, [&root] { std::filesystem::rename(root, root + ".away"); });
  auto r = RunCo(ioc_, vol_->Get(id_, {}, sink));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_TRUE(sink.fired);
  EXPECT_EQ(sink.out.size(), data_.size());
  EXPECT_EQ(Sha256Hex(sink.out), Sha256Hex(data_));
  // The read that was under way kept its open file; the next one finds no blob on the primary
  // and is served by the mirror, and the primary is queued for repair.
  const std::uint64_t before = vol_->failovers();
  RecordingSink again;
  ASSERT_TRUE(RunCo(ioc_, vol_->Get(id_, {}, again)).has_value());
  EXPECT_EQ(Sha256Hex(again.out), Sha256Hex(data_));
  EXPECT_EQ(vol_->failovers(), before + 1);
  EXPECT_EQ(vol_->state()->PendingRepairs().size(), 1u);
}

TEST_F(MirrorFaultTest, PrimaryFileTruncatedMidReadContinuesFromTheMirror) {
  const std::string path = primary_->BlobPath(id_);
  TriggerSink sink(8 * kMiB, [&path] { ASSERT_EQ(::truncate(path.c_str(), 12 * kMiB), 0); });
  auto r = RunCo(ioc_, vol_->Get(id_, {}, sink));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_TRUE(sink.fired);
  EXPECT_EQ(sink.out.size(), data_.size());
  EXPECT_EQ(Sha256Hex(sink.out), Sha256Hex(data_));
  EXPECT_EQ(vol_->failovers(), 1u);
  EXPECT_EQ(RunCo(ioc_, vol_->RepairPending()).repaired, 1u);
  auto fixed = RunCo(ioc_, ReadBlob(*primary_, id_));
  ASSERT_TRUE(fixed.has_value()) << fixed.error().message;
  EXPECT_EQ(Sha256Hex(*fixed), Sha256Hex(data_));
}

TEST_F(MirrorFaultTest, ByteFlippedAheadOfTheReaderIsCaughtAndServedFromTheMirror) {
  const std::string path = primary_->BlobPath(id_);
  TriggerSink sink(6 * kMiB, [&path] { ASSERT_TRUE(FlipByte(path, 15 * kMiB + 77)); });
  auto r = RunCo(ioc_, vol_->Get(id_, {}, sink));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(sink.out.size(), data_.size());
  EXPECT_EQ(Sha256Hex(sink.out), Sha256Hex(data_));
  EXPECT_EQ(vol_->failovers(), 1u);
  EXPECT_EQ(vol_->state()->Snapshot().primary.total_errors, 1u);
}

TEST_F(MirrorFaultTest, BothCopiesDamagedAtTheSameBlockFailsAndNeverSendsBadBytes) {
  ASSERT_TRUE(FlipByte(primary_->BlobPath(id_), 10 * kMiB + 1));
  ASSERT_TRUE(FlipByte(mirror_->BlobPath(id_), 10 * kMiB + 2));
  RecordingSink sink;
  auto r = RunCo(ioc_, vol_->Get(id_, {}, sink));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kChecksumMismatch);
  EXPECT_EQ(sink.out, data_.substr(0, 10 * kMiB));  // Only verified bytes, each once.
  EXPECT_TRUE(vol_->state()->PendingRepairs().empty());
}

}  // namespace
}  // namespace nimbus::storage::testing
