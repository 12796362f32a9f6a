// Percent-decoding, case-insensitive comparison and header lookup shared by the request, the
// response and the router.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nimbus::http {

// Decodes %XX escapes (and '+' as a space when `plus_is_space`, for query strings);
// nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space);
// ASCII case-insensitive equality (header names, tokens).
bool IEquals(std::string_view a, std::string_view b);

using HeaderList = std::vector<std::pair<std::string, std::string>>;
// The value of the first header named `name` (case-insensitive), or nullptr when absent.
const std::string* FindHeader(const HeaderList& headers, std::string_view name);

}  // namespace nimbus::http
