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
// admin_disk.cpp. An unknown disk id exits 2 with a message naming it.
int ListDisks(const config::Config& config, bool json);
int ShowDisk(const config::Config& config, const std::string& id, bool json);
int FailDisk(const config::Config& config, const std::string& id);
int HealDisk(const config::Config& config, const std::string& id);

// admin_user.cpp. Bad input (unknown email, invalid email, weak password) exits 2.
int CreateUser(const config::Config& config, const std::string& email, const std::string& name,
               bool admin, const std::string& password_file);
int PromoteUser(const config::Config& config, const std::string& email);
int DisableUser(const config::Config& config, const std::string& email, bool enable);
int ListUsers(const config::Config& config, bool json);

}  // namespace nimbus::app
