// Unit tests of the content side of FileService (issue 5): quota reservations exact to the byte,
// uploads (conflict rules, failures leave nothing, checksums, chunked bodies), ranged reads,
// copies, the start-up sweep, and zips checked by Python's zipfile (65,536 entries; zip64).
// SPDX-License-Identifier: AGPL-3.0-or-later
#include <fmt/core.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "core/files/quota_tx.h"
#include "core/files/zip_writer.h"
#include "files_fixture.h"
#include "support/python.h"

namespace nimbus::core::files {
namespace {

using nimbus::test::Python;
using storage::testing::StringSink;
using storage::testing::StringSource;
using storage::testing::TestBytes;

// Yields `data` and then fails (a connection cut mid-body).
class CutSource final : public storage::ByteSource {
 public:
  explicit CutSource(std::string data) : data_(std::move(data)) {}
  net::awaitable<Result<std::size_t>> Read(std::span<char> buf) override {
    if (pos_ >= data_.size()) co_return Fail(Errc::kIoError, "connection reset by peer");
    std::size_t n = std::min(buf.size(), data_.size() - pos_);
    std::copy_n(data_.data() + pos_, n, buf.data());
    pos_ += n;
    co_return n;
  }

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

// Appends to a file (zip output for python3).
class FileSink final : public storage::ByteSink {
 public:
  explicit FileSink(const std::string& path) : out_(path, std::ios::binary) {}
  net::awaitable<Result<void>> Write(std::span<const char> data) override {
    out_.write(data.data(), static_cast<std::streamsize>(data.size()));
    bytes += data.size();
    co_return out_ ? Result<void>{} : Fail(Errc::kIoError, "write failed");
  }
  void Close() { out_.close(); }
  std::uint64_t bytes = 0;

