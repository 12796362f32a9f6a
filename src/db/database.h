// Database: the SQL driver interface (SQLite now, PostgreSQL later) with RAII transactions.
// SQL uses `?` placeholders everywhere; a driver rewrites them if its dialect needs to.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "db/value.h"
#include "util/result.h"

namespace nimbus::db {

// A transaction on one connection. Not thread-safe: one thread uses it at a time, but it may be
// handed between threads. Destroying it without a successful Commit() rolls it back and returns
// the connection. SQL errors are kConflict (constraint violated), kUnavailable (database busy or
// locked past the busy timeout), kIoError (disk, corruption) or kInternal (bad SQL), and leave the
// transaction open so the caller decides; Database::Write rolls back on any error.
class Transaction {
 public:
  virtual ~Transaction() = default;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Runs one statement; returns the number of rows it inserted, updated or deleted.
  Result<std::int64_t> ExecCount(std::string_view sql, std::span<const Value> params) {
    return DoExec(sql, params);
  }
  Result<std::int64_t> ExecCount(std::string_view sql, std::initializer_list<Value> params = {}) {
    return DoExec(sql, std::span<const Value>(params.begin(), params.size()));
  }
  // Runs one statement and ignores the change count.
  Result<void> Exec(std::string_view sql, std::span<const Value> params);
  Result<void> Exec(std::string_view sql, std::initializer_list<Value> params = {}) {
    return Exec(sql, std::span<const Value>(params.begin(), params.size()));
  }
  // Runs one statement and returns all its rows (use RETURNING for generated ids).
  Result<std::vector<Row>> Query(std::string_view sql, std::span<const Value> params) {
    return DoQuery(sql, params);
  }
  Result<std::vector<Row>> Query(std::string_view sql, std::initializer_list<Value> params = {}) {
    return DoQuery(sql, std::span<const Value>(params.begin(), params.size()));
  }
  // Runs one statement and calls `each` with every row as it is stepped, without collecting
  // rows; an error from `each` stops the statement and is returned.
  using RowVisitor = std::function<Result<void>(const RowView&)>;
  Result<void> QueryEach(std::string_view sql, std::span<const Value> params,
                         const RowVisitor& each) {
    return DoQueryEach(sql, params, each);
  }
  // The first row, or nullopt when there is none.
  Result<std::optional<Row>> QueryOne(std::string_view sql, std::span<const Value> params);
  Result<std::optional<Row>> QueryOne(std::string_view sql,
                                      std::initializer_list<Value> params = {}) {
    return QueryOne(sql, std::span<const Value>(params.begin(), params.size()));
  }
  // Runs several `;`-separated statements without parameters (migrations).
  virtual Result<void> ExecScript(std::string_view sql) = 0;

  // Commits. On failure the transaction is rolled back when destroyed. Calling it twice is a bug.
  virtual Result<void> Commit() = 0;
  // Rolls back now (the destructor does the same).
  virtual void Rollback() = 0;
  virtual bool read_only() const = 0;

 protected:
  Transaction() = default;
  virtual Result<std::int64_t> DoExec(std::string_view sql, std::span<const Value> params) = 0;
  virtual Result<std::vector<Row>> DoQuery(std::string_view sql, std::span<const Value> params) = 0;
  virtual Result<void> DoQueryEach(std::string_view sql, std::span<const Value> params,
                                   const RowVisitor& each) = 0;
};

struct OpenOptions {
  int reader_count =
      4;  // Reader connections (file databases); an in-memory one uses one connection.
  std::chrono::milliseconds busy_timeout{5000};  // How long to wait for another process's lock.
  std::size_t statement_cache_size = 128;        // Prepared statements kept per connection.
  // SQLite: every commit is fsynced before it returns (synchronous=FULL) instead of at the next
  // checkpoint (NORMAL): for data that must survive a power loss once acknowledged.
  bool durable_commits = false;
  // SQLite, a new file only: freed pages can be given back to the file system with
  // `PRAGMA incremental_vacuum` (auto_vacuum=INCREMENTAL must be set before the first table).
  bool incremental_vacuum = false;
};

// A database. All methods block (call them through RunBlocking from a coroutine) and are
// thread-safe. Writes are serialized on one writer; reads run in parallel on reader connections
// and see a consistent snapshot for the whole Read().
class Database {
 public:
  virtual ~Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs fn(Transaction&) -> Result<T> in a write transaction: commits if fn returns a value,
  // rolls back if it returns an error (which is returned unchanged). Waits for the writer. A
  // Write nested inside a Write on the same thread returns kInternal instead of deadlocking.
  template <class F>
  std::invoke_result_t<F&, Transaction&> Write(F&& fn) {
    return Run(BeginWrite(), fn);
  }
  // Runs fn(Transaction&) -> Result<T> in a read-only transaction (one snapshot). Writing in it
  // fails. Waits for a free reader connection; do not nest Reads deeper than reader_count.
  template <class F>
  std::invoke_result_t<F&, Transaction&> Read(F&& fn) {
    return Run(BeginRead(), fn);
  }

  // Starts a transaction directly, for callers that need to hold one open (tests, migrations).
  virtual Result<std::unique_ptr<Transaction>> BeginWrite() = 0;
  virtual Result<std::unique_ptr<Transaction>> BeginRead() = 0;

  // Runs one statement outside any transaction on the writer connection, serialized with
  // Write(): for maintenance that a transaction forbids (SQLite `PRAGMA wal_checkpoint`,
  // PostgreSQL `VACUUM`). Returns its rows.
  virtual Result<std::vector<Row>> ExecMaintenance(std::string_view sql) = 0;

  // Checks that the database answers (a trivial query on a reader); kUnavailable if not.
  virtual Result<void> Ping() = 0;
  // "sqlite" or "postgres": selects migrations and dialect-specific SQL.
  virtual std::string_view Dialect() const = 0;

 protected:
  Database() = default;

 private:
  template <class F>
  static std::invoke_result_t<F&, Transaction&> Run(Result<std::unique_ptr<Transaction>> tx,
                                                    F& fn) {
    using R = std::invoke_result_t<F&, Transaction&>;
    if (!tx) return R(std::unexpect, std::move(tx.error()));
    R r = fn(**tx);
    if (!r) return r;  // ~Transaction rolls back.
    if (auto c = (*tx)->Commit(); !c) return R(std::unexpect, std::move(c.error()));
    return r;
  }
};

// Opens a database by URL: "sqlite:/path/to/nimbus.db", "sqlite:relative.db" or
// "sqlite::memory:". "postgres://…" gives kUnavailable (driver not built yet); anything else
// kInvalidArgument. Errors opening the file are kIoError.
Result<std::unique_ptr<Database>> OpenDatabase(std::string_view url, const OpenOptions& options);

}  // namespace nimbus::db
