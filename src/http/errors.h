// The one table mapping every Errc to an HTTP status and the snake_case code of api.md.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <span>
#include <string_view>

#include "util/errc.h"

namespace nimbus::http {

struct ErrorMapping {
  Errc errc;
  int status;
  std::string_view code;  // "name_taken"
};

// The mapping for `errc` (every Errc has one; unknown values map to 500 "internal").
const ErrorMapping& MapError(Errc errc);
// The whole table, for tests and docs.
std::span<const ErrorMapping> ErrorTable();
// The reason phrase for a status ("Not Found"); "" for unknown codes.
std::string_view StatusReason(int status);

}  // namespace nimbus::http
