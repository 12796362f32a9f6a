// Loading the configuration: defaults < config/*.toml < NIMBUS_* environment < CLI flags,
// validated in full (every problem reported, one line each), and printing it back as TOML.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/toml_reader.h"
#include "util/result.h"

namespace nimbus::config {

struct LoadOptions {
  std::optional<std::filesystem::path> config_dir;  // nullopt: built-in defaults only.
  std::map<std::string, std::string> env;           // NIMBUS_* variables (main passes environ).
  std::optional<std::string> data_dir;              // --data flag: overrides server.data_dir.
  std::optional<std::string> listen;                // --listen flag: overrides server.listen.
};

// Reads server.toml, accounts.toml, email.toml, disks.toml, billing.toml and files.toml from
// config_dir (each optional), applies env and flags, fills derived defaults (public_url, database,
// mail_dir, categories, the default disk layout) and validates everything. On any problem returns
// kInvalidArgument whose message holds one self-contained line per problem, e.g.
// `server.toml: io_threads: must be between 1 and 256, got 0`. An explicit config_dir that does
// not exist, an unknown *.toml file in it, or an unknown NIMBUS_<FILE>_* variable is an error.
// Relative *_file, tls_* and templates_dir paths in a file resolve against config_dir; data_dir
// against the working directory (it is made absolute), mail_dir and file: disk URIs against
// data_dir.
Result<Config> LoadConfig(const LoadOptions& options);

// The resolved configuration as TOML, one "# <file>" section per file; secrets (passwords, the
// webhook secret, the password inside a database URL) are shown as "***".
std::string DescribeConfig(const Config& config);

// The NIMBUS_* part of this process's environment.
std::map<std::string, std::string> EnvironmentFromProcess();

// Every key the loader knows, e.g. {"email.toml", "smtp.port"}, {"disks.toml", "disk.id"}.
std::vector<ConfigKey> KnownConfigKeys();

// The environment variable that overrides a key: ("email.toml", "smtp.port") ->
// "NIMBUS_EMAIL_SMTP_PORT".
std::string EnvVarName(const ConfigKey& key);

}  // namespace nimbus::config
