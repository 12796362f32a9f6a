// PasswordPolicy: what a new password must be: long enough (accounts.password_min_length, in
// characters), not absurdly long, and not one of the most common passwords (a built-in list,
// compared lower-cased, also with common digit/symbol suffixes and l33t digits taken off).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstddef>
#include <string_view>

#include "config/accounts.h"
#include "util/result.h"

namespace nimbus::core {

// kWeakPassword with a sentence saying why ("…at least 10 characters…", "…one of the most
// commonly used passwords…") when `password` is not acceptable.
Result<void> CheckPassword(std::string_view password, const config::AccountsConfig& config);

// True when `password` is on the built-in list of common passwords or is such a password with
// digits or symbols around it ("Password123!", "qwerty2024"), or a run of one character or an
// keyboard/alphabet sequence.
bool IsCommonPassword(std::string_view password);

// Characters, not bytes: UTF-8 continuation bytes do not count.
std::size_t CharCount(std::string_view s);

}  // namespace nimbus::core
