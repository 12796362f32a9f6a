// SPDX-License-Identifier: AGPL-3.0-or-later
// TusService (tus 1.0.0 on FileService): the protocol against a fake target (reservations and
// uploads kept in memory) over a real SQLite file, real staging files and a FakeClock.
#include "core/files/tus_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "db/migrations.h"
#include "db/stores/account_store.h"
#include "fakes/fake_clock.h"
#include "storage/run_co.h"
#include "support/migrated_db.h"
#include "support/temp_dir.h"
#include "util/sha256.h"

namespace nimbus::core::files {
namespace {

namespace fs = std::filesystem;

// Keeps reservations and received files in memory; errors can be injected.
class FakeTarget final : public TusTarget {
 public:
  std::map<std::string, std::uint64_t> reservations;  // id → bytes.
  std::map<std::string, std::string> files;           // path → bytes.
  std::optional<Error> prepare_error, reserve_error, upload_error;
  std::string last_reservation_id;
  OnConflict last_on_conflict = OnConflict::kFail;
  // As FileService, on_recorded runs in the transaction that records the file (when set).
  db::Database* db = nullptr;
  int recorded = 0;
  // The process stops right after the file was recorded, before the caller heard of it.
  bool stop_after_record = false;

  // As FileService: the checks, then the reservation of the declared size under the given id.
  net::awaitable<Result<std::string>> PrepareUpload(const UploadRequest& r) override {
    if (prepare_error) co_return std::unexpected(*prepare_error);
    if (!r.declared_size || r.reservation_kind != ReservationKind::kTus ||
        r.new_reservation_id.empty()) {
      co_return Fail(Errc::kInternal, "tus reserves its whole length under its own id");
    }
    if (reserve_error) co_return std::unexpected(*reserve_error);
    reservations[r.new_reservation_id] = *r.declared_size;
    co_return r.new_reservation_id;
  }
  net::awaitable<Result<void>> Release(std::string id) override {
    reservations.erase(id);
    co_return Result<void>{};
  }
  net::awaitable<Result<UploadResult>> Upload(UploadRequest r, storage::ByteSource& body) override {
    last_reservation_id = r.reservation_id;
    last_on_conflict = r.on_conflict;
    if (upload_error) co_return std::unexpected(*upload_error);
    std::string bytes;
    char buf[7];  // Odd size: the staging source must cope with any buffer.
    while (true) {
      auto n = co_await body.Read(buf);
      if (!n) co_return std::unexpected(n.error());
      if (*n == 0) break;
      bytes.append(buf, *n);
    }
    if (bytes.size() != r.declared_size) co_return Fail(Errc::kInternal, "size differs");
    reservations.erase(r.reservation_id);
    files[r.path] = bytes;
    ++recorded;
    UploadResult out;
    out.node.id = "node-" + r.path;
    out.node.sha256 = Sha256::HexOf(bytes);
    if (db != nullptr && r.on_recorded) {
      auto in_tx = db->Write([&](db::Transaction& tx) { return r.on_recorded(tx, out.node); });
      if (!in_tx) co_return std::unexpected(in_tx.error());
    }
    if (stop_after_record) co_return Fail(Errc::kCancelled, "server stopping");
    co_return out;
  }
};

// A body handed out in pieces; optionally breaks (kIoError) after `break_after` bytes.
class PieceSource final : public storage::ByteSource {
 public:
  explicit PieceSource(std::string data, std::optional<std::size_t> break_after = std::nullopt)
      : data_(std::move(data)), break_after_(break_after) {}
  net::awaitable<Result<std::size_t>> Read(std::span<char> buf) override {
    std::size_t end = break_after_.value_or(data_.size());
    if (pos_ >= end) {
      if (break_after_) co_return Fail(Errc::kIoError, "connection reset");
      co_return std::size_t{0};
    }
    std::size_t n = std::min({buf.size(), end - pos_, std::size_t{5}});
    std::copy_n(data_.data() + pos_, n, buf.data());
    pos_ += n;
    co_return n;
  }

