// Unit tests of the small-upload path of FileService (issue 5 benchmark work): concurrent small
// uploads of one user never go past the quota (reservations held in the process, the quota
// checked again when recorded), leave nothing reserved behind, and uploads recorded together in
// one transaction (group commit) fail or succeed one by one.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include <fmt/core.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/files/quota_tx.h"
#include "files_fixture.h"

namespace nimbus::core::files {
namespace {

using storage::testing::StringSource;
using storage::testing::TestBytes;

// One upload with a declared size, its result stored in `*out`.
net::awaitable<void> UploadInto(FileService* files, UploadRequest request, std::string data,
                                std::optional<Result<UploadResult>>* out) {
  StringSource source(data, 7000);
  out->emplace(co_await files->Upload(std::move(request), source));
}

class FilesSmallUploadTest : public FilesTreeTest {
 protected:
  // Starts every upload at once on the io_context (their blocking steps run on the two worker
  // threads side by side) and waits for all of them.
  std::vector<Result<UploadResult>> UploadAll(
      const std::vector<std::pair<std::string, std::string>>& files) {
    std::vector<std::optional<Result<UploadResult>>> out(files.size());
    for (std::size_t i = 0; i < files.size(); ++i) {
      UploadRequest r;
      r.caller = alice_;
      r.parent_id = "root";
      r.path = files[i].first;
      r.declared_size = files[i].second.size();
      net::co_spawn(ioc_, UploadInto(files_.get(), r, files[i].second, &out[i]), net::detached);
    }
    ioc_.restart();
    ioc_.run();
    std::vector<Result<UploadResult>> results;
    for (auto& o : out) {
      EXPECT_TRUE(o.has_value()) << "an upload did not finish";
      results.push_back(o ? std::move(*o) : Fail(Errc::kInternal, "did not finish"));
    }
    return results;
  }
  QuotaState Quota() {
    auto q = db_->Read([&](db::Transaction& tx) { return LoadQuota(tx, alice_); });
    EXPECT_TRUE(q) << q.error().message;
    return q.value_or(QuotaState{});
  }
};

TEST_F(FilesSmallUploadTest, ConcurrentSmallUploadsNeverPassTheQuota) {
  const auto plan = static_cast<std::uint64_t>(Quota().quota_bytes);
  // Room for exactly ten 4000-byte files.
  auto held = Run(files_->Reserve(alice_, plan - 40000, ReservationKind::kCopy));
  ASSERT_TRUE(held) << held.error().message;
  std::vector<std::pair<std::string, std::string>> files;
  for (int i = 0; i < 30; ++i) files.emplace_back(fmt::format("f{}.bin", i), TestBytes(4000, i));
  auto results = UploadAll(files);
  int ok = 0;
  for (const auto& r : results) {
    if (r) {
      ++ok;
    } else {
      EXPECT_EQ(r.error().code, Errc::kQuotaExceeded) << r.error().message;
      // How much is free ("only 2.0 KB of your 1 GB is free"), or that nothing is.
      EXPECT_TRUE(r.error().message.find("is free") != std::string::npos ||
                  r.error().message.find("plan is full") != std::string::npos)
          << r.error().message;
    }
  }
  EXPECT_GE(ok, 1);
  EXPECT_LE(ok, 10) << "more files than the quota holds";
  QuotaState q = Quota();
  EXPECT_EQ(q.used_bytes, 4000 * ok);
  EXPECT_LE(q.used_bytes + q.reserved_bytes, q.quota_bytes);
  // Nothing is still held for the finished uploads: the rest of the space takes one file.
  const std::uint64_t rest = 40000 - 4000 * static_cast<std::uint64_t>(ok);
  auto last = UploadAll({{"rest.bin", TestBytes(rest, 99)}});
  ASSERT_TRUE(last[0]) << last[0].error().message;
  auto over = UploadAll({{"one-more.bin", "x"}});
  ASSERT_FALSE(over[0]);
  EXPECT_EQ(over[0].error().code, Errc::kQuotaExceeded);
  // The plan is full of reservations: the message says that uploads not finished hold it.
  EXPECT_TRUE(over[0].error().message.starts_with(
      fmt::format("This upload needs 1 byte but your {} plan is full. ",
                  HumanBytes(static_cast<std::int64_t>(plan)))))
      << over[0].error().message;
  EXPECT_NE(over[0].error().message.find("is held by uploads not finished yet"), std::string::npos);
  ASSERT_TRUE(Run(files_->Release(*held)));
  EXPECT_EQ(Quota().reserved_bytes, 0);
}

TEST_F(FilesSmallUploadTest, UploadsRecordedTogetherFailOrSucceedOneByOne) {
  // Eight uploads to one name (on_conflict=fail: one wins) among eight to free names.
  std::vector<std::pair<std::string, std::string>> files;
  for (int i = 0; i < 16; ++i) {
    files.emplace_back(i % 2 == 0 ? "same.txt" : fmt::format("u{}.txt", i), TestBytes(3000, i));
  }
  auto results = UploadAll(files);
  int ok = 0, taken = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (results[i]) {
      ++ok;
      EXPECT_EQ(results[i]->node.size, 3000);
    } else {
      EXPECT_EQ(files[i].first, "same.txt");
      EXPECT_EQ(results[i].error().code, Errc::kNameTaken) << results[i].error().message;
      ++taken;
    }
  }
  EXPECT_EQ(ok, 9);
  EXPECT_EQ(taken, 7);
  QuotaState q = Quota();
  EXPECT_EQ(q.used_bytes, 9 * 3000);
  EXPECT_EQ(q.reserved_bytes, 0);
  // The refused uploads' bytes are gone from both disks; the nine files' are there.
  EXPECT_EQ(DiskBytes("a1"), 9u * 3000);
  EXPECT_EQ(DiskBytes("a1m"), 9u * 3000);
  auto blobs = db_->Read([&](db::Transaction& tx) {
    return tx.QueryOne("SELECT COUNT(*) FROM blobs WHERE owner_id = ?", {alice_});
  });
  ASSERT_TRUE(blobs && *blobs);
  EXPECT_EQ((**blobs).Int(0), 9);
}

}  // namespace
}  // namespace nimbus::core::files

