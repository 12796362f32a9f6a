// LikeEscaped: `text` for a LIKE pattern with ESCAPE '\': its wildcards (% and _) and the escape
// itself match as typed. Internal to db/stores.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>

namespace nimbus::db {

inline std::string LikeEscaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace nimbus::db
