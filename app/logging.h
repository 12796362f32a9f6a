// Sets up spdlog for the process: text or JSON lines on stderr, at the configured level.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string_view>

namespace nimbus::app {

// format: "text" | "json"; level: trace|debug|info|warn|error.
void SetUpLogging(std::string_view format, std::string_view level);

}  // namespace nimbus::app