 private:
  std::string data_;
  std::optional<std::size_t> break_after_;
  std::size_t pos_ = 0;
};

// A body whose first read waits for `gate` to be cancelled (a slow client mid-PATCH).
class GatedSource final : public storage::ByteSource {
 public:
  GatedSource(std::string data, net::steady_timer& gate) : data_(std::move(data)), gate_(gate) {}
  net::awaitable<Result<std::size_t>> Read(std::span<char> buf) override {
    if (!opened_) {
      waiting = true;
      co_await gate_.async_wait(net::as_tuple(net::use_awaitable));
      opened_ = true;
    }
    std::size_t n = std::min(buf.size(), data_.size() - pos_);
    std::copy_n(data_.data() + pos_, n, buf.data());
    pos_ += n;
    co_return n;
  }
  bool waiting = false;

 private:
  std::string data_;
  net::steady_timer& gate_;
  bool opened_ = false;
  std::size_t pos_ = 0;
};

net::awaitable<void> AppendInto(TusService& tus, std::int64_t owner, std::string id,
                                storage::ByteSource& body, std::optional<Result<TusUpload>>* out) {
  out->emplace(co_await tus.Append(owner, std::move(id), 0, body, std::nullopt));
}

// Waits (bounded: 5 s) on the io_context until `ready()`.
net::awaitable<bool> WaitUntil(std::function<bool()> ready) {
  net::steady_timer tick(co_await net::this_coro::executor);
  for (int i = 0; i < 1000 && !ready(); ++i) {
    tick.expires_after(std::chrono::milliseconds(5));
    co_await tick.async_wait(net::as_tuple(net::use_awaitable));
  }
  co_return ready();
}

TusChecksum DigestOf(const std::string& s,
                     TransferDigest::Kind kind = TransferDigest::Kind::kSha256) {
  TransferDigest h(kind);
  h.Update(std::span<const char>(s.data(), s.size()));
  return TusChecksum{kind, h.Finish()};
}

class TusServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = nimbus::testing::MigratedSqlite(dir_.File("nimbus.db"));
    ASSERT_TRUE(db_);
    // The owner and their root folder, where the uploads go (Append checks it is still there).
    db::UserRecord u;
    u.id = kOwner;
    u.email = "owner@example.com";
    u.email_verified_at = 1;
    u.name = "owner";
    u.password_hash = "x";
    u.root_id = "root-42";
    u.created_at = u.updated_at = 1;
    auto added =
        db_->Write([&](db::Transaction& tx) { return db::AccountStore::InsertUser(tx, u); });
    ASSERT_TRUE(added) << added.error().message;
    config_.tus_expiry_h = 24;
    target_.db = db_.get();
    Reopen();
  }
  // A new service over the same database and staging directory (a restart).
  void Reopen() {
    tus_ = std::make_unique<TusService>(target_,
                                        TusDeps{*db_, workers_, clock_, config_, staging_dir()});
  }
  fs::path staging_dir() const { return fs::path(dir_.File("uploads")); }
  bool Staged(const std::string& id) const { return fs::exists(staging_dir() / id); }

  template <class T>
  T Run(net::awaitable<T> aw) {
    return nimbus::testing::RunCo(ioc_, std::move(aw));
  }
  TusUpload Create(std::uint64_t length, const std::string& path = "a.bin") {
    TusCreateRequest r;
    r.owner_id = kOwner;
    r.path = path;
    r.length = length;
    auto up = Run(tus_->Create(r));
    EXPECT_TRUE(up) << up.error().message;
    return up.value_or(TusUpload{});
  }
  Result<TusUpload> Append(const std::string& id, std::uint64_t offset, const std::string& bytes,
                           std::optional<TusChecksum> sha = std::nullopt,
                           std::optional<OnConflict> decide = std::nullopt) {
    PieceSource body(bytes);
    return Run(tus_->Append(kOwner, id, offset, body, sha, decide));
  }

  static constexpr std::int64_t kOwner = 42;
  nimbus::testing::TempDir dir_;
  std::unique_ptr<db::Database> db_;
  WorkerPool workers_{2};
  FakeClock clock_;
  config::FilesConfig config_;
  FakeTarget target_;
  net::io_context ioc_;
  std::unique_ptr<TusService> tus_;
};

