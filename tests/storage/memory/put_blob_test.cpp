// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/put_blob.h"

#include <gtest/gtest.h>

#include "storage/conformance/test_streams.h"
#include "storage/memory/memory_volume.h"
#include "storage/run_co.h"
#include "util/sha256.h"

namespace nimbus::storage {
namespace {

using nimbus::testing::RunCo;
using testing::ReadBlob;
using testing::StringSource;
using testing::TestBytes;
using testing::WriteBlob;

// A source that yields `good` bytes and then fails.
class FailingSource final : public ByteSource {
 public:
  explicit FailingSource(std::size_t good) : data_(TestBytes(good)) {}
  net::awaitable<Result<std::size_t>> Read(std::span<char> buf) override {
    if (pos_ == data_.size()) co_return Fail(Errc::kCancelled, "client went away");
    std::size_t n = std::min(buf.size(), data_.size() - pos_);
    std::memcpy(buf.data(), data_.data() + pos_, n);
    pos_ += n;
    co_return n;
  }

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

// Counts the appends a volume sees, to check PutBlob batches small source reads.
class CountingVolume final : public Volume {
 public:
  explicit CountingVolume(Volume& inner) : inner_(inner) {}
  const std::string& id() const override { return inner_.id(); }
  using Volume::Create;
  net::awaitable<Result<std::unique_ptr<BlobWriter>>> Create(const BlobId& id,
                                                             WriteCaching caching) override;
  net::awaitable<Result<void>> Get(const BlobId& id, ByteRange r, ByteSink& s) override { return inner_.Get(id, r, s); }
  net::awaitable<Result<BlobStat>> Stat(const BlobId& id) override { return inner_.Stat(id); }
  net::awaitable<Result<void>> Remove(const BlobId& id) override { return inner_.Remove(id); }
  net::awaitable<Result<void>> ForEach(BlobVisitor v) override { return inner_.ForEach(std::move(v)); }
  net::awaitable<Result<void>> Probe() override { return inner_.Probe(); }
  net::awaitable<Result<VolumeSpace>> Space() override { return inner_.Space(); }
  int appends = 0;

 private:
  class Writer final : public BlobWriter {
   public:
    Writer(std::unique_ptr<BlobWriter> inner, int& appends) : inner_(std::move(inner)), appends_(appends) {}
    net::awaitable<Result<void>> Append(std::span<const char> d) override {
      ++appends_;
      return inner_->Append(d);
    }
    net::awaitable<Result<std::uint64_t>> Commit() override { return inner_->Commit(); }
    net::awaitable<void> Abort() override { return inner_->Abort(); }

