// Email addresses as accounts use them: trimmed, lower-cased, and checked for a plausible shape
// (one '@', a dotted domain, no spaces), so "  Ann@Example.COM " and "ann@example.com" are the
// same account.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace nimbus::core {

// The normalized address, or kInvalidEmail with a sentence for a person.
Result<std::string> NormalizeEmail(std::string_view email);

}  // namespace nimbus::core
