// TrimSpace: `s` without the spaces, tabs and line breaks at either end (a view into `s`).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string_view>

namespace nimbus {

inline std::string_view TrimSpace(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

}  // namespace nimbus
