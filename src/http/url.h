// Percent-decoding and case-insensitive comparison shared by the request and the router.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nimbus::http {

// Decodes %XX escapes (and '+' as a space when `plus_is_space`, for query strings);
// nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space);
// ASCII case-insensitive equality (header names, tokens).
bool IEquals(std::string_view a, std::string_view b);

}  // namespace nimbus::http
