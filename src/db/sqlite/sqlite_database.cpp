// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/sqlite/sqlite_database.h"

#include <fmt/core.h>

#include <algorithm>

namespace nimbus::db {
namespace {

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(SqliteDatabase* owner, SqliteConnection* conn, bool writer, bool shared_conn)
      : owner_(owner), conn_(conn), writer_(writer), shared_conn_(shared_conn) {}
  ~SqliteTransaction() override {
    Rollback();
    if (!writer_ && shared_conn_) (void)conn_->Exec("PRAGMA query_only=0", {});
    owner_->Release(conn_, writer_ || shared_conn_);
  }

  Result<void> ExecScript(std::string_view sql) override {
    if (done_) return Fail(Errc::kInternal, "transaction already ended");
    return conn_->Script(sql);
  }
  Result<void> Commit() override {
    if (done_) return Fail(Errc::kInternal, "transaction already ended");
    auto r = conn_->Exec("COMMIT", {});
    if (!r) return std::unexpected(std::move(r.error()));
    done_ = true;
    return {};
  }
  void Rollback() override {
    if (done_) return;
    done_ = true;
    // Some errors (SQLITE_FULL, SQLITE_IOERR) already rolled the transaction back.
    if (!conn_->autocommit()) (void)conn_->Exec("ROLLBACK", {});
  }
  bool read_only() const override { return !writer_; }

 protected:
  Result<std::int64_t> DoExec(std::string_view sql, std::span<const Value> params) override {
    if (done_) return Fail(Errc::kInternal, "transaction already ended");
    return conn_->Exec(sql, params);
  }
  Result<std::vector<Row>> DoQuery(std::string_view sql, std::span<const Value> params) override {
    if (done_) return Fail(Errc::kInternal, "transaction already ended");
    return conn_->Query(sql, params);
  }
  Result<void> DoQueryEach(std::string_view sql, std::span<const Value> params,
                           const RowVisitor& each) override {
    if (done_) return Fail(Errc::kInternal, "transaction already ended");
    return conn_->QueryEach(sql, params, each);
  }

 private:
  SqliteDatabase* owner_;
  SqliteConnection* conn_;
  bool writer_;
  bool shared_conn_;  // A read transaction on the in-memory database's only connection.
  bool done_ = false;
};

// Runs a PRAGMA and returns its first column as text ("" when it returns no row).
Result<std::string> Pragma(SqliteConnection& c, std::string_view sql) {
  auto rows = c.Query(sql, {});
  if (!rows) return std::unexpected(std::move(rows.error()));
  if (rows->empty() || rows->front().size() == 0) return std::string();
  return rows->front().Text(0);
}

// Settings for every connection. synchronous=NORMAL: in WAL mode a commit appends to the WAL
// without an fsync, and the WAL is fsynced at each checkpoint. The database can never be
// corrupted by this; a power loss (not a process crash) may lose the last commits before the
// checkpoint. That is the trade SQLite recommends for WAL, and it keeps small commits (sessions,
// metadata) from each costing an fsync. OpenOptions::durable_commits asks for FULL instead.
Result<void> Configure(SqliteConnection& c, bool reader, bool durable) {
  // temp_store=MEMORY: a statement's journal (the pages it changed, to undo that statement
  // alone) stays in memory whatever its size. Spilled to a temporary file past 4 MiB
  // (SQLITE_CONFIG_STMTJRNL_SPILL), SQLite 3.40 failed the statement with "database or disk is
  // full": moving a folder of more than about 3,000 items to the trash was impossible (QA pass
  // 16). Sorts and temporary tables stay in memory too.
  for (std::string_view p :
       {std::string_view("PRAGMA foreign_keys=ON"), std::string_view("PRAGMA temp_store=MEMORY"),
        durable ? std::string_view("PRAGMA synchronous=FULL")
                : std::string_view("PRAGMA synchronous=NORMAL")}) {
    if (auto r = c.Exec(p, {}); !r) return std::unexpected(std::move(r.error()));
  }
  if (reader) {
    if (auto r = c.Exec("PRAGMA query_only=ON", {}); !r) return std::unexpected(r.error());
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(std::string_view path,
                                                             const OpenOptions& options) {
  std::unique_ptr<SqliteDatabase> db(new SqliteDatabase(std::string(path)));
  const bool memory = path == ":memory:";
  auto writer = SqliteConnection::Open(db->path_, true, options);
  if (!writer) return std::unexpected(std::move(writer.error()));
  db->writer_ = std::move(*writer);
  if (options.incremental_vacuum) {  // Before WAL and before any table, or it does not take.
    if (auto r = db->writer_->Exec("PRAGMA auto_vacuum=INCREMENTAL", {}); !r) {
      return std::unexpected(std::move(r.error()));
    }
  }
  if (!memory) {
    // Also the first read of the file: a file that is not a database fails here (SQLITE_NOTADB).
    auto mode = Pragma(*db->writer_, "PRAGMA journal_mode=WAL");
    if (!mode) {
      return Fail(mode.error().code, "cannot use '{}' as a database: {}", path,
                  mode.error().message);
    }
    if (*mode != "wal") {
      return Fail(Errc::kIoError, "'{}': journal_mode is '{}', WAL is required", path, *mode);
    }
  }
  if (auto r = Configure(*db->writer_, false, options.durable_commits); !r) {
    return std::unexpected(std::move(r.error()));
  }
  if (!memory) {
    for (int i = 0; i < std::max(options.reader_count, 1); ++i) {
      auto reader = SqliteConnection::Open(db->path_, false, options);
      if (!reader) return std::unexpected(std::move(reader.error()));
      if (auto r = Configure(**reader, true, options.durable_commits); !r) {
        return std::unexpected(std::move(r.error()));
      }
      db->free_readers_.push_back(reader->get());
      db->readers_.push_back(std::move(*reader));
    }
  }
  return db;
}

SqliteDatabase::~SqliteDatabase() = default;

Result<SqliteConnection*> SqliteDatabase::AcquireWriter() {
  std::unique_lock lock(mu_);
  if (writer_busy_ && writer_owner_ == std::this_thread::get_id()) {
    return Fail(Errc::kInternal,
                "nested transaction on the writer connection (a Write or an in-memory Read "
                "inside a Write on the same thread would deadlock)");
  }
  cv_.wait(lock, [this] { return !writer_busy_; });
  writer_busy_ = true;
  writer_owner_ = std::this_thread::get_id();
  return writer_.get();
}

SqliteConnection* SqliteDatabase::AcquireReader() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return !free_readers_.empty(); });
  SqliteConnection* c = free_readers_.back();
  free_readers_.pop_back();
  return c;
}