 private:
  std::ofstream out_;
};

class FilesContentTest : public FilesTreeTest {
 protected:
  UploadRequest Req(const std::string& path, std::optional<std::uint64_t> size,
                    OnConflict rule = OnConflict::kFail, std::int64_t owner = 0) {
    UploadRequest r;
    r.caller = owner ? owner : alice_;
    r.parent_id = "root";
    r.path = path;
    r.on_conflict = rule;
    r.declared_size = size;
    return r;
  }
  Result<UploadResult> Upload(const std::string& path, const std::string& data,
                              OnConflict rule = OnConflict::kFail, bool declare = true,
                              std::string parent = "root") {
    UploadRequest r;
    r.caller = alice_;
    r.parent_id = std::move(parent);
    r.path = path;
    r.on_conflict = rule;
    if (declare) r.declared_size = data.size();
    StringSource src(data, 7000);
    return Run(files_->Upload(r, src));
  }
  // The live node at `path` ("/a/b") of alice, through tree_tx (not FileService::Resolve).
  Result<Node> Resolve(const std::string& path) {
    return db_->Read([&](db::Transaction& tx) -> Result<Node> {
      auto names = SplitRelativePath(path);
      if (!names) return std::unexpected(names.error());
      std::string id = RootOf(alice_);
      for (const auto& name : *names) {
        auto child = LiveChild(tx, id, name);
        if (!child) return std::unexpected(child.error());
        if (!*child) return Fail(Errc::kNotFound, "no {}", path);
        id = (*child)->id;
      }
      return LoadLive(tx, alice_, id);
    });
  }
  QuotaState Quota(std::int64_t owner) {
    auto q = db_->Read([&](db::Transaction& tx) { return LoadQuota(tx, owner); });
    EXPECT_TRUE(q) << q.error().message;
    return q.value_or(QuotaState{});
  }
  std::string Read(const Node& n, storage::ByteRange range = {}) {
    StringSink sink;
    auto r = Run(files_->ReadContent(n, range, sink));
    EXPECT_TRUE(r) << r.error().message;
    return sink.out;
  }
};

TEST(QuotaTxTest, HumanBytes) {
  EXPECT_EQ(HumanBytes(0), "0 bytes");
  EXPECT_EQ(HumanBytes(1), "1 byte");
  EXPECT_EQ(HumanBytes(1023), "1023 bytes");
  EXPECT_EQ(HumanBytes(1536), "1.5 KB");
  EXPECT_EQ(HumanBytes(std::int64_t{1} << 30), "1 GB");
  EXPECT_EQ(HumanBytes(12 * (std::int64_t{1} << 20) + 100), "12.0 MB");
  // One decimal never shows "1024.0 MB": 40 KB under 1 GB is "1.0 GB".
  EXPECT_EQ(HumanBytes((std::int64_t{1} << 30) - 200 * 1024), "1023.8 MB");
  EXPECT_EQ(HumanBytes((std::int64_t{1} << 30) - 40 * 1024), "1.0 GB");
}

// More than the whole plan reads as such even when a little of it is used (QA pass 12: "needs
// 1.9 GB but only 1.0 GB of their 1 GB is free" for a nearly empty space).
TEST(NoRoomForTest, MoreThanThePlanSaysSoWhateverIsFree) {
  const std::int64_t gb = std::int64_t{1} << 30;
  EXPECT_EQ(NoRoomFor("upload", 2 * gb, gb - 4096, gb).message,
            "This upload needs 2 GB, more than your whole plan of 1 GB.");
  EXPECT_EQ(NoRoomFor("copy", 600 << 20, 500 << 20, gb).message,
            "This copy needs 600 MB but only 500 MB of your 1 GB is free.");
  EXPECT_EQ(NoRoomFor("upload", 10, 0, gb).message,
            "This upload needs 10 bytes but your 1 GB plan is full.");
  // Two sizes that look the same when rounded say their bytes (QA pass 21b: "needs 4 GB but
  // only 4.0 GB of your 20 GB is free").
  EXPECT_EQ(NoRoomFor("upload", 4 * gb, 4 * gb - (40 << 20), 20 * gb).message,
            fmt::format("This upload needs {} bytes but only {} bytes of your 20 GB is free.",
                        4 * gb, 4 * gb - (40 << 20)));
}

TEST_F(FilesContentTest, ReservationsAreExactToTheByte) {
  const auto plan = static_cast<std::uint64_t>(Quota(alice_).quota_bytes);
  ASSERT_GT(plan, 0u);
  auto all = Run(files_->Reserve(alice_, plan, ReservationKind::kCopy));
  ASSERT_TRUE(all) << all.error().message;
  auto one_more = Run(files_->Reserve(alice_, 1, ReservationKind::kUpload));
  ASSERT_FALSE(one_more);
  EXPECT_EQ(one_more.error().code, Errc::kQuotaExceeded);
  // The plan is full of reservations: the message says that uploads not finished hold it.
  EXPECT_TRUE(one_more.error().message.starts_with(
      fmt::format("This upload needs 1 byte but your {} plan is full. ",
                  HumanBytes(static_cast<std::int64_t>(plan)))))
      << one_more.error().message;
  EXPECT_NE(one_more.error().message.find("is held by uploads not finished yet"),
            std::string::npos);
  ASSERT_TRUE(Run(files_->Release(*all)));
  ASSERT_TRUE(Run(files_->Release(*all)));  // Twice is fine.
  EXPECT_EQ(Quota(alice_).reserved_bytes, 0);
  EXPECT_TRUE(Run(files_->Reserve(alice_, plan - 10, ReservationKind::kUpload)));
  EXPECT_TRUE(Run(files_->Reserve(alice_, 10, ReservationKind::kUpload)));
  EXPECT_FALSE(Run(files_->Reserve(alice_, 1, ReservationKind::kUpload)));
  EXPECT_TRUE(Run(files_->Reserve(bob_, 1, ReservationKind::kUpload))) << "per owner";
  EXPECT_GT(usage_changes_[alice_], 0);
  auto swept = files_->SweepReservations();
  ASSERT_TRUE(swept) << swept.error().message;
  EXPECT_EQ(*swept, 3);  // plan-10, 10 and bob's 1 (the first was released).
  EXPECT_EQ(Count("SELECT COUNT(*) FROM reservations"), 0);
}

// An upload with a reservation row names its blob under it before a byte is written: the
// upload writes that very blob, the record drops the name, and a process killed in between
// leaves the name for the start-up sweep, which queues the blob's bytes for removal.
TEST_F(FilesContentTest, ALargeUploadNamesItsBlobUnderItsReservation) {
  const std::string data = TestBytes(300000);  // Over kPendingReservationMax: a reservation row.
  auto prep = Run(files_->PrepareUpload(Req("big.bin", data.size())));
  ASSERT_TRUE(prep) << prep.error().message;
  const std::string named_sql =
      "SELECT COUNT(*) FROM reservation_blobs WHERE reservation_id = '" + *prep + "'";
  EXPECT_EQ(Count(named_sql), 1);
  UploadRequest r = Req("big.bin", data.size());
  r.reservation_id = *prep;
  StringSource src(data, 7000);
  auto up = Run(files_->Upload(r, src));
  ASSERT_TRUE(up) << up.error().message;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM reservation_blobs"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM reservations"), 0);
  EXPECT_EQ(Read(up->node), data);