TEST_F(TusServiceTest, CreateReservesTheLengthUnderTheUploadIdBeforeAnyByte) {
  TusUpload up = Create(1000);
  EXPECT_EQ(up.state, TusState::kReceiving);
  EXPECT_EQ(up.offset, 0);
  EXPECT_EQ(target_.reservations.at(up.id), 1000u);
  EXPECT_TRUE(Staged(up.id));
  auto got = Run(tus_->Get(kOwner, up.id));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->length, 1000);
  EXPECT_EQ(got->path, "a.bin");
}

TEST_F(TusServiceTest, RefusedReservationStoresNothing) {
  target_.reserve_error = Error{Errc::kQuotaExceeded, "needs 1 KB, 0 bytes free"};
  TusCreateRequest r;
  r.owner_id = kOwner;
  r.path = "big.bin";
  r.length = 1024;
  auto up = Run(tus_->Create(r));
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().code, Errc::kQuotaExceeded);
  EXPECT_FALSE(fs::exists(staging_dir()) && !fs::is_empty(staging_dir()));
}

TEST_F(TusServiceTest, ThreeChunksBecomeTheFileWithItsReservation) {
  const std::string data = "The quick brown fox jumps over the lazy dog, thrice.";
  TusUpload up = Create(data.size());
  auto a = Append(up.id, 0, data.substr(0, 20));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->offset, 20);
  auto b = Append(up.id, 20, data.substr(20, 20), DigestOf(data.substr(20, 20)));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->offset, 40);
  auto c = Append(up.id, 40, data.substr(40));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->state, TusState::kDone);
  EXPECT_EQ(c->node_id, "node-a.bin");
  EXPECT_EQ(target_.files.at("a.bin"), data);
  EXPECT_EQ(target_.last_reservation_id, up.id);
  EXPECT_FALSE(Staged(up.id));
  auto got = Run(tus_->Get(kOwner, up.id));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->state, TusState::kDone);
  EXPECT_EQ(got->offset, static_cast<std::int64_t>(data.size()));
}

TEST_F(TusServiceTest, WrongOffsetIsAConflictAndChangesNothing) {
  TusUpload up = Create(10);
  ASSERT_TRUE(Append(up.id, 0, "abc"));
  auto r = Append(up.id, 5, "xyz");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kConflict);
  EXPECT_EQ(Run(tus_->Get(kOwner, up.id))->offset, 3);
}

TEST_F(TusServiceTest, ChecksumMismatchDropsTheBytesOfThatPatch) {
  TusUpload up = Create(8);
  ASSERT_TRUE(Append(up.id, 0, "abcd"));
  auto r = Append(up.id, 4, "efgh", DigestOf("EFGH"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kChecksumMismatch);
  EXPECT_EQ(Run(tus_->Get(kOwner, up.id))->offset, 4);
  EXPECT_EQ(fs::file_size(staging_dir() / up.id), 4u);
  // tus's required algorithm, sha1, is checked the same way.
  auto sha1_wrong = Append(up.id, 4, "efgh", DigestOf("EFGH", TransferDigest::Kind::kSha1));
  ASSERT_FALSE(sha1_wrong);
  EXPECT_EQ(sha1_wrong.error().code, Errc::kChecksumMismatch);
  auto ok = Append(up.id, 4, "efgh", DigestOf("efgh", TransferDigest::Kind::kSha1));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(target_.files.at("a.bin"), "abcdefgh");
}

TEST_F(TusServiceTest, BodyPastTheDeclaredLengthIsRefusedAndDropped) {
  TusUpload up = Create(4);
  auto r = Append(up.id, 0, "abcdefgh");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kTooLarge);
  EXPECT_EQ(Run(tus_->Get(kOwner, up.id))->offset, 0);
}

TEST_F(TusServiceTest, BrokenBodyKeepsWhatArrivedAndTheClientResumes) {
  TusUpload up = Create(12);
  PieceSource broken("abcdefghijkl", 7);
  auto r = Run(tus_->Append(kOwner, up.id, 0, broken, std::nullopt));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kIoError);
  auto head = Run(tus_->Get(kOwner, up.id));
  ASSERT_TRUE(head);
  EXPECT_EQ(head->offset, 7);
  ASSERT_TRUE(Append(up.id, 7, "hijkl"));
  EXPECT_EQ(target_.files.at("a.bin"), "abcdefghijkl");
}

