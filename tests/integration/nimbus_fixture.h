// NimbusTest: the GoogleTest fixture of the integration suite. Each test gets a fresh temp dir
// (cwd of every nimbus it runs, with data/, config/ and logs/) and helpers to run the binary.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/http_client.h"
#include "support/server_process.h"

namespace nimbus::test {

class NimbusTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // Prints the server's stdout/stderr when the test failed, then kills what is still running.
  void TearDown() override;

  // Starts `nimbus serve --listen 127.0.0.1:0 --data <data_dir()>` (plus `extra_args`, plus
  // `--config <config_dir()>` when `with_config`) and waits for its listening line. The
  // process is server(); the port is port().
  Result<std::uint16_t> StartServer(const EnvVars& env = {},
                                    const std::vector<std::string>& extra_args = {},
                                    bool with_config = false);
  // Runs `nimbus <args>` to completion (cwd = the temp dir, bounded by `timeout`).
  Result<CommandResult> RunNimbus(const std::vector<std::string>& args, const EnvVars& env = {},
                                  std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Writes config_dir()/file_name (e.g. "server.toml").
  void WriteConfig(const std::string& file_name, const std::string& text);

  std::string data_dir() const { return tmp_->File("data"); }
  std::string config_dir() const { return tmp_->File("config"); }
  const TempDir& tmp() const { return *tmp_; }
  ServerProcess& server() { return *server_; }
  std::uint16_t port() const { return port_; }

 private:
  std::unique_ptr<TempDir> tmp_;
  std::unique_ptr<ServerProcess> server_;
  std::uint16_t port_ = 0;
  int runs_ = 0;  // Numbers the log dirs of RunNimbus calls.
};

// Checks the security headers every Nimbus response must carry (CSP, nosniff, Referrer-Policy).
void ExpectSecurityHeaders(const HttpResponse& resp, const std::string& what);
// ExpectSecurityHeaders plus a non-empty X-Request-Id.
void ExpectCommonHeaders(const HttpResponse& resp, const std::string& what);

// The time from `start` until now, in milliseconds.
std::int64_t MsSince(std::chrono::steady_clock::time_point start);

}  // namespace nimbus::test