  // Killed after PrepareUpload (and maybe after the bytes): the sweep queues the named blob.
  auto again = Run(files_->PrepareUpload(Req("big2.bin", data.size())));
  ASSERT_TRUE(again) << again.error().message;
  auto swept = files_->SweepReservations();
  ASSERT_TRUE(swept) << swept.error().message;
  EXPECT_EQ(*swept, 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM reservation_blobs"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM blob_erasures"), 1);
  auto erased = Run(blobs_->EraseLeftovers());  // Bytes never written: nothing to remove, fine.
  ASSERT_TRUE(erased) << erased.error().message;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM blob_erasures"), 0);
  EXPECT_TRUE(Run(files_->Release(*again)));
  EXPECT_EQ(DiskBytes("a1"), data.size());
}

TEST_F(FilesContentTest, UploadCreatesFoldersAndRecordsTheBytes) {
  std::string data = TestBytes(300000);
  auto up = Upload("docs/2024/report.pdf", data);
  ASSERT_TRUE(up) << up.error().message;
  EXPECT_FALSE(up->replaced);
  EXPECT_EQ(up->node.path, "/docs/2024/report.pdf");
  EXPECT_EQ(up->node.size, 300000);
  EXPECT_EQ(up->node.sha256.size(), 64u);
  EXPECT_EQ(Read(up->node), data);
  EXPECT_EQ(Read(up->node, {1000, 50}), data.substr(1000, 50));
  EXPECT_EQ(Read(up->node, {299990, std::nullopt}), data.substr(299990));
  StringSink sink;
  auto past = Run(files_->ReadContent(up->node, {300001, std::nullopt}, sink));
  ASSERT_FALSE(past);
  EXPECT_EQ(past.error().code, Errc::kRangeNotSatisfiable);
  QuotaState q = Quota(alice_);
  EXPECT_EQ(q.used_bytes, 300000);
  EXPECT_EQ(q.reserved_bytes, 0);
  EXPECT_EQ(DiskBytes("a1"), 300000u);
  EXPECT_EQ(DiskBytes("a1m"), 300000u);
  auto empty = Upload("empty.txt", "");
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_EQ(Read(empty->node), "");
}

TEST_F(FilesContentTest, ConflictRulesFailReplaceRename) {
  ASSERT_TRUE(Upload("a.txt", "one"));
  // fail: refused before a byte (PrepareUpload), nothing reserved.
  UploadRequest r = Req("a.txt", 5);
  auto prep = Run(files_->PrepareUpload(r));
  ASSERT_FALSE(prep);
  EXPECT_EQ(prep.error().code, Errc::kNameTaken);
  EXPECT_EQ(Quota(alice_).reserved_bytes, 0);
  auto replaced = Upload("a.txt", "second", OnConflict::kReplace);
  ASSERT_TRUE(replaced) << replaced.error().message;
  EXPECT_TRUE(replaced->replaced);
  EXPECT_EQ(Read(replaced->node), "second");
  EXPECT_EQ(replaced->node.version, 2);
  EXPECT_EQ(Quota(alice_).used_bytes, 6) << "the old bytes are freed";
  // The change as the record saw it (usage warnings skip a check within one level).
  ASSERT_TRUE(last_move_.contains(alice_));
  EXPECT_EQ(last_move_[alice_].used_before, 3);
  EXPECT_EQ(last_move_[alice_].used_after, 6);
  EXPECT_EQ(last_move_[alice_].quota, Quota(alice_).quota_bytes);
  EXPECT_EQ(DiskBytes("a1"), 6u);
  auto renamed = Upload("a.txt", "third", OnConflict::kRename);
  ASSERT_TRUE(renamed) << renamed.error().message;
  EXPECT_EQ(renamed->node.name, "a (1).txt");
  auto renamed2 = Upload("a.txt", "fourth", OnConflict::kRename);
  ASSERT_TRUE(renamed2);
  EXPECT_EQ(renamed2->node.name, "a (2).txt");
  Folder(alice_, "root", "dir");
  auto onto_folder = Upload("dir", "x", OnConflict::kReplace);
  ASSERT_FALSE(onto_folder);
  EXPECT_EQ(onto_folder.error().code, Errc::kNameTaken);
}