TEST_F(TusServiceTest, BytesWrittenButNotRecordedAreCutOffOnTheNextPatch) {
  TusUpload up = Create(6);
  ASSERT_TRUE(Append(up.id, 0, "abc"));
  {  // A crash after the write, before the offset was recorded.
    std::ofstream f(staging_dir() / up.id, std::ios::app | std::ios::binary);
    f << "ZZZZ";
  }
  ASSERT_TRUE(Append(up.id, 3, "def"));
  EXPECT_EQ(target_.files.at("a.bin"), "abcdef");
}

TEST_F(TusServiceTest, AnotherOwnerSeesNothing) {
  TusUpload up = Create(3);
  auto got = Run(tus_->Get(kOwner + 1, up.id));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Errc::kNotFound);
  PieceSource body("abc");
  auto r = Run(tus_->Append(kOwner + 1, up.id, 0, body, std::nullopt));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kNotFound);
  EXPECT_EQ(Run(tus_->Terminate(kOwner + 1, up.id)).error().code, Errc::kNotFound);
}

TEST_F(TusServiceTest, OnePatchAtATime) {
  TusUpload up = Create(3);
  net::steady_timer gate(ioc_, net::steady_timer::time_point::max());
  GatedSource slow("abc", gate);
  std::optional<Result<TusUpload>> first;
  std::optional<Result<TusUpload>> second;
  auto scenario = [&]() -> net::awaitable<void> {
    net::co_spawn(ioc_, AppendInto(*tus_, kOwner, up.id, slow, &first), net::detached);
    // Named lambdas: GCC 12 miscompiles capturing lambda temporaries next to co_await.
    std::function<bool()> slow_waits = [&] { return slow.waiting; };
    std::function<bool()> first_done = [&] { return first.has_value(); };
    EXPECT_TRUE(co_await WaitUntil(slow_waits));
    PieceSource other("xyz");
    second.emplace(co_await tus_->Append(kOwner, up.id, 0, other, std::nullopt));
    gate.cancel();
    EXPECT_TRUE(co_await WaitUntil(first_done));
  };
  Run(scenario());
  ASSERT_TRUE(second && first);
  ASSERT_FALSE(*second);
  EXPECT_EQ(second->error().code, Errc::kConflict);
  ASSERT_TRUE(*first) << (*first).error().message;
  EXPECT_EQ((*first)->state, TusState::kDone);
  EXPECT_EQ(target_.files.at("a.bin"), "abc");
}

// A client cancels by aborting its PATCH and sending DELETE; the server may not have seen the
// PATCH end yet. The upload goes at once, and that PATCH ends without leaving anything.
TEST_F(TusServiceTest, TerminationWhileAPatchWritesRemovesTheUploadAndThePatchStops) {
  TusUpload up = Create(3);
  net::steady_timer gate(ioc_, net::steady_timer::time_point::max());
  GatedSource slow("abc", gate);
  std::optional<Result<TusUpload>> first;
  std::optional<Result<void>> terminated;
  auto scenario = [&]() -> net::awaitable<void> {
    net::co_spawn(ioc_, AppendInto(*tus_, kOwner, up.id, slow, &first), net::detached);
    std::function<bool()> slow_waits = [&] { return slow.waiting; };
    std::function<bool()> first_done = [&] { return first.has_value(); };
    EXPECT_TRUE(co_await WaitUntil(slow_waits));
    terminated.emplace(co_await tus_->Terminate(kOwner, up.id));
    gate.cancel();  // The rest of the body arrives after the termination.
    EXPECT_TRUE(co_await WaitUntil(first_done));
  };
  Run(scenario());
  ASSERT_TRUE(terminated && first);
  ASSERT_TRUE(*terminated) << terminated->error().message;
  ASSERT_FALSE(*first);
  EXPECT_EQ(first->error().code, Errc::kNotFound);
  EXPECT_FALSE(target_.files.contains("a.bin"));
  EXPECT_FALSE(target_.reservations.contains(up.id));
  EXPECT_FALSE(Staged(up.id));
  EXPECT_EQ(Run(tus_->Get(kOwner, up.id)).error().code, Errc::kNotFound);
}

