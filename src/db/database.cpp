// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/database.h"

#include <fmt/core.h>

#include <stdexcept>

#include "db/sqlite/sqlite_database.h"

namespace nimbus::db {

std::int64_t Value::AsInt() const {
  switch (type()) {
    case Type::kInt:
      return std::get<std::int64_t>(v_);
    case Type::kReal:
      return static_cast<std::int64_t>(std::get<double>(v_));
    default:
      return 0;
  }
}

double Value::AsReal() const {
  switch (type()) {
    case Type::kInt:
      return static_cast<double>(std::get<std::int64_t>(v_));
    case Type::kReal:
      return std::get<double>(v_);
    default:
      return 0.0;
  }
}

std::string Value::AsText() const {
  switch (type()) {
    case Type::kNull:
      return {};
    case Type::kInt:
      return fmt::format("{}", std::get<std::int64_t>(v_));
    case Type::kReal:
      return fmt::format("{}", std::get<double>(v_));
    case Type::kText:
      return std::get<std::string>(v_);
    case Type::kBlob: {
      const auto& b = std::get<Blob>(v_).bytes;
      return std::string(b.begin(), b.end());
    }
  }
  return {};
}

std::string Value::TakeText() {
  if (auto* s = std::get_if<std::string>(&v_)) return std::move(*s);
  return AsText();
}

Blob Value::AsBlob() const {
  switch (type()) {
    case Type::kBlob:
      return std::get<Blob>(v_);
    case Type::kText: {
      const auto& s = std::get<std::string>(v_);
      return Blob{std::vector<std::uint8_t>(s.begin(), s.end())};
    }
    default:
      return {};
  }
}

std::optional<std::int64_t> Row::OptInt(std::size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Int(i);
}

std::optional<std::string> Row::OptText(std::size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Text(i);
}

std::size_t Row::IndexOf(std::string_view column) const {
  for (std::size_t i = 0; i < columns_->size(); ++i) {
    if ((*columns_)[i] == column) return i;
  }
  throw std::out_of_range(fmt::format("no column '{}' in the row", column));
}

Result<void> Transaction::Exec(std::string_view sql, std::span<const Value> params) {
  auto n = DoExec(sql, params);
  if (!n) return std::unexpected(std::move(n.error()));
  return {};
}

Result<std::optional<Row>> Transaction::QueryOne(std::string_view sql,
                                                 std::span<const Value> params) {
  auto rows = DoQuery(sql, params);
  if (!rows) return std::unexpected(std::move(rows.error()));
  if (rows->empty()) return std::optional<Row>();
  return std::optional<Row>(std::move(rows->front()));
}

Result<std::unique_ptr<Database>> OpenDatabase(std::string_view url, const OpenOptions& options) {
  if (url.starts_with("sqlite:")) {
    std::string_view path = url.substr(7);
    if (path.starts_with("//")) path.remove_prefix(2);  // Tolerate "sqlite:///abs/path".
    if (path.empty()) return Fail(Errc::kInvalidArgument, "database URL '{}' has no path", url);
    auto db = SqliteDatabase::Open(path, options);
    if (!db) return std::unexpected(std::move(db.error()));
    return std::unique_ptr<Database>(std::move(*db));
  }
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    return Fail(Errc::kUnavailable,
                "PostgreSQL is not supported by this build yet; use a sqlite: database URL");
  }
  return Fail(Errc::kInvalidArgument,
              "database URL '{}' must start with sqlite: (or postgres:// once supported)", url);
}

}  // namespace nimbus::db
