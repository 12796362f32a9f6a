// The subcommands of the nimbus binary. Each returns the process exit code:
// 0 success, 1 the operation failed, 2 bad configuration or usage.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>

#include "config/config.h"

namespace nimbus::app {

int RunServe(const config::Config& config);
int RunConfigCheck(const config::Config& config);
int RunJob(const config::Config& config, const std::string& name);
int ListJobs(const config::Config& config, bool json);

}  // namespace nimbus::app
