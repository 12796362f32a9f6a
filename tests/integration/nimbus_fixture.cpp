// SPDX-License-Identifier: AGPL-3.0-or-later
#include "integration/nimbus_fixture.h"

#include <filesystem>
#include <fstream>
#include <iostream>

namespace nimbus::test {

void NimbusTest::SetUp() {
  tmp_ = std::make_unique<TempDir>();
  std::filesystem::create_directories(tmp_->path() / "config");
  std::filesystem::create_directories(tmp_->path() / "logs");
}

void NimbusTest::TearDown() {
  if (server_ != nullptr) {
    if (HasFailure()) {
      std::cerr << "---- nimbus stdout ----\n"
                << server_->Stdout() << "---- nimbus stderr ----\n"
                << server_->Stderr() << "-----------------------\n";
    }
    server_->Terminate(std::chrono::seconds(3));
    server_.reset();
  }
  tmp_.reset();
}

Result<std::uint16_t> NimbusTest::StartServer(const EnvVars& env,
                                              const std::vector<std::string>& extra_args,
                                              bool with_config) {
  std::vector<std::string> args{"serve", "--listen", "127.0.0.1:0", "--data", data_dir()};
  if (with_config) {
    args.push_back("--config");
    args.push_back(config_dir());
  }
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  auto log_dir = tmp_->path() / "logs" / "server";
  std::filesystem::create_directories(log_dir);
  auto proc = ServerProcess::Start(
      {.args = args, .env = env, .cwd = tmp_->path(), .log_dir = log_dir, .binary = ""});
  if (!proc) return std::unexpected(proc.error());
  server_ = std::move(*proc);
  auto port = server_->WaitForListening(std::chrono::seconds(10));
  if (port) port_ = *port;
  return port;
}

Result<CommandResult> NimbusTest::RunNimbus(const std::vector<std::string>& args,
                                            const EnvVars& env, std::chrono::milliseconds timeout) {
  auto log_dir = tmp_->path() / "logs" / ("run" + std::to_string(++runs_));
  std::filesystem::create_directories(log_dir);
  return RunToCompletion(
      {.args = args, .env = env, .cwd = tmp_->path(), .log_dir = log_dir, .binary = ""}, timeout);
}

void NimbusTest::WriteConfig(const std::string& file_name, const std::string& text) {
  std::ofstream out(tmp_->path() / "config" / file_name, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << "writing " << file_name;
}

void ExpectSecurityHeaders(const HttpResponse& resp, const std::string& what) {
  SCOPED_TRACE(what);
  std::string csp = resp.HeaderOr("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << "CSP: '" << csp << "'";
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << "CSP: '" << csp << "'";
  EXPECT_TRUE(EqualsIgnoreCase(resp.HeaderOr("X-Content-Type-Options"), "nosniff"));
  EXPECT_FALSE(resp.HeaderOr("Referrer-Policy").empty()) << "no Referrer-Policy";
}

void ExpectCommonHeaders(const HttpResponse& resp, const std::string& what) {
  ExpectSecurityHeaders(resp, what);
  EXPECT_FALSE(resp.HeaderOr("X-Request-Id").empty()) << what << ": no X-Request-Id";
}

std::int64_t MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

}  // namespace nimbus::test