TEST_F(FilesContentTest, FailedUploadsLeaveNothingAndReleaseTheReservation) {
  ASSERT_TRUE(Upload("keep.txt", "previous"));
  UploadRequest r = Req("keep.txt", 100000, OnConflict::kReplace);
  CutSource cut(TestBytes(40000));
  auto up = Run(files_->Upload(r, cut));
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().code, Errc::kIoError);
  QuotaState q = Quota(alice_);
  EXPECT_EQ(q.reserved_bytes, 0);
  EXPECT_EQ(q.used_bytes, 8);
  EXPECT_EQ(DiskBytes("a1"), 8u);
  EXPECT_EQ(DiskBytes("a1m"), 8u);
  auto kept = Resolve("/keep.txt");
  ASSERT_TRUE(kept) << kept.error().message;
  EXPECT_EQ(Read(*kept), "previous");
  // A body shorter than declared.
  r.path = "short.txt";
  StringSource shorter("abc");
  auto short_up = Run(files_->Upload(r, shorter));
  ASSERT_FALSE(short_up);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM nodes WHERE name = 'short.txt'"), 0);
  // A wrong checksum.
  UploadRequest c = Req("sum.txt", 3);
  c.expected_sha256 = std::string(64, '0');
  StringSource abc("abc");
  auto sum = Run(files_->Upload(c, abc));
  ASSERT_FALSE(sum);
  EXPECT_EQ(sum.error().code, Errc::kChecksumMismatch);
  EXPECT_EQ(Quota(alice_).used_bytes, 8);
  EXPECT_EQ(Quota(alice_).reserved_bytes, 0);
  EXPECT_EQ(DiskBytes("a1"), 8u);
  // Too large for max_upload_bytes: 413 before a byte.
  config_.max_upload_bytes = 100;
  UploadRequest big = Req("big", 101);
  auto too_large = Run(files_->PrepareUpload(big));
  ASSERT_FALSE(too_large);
  EXPECT_EQ(too_large.error().code, Errc::kTooLarge);
  EXPECT_EQ(too_large.error().message,
            "This file is 101 bytes; the largest upload allowed is 100 bytes.");
  // Just over a limit of 100 GB: both sizes would read "100 GB" rounded, so bytes are named.
  config_.max_upload_bytes = std::uint64_t{100} << 30;
  UploadRequest just_over = Req("just over", (std::uint64_t{100} << 30) + 1);
  auto refused = Run(files_->PrepareUpload(just_over));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "This file is 107374182401 bytes; the largest upload allowed is 107374182400 bytes.");
}