void SqliteDatabase::Release(SqliteConnection* conn, bool writer) {
  {
    std::lock_guard lock(mu_);
    if (writer) {
      writer_busy_ = false;
      writer_owner_ = {};
    } else {
      free_readers_.push_back(conn);
    }
  }
  cv_.notify_all();
}

Result<std::unique_ptr<Transaction>> SqliteDatabase::BeginWrite() {
  auto conn = AcquireWriter();
  if (!conn) return std::unexpected(std::move(conn.error()));
  if (auto r = (*conn)->Exec("BEGIN IMMEDIATE", {}); !r) {
    Release(*conn, true);
    return std::unexpected(std::move(r.error()));
  }
  return std::unique_ptr<Transaction>(new SqliteTransaction(this, *conn, true, false));
}

Result<std::unique_ptr<Transaction>> SqliteDatabase::BeginRead() {
  const bool shared = in_memory();
  SqliteConnection* conn = nullptr;
  if (shared) {
    auto w = AcquireWriter();
    if (!w) return std::unexpected(std::move(w.error()));
    conn = *w;
    // The only connection is also the writer: make this transaction read-only explicitly.
    if (auto r = conn->Exec("PRAGMA query_only=1", {}); !r) {
      Release(conn, true);
      return std::unexpected(std::move(r.error()));
    }
  } else {
    conn = AcquireReader();
  }
  // Deferred: the snapshot starts at the first read and holds until the transaction ends.
  if (auto r = conn->Exec("BEGIN", {}); !r) {
    if (shared) (void)conn->Exec("PRAGMA query_only=0", {});
    Release(conn, shared);
    return std::unexpected(std::move(r.error()));
  }
  return std::unique_ptr<Transaction>(new SqliteTransaction(this, conn, false, shared));
}

Result<std::vector<Row>> SqliteDatabase::ExecMaintenance(std::string_view sql) {
  auto conn = AcquireWriter();
  if (!conn) return std::unexpected(std::move(conn.error()));
  auto rows = (*conn)->Query(sql, {});
  Release(*conn, true);
  return rows;
}

Result<void> SqliteDatabase::Ping() {
  return Read([](Transaction& tx) -> Result<void> {
    auto row = tx.QueryOne("SELECT 1");
    if (!row) return Fail(Errc::kUnavailable, "database does not answer: {}", row.error().message);
    return {};
  });
}

SqliteDatabase::CacheStats SqliteDatabase::statement_cache_stats() const {
  CacheStats s;
  auto add = [&s](const SqliteConnection& c) {
    s.hits += c.cache_hits();
    s.misses += c.cache_misses();
  };
  add(*writer_);
  for (const auto& r : readers_) add(*r);
  return s;
}

}  // namespace nimbus::db
