// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/local/small_blobs.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "db/sqlite/sqlite_database.h"
#include "storage/local/disk_root.h"
#include "storage/local/posix_file.h"
#include "storage/volume.h"

namespace nimbus::storage::local {
namespace {

// `totals` keeps the sum of the sizes, so that opening a disk reads one row instead of every
// page of the table; the triggers keep it right whoever writes (the server, the CLI).
constexpr char kSchema[] =
    "CREATE TABLE IF NOT EXISTS blobs ("
    " id TEXT PRIMARY KEY,"
    " size INTEGER NOT NULL,"
    " checksum INTEGER NOT NULL,"  // BlockChecksum (XXH3-64) of data, stored as int64 bits.
    " data BLOB,"
    " written_at INTEGER);"  // Unix seconds; NULL when written by a version before it.
    "CREATE TABLE IF NOT EXISTS totals (k INTEGER PRIMARY KEY CHECK (k = 0), bytes INTEGER NOT "
    "NULL);"
    "CREATE TRIGGER IF NOT EXISTS blobs_added AFTER INSERT ON blobs"
    " BEGIN UPDATE totals SET bytes = bytes + NEW.size WHERE k = 0; END;"
    "CREATE TRIGGER IF NOT EXISTS blobs_removed AFTER DELETE ON blobs"
    " BEGIN UPDATE totals SET bytes = bytes - OLD.size WHERE k = 0; END;";

// Freed pages given back to the file system once there are this many (4 KiB pages: 1 MiB).
constexpr std::int64_t kVacuumPages = 256;

std::int64_t ToInt(std::uint64_t v) { return std::bit_cast<std::int64_t>(v); }
std::uint64_t ToUint(std::int64_t v) { return std::bit_cast<std::uint64_t>(v); }

std::int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

SmallBlobs::SmallBlobs(std::string disk, std::string root, WorkerPool& pool)
    : disk_(std::move(disk)),
      root_(std::move(root)),
      path_(root_ + "/" + kSmallBlobsName),
      committer_(pool, [this] { return Db(); }) {}

SmallBlobs::~SmallBlobs() = default;

Error SmallBlobs::Wrap(const Error& e, std::string_view what) const {
  Errc code = e.code == Errc::kConflict || e.code == Errc::kUnavailable ? e.code : Errc::kIoError;
  return Error{code, fmt::format("disk {}: {} ({}): {}", disk_, what, kSmallBlobsName, e.message)};
}

Error SmallBlobs::Gone(int err) const {
  return Error{
      Errc::kIoError,
      fmt::format("disk {}: {} is gone ({}): was the disk removed or its directory renamed?", disk_,
                  kSmallBlobsName, std::strerror(err))};
}

Result<std::shared_ptr<db::Database>> SmallBlobs::OpenDb(bool create) {
  if (!create) {  // Opened again: only on this disk, and only an existing file.
    auto marker = ReadMarkerId(root_);
    if (!marker || *marker != disk_) {
      return Fail(Errc::kIoError,
                  "disk {}: {} no longer holds this disk (its marker is {}): was it removed?",
                  disk_, root_, marker ? "another disk's" : "gone");
    }
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) return Fail(Gone(errno));
  }
  db::OpenOptions options;
  options.reader_count = 2;
  options.statement_cache_size = 16;
  options.durable_commits = true;
  options.incremental_vacuum = true;
  auto opened = db::SqliteDatabase::Open(path_, options);
  if (!opened) {
    struct statvfs vfs {};
    if (::statvfs(root_.c_str(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY) != 0) {
      return Fail(Errc::kIoError, "disk {}: {} cannot be opened: the file system is read-only",
                  disk_, kSmallBlobsName);
    }
    return Fail(Wrap(opened.error(), "open"));
  }
  std::shared_ptr<db::Database> db = std::move(*opened);
  // After a checkpoint the WAL is cut back to this size instead of keeping the largest it grew
  // to in a burst (the writer connection checkpoints, as it commits).
  if (auto limit = db->ExecMaintenance("PRAGMA journal_size_limit = 16777216"); !limit) {
    return Fail(Wrap(limit.error(), "open"));
  }
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0)
    return Fail(IoError(disk_, std::string("stat ") + kSmallBlobsName, errno));
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  return db;
}

Result<std::unique_ptr<SmallBlobs>> SmallBlobs::Open(const std::string& disk,
                                                     const std::string& root, WorkerPool& pool) {
  std::unique_ptr<SmallBlobs> s(new SmallBlobs(disk, root, pool));
  std::lock_guard lock(s->open_mu_);
  auto db = s->OpenDb(/*create=*/true);
  if (!db) return Fail(db.error());
  auto counted = (*db)->Write([](db::Transaction& tx) -> Result<std::int64_t> {
    if (auto r = tx.ExecScript(kSchema); !r) return std::unexpected(r.error());
    // A file from before written_at: its rows count as written now (scrub then keeps an orphan
    // among them for its hour, as it does any young one).
    auto has = tx.QueryOne("SELECT 1 FROM pragma_table_info('blobs') WHERE name = 'written_at'");
    if (!has) return std::unexpected(has.error());
    if (!*has) {
      if (auto r = tx.Exec("ALTER TABLE blobs ADD COLUMN written_at INTEGER"); !r) {
        return std::unexpected(r.error());
      }
      if (auto r = tx.Exec("UPDATE blobs SET written_at = ?", {UnixNow()}); !r) {
        return std::unexpected(r.error());
      }
    }
    auto row = tx.QueryOne("SELECT bytes FROM totals WHERE k = 0");
    if (!row) return std::unexpected(row.error());
    if (*row) return (*row)->Int(0);
    // A new file (or one from before `totals`): counted once.
    auto sum = tx.QueryOne(
        "INSERT INTO totals (k, bytes) SELECT 0, COALESCE(SUM(size), 0) FROM blobs RETURNING "
        "bytes");
    if (!sum) return std::unexpected(sum.error());
    return *sum ? (*sum)->Int(0) : 0;
  });
  if (!counted) return Fail(s->Wrap(counted.error(), "open"));
  s->bytes_at_open_ = static_cast<std::uint64_t>(*counted);
  s->db_ = std::move(*db);
  s->last_use_ms_ = NowMs();
  return s;
}

Result<std::shared_ptr<db::Database>> SmallBlobs::Db() {
  std::lock_guard lock(open_mu_);
  last_use_ms_ = NowMs();
  if (!db_) {
    auto db = OpenDb(/*create=*/false);
    if (!db) return db;
    db_ = std::move(*db);
    return db_;
  }
  if (auto same = SameFile(); !same) return Fail(same.error());
  return db_;
}

Result<void> SmallBlobs::SameFile() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return Fail(Gone(errno));
  if (db_ && (st.st_dev != dev_ || st.st_ino != ino_)) {
    return Fail(Errc::kIoError,
                "disk {}: {} was replaced by another file since the disk was opened", disk_,
                kSmallBlobsName);
  }
  return {};
}