TEST_F(FilesContentTest, QuotaExactForDeclaredAndChunkedBodies) {
  const auto plan = static_cast<std::uint64_t>(Quota(alice_).quota_bytes);
  ASSERT_TRUE(Run(files_->Reserve(alice_, plan - 1000, ReservationKind::kCopy)));
  UploadRequest over = Req("over.bin", 1001);
  auto refused = Run(files_->PrepareUpload(over));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kQuotaExceeded);
  // Chunked (no declared size): refused once it passes the free bytes.
  auto chunked_over = Upload("chunked.bin", TestBytes(1001), OnConflict::kFail, false);
  ASSERT_FALSE(chunked_over);
  EXPECT_EQ(chunked_over.error().code, Errc::kQuotaExceeded);
  EXPECT_EQ(DiskBytes("a1"), 0u);
  auto chunked_fits = Upload("chunked.bin", TestBytes(600), OnConflict::kFail, false);
  ASSERT_TRUE(chunked_fits) << chunked_fits.error().message;
  auto exact = Upload("exact.bin", TestBytes(400));  // Exactly the rest.
  ASSERT_TRUE(exact) << exact.error().message;
  EXPECT_EQ(Quota(alice_).free_bytes(), 0);
  // Full: a file can still be replaced by one of the same size or smaller, not a larger one.
  auto same = Upload("exact.bin", TestBytes(400, 2), OnConflict::kReplace);
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_TRUE(same->replaced);
  auto smaller = Upload("exact.bin", TestBytes(100, 3), OnConflict::kReplace);
  ASSERT_TRUE(smaller) << smaller.error().message;
  EXPECT_EQ(Quota(alice_).free_bytes(), 300);
  auto larger = Upload("exact.bin", TestBytes(401, 4), OnConflict::kReplace);
  ASSERT_FALSE(larger);
  EXPECT_EQ(larger.error().code, Errc::kQuotaExceeded);
  auto larger_chunked = Upload("exact.bin", TestBytes(401, 4), OnConflict::kReplace, false);
  ASSERT_FALSE(larger_chunked);
  EXPECT_EQ(larger_chunked.error().code, Errc::kQuotaExceeded);
  auto fits = Upload("exact.bin", TestBytes(400, 5), OnConflict::kReplace, false);
  ASSERT_TRUE(fits) << fits.error().message;
  EXPECT_EQ(Quota(alice_).free_bytes(), 0);
  EXPECT_EQ(Quota(alice_).reserved_bytes, static_cast<std::int64_t>(plan) - 1000);
}

TEST_F(FilesContentTest, CopyFilesAndFolders) {
  Node dir = Folder(alice_, "root", "src/sub");
  ASSERT_TRUE(Upload("src/a.txt", "alpha"));
  ASSERT_TRUE(Upload("src/sub/b.txt", "bravo"));
  Folder(alice_, "root", "src/empty");
  auto src = Resolve("/src");
  ASSERT_TRUE(src);
  auto original_b = Resolve("/src/sub/b.txt");
  ASSERT_TRUE(original_b);
  clock_.Advance(std::chrono::hours(1));
  auto copy = Run(files_->Copy(alice_, src->id, "root", std::nullopt));
  ASSERT_TRUE(copy) << copy.error().message;
  EXPECT_EQ(copy->name, "src (1)");
  auto b = Resolve("/src (1)/sub/b.txt");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(Read(*b), "bravo");
  // A copy keeps when its content last changed; it was created now.
  EXPECT_EQ(b->modified_at, original_b->modified_at);
  EXPECT_GT(b->created_at, original_b->created_at);
  EXPECT_TRUE(Resolve("/src (1)/empty"));
  EXPECT_EQ(Quota(alice_).used_bytes, 20);
  EXPECT_EQ(Quota(alice_).reserved_bytes, 0);
  auto named = Run(files_->Copy(alice_, src->id, "root", std::string("backup")));
  ASSERT_TRUE(named) << named.error().message;
  auto taken = Run(files_->Copy(alice_, src->id, "root", std::string("backup")));
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, Errc::kNameTaken);
  auto into_self = Run(files_->Copy(alice_, src->id, dir.id, std::nullopt));
  ASSERT_FALSE(into_self);
  EXPECT_EQ(into_self.error().code, Errc::kInvalidMove);
  auto other = Run(files_->Copy(bob_, src->id, "root", std::nullopt));
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, Errc::kNotFound);
  const auto plan = static_cast<std::uint64_t>(Quota(alice_).quota_bytes);
  ASSERT_TRUE(Run(files_->Reserve(alice_, plan - 35, ReservationKind::kCopy)));
  auto over = Run(files_->Copy(alice_, src->id, "root", std::nullopt));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, Errc::kQuotaExceeded);
}

