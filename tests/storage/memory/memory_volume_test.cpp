// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/memory/memory_volume.h"

#include <gtest/gtest.h>

#include "storage/conformance/test_streams.h"
#include "storage/conformance/volume_conformance.h"
#include "storage/run_co.h"

namespace nimbus::storage {
namespace {

using nimbus::testing::RunCo;
using testing::ReadBlob;
using testing::StringSink;
using testing::TestBytes;
using testing::WriteBlob;

class MemoryVolumeTest : public ::testing::Test {
 protected:
  net::io_context ioc_;
  MemoryVolume vol_{"m1"};
};

TEST_F(MemoryVolumeTest, FailNextFailsExactlyThatManyCalls) {
  auto id = BlobId::Random();
  vol_.FailNext(MemoryVolume::Op::kCommit, Errc::kIoError, 2);
  auto r1 = RunCo(ioc_, WriteBlob(vol_, id, "abc"));
  ASSERT_FALSE(r1.has_value());
  EXPECT_EQ(r1.error().code, Errc::kIoError);
  EXPECT_NE(r1.error().message.find("m1"), std::string::npos);
  EXPECT_FALSE(RunCo(ioc_, WriteBlob(vol_, id, "abc")).has_value());
  EXPECT_FALSE(vol_.Contains(id));
  EXPECT_EQ(vol_.OpenWriters(), 0u);
  auto r3 = RunCo(ioc_, WriteBlob(vol_, id, "abc"));
  ASSERT_TRUE(r3.has_value()) << r3.error().message;
  EXPECT_EQ(*r3, 3u);
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(vol_, id)), "abc");
}

TEST_F(MemoryVolumeTest, FailReadsAtDeliversTheBytesBeforeTheOffset) {
  auto id = BlobId::Random();
  std::string data = TestBytes(3 * kBlockSize + 10);
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(vol_, id, data)).has_value());
  vol_.FailReadsAt(kBlockSize + 123);
  StringSink sink;
  auto r = RunCo(ioc_, vol_.Get(id, {}, sink));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kIoError);
  EXPECT_EQ(sink.out, data.substr(0, kBlockSize + 123));
  // A range that ends before the bad offset is fine.
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(vol_, id, {0, kBlockSize})), data.substr(0, kBlockSize));
  vol_.FailReadsAt(std::nullopt);
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(vol_, id)), data);
}

TEST_F(MemoryVolumeTest, CorruptByteIsCaughtByTheBlockChecksum) {
  auto id = BlobId::Random();
  std::string data = TestBytes(2 * kBlockSize + 5);
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(vol_, id, data)).has_value());
  ASSERT_TRUE(vol_.Corrupt(id, kBlockSize + 7).has_value());
  StringSink sink;
  auto r = RunCo(ioc_, vol_.Get(id, {}, sink));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kChecksumMismatch);
  EXPECT_NE(r.error().message.find("block 1"), std::string::npos) << r.error().message;
  EXPECT_EQ(sink.out, data.substr(0, kBlockSize));  // Nothing of the bad block.
  // The blocks around it still read.
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(vol_, id, {2 * kBlockSize, {}})), data.substr(2 * kBlockSize));
  EXPECT_EQ(vol_.Corrupt(BlobId::Random(), 0).error().code, Errc::kNotFound);
  EXPECT_EQ(vol_.Corrupt(id, data.size()).error().code, Errc::kInvalidArgument);
}

TEST_F(MemoryVolumeTest, OfflineFailsEverythingAndOnlineRecovers) {
  auto id = BlobId::Random();
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(vol_, id, "hello")).has_value());
  vol_.SetOffline(true);
  EXPECT_EQ(RunCo(ioc_, vol_.Probe()).error().code, Errc::kIoError);
  EXPECT_EQ(RunCo(ioc_, vol_.Stat(id)).error().code, Errc::kIoError);
  EXPECT_EQ(RunCo(ioc_, ReadBlob(vol_, id)).error().code, Errc::kIoError);
  EXPECT_EQ(RunCo(ioc_, WriteBlob(vol_, BlobId::Random(), "x")).error().code, Errc::kIoError);
  vol_.SetOffline(false);
  EXPECT_TRUE(RunCo(ioc_, vol_.Probe()).has_value());
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(vol_, id)), "hello");
}

TEST_F(MemoryVolumeTest, OfflineInTheMiddleOfAWriteFailsTheWriter) {
  auto writer = RunCo(ioc_, vol_.Create(BlobId::Random()));
  ASSERT_TRUE(writer.has_value());
  std::string a = "abc";
  ASSERT_TRUE(RunCo(ioc_, (*writer)->Append(a)).has_value());
  vol_.SetOffline(true);
  EXPECT_EQ(RunCo(ioc_, (*writer)->Append(a)).error().code, Errc::kIoError);
  EXPECT_EQ(RunCo(ioc_, (*writer)->Commit()).error().code, Errc::kIoError);
  RunCo(ioc_, (*writer)->Abort());
  vol_.SetOffline(false);
  EXPECT_EQ(vol_.BlobCount(), 0u);
  EXPECT_EQ(vol_.OpenWriters(), 0u);
}

TEST_F(MemoryVolumeTest, CapacityGivesEnospcAndSpaceCountsBytes) {
  MemoryVolume small("s1", 100);
  auto space = RunCo(ioc_, small.Space());
  EXPECT_EQ(space->total_bytes, 100u);
  EXPECT_EQ(space->free_bytes, 100u);
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(small, BlobId::Random(), std::string(60, 'x'))).has_value());
  EXPECT_EQ(RunCo(ioc_, small.Space())->free_bytes, 40u);
  auto r = RunCo(ioc_, WriteBlob(small, BlobId::Random(), std::string(41, 'y')));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kIoError);
  EXPECT_NE(r.error().message.find("ENOSPC"), std::string::npos);
  EXPECT_EQ(small.UsedBytes(), 60u);
  EXPECT_EQ(RunCo(ioc_, small.Space())->free_bytes, 40u);
}

TEST_F(MemoryVolumeTest, WriterMayOutliveItsVolume) {
  auto vol = std::make_unique<MemoryVolume>("gone");
  auto writer = RunCo(ioc_, vol->Create(BlobId::Random()));
  ASSERT_TRUE(writer.has_value());
  vol.reset();
  std::string a = "abc";
  EXPECT_TRUE(RunCo(ioc_, (*writer)->Append(a)).has_value());
  writer->reset();
}

using testing::VolumeConformance;
INSTANTIATE_TEST_SUITE_P(Memory, VolumeConformance,
                         ::testing::Values(testing::VolumeFactory{
                             "memory",
                             [](WorkerPool&, const std::string&) -> std::unique_ptr<Volume> {
                               return std::make_unique<MemoryVolume>("m1");
                             }}),
                         testing::VolumeFactoryName);

}  // namespace
}  // namespace nimbus::storage