Result<void> SmallBlobs::Check() {
  std::lock_guard lock(open_mu_);
  return SameFile();
}

bool SmallBlobs::CloseIfIdle(std::chrono::milliseconds idle) {
  std::lock_guard lock(open_mu_);
  if (!db_) return true;
  // use_count 1: no call holds it (each holds its own copy while it runs).
  if (NowMs() - last_use_ms_.load() < idle.count() || db_.use_count() > 1) return false;
  db_.reset();
  return true;
}

void SmallBlobs::PutAsync(const BlobId& id, std::span<const char> data, std::uint64_t checksum,
                          std::function<Result<void>()> check, db::GroupCommitter::Done done) {
  db::GroupCommitter::Step step = [this, id, data, checksum,
                                   check = std::move(check)](db::Transaction& tx) -> Result<void> {
    if (check) {
      if (auto ok = check(); !ok) return ok;
    }
    db::Blob bytes;
    bytes.bytes.assign(reinterpret_cast<const std::uint8_t*>(data.data()),
                       reinterpret_cast<const std::uint8_t*>(data.data()) + data.size());
    auto ok =
        tx.Exec("INSERT INTO blobs (id, size, checksum, data, written_at) VALUES (?, ?, ?, ?, ?)",
                {id.str(), static_cast<std::int64_t>(data.size()), ToInt(checksum),
                 std::move(bytes), UnixNow()});
    if (!ok && ok.error().code == Errc::kConflict) {
      return Fail(Errc::kNameTaken, "disk {}: blob {} already exists", disk_, id.str());
    }
    return ok;
  };
  // Every error said here starts with "disk <id>:"; the commit's own is wrapped so that it does.
  auto finish = [this, id, done = std::move(done)](Result<void> r) mutable {
    if (!r && !r.error().message.starts_with(fmt::format("disk {}:", disk_))) {
      r = Fail(Wrap(r.error(), fmt::format("store blob {}", id.str())));
    }
    done(std::move(r));
  };
  committer_.Submit(std::move(step), std::move(finish));
}

