// SqliteConnection: one sqlite3 handle with its prepared-statement cache; the building block of
// SqliteDatabase (which owns the locking). Not thread-safe: one thread at a time.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "db/database.h"
#include "util/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace nimbus::db {

class SqliteConnection {
 public:
  // Opens `path` (":memory:" for a private in-memory database) with the busy timeout set and
  // extended result codes on. `create` allows creating the file. kIoError if it cannot open.
  static Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path, bool create,
                                                        const OpenOptions& options);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Runs one statement (prepared once, then taken from the cache); returns rows changed.
  Result<std::int64_t> Exec(std::string_view sql, std::span<const Value> params);
  // Runs one statement and returns its rows.
  Result<std::vector<Row>> Query(std::string_view sql, std::span<const Value> params);
  // Runs one statement and calls `each` with every row in place (Transaction::QueryEach).
  Result<void> QueryEach(std::string_view sql, std::span<const Value> params,
                         const Transaction::RowVisitor& each);
  // Runs a multi-statement script without parameters (not cached).
  Result<void> Script(std::string_view sql);
  // True when no transaction is open on this connection.
  bool autocommit() const;

  std::uint64_t cache_hits() const { return hits_.load(std::memory_order_relaxed); }
  std::uint64_t cache_misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    std::shared_ptr<const std::vector<std::string>> columns;
    std::uint64_t last_used = 0;
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  SqliteConnection(sqlite3* db, std::size_t cache_size) : db_(db), cache_size_(cache_size) {}
  // Returns the cached statement for `sql`, preparing (and maybe evicting) on a miss.
  Result<Cached*> Prepare(std::string_view sql);
  Result<void> Bind(sqlite3_stmt* stmt, std::string_view sql, std::span<const Value> params);
  Error MakeError(int rc, std::string_view sql) const;

  sqlite3* db_;
  std::size_t cache_size_;
  std::uint64_t tick_ = 0;
  std::unordered_map<std::string, Cached, StringHash, std::equal_to<>> cache_;
  std::atomic<std::uint64_t> hits_{0};  // Read by stats from other threads.
  std::atomic<std::uint64_t> misses_{0};
};

// Maps a SQLite result code to an Errc: constraint → kConflict, busy/locked → kUnavailable,
// I/O, full or corrupt → kIoError, anything else → kInternal.
Errc SqliteErrc(int rc);

}  // namespace nimbus::db