namespace nimbus::core::files {
namespace {

// A source that asks for the owner's usage while the upload is in flight (after its reservation,
// before its record), then yields its bytes.
class UsageProbeSource final : public storage::ByteSource {
 public:
  UsageProbeSource(FileService& files, std::int64_t owner, std::string data)
      : files_(files), owner_(owner), data_(std::move(data)) {}
  net::awaitable<Result<std::size_t>> Read(std::span<char> buf) override {
    if (!seen) {
      auto u = co_await files_.GetUsage(owner_);
      seen = u ? std::optional<std::int64_t>(u->reserved_bytes) : std::optional<std::int64_t>(-1);
    }
    const std::size_t n = std::min(buf.size(), data_.size() - pos_);
    std::copy_n(data_.data() + pos_, n, buf.data());
    pos_ += n;
    co_return n;
  }
  std::optional<std::int64_t> seen;  // reserved_bytes during the upload.

 private:
  FileService& files_;
  std::int64_t owner_;
  std::string data_;
  std::size_t pos_ = 0;
};

TEST_F(FilesSmallUploadTest, UsageCountsASmallUploadInFlightAsReserved) {
  const std::string data(5000, 'x');
  UsageProbeSource source(*files_, alice_, data);
  UploadRequest r;
  r.caller = alice_;
  r.parent_id = "root";
  r.path = "probe.txt";
  r.declared_size = data.size();
  auto up = Run(files_->Upload(r, source));
  ASSERT_TRUE(up) << up.error().message;
  ASSERT_TRUE(source.seen.has_value());
  EXPECT_EQ(*source.seen, 5000) << "the upload in flight was not counted as reserved";
  auto after = Run(files_->GetUsage(alice_));
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->reserved_bytes, 0);
  EXPECT_EQ(after->used_bytes, 5000);
}

}  // namespace
}  // namespace nimbus::core::files