Result<std::optional<std::vector<char>>> SmallBlobs::Get(const BlobId& id) {
  auto db = Db();
  if (!db) return Fail(db.error());
  std::optional<std::vector<char>> out;
  std::uint64_t checksum = 0;
  auto read = (*db)->Read([&](db::Transaction& tx) -> Result<void> {
    auto row = tx.QueryOne("SELECT checksum, data FROM blobs WHERE id = ?", {id.str()});
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
    checksum = ToUint((*row)->Int(0));
    db::Blob b = (*row)->Bytes(1);
    out.emplace(b.bytes.begin(), b.bytes.end());
    return {};
  });
  if (!read) return Fail(Wrap(read.error(), fmt::format("read blob {}", id.str())));
  if (out && BlockChecksum(*out) != checksum) {
    return Fail(Errc::kChecksumMismatch, "disk {}: blob {} does not match its checksum", disk_,
                id.str());
  }
  return out;
}

Result<std::optional<std::uint64_t>> SmallBlobs::Size(const BlobId& id) {
  auto db = Db();
  if (!db) return Fail(db.error());
  auto size = (*db)->Read([&](db::Transaction& tx) -> Result<std::optional<std::uint64_t>> {
    auto row = tx.QueryOne("SELECT size FROM blobs WHERE id = ?", {id.str()});
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::nullopt;
    return static_cast<std::uint64_t>((*row)->Int(0));
  });
  if (!size) return Fail(Wrap(size.error(), fmt::format("read the size of blob {}", id.str())));
  return *size;
}

Result<std::optional<std::chrono::seconds>> SmallBlobs::Age(const BlobId& id) {
  auto db = Db();
  if (!db) return Fail(db.error());
  auto age = (*db)->Read([&](db::Transaction& tx) -> Result<std::optional<std::chrono::seconds>> {
    auto row = tx.QueryOne("SELECT written_at FROM blobs WHERE id = ?", {id.str()});
    if (!row) return std::unexpected(row.error());
    if (!*row || (*row)->IsNull(0)) return std::nullopt;
    return std::chrono::seconds(UnixNow() - (*row)->Int(0));
  });
  if (!age) return Fail(Wrap(age.error(), fmt::format("read the age of blob {}", id.str())));
  return *age;
}

db::GroupCommitter::Step SmallBlobs::RemoveStep(
    const BlobId& id, std::shared_ptr<std::optional<std::uint64_t>> removed) {
  return [id, removed = std::move(removed)](db::Transaction& tx) -> Result<void> {
    removed->reset();
    auto row = tx.QueryOne("DELETE FROM blobs WHERE id = ? RETURNING size", {id.str()});
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
    *removed = static_cast<std::uint64_t>((*row)->Int(0));
    auto free_pages = tx.QueryOne("PRAGMA freelist_count");
    if (!free_pages) return std::unexpected(free_pages.error());
    if (*free_pages && (*free_pages)->Int(0) >= kVacuumPages)
      return tx.Exec("PRAGMA incremental_vacuum");
    return {};
  };
}

Result<std::optional<std::uint64_t>> SmallBlobs::Remove(const BlobId& id) {
  auto db = Db();
  if (!db) return Fail(db.error());
  auto removed = std::make_shared<std::optional<std::uint64_t>>();
  auto ok = (*db)->Write(RemoveStep(id, removed));
  if (!ok) return Fail(Wrap(ok.error(), fmt::format("remove blob {}", id.str())));
  return *removed;
}

void SmallBlobs::RemoveAsync(const BlobId& id, RemoveDone done) {
  auto removed = std::make_shared<std::optional<std::uint64_t>>();
  auto finish = [this, id, removed, done = std::move(done)](Result<void> r) mutable {
    if (!r) {
      done(r.error().message.starts_with(fmt::format("disk {}:", disk_))
               ? Fail(r.error())
               : Fail(Wrap(r.error(), fmt::format("remove blob {}", id.str()))));
      return;
    }
    done(*removed);
  };
  committer_.Submit(RemoveStep(id, removed), std::move(finish));
}

Result<std::vector<std::pair<BlobId, std::uint64_t>>> SmallBlobs::List(const std::string& after,
                                                                       int limit) {
  auto db = Db();
  if (!db) return Fail(db.error());
  std::vector<std::pair<BlobId, std::uint64_t>> page;
  auto read = (*db)->Read([&](db::Transaction& tx) -> Result<void> {
    auto rows =
        tx.Query("SELECT id, size FROM blobs WHERE id > ? ORDER BY id LIMIT ?", {after, limit});
    if (!rows) return std::unexpected(rows.error());
    for (const db::Row& r : *rows) {
      auto id = BlobId::Parse(r.Text(0));
      if (id)
        page.emplace_back(*id, static_cast<std::uint64_t>(r.Int(1)));  // Only we write ids here.
    }
    return {};
  });
  if (!read) return Fail(Wrap(read.error(), "list small blobs"));
  return page;
}

}  // namespace nimbus::storage::local