   private:
    std::unique_ptr<BlobWriter> inner_;
    int& appends_;
  };
  Volume& inner_;
};

net::awaitable<Result<std::unique_ptr<BlobWriter>>> CountingVolume::Create(const BlobId& id,
                                                                           WriteCaching caching) {
  auto w = co_await inner_.Create(id, caching);
  if (!w) co_return Fail(w.error());
  std::unique_ptr<BlobWriter> out = std::make_unique<Writer>(std::move(*w), appends);
  co_return out;
}

class PutBlobTest : public ::testing::Test {
 protected:
  net::io_context ioc_;
  MemoryVolume vol_{"m1"};
};

TEST_F(PutBlobTest, StreamsHashesAndBatchesIntoBlockSizedAppends) {
  std::string data = TestBytes(3 * kBlockSize + 99);
  CountingVolume counting(vol_);
  StringSource source(data, 4096);  // Tiny reads, as from a socket.
  auto id = BlobId::Random();
  auto info = RunCo(ioc_, PutBlob(counting, id, source, data.size()));
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->id, id);
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(info->sha256_hex, Sha256::HexOf(data));
  EXPECT_EQ(counting.appends, 4);
  EXPECT_TRUE(*RunCo(ioc_, ReadBlob(vol_, id)) == data);
}

TEST_F(PutBlobTest, AVolumeErrorMidStreamStopsTheReaderAndLeavesNothing) {
  std::string data = TestBytes(5 * kBlockSize);
  vol_.FailNext(MemoryVolume::Op::kAppend, Errc::kIoError);
  StringSource source(data, 64 * 1024);
  auto r = RunCo(ioc_, PutBlob(vol_, BlobId::Random(), source, data.size()));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kIoError);
  EXPECT_LT(source.delivered(), data.size());  // It did not read the whole body first.
  EXPECT_EQ(vol_.BlobCount(), 0u);
  EXPECT_EQ(vol_.OpenWriters(), 0u);
}

TEST_F(PutBlobTest, SizeMismatchEitherWayIsInvalidArgumentAndLeavesNothing) {
  StringSource longer(TestBytes(1000));
  auto r1 = RunCo(ioc_, PutBlob(vol_, BlobId::Random(), longer, 999));
  ASSERT_FALSE(r1.has_value());
  EXPECT_EQ(r1.error().code, Errc::kInvalidArgument);
  StringSource shorter(TestBytes(1000));
  auto r2 = RunCo(ioc_, PutBlob(vol_, BlobId::Random(), shorter, 1001));
  ASSERT_FALSE(r2.has_value());
  EXPECT_EQ(r2.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(vol_.BlobCount(), 0u);
  EXPECT_EQ(vol_.OpenWriters(), 0u);
}

TEST_F(PutBlobTest, SourceAndVolumeErrorsAbortTheBlob) {
  FailingSource source(kBlockSize + 10);
  auto r = RunCo(ioc_, PutBlob(vol_, BlobId::Random(), source));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kCancelled);
  vol_.FailNext(MemoryVolume::Op::kAppend, Errc::kIoError);
  StringSource ok_source(TestBytes(10));
  auto r2 = RunCo(ioc_, PutBlob(vol_, BlobId::Random(), ok_source));
  ASSERT_FALSE(r2.has_value());
  EXPECT_EQ(r2.error().code, Errc::kIoError);
  vol_.FailNext(MemoryVolume::Op::kCommit, Errc::kIoError);
  StringSource ok_source2(TestBytes(10));
  EXPECT_EQ(RunCo(ioc_, PutBlob(vol_, BlobId::Random(), ok_source2)).error().code, Errc::kIoError);
  EXPECT_EQ(vol_.BlobCount(), 0u);
  EXPECT_EQ(vol_.OpenWriters(), 0u);
}

TEST_F(PutBlobTest, CopyBlobCopiesAndVerifiesTheHash) {
  MemoryVolume to("m2");
  std::string data = TestBytes(2 * kBlockSize + 1);
  auto id = BlobId::Random();
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(vol_, id, data)).has_value());
  auto copied = RunCo(ioc_, CopyBlob(vol_, to, id, Sha256::HexOf(data)));
  ASSERT_TRUE(copied.has_value()) << copied.error().message;
  EXPECT_EQ(copied->size, data.size());
  EXPECT_TRUE(*RunCo(ioc_, ReadBlob(to, id)) == data);
  // Already there: kNameTaken, the copy is untouched.
  EXPECT_EQ(RunCo(ioc_, CopyBlob(vol_, to, id)).error().code, Errc::kNameTaken);
  EXPECT_EQ(RunCo(ioc_, CopyBlob(vol_, to, BlobId::Random())).error().code, Errc::kNotFound);
}

TEST_F(PutBlobTest, CopyBlobWithTheWrongHashOrABadSourceLeavesNothing) {
  MemoryVolume to("m2");
  auto id = BlobId::Random();
  std::string data = TestBytes(kBlockSize + 1);
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(vol_, id, data)).has_value());
  auto wrong = RunCo(ioc_, CopyBlob(vol_, to, id, Sha256::HexOf("something else")));
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, Errc::kChecksumMismatch);
  ASSERT_TRUE(vol_.Corrupt(id, kBlockSize).has_value());
  auto bad = RunCo(ioc_, CopyBlob(vol_, to, id));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Errc::kChecksumMismatch);
  EXPECT_EQ(to.BlobCount(), 0u);
  EXPECT_EQ(to.OpenWriters(), 0u);
}

}  // namespace
}  // namespace nimbus::storage