TEST_F(TusServiceTest, TerminationRemovesStagingReservationAndUpload) {
  TusUpload up = Create(10);
  ASSERT_TRUE(Append(up.id, 0, "abc"));
  auto t = Run(tus_->Terminate(kOwner, up.id));
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_FALSE(target_.reservations.contains(up.id));
  EXPECT_FALSE(Staged(up.id));
  EXPECT_EQ(Run(tus_->Get(kOwner, up.id)).error().code, Errc::kNotFound);
}

TEST_F(TusServiceTest, ZeroLengthUploadIsAFileAtOnce) {
  TusUpload up = Create(0, "empty.txt");
  EXPECT_EQ(up.state, TusState::kDone);
  EXPECT_EQ(target_.files.at("empty.txt"), "");
}

TEST_F(TusServiceTest, FailedAssemblyReleasesTheReservationAndSaysWhy) {
  TusUpload up = Create(3);
  target_.upload_error = Error{Errc::kInvalidName, "'a.bin' cannot be a name here"};
  auto r = Append(up.id, 0, "abc");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidName);
  EXPECT_FALSE(target_.reservations.contains(up.id));
  auto got = Run(tus_->Get(kOwner, up.id));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->state, TusState::kFailed);
  EXPECT_EQ(got->error, "'a.bin' cannot be a name here");
}

// Two uploads of one name at once: the one saved second finds the name taken when every byte
// is there. It is kept (bytes, reservation) for the client's decision, not thrown away (QA
// bigfiles #1); a start does not retry it; the client's rule finishes it without the bytes
// being sent again; left alone, it expires as any idle upload.
TEST_F(TusServiceTest, AnUploadWhoseNameWasTakenAtTheEndIsKeptForTheClientsDecision) {
  TusUpload up = Create(3);
  target_.upload_error = Error{Errc::kNameTaken, "'a.bin' exists in /."};
  auto r = Append(up.id, 0, "abc");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kNameTaken);
  EXPECT_NE(r.error().message.find("This upload keeps its bytes"), std::string::npos)
      << r.error().message;
  EXPECT_TRUE(target_.reservations.contains(up.id));
  auto got = Run(tus_->Get(kOwner, up.id));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->state, TusState::kAssembling);
  EXPECT_EQ(got->offset, 3);
  EXPECT_EQ(got->error, r.error().message);
  // A restart does not try it again on its own.
  Reopen();
  auto started = Run(tus_->ResumePending(ioc_.get_executor()));
  ASSERT_TRUE(started) << started.error().message;
  EXPECT_EQ(*started, 0);
  // The client chooses "keep both": an empty PATCH at the end with the rule.
  target_.upload_error.reset();
  auto done = Append(up.id, 3, "", std::nullopt, OnConflict::kRename);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->state, TusState::kDone);
  EXPECT_EQ(target_.last_on_conflict, OnConflict::kRename);
  EXPECT_EQ(target_.files.at("a.bin"), "abc");
  EXPECT_FALSE(target_.reservations.contains(up.id));

  // One kept may be discarded (Skip, or the same bytes there already): its space goes.
  TusUpload dropped = Create(3, "c.bin");
  target_.upload_error = Error{Errc::kNameTaken, "'c.bin' exists in /."};
  ASSERT_FALSE(Append(dropped.id, 0, "xyz"));
  EXPECT_TRUE(target_.reservations.contains(dropped.id));
  auto terminated = Run(tus_->Terminate(kOwner, dropped.id));
  ASSERT_TRUE(terminated) << terminated.error().message;
  EXPECT_FALSE(target_.reservations.contains(dropped.id));
  EXPECT_FALSE(Run(tus_->Get(kOwner, dropped.id)));

  // Another one left waiting expires after tus_expiry_h idle (with the done one's row).
  TusUpload left = Create(3, "b.bin");
  target_.upload_error = Error{Errc::kNameTaken, "'b.bin' exists in /."};
  ASSERT_FALSE(Append(left.id, 0, "xyz"));
  clock_.Advance(std::chrono::hours(25));
  auto removed = tus_->RemoveExpired();
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(*removed, 2);
  EXPECT_FALSE(Run(tus_->Get(kOwner, left.id)));
}

