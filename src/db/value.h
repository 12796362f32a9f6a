// Value and Row: the parameter and result types of the Database interface (null, integer, real,
// text, blob), independent of the SQL driver.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace nimbus::db {

// Bytes stored as a BLOB (bytea in PostgreSQL); a separate type so text and bytes never mix.
struct Blob {
  std::vector<std::uint8_t> bytes;
  friend bool operator==(const Blob&, const Blob&) = default;
};

// One SQL value. Any integral type (bool included) is stored as int64; unsigned values above
// INT64_MAX wrap, so callers keep ids and sizes within int64.
class Value {
 public:
  enum class Type { kNull, kInt, kReal, kText, kBlob };
  using Variant = std::variant<std::monostate, std::int64_t, double, std::string, Blob>;

  Value() = default;
  Value(std::nullptr_t) {}  // NOLINT: implicit on purpose, so {nullptr, 1, "x"} reads naturally.
  template <std::integral I>
  Value(I i) : v_(static_cast<std::int64_t>(i)) {}   // NOLINT
  Value(double d) : v_(d) {}                         // NOLINT
  Value(std::string s) : v_(std::move(s)) {}         // NOLINT
  Value(std::string_view s) : v_(std::string(s)) {}  // NOLINT
  Value(const char* s) : v_(std::string(s)) {}       // NOLINT
  Value(Blob b) : v_(std::move(b)) {}                // NOLINT
  template <class T>
  Value(const std::optional<T>& o) {  // NOLINT: nullopt is SQL NULL.
    if (o) *this = Value(*o);
  }

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_null() const { return v_.index() == 0; }
  const Variant& variant() const { return v_; }

  // Conversions used by Row; a null gives 0 / "" / empty. Text is not parsed as a number.
  std::int64_t AsInt() const;
  double AsReal() const;
  std::string AsText() const;  // Integers and reals are formatted; a blob is copied byte-wise.
  // AsText(), but a text value is moved out (this value keeps an empty string) instead of copied.
  std::string TakeText();
  Blob AsBlob() const;

  friend bool operator==(const Value&, const Value&) = default;

 private:
  Variant v_;
};

// One result row. Columns are addressed by index or by name (as the SELECT spelled it). An
// unknown name or an index out of range is a bug and throws std::out_of_range.
class Row {
 public:
  Row(std::shared_ptr<const std::vector<std::string>> columns, std::vector<Value> values)
      : columns_(std::move(columns)), values_(std::move(values)) {}

  std::size_t size() const { return values_.size(); }
  const std::vector<std::string>& columns() const { return *columns_; }
  const Value& operator[](std::size_t i) const { return values_.at(i); }
  const Value& operator[](std::string_view column) const { return values_.at(IndexOf(column)); }

  bool IsNull(std::size_t i) const { return (*this)[i].is_null(); }
  std::int64_t Int(std::size_t i) const { return (*this)[i].AsInt(); }
  double Real(std::size_t i) const { return (*this)[i].AsReal(); }
  std::string Text(std::size_t i) const { return (*this)[i].AsText(); }
  // Text(i), moving a text value out of the row (which keeps "" there): for stores that turn
  // many rows into structs and drop the rows.
  std::string TakeText(std::size_t i) { return values_.at(i).TakeText(); }
  Blob Bytes(std::size_t i) const { return (*this)[i].AsBlob(); }
  // nullopt for SQL NULL.
  std::optional<std::int64_t> OptInt(std::size_t i) const;
  std::optional<std::string> OptText(std::size_t i) const;

  bool IsNull(std::string_view c) const { return IsNull(IndexOf(c)); }
  std::int64_t Int(std::string_view c) const { return Int(IndexOf(c)); }
  double Real(std::string_view c) const { return Real(IndexOf(c)); }
  std::string Text(std::string_view c) const { return Text(IndexOf(c)); }
  Blob Bytes(std::string_view c) const { return Bytes(IndexOf(c)); }
  std::optional<std::int64_t> OptInt(std::string_view c) const { return OptInt(IndexOf(c)); }
  std::optional<std::string> OptText(std::string_view c) const { return OptText(IndexOf(c)); }

  std::size_t IndexOf(std::string_view column) const;

 private:
  std::shared_ptr<const std::vector<std::string>> columns_;  // Shared by all rows of a query.
  std::vector<Value> values_;
};

// One row while a statement is being stepped (Transaction::QueryEach), read in place: texts are
// views into the driver's buffer, valid only until the callback returns. Column types convert as
// the driver converts them (a NULL reads as 0 or ""). For large results read once, where a Row
// per row (a vector of values, each text copied) is the cost.
class RowView {
 public:
  virtual ~RowView() = default;
  virtual std::size_t size() const = 0;
  virtual bool IsNull(std::size_t i) const = 0;
  virtual std::int64_t Int(std::size_t i) const = 0;
  virtual std::string_view Text(std::size_t i) const = 0;
};

}  // namespace nimbus::db