constexpr const char* kListZip =
    "import sys, zipfile, hashlib\n"
    "z = zipfile.ZipFile(sys.argv[1])\n"
    "assert z.testzip() is None\n"
    "for i in z.infolist():\n"
    "  print(i.filename, i.file_size, hashlib.sha256(z.read(i)).hexdigest()[:12] if not "
    "i.is_dir() else \"\")\n";

TEST_F(FilesContentTest, FolderZipUnzipsToTheSameBytes) {
  std::string big = TestBytes(1 << 20, 7);
  ASSERT_TRUE(Upload("Photos/naïve résumé.pdf", "pdf bytes"));
  ASSERT_TRUE(Upload("Photos/100% #1/big.bin", big));
  ASSERT_TRUE(Upload("Photos/empty.txt", ""));
  Folder(alice_, "root", "Photos/nothing here");
  auto photos = Resolve("/Photos");
  ASSERT_TRUE(photos);
  EXPECT_EQ(ZipName(*photos), "Photos.zip");
  std::string path = dir_.File("photos.zip");
  FileSink sink(path);
  auto zipped = Run(files_->WriteZip(*photos, sink));
  ASSERT_TRUE(zipped) << zipped.error().message;
  sink.Close();
  std::string out = Python(kListZip, {path});
  EXPECT_NE(out.find("Photos/naïve résumé.pdf 9 "), std::string::npos) << out;
  EXPECT_NE(out.find("Photos/100% #1/big.bin 1048576 "), std::string::npos) << out;
  EXPECT_NE(out.find("Photos/100% #1/ 0"), std::string::npos) << out;
  EXPECT_NE(out.find("Photos/nothing here/"), std::string::npos) << out;
  EXPECT_NE(out.find("Photos/empty.txt 0"), std::string::npos) << out;
  // Byte-exact: compare the extracted big file with what was uploaded.
  std::string extracted = Python(
      "import sys, zipfile, hashlib\n"
      "print(hashlib.sha256(zipfile.ZipFile(sys.argv[1]).read(\"Photos/100% "
      "#1/big.bin\")).hexdigest())",
      {path});
  auto node = Resolve("/Photos/100% #1/big.bin");
  ASSERT_TRUE(node);
  EXPECT_EQ(extracted, node->sha256 + "\n");
}

// A file replaced, or deleted for good, while its folder's zip streams: the zip holds the version
// there is when it gets to the file, or leaves the file out, and stays whole (QA pass 21b: one
// changed file cut a 400 MB zip off with "blob not found").
TEST_F(FilesContentTest, AZipOutlivesFilesChangedWhileItStreams) {
  ASSERT_TRUE(Upload("Project/a.txt", "first"));
  ASSERT_TRUE(Upload("Project/b.txt", "old b"));
  ASSERT_TRUE(Upload("Project/c.txt", "gone soon"));
  auto project = Resolve("/Project");
  ASSERT_TRUE(project);
  auto c = Resolve("/Project/c.txt");
  ASSERT_TRUE(c);
  // Changes the folder once the zip has started (its first bytes are out).
  class ChangingSink final : public storage::ByteSink {
   public:
    ChangingSink(FileService& files, UploadRequest replace, std::int64_t owner, std::string c_id,
                 FileSink& out)
        : files_(files),
          replace_(std::move(replace)),
          owner_(owner),
          c_id_(std::move(c_id)),
          out_(out) {}
    net::awaitable<Result<void>> Write(std::span<const char> data) override {
      if (!changed_) {
        changed_ = true;
        StringSource src("new b content", 7000);
        auto replaced = co_await files_.Upload(replace_, src);
        if (!replaced) co_return std::unexpected(replaced.error());
        auto trashed = co_await files_.Delete(owner_, c_id_);
        if (!trashed) co_return std::unexpected(trashed.error());
        auto emptied = co_await files_.EmptyTrash(owner_);
        if (!emptied) co_return std::unexpected(emptied.error());
      }
      co_return co_await out_.Write(data);
    }

   private:
    FileService& files_;
    UploadRequest replace_;
    std::int64_t owner_;
    std::string c_id_;
    FileSink& out_;
    bool changed_ = false;
  };
  std::string path = dir_.File("project.zip");
  FileSink file(path);
  ChangingSink sink(*files_, Req("Project/b.txt", 13, OnConflict::kReplace), alice_, c->id, file);
  auto zipped = Run(files_->WriteZip(*project, sink));
  ASSERT_TRUE(zipped) << zipped.error().message;
  file.Close();
  std::string out = Python(
      "import sys, zipfile\n"
      "z = zipfile.ZipFile(sys.argv[1])\n"
      "assert z.testzip() is None\n"
      "for i in z.infolist():\n"
      "  print(i.filename, z.read(i).decode() if not i.is_dir() else '')\n",
      {path});
  EXPECT_NE(out.find("Project/a.txt first"), std::string::npos) << out;
  EXPECT_NE(out.find("Project/b.txt new b content"), std::string::npos) << out;
  EXPECT_EQ(out.find("c.txt"), std::string::npos) << out;
}

