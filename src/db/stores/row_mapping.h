// Turning query results into a store's row structs: one optional row, or every row, through the
// store's `To…(Row&)` function, errors passed on. Internal to db/stores.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <optional>
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

}  // namespace nimbus::db