TEST_F(TusServiceTest, ResumePendingAssemblesWhatAStopInterrupted) {
  TusUpload up = Create(3);
  target_.upload_error = Error{Errc::kCancelled, "server stopping"};
  ASSERT_FALSE(Append(up.id, 0, "abc"));
  EXPECT_EQ(Run(tus_->Get(kOwner, up.id))->state, TusState::kAssembling);
  target_.upload_error.reset();
  Reopen();
  auto started = Run(tus_->ResumePending(ioc_.get_executor()));
  ASSERT_TRUE(started) << started.error().message;
  EXPECT_EQ(*started, 1);
  ioc_.restart();
  ioc_.run();
  EXPECT_EQ(target_.files.at("a.bin"), "abc");
  EXPECT_EQ(Run(tus_->Get(kOwner, up.id))->state, TusState::kDone);
}

// A process killed right after the file was recorded (before the upload's own row was updated)
// saved it a second time at the next start: as "name (1)", or as a failed name_taken (QA pass
// 21b). The row is marked done in the transaction that records the file.
TEST_F(TusServiceTest, AnUploadRecordedJustBeforeAStopIsNotSavedAgainAtTheNextStart) {
  TusUpload up = Create(3);
  target_.stop_after_record = true;
  ASSERT_FALSE(Append(up.id, 0, "abc"));
  EXPECT_EQ(target_.recorded, 1);
  target_.stop_after_record = false;
  Reopen();
  auto started = Run(tus_->ResumePending(ioc_.get_executor()));
  ASSERT_TRUE(started) << started.error().message;
  EXPECT_EQ(*started, 0) << "nothing is left to assemble";
  ioc_.restart();
  ioc_.run();
  EXPECT_EQ(target_.recorded, 1) << "saved once";
  auto now = Run(tus_->Get(kOwner, up.id));
  ASSERT_TRUE(now) << now.error().message;
  EXPECT_EQ(now->state, TusState::kDone);
  EXPECT_EQ(now->node_id, "node-a.bin");
}

// The server's storage full when the last byte arrives: the upload and its bytes are kept, the
// reservation too, and the client's next HEAD saves it once there is room (QA pass 14, finding 6:
// the upload was thrown away and answered 410).
TEST_F(TusServiceTest, AFullStorageAtTheEndKeepsTheUploadForTheNextTry) {
  TusUpload up = Create(3);
  target_.upload_error = Error{Errc::kNoCapacity, "both disks: No space left on device (ENOSPC)"};
  auto r = Append(up.id, 0, "abc");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kNoCapacity);
  EXPECT_TRUE(target_.reservations.contains(up.id));
  target_.upload_error.reset();
  auto got = Run(tus_->Get(kOwner, up.id));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->state, TusState::kDone);
  EXPECT_EQ(target_.files.at("a.bin"), "abc");
}

TEST_F(TusServiceTest, CleanupRemovesOnlyUploadsIdleLongerThanTheExpiry) {
  TusUpload old_one = Create(10, "old.bin");
  ASSERT_TRUE(Append(old_one.id, 0, "abc"));
  // The reservation FileService would have made under the upload's id.
  auto reserved = db_->Write([&](db::Transaction& tx) {
    return tx.Exec(
        "INSERT INTO reservations (id, owner_id, bytes, kind, created_at) "
        "VALUES (?, ?, 10, 'tus', 0)",
        {old_one.id, kOwner});
  });
  ASSERT_TRUE(reserved) << reserved.error().message;
  clock_.Advance(std::chrono::hours(23));
  TusUpload fresh = Create(10, "fresh.bin");
  clock_.Advance(std::chrono::hours(2));
  auto removed = tus_->RemoveExpired();
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(*removed, 1);
  EXPECT_FALSE(Staged(old_one.id));
  auto left = db_->Read([&](db::Transaction& tx) {
    return tx.QueryOne("SELECT 1 FROM reservations WHERE id = ?", {old_one.id});
  });
  ASSERT_TRUE(left);
  EXPECT_FALSE(left->has_value()) << "the reservation must be released";
  EXPECT_EQ(Run(tus_->Get(kOwner, old_one.id)).error().code, Errc::kNotFound);
  EXPECT_TRUE(Staged(fresh.id));
  EXPECT_TRUE(Run(tus_->Get(kOwner, fresh.id)));
}

}  // namespace
}  // namespace nimbus::core::files
