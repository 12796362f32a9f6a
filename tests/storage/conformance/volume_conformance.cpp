// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/conformance/volume_conformance.h"

#include <cstdlib>
#include <filesystem>
#include <map>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "storage/conformance/test_streams.h"
#include "storage/put_blob.h"
#include "storage/run_co.h"
#include "util/sha256.h"

namespace nimbus::storage::testing {

void VolumeConformance::SetUp() {
  pool_ = std::make_unique<WorkerPool>(4);
  std::string tmpl = (std::filesystem::temp_directory_path() / "nimbus-conf-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  scratch_ = tmpl;
  volume_ = GetParam().make(*pool_, scratch_);
  ASSERT_NE(volume_, nullptr);
}

void VolumeConformance::TearDown() {
  volume_.reset();
  pool_.reset();
  std::error_code ec;
  std::filesystem::remove_all(scratch_, ec);
}

namespace {

using nimbus::testing::RunCo;

constexpr std::uint64_t kB = kBlockSize;

std::map<std::string, std::uint64_t> ListAll(net::io_context& ioc, Volume& v) {
  std::map<std::string, std::uint64_t> seen;
  BlobVisitor visit = [&seen](const BlobId& id, std::uint64_t size) -> Result<void> {
    EXPECT_FALSE(seen.contains(id.str())) << "visited twice: " << id.str();
    seen[id.str()] = size;
    return {};
  };
  auto ok = RunCo(ioc, v.ForEach(visit));
  EXPECT_TRUE(ok.has_value()) << ok.error().message;
  return seen;
}

TEST_P(VolumeConformance, RoundTripOfEverySizeAroundTheBlockSize) {
  for (std::uint64_t size : {std::uint64_t{0}, std::uint64_t{1}, kB - 1, kB, kB + 1, 5 * kB + 3}) {
    SCOPED_TRACE(size);
    std::string data = TestBytes(size, static_cast<std::uint32_t>(size));
    auto id = BlobId::Random();
    StringSource source(data, 100'000);  // Odd read sizes: appends do not line up with blocks.
    auto info = RunCo(ioc_, PutBlob(*volume_, id, source, size));
    ASSERT_TRUE(info.has_value()) << info.error().message;
    EXPECT_EQ(info->size, size);
    EXPECT_EQ(info->sha256_hex, Sha256::HexOf(data));
    auto stat = RunCo(ioc_, volume_->Stat(id));
    ASSERT_TRUE(stat.has_value()) << stat.error().message;
    EXPECT_EQ(stat->size, size);
    auto back = RunCo(ioc_, ReadBlob(*volume_, id));
    ASSERT_TRUE(back.has_value()) << back.error().message;
    EXPECT_TRUE(*back == data) << "bytes differ for size " << size;
  }
}

TEST_P(VolumeConformance, AppendsOfAnySizeGiveTheSameBytes) {
  std::string data = TestBytes(3 * kB + 12345, 7);
  for (std::size_t chunk : {std::size_t{1000}, std::size_t{kB}, std::size_t{3 * kB + 1}}) {
    SCOPED_TRACE(chunk);
    auto id = BlobId::Random();
    auto size = RunCo(ioc_, WriteBlob(*volume_, id, data, chunk));
    ASSERT_TRUE(size.has_value()) << size.error().message;
    EXPECT_EQ(*size, data.size());
    EXPECT_TRUE(*RunCo(ioc_, ReadBlob(*volume_, id)) == data);
  }
}

TEST_P(VolumeConformance, RangesServeExactlyTheAskedBytes) {
  const std::string data = TestBytes(3 * kB + 17, 3);
  const std::uint64_t n = data.size();
  auto id = BlobId::Random();
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(*volume_, id, data)).has_value());
  struct Case {
    std::uint64_t offset;
    std::optional<std::uint64_t> length;
    std::string want;
  };
  std::vector<Case> cases = {
      {0, 10, data.substr(0, 10)},                      // Start.
      {kB - 5, 10, data.substr(kB - 5, 10)},            // Across the first block boundary.
      {kB / 2, 2 * kB, data.substr(kB / 2, 2 * kB)},    // Middle, spanning three blocks.
      {kB, kB, data.substr(kB, kB)},                    // Exactly one block.
      {n - 7, std::nullopt, data.substr(n - 7)},        // End, open length.
      {n - 7, 1000, data.substr(n - 7)},                // Length past the end: clamped.
      {100, 0, ""},                                     // Length 0.
      {n, std::nullopt, ""},                            // Offset == size.
      {0, std::nullopt, data},                          // Whole blob.
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(fmt::format("offset {} length {}", c.offset, c.length ? *c.length : -1ull));
    auto got = RunCo(ioc_, ReadBlob(*volume_, id, ByteRange{c.offset, c.length}));
    ASSERT_TRUE(got.has_value()) << got.error().message;
    EXPECT_EQ(got->size(), c.want.size());
    EXPECT_TRUE(*got == c.want);
  }
  auto past = RunCo(ioc_, ReadBlob(*volume_, id, ByteRange{n + 1, std::nullopt}));
  ASSERT_FALSE(past.has_value());
  EXPECT_EQ(past.error().code, Errc::kInvalidArgument);
}

TEST_P(VolumeConformance, MissingBlobIsNotFound) {
  auto id = BlobId::Random();
  EXPECT_EQ(RunCo(ioc_, ReadBlob(*volume_, id)).error().code, Errc::kNotFound);
  EXPECT_EQ(RunCo(ioc_, volume_->Stat(id)).error().code, Errc::kNotFound);
  EXPECT_EQ(RunCo(ioc_, volume_->Remove(id)).error().code, Errc::kNotFound);
}

TEST_P(VolumeConformance, SecondBlobWithTheSameIdIsNameTakenAndTheFirstStays) {
  auto id = BlobId::Random();
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(*volume_, id, "first")).has_value());
  auto again = RunCo(ioc_, WriteBlob(*volume_, id, "second one"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, Errc::kNameTaken) << again.error().message;
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*volume_, id)), "first");
  EXPECT_EQ(ListAll(ioc_, *volume_).size(), 1u);
}

