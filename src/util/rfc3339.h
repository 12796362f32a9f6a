// RFC 3339 UTC timestamps, the form every API response and CLI listing uses.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>

#include "util/clock.h"

namespace nimbus {

// "2026-11-25T15:16:59.123Z" (milliseconds, always UTC).
std::string FormatRfc3339(Clock::TimePoint t);

}  // namespace nimbus
