// Turning query results into a store's row structs: one optional row, or every row, through the
// store's `To…(Row&)` function, errors passed on; and the tail of a keyset page by (created_at,
// id). Internal to db/stores.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "db/value.h"
#include "util/result.h"

namespace nimbus::db {

template <class F>
auto MapOne(Result<std::optional<Row>> row, F to)
    -> Result<std::optional<std::invoke_result_t<F&, Row&>>> {
  using T = std::invoke_result_t<F&, Row&>;
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<T>();
  return std::optional<T>(to(**row));
}

template <class F>
auto MapAll(Result<std::vector<Row>> rows, F to)
    -> Result<std::vector<std::invoke_result_t<F&, Row&>>> {
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<std::invoke_result_t<F&, Row&>> out;
  out.reserve(rows->size());
  for (Row& r : *rows) out.push_back(to(r));
  return out;
}

// Appends to a `WHERE …` query the rows after `after` ({created_at, id} of the last row of the
// previous page) of table alias `t`, the order by (created_at, id) and the LIMIT, with params.
inline void AppendCreatedPage(std::string& sql, std::vector<Value>& params, std::string_view t,
                              const std::optional<std::pair<std::int64_t, std::string>>& after,
                              int limit) {
  if (after) {
    sql += " AND (";
    sql += t;
    sql += ".created_at > ? OR (";
    sql += t;
    sql += ".created_at = ? AND ";
    sql += t;
    sql += ".id > ?))";
    params.emplace_back(after->first);
    params.emplace_back(after->first);
    params.emplace_back(after->second);
  }
  sql += " ORDER BY ";
  sql += t;
  sql += ".created_at, ";
  sql += t;
  sql += ".id LIMIT ?";
  params.emplace_back(limit);
}

}  // namespace nimbus::db
