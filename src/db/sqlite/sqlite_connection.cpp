// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/sqlite/sqlite_connection.h"

#include <fmt/core.h>
#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace nimbus::db {
namespace {

// Shortens SQL for error messages: enough to recognise the statement, never the parameters.
std::string_view Excerpt(std::string_view sql) {
  while (!sql.empty() && (sql.front() == ' ' || sql.front() == '\n')) sql.remove_prefix(1);
  return sql.substr(0, 80);
}

// Resets the statement when a call leaves, whatever path it takes, so the cached statement
// releases its read snapshot and bound text/blob pointers (bound with SQLITE_STATIC) never dangle.
struct ResetGuard {
  sqlite3_stmt* stmt;
  ~ResetGuard() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};

Value ColumnValue(sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER:
      return Value(static_cast<std::int64_t>(sqlite3_column_int64(stmt, i)));
    case SQLITE_FLOAT:
      return Value(sqlite3_column_double(stmt, i));
    case SQLITE_TEXT: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      return Value(std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, i))));
    }
    case SQLITE_BLOB: {
      const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, i));
      auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt, i));
      return Value(Blob{std::vector<std::uint8_t>(p, p + n)});
    }
    default:
      return Value();
  }
}

// The current row of a stepped statement, read in place.
class SqliteRowView final : public RowView {
 public:
  explicit SqliteRowView(sqlite3_stmt* stmt)
      : stmt_(stmt), size_(static_cast<std::size_t>(sqlite3_column_count(stmt))) {}
  std::size_t size() const override { return size_; }
  bool IsNull(std::size_t i) const override {
    return sqlite3_column_type(stmt_, Index(i)) == SQLITE_NULL;
  }
  std::int64_t Int(std::size_t i) const override { return sqlite3_column_int64(stmt_, Index(i)); }
  std::string_view Text(std::size_t i) const override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, Index(i)));
    if (p == nullptr) return {};
    return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, Index(i)))};
  }

 private:
  // An index out of range is a bug, as Row's.
  int Index(std::size_t i) const {
    if (i >= size_) throw std::out_of_range("column index out of range");
    return static_cast<int>(i);
  }
  sqlite3_stmt* stmt_;
  std::size_t size_;
};

}  // namespace

Errc SqliteErrc(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return Errc::kConflict;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Errc::kUnavailable;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      return Errc::kIoError;
    default:
      return Errc::kInternal;
  }
}

namespace {

// Process-wide settings, before SQLite initializes itself (the first open). A statement journal
// (the pages one statement changes inside a larger transaction, kept to undo that statement
// alone) stays in memory up to this size instead of the 64 KiB default: an insert into a table
// with several indexes (nodes) touches a dozen pages, and past 64 KiB SQLite created, wrote and
// deleted a temporary file under /var/tmp for it, for about one upload in ten.
bool ConfigureLibrary() {
  (void)sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, 4 * 1024 * 1024);
  return sqlite3_initialize() == SQLITE_OK;
}

}  // namespace

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path,
                                                                 bool create,
                                                                 const OpenOptions& options) {
  // NOMUTEX: SqliteDatabase hands each connection to one thread at a time.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (create) flags |= SQLITE_OPEN_CREATE;
  static const bool configured = ConfigureLibrary();
  (void)configured;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Fail(Errc::kIoError, "cannot open SQLite database '{}': {}", path, msg);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  return std::unique_ptr<SqliteConnection>(
      new SqliteConnection(db, std::max<std::size_t>(options.statement_cache_size, 1)));
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, c] : cache_) sqlite3_finalize(c.stmt);
  sqlite3_close_v2(db_);
}

bool SqliteConnection::autocommit() const { return sqlite3_get_autocommit(db_) != 0; }

Error SqliteConnection::MakeError(int rc, std::string_view sql) const {
  // A failed read, write or sync also says what the OS said ("Input/output error (EIO)").
  std::string os;
  const int primary = rc & 0xff;
  // SQLite reports a full disk as SQLITE_FULL and keeps no errno for it.
  int e = primary == SQLITE_FULL ? ENOSPC : primary == SQLITE_IOERR ? sqlite3_system_errno(db_) : 0;
  if (e > 0) {
    const char* name = strerrorname_np(e);
    os = fmt::format(": {} ({})", strerrordesc_np(e) ? strerrordesc_np(e) : "unknown error",
                     name ? name : fmt::format("errno {}", e));
  }
  return Error{SqliteErrc(rc),
               fmt::format("sqlite: {} ({}){} in: {}", sqlite3_errmsg(db_), rc, os, Excerpt(sql))};
}