TEST_P(VolumeConformance, TwoOpenWritersOfOneIdOnlyTheFirstCommitWins) {
  auto id = BlobId::Random();
  auto w1 = RunCo(ioc_, volume_->Create(id));
  auto w2 = RunCo(ioc_, volume_->Create(id));
  ASSERT_TRUE(w1.has_value() && w2.has_value());
  std::string a = "aaaa", b = "bbbbbbbb";
  ASSERT_TRUE(RunCo(ioc_, (*w1)->Append(a)).has_value());
  ASSERT_TRUE(RunCo(ioc_, (*w2)->Append(b)).has_value());
  ASSERT_TRUE(RunCo(ioc_, (*w2)->Commit()).has_value());
  auto second = RunCo(ioc_, (*w1)->Commit());
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, Errc::kNameTaken);
  RunCo(ioc_, (*w1)->Abort());
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*volume_, id)), b);
}

TEST_P(VolumeConformance, AbortLeavesNothingAndTheIdStaysFree) {
  auto id = BlobId::Random();
  auto w = RunCo(ioc_, volume_->Create(id));
  ASSERT_TRUE(w.has_value());
  std::string data = TestBytes(2 * kB + 5);
  ASSERT_TRUE(RunCo(ioc_, (*w)->Append(data)).has_value());
  RunCo(ioc_, (*w)->Abort());
  RunCo(ioc_, (*w)->Abort());  // Twice is safe.
  EXPECT_EQ(RunCo(ioc_, volume_->Stat(id)).error().code, Errc::kNotFound);
  EXPECT_TRUE(ListAll(ioc_, *volume_).empty());
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(*volume_, id, "after abort")).has_value());
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*volume_, id)), "after abort");
}

TEST_P(VolumeConformance, WriterDestroyedWithoutCommitLeavesNothing) {
  auto id = BlobId::Random();
  {
    auto w = RunCo(ioc_, volume_->Create(id));
    ASSERT_TRUE(w.has_value());
    std::string data = TestBytes(kB + 5);
    ASSERT_TRUE(RunCo(ioc_, (*w)->Append(data)).has_value());
  }
  EXPECT_EQ(RunCo(ioc_, volume_->Stat(id)).error().code, Errc::kNotFound);
  EXPECT_TRUE(ListAll(ioc_, *volume_).empty());
}

TEST_P(VolumeConformance, RemoveDeletesOnlyThatBlob) {
  auto keep = BlobId::Random();
  auto gone = BlobId::Random();
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(*volume_, keep, "keep")).has_value());
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(*volume_, gone, TestBytes(kB + 1))).has_value());
  auto removed = RunCo(ioc_, volume_->Remove(gone));
  ASSERT_TRUE(removed.has_value()) << removed.error().message;
  EXPECT_EQ(RunCo(ioc_, volume_->Stat(gone)).error().code, Errc::kNotFound);
  EXPECT_EQ(RunCo(ioc_, ReadBlob(*volume_, gone)).error().code, Errc::kNotFound);
  EXPECT_EQ(RunCo(ioc_, volume_->Remove(gone)).error().code, Errc::kNotFound);
  EXPECT_EQ(*RunCo(ioc_, ReadBlob(*volume_, keep)), "keep");
  auto all = ListAll(ioc_, *volume_);
  EXPECT_EQ(all.size(), 1u);
  EXPECT_TRUE(all.contains(keep.str()));
}