TEST(ZipWriterTest, SixtyFiveThousandFiveHundredThirtySixEntriesAreZip64) {
  nimbus::testing::TempDir dir;
  std::string path = dir.File("many.zip");
  boost::asio::io_context ioc;
  FileSink sink(path);
  auto fill = [&]() -> net::awaitable<Result<void>> {
    auto zip = ZipWriter::Open(sink, 0);
    if (!zip) co_return std::unexpected(zip.error());
    for (int i = 0; i < 65536; ++i) {
      std::string name = fmt::format("d{}/f{}.txt", i / 1000, i);
      std::string body = std::to_string(i);
      if (auto r = co_await (*zip)->BeginFile(name, body.size(), 0); !r) co_return r;
      if (auto r = co_await (*zip)->Write(body); !r) co_return r;
    }
    co_return co_await (*zip)->Finish();
  };
  auto done = nimbus::testing::RunCo(ioc, fill());
  ASSERT_TRUE(done) << done.error().message;
  sink.Close();
  std::string out = Python(
      "import sys, zipfile\n"
      "z = zipfile.ZipFile(sys.argv[1])\n"
      "n = z.infolist()\n"
      "assert z.read(\"d65/f65535.txt\") == b\"65535\"\n"
      "assert z.read(\"d0/f7.txt\") == b\"7\"\n"
      "print(len(n))",
      {path});
  EXPECT_EQ(out, "65536\n");
}

// Over 4 GiB (one stored entry of 4 GiB + 1 byte of zeros): the end of the archive carries the
// zip64 end-of-central-directory record and locator, and the entry's zip64 sizes.
TEST(ZipWriterTest, AnEntryOverFourGibibytesGetsZip64Records) {
  class TailSink final : public storage::ByteSink {
   public:
    net::awaitable<Result<void>> Write(std::span<const char> data) override {
      total += data.size();
      tail.append(data.data(), data.size());
      if (tail.size() > (1u << 20)) tail.erase(0, tail.size() - 4096);
      co_return Result<void>{};
    }
    std::uint64_t total = 0;
    std::string tail;
  } sink;
  const std::uint64_t size = (std::uint64_t{4} << 30) + 1;
  boost::asio::io_context ioc;
  auto fill = [&]() -> net::awaitable<Result<void>> {
    auto zip = ZipWriter::Open(sink, 0);
    if (!zip) co_return std::unexpected(zip.error());
    if (auto r = co_await (*zip)->BeginFile("huge.bin", size, 0); !r) co_return r;
    std::string zeros(1 << 20, '\0');
    for (std::uint64_t left = size; left > 0;) {
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, zeros.size()));
      if (auto r = co_await (*zip)->Write(std::span<const char>(zeros.data(), n)); !r) co_return r;
      left -= n;
    }
    co_return co_await (*zip)->Finish();
  };
  auto done = nimbus::testing::RunCo(ioc, fill());
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_GT(sink.total, size);
  EXPECT_NE(sink.tail.find(std::string("PK\x06\x06", 4)), std::string::npos) << "zip64 EOCD";
  EXPECT_NE(sink.tail.find(std::string("PK\x06\x07", 4)), std::string::npos) << "zip64 locator";
  EXPECT_NE(sink.tail.find(std::string("\x01\x00", 2)), std::string::npos) << "zip64 extra";
}

}  // namespace
}  // namespace nimbus::core::files