Result<SqliteConnection::Cached*> SqliteConnection::Prepare(std::string_view sql) {
  if (auto it = cache_.find(sql); it != cache_.end()) {
    hits_.fetch_add(1, std::memory_order_relaxed);
    it->second.last_used = ++tick_;
    return &it->second;
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
  if (rc != SQLITE_OK) return std::unexpected(MakeError(rc, sql));
  if (stmt == nullptr) return Fail(Errc::kInternal, "sqlite: empty statement");
  std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    sqlite3_finalize(stmt);
    return Fail(Errc::kInternal, "sqlite: one statement per call (use ExecScript) in: {}",
                Excerpt(sql));
  }
  if (cache_.size() >= cache_size_) {
    // Evict the least recently used statement; a linear scan is fine at this size and only
    // happens on a miss.
    auto lru = std::min_element(cache_.begin(), cache_.end(), [](const auto& a, const auto& b) {
      return a.second.last_used < b.second.last_used;
    });
    sqlite3_finalize(lru->second.stmt);
    cache_.erase(lru);
  }
  auto columns = std::make_shared<std::vector<std::string>>();
  for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
    columns->emplace_back(sqlite3_column_name(stmt, i));
  }
  auto [it, inserted] = cache_.emplace(std::string(sql), Cached{stmt, std::move(columns), ++tick_});
  return &it->second;
}

Result<void> SqliteConnection::Bind(sqlite3_stmt* stmt, std::string_view sql,
                                    std::span<const Value> params) {
  int expected = sqlite3_bind_parameter_count(stmt);
  if (expected != static_cast<int>(params.size())) {
    return Fail(Errc::kInternal, "sqlite: statement takes {} parameters, got {} in: {}", expected,
                params.size(), Excerpt(sql));
  }
  for (int i = 0; i < expected; ++i) {
    const Value& v = params[static_cast<std::size_t>(i)];
    int rc = SQLITE_OK;
    switch (v.type()) {
      case Value::Type::kNull:
        rc = sqlite3_bind_null(stmt, i + 1);
        break;
      case Value::Type::kInt:
        rc = sqlite3_bind_int64(stmt, i + 1, std::get<std::int64_t>(v.variant()));
        break;
      case Value::Type::kReal:
        rc = sqlite3_bind_double(stmt, i + 1, std::get<double>(v.variant()));
        break;
      case Value::Type::kText: {
        const auto& s = std::get<std::string>(v.variant());
        rc = sqlite3_bind_text64(stmt, i + 1, s.data(), s.size(), SQLITE_STATIC, SQLITE_UTF8);
        break;
      }
      case Value::Type::kBlob: {
        const auto& b = std::get<Blob>(v.variant()).bytes;
        // An empty vector has no data pointer, and a null pointer would bind NULL, not x''.
        rc = b.empty() ? sqlite3_bind_zeroblob(stmt, i + 1, 0)
                       : sqlite3_bind_blob64(stmt, i + 1, b.data(), b.size(), SQLITE_STATIC);
        break;
      }
    }
    if (rc != SQLITE_OK) return std::unexpected(MakeError(rc, sql));
  }
  return {};
}

Result<std::int64_t> SqliteConnection::Exec(std::string_view sql, std::span<const Value> params) {
  auto cached = Prepare(sql);
  if (!cached) return std::unexpected(std::move(cached.error()));
  sqlite3_stmt* stmt = (*cached)->stmt;
  ResetGuard guard{stmt};
  if (auto b = Bind(stmt, sql, params); !b) return std::unexpected(std::move(b.error()));
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) return std::unexpected(MakeError(rc, sql));
  return static_cast<std::int64_t>(sqlite3_changes64(db_));
}

Result<std::vector<Row>> SqliteConnection::Query(std::string_view sql,
                                                 std::span<const Value> params) {
  auto cached = Prepare(sql);
  if (!cached) return std::unexpected(std::move(cached.error()));
  sqlite3_stmt* stmt = (*cached)->stmt;
  ResetGuard guard{stmt};
  if (auto b = Bind(stmt, sql, params); !b) return std::unexpected(std::move(b.error()));
  std::vector<Row> rows;
  const int n = sqlite3_column_count(stmt);
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::vector<Value> values;
    values.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) values.push_back(ColumnValue(stmt, i));
    rows.emplace_back((*cached)->columns, std::move(values));
  }
  if (rc != SQLITE_DONE) return std::unexpected(MakeError(rc, sql));
  return rows;
}

Result<void> SqliteConnection::QueryEach(std::string_view sql, std::span<const Value> params,
                                         const Transaction::RowVisitor& each) {
  auto cached = Prepare(sql);
  if (!cached) return std::unexpected(std::move(cached.error()));
  sqlite3_stmt* stmt = (*cached)->stmt;
  ResetGuard guard{stmt};
  if (auto b = Bind(stmt, sql, params); !b) return std::unexpected(std::move(b.error()));
  const SqliteRowView row(stmt);
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (auto r = each(row); !r) return r;
  }
  if (rc != SQLITE_DONE) return std::unexpected(MakeError(rc, sql));
  return {};
}

Result<void> SqliteConnection::Script(std::string_view sql) {
  std::string text(sql);  // sqlite3_exec wants a NUL-terminated string.
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return Fail(SqliteErrc(rc), "sqlite: {} ({})", msg, rc);
  }
  return {};
}

}  // namespace nimbus::db