TEST_P(VolumeConformance, ForEachListsExactlyTheCommittedBlobsWithTheirSizes) {
  std::map<std::string, std::uint64_t> want;
  for (int i = 0; i < 25; ++i) {
    auto id = BlobId::Random();
    std::uint64_t size = (i * 7919) % 3000 + (i % 5 == 0 ? kB : 0);
    ASSERT_TRUE(RunCo(ioc_, WriteBlob(*volume_, id, TestBytes(size, i))).has_value());
    want[id.str()] = size;
  }
  auto removed = BlobId::Random();
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(*volume_, removed, "x")).has_value());
  ASSERT_TRUE(RunCo(ioc_, volume_->Remove(removed)).has_value());
  auto open_writer = RunCo(ioc_, volume_->Create(BlobId::Random()));  // Uncommitted: not listed.
  ASSERT_TRUE(open_writer.has_value());
  std::string pending = "pending";
  ASSERT_TRUE(RunCo(ioc_, (*open_writer)->Append(pending)).has_value());
  EXPECT_EQ(ListAll(ioc_, *volume_), want);
  RunCo(ioc_, (*open_writer)->Abort());
}

TEST_P(VolumeConformance, ForEachStopsWithTheVisitorsError) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(RunCo(ioc_, WriteBlob(*volume_, BlobId::Random(), "b")).has_value());
  int calls = 0;
  BlobVisitor visit = [&calls](const BlobId&, std::uint64_t) -> Result<void> {
    if (++calls == 2) return Fail(Errc::kCancelled, "enough");
    return {};
  };
  auto r = RunCo(ioc_, volume_->ForEach(visit));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kCancelled);
  EXPECT_EQ(calls, 2);
}

TEST_P(VolumeConformance, SinkErrorIsPassedBack) {
  auto id = BlobId::Random();
  ASSERT_TRUE(RunCo(ioc_, WriteBlob(*volume_, id, TestBytes(3 * kB))).has_value());
  StringSink sink(/*fail_after=*/1);
  auto r = RunCo(ioc_, volume_->Get(id, {}, sink));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kCancelled);
  EXPECT_LT(sink.out.size(), 3 * kB);
}

TEST_P(VolumeConformance, ProbeAndSpace) {
  auto probe = RunCo(ioc_, volume_->Probe());
  EXPECT_TRUE(probe.has_value()) << probe.error().message;
  auto space = RunCo(ioc_, volume_->Space());
  ASSERT_TRUE(space.has_value()) << space.error().message;
  EXPECT_GT(space->total_bytes, 0u);
  EXPECT_LE(space->free_bytes, space->total_bytes);
  EXPECT_TRUE(ListAll(ioc_, *volume_).empty());  // The probe leaves no blob behind.
}

TEST_P(VolumeConformance, WriterIsUnusableAfterCommit) {
  auto w = RunCo(ioc_, volume_->Create(BlobId::Random()));
  ASSERT_TRUE(w.has_value());
  std::string a = "abc";
  ASSERT_TRUE(RunCo(ioc_, (*w)->Append(a)).has_value());
  ASSERT_EQ(*RunCo(ioc_, (*w)->Commit()), 3u);
  EXPECT_FALSE(RunCo(ioc_, (*w)->Append(a)).has_value());
  EXPECT_FALSE(RunCo(ioc_, (*w)->Commit()).has_value());
  RunCo(ioc_, (*w)->Abort());  // Harmless after a commit: the blob stays.
  EXPECT_EQ(ListAll(ioc_, *volume_).size(), 1u);
}

net::awaitable<void> PutOne(Volume& v, BlobId id, std::string data, std::atomic<int>& failures) {
  StringSource source(std::move(data), 50'000);
  auto r = co_await PutBlob(v, id, source);
  if (!r) ++failures;
}

TEST_P(VolumeConformance, ConcurrentPutsOfDifferentBlobs) {
  std::map<std::string, std::string> want;
  std::atomic<int> failures{0};
  for (int i = 0; i < 16; ++i) {
    auto id = BlobId::Random();
    std::string data = TestBytes(200'000 + i * 150'000, 100 + i);
    want[id.str()] = data;
    net::co_spawn(ioc_, PutOne(*volume_, id, data, failures), net::detached);
  }
  std::thread second([this] { ioc_.run(); });  // Two I/O threads: the volume must be thread-safe.
  ioc_.run();
  second.join();
  EXPECT_EQ(failures.load(), 0);
  auto all = ListAll(ioc_, *volume_);
  ASSERT_EQ(all.size(), want.size());
  for (const auto& [hex, data] : want) {
    auto id = *BlobId::Parse(hex);
    EXPECT_EQ(all[hex], data.size());
    auto back = RunCo(ioc_, ReadBlob(*volume_, id));
    ASSERT_TRUE(back.has_value()) << back.error().message;
    EXPECT_TRUE(*back == data) << hex;
  }
}

}  // namespace
}  // namespace nimbus::storage::testing
