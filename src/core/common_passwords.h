// The built-in list of the most common passwords (leaked-password top lists: the base words
// people use most, which PasswordPolicy also recognises with digits or symbols around them).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstddef>
#include <string_view>

namespace nimbus::core {

// True when `lower` (already lower-cased) is on the list exactly.
bool IsCommonPasswordExact(std::string_view lower);
// How many entries the list has (for tests and docs).
std::size_t CommonPasswordCount();

}  // namespace nimbus::core
