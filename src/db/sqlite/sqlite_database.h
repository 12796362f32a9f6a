// SqliteDatabase: the SQLite driver of Database. WAL mode, one writer connection serialized by a
// lock, a pool of reader connections; an in-memory database uses one connection for both.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "db/database.h"
#include "db/sqlite/sqlite_connection.h"

namespace nimbus::db {

class SqliteDatabase final : public Database {
 public:
  // Opens (creating if needed) the database file at `path`, or a private in-memory database for
  // ":memory:". Sets journal_mode=WAL, synchronous=NORMAL, foreign_keys=ON and the busy timeout
  // on every connection. kIoError if the file cannot be opened or is not a database.
  static Result<std::unique_ptr<SqliteDatabase>> Open(std::string_view path,
                                                      const OpenOptions& options);
  ~SqliteDatabase() override;

  // Write transactions start with BEGIN IMMEDIATE, so a lock held by another process is waited
  // for (busy timeout) up front, then kUnavailable.
  Result<std::unique_ptr<Transaction>> BeginWrite() override;
  Result<std::unique_ptr<Transaction>> BeginRead() override;
  Result<std::vector<Row>> ExecMaintenance(std::string_view sql) override;
  Result<void> Ping() override;
  std::string_view Dialect() const override { return "sqlite"; }

  struct CacheStats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
  };
  // Prepared-statement cache counters summed over all connections.
  CacheStats statement_cache_stats() const;
  bool in_memory() const { return readers_.empty(); }
  const std::string& path() const { return path_; }

  // Called by SqliteTransaction when it ends; returns the connection to its owner.
  void Release(SqliteConnection* conn, bool writer);

 private:
  explicit SqliteDatabase(std::string path) : path_(std::move(path)) {}
  // Waits for the writer connection; kInternal if this thread already holds it.
  Result<SqliteConnection*> AcquireWriter();
  SqliteConnection* AcquireReader();

  std::string path_;
  std::unique_ptr<SqliteConnection> writer_;
  std::vector<std::unique_ptr<SqliteConnection>> readers_;  // Empty for ":memory:".

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool writer_busy_ = false;                     // Guarded by mu_.
  std::thread::id writer_owner_;                 // Guarded by mu_. Thread that began the write.
  std::vector<SqliteConnection*> free_readers_;  // Guarded by mu_.
};

}  // namespace nimbus::db
