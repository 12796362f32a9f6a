// RFC 3339 UTC timestamps, the form every API response and CLI listing uses.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/clock.h"

namespace nimbus {

// "2026-11-25T15:16:59.123Z" (milliseconds, always UTC).
std::string FormatRfc3339(Clock::TimePoint t);

// Appends FormatRfc3339(FromUnixMs(unix_ms)) to `out` without allocating beyond `out`'s growth
// (no fmt, no gmtime: listings format two per item).
void AppendRfc3339(std::string& out, std::int64_t unix_ms);

// An HTTP date (RFC 9110 IMF-fixdate): "Wed, 25 Nov 2026 10:00:00 GMT" (seconds, UTC).
std::string FormatHttpDate(std::int64_t unix_ms);

// An RFC 3339 date-time ("2026-12-01T18:00:00Z", "…:00.250+01:00") as ms since the epoch;
// nullopt when it is not one.
std::optional<std::int64_t> ParseRfc3339(std::string_view s);

}  // namespace nimbus
