// Helpers for config tests: a temporary config directory and short ways to load from it.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "config/load.h"

namespace nimbus::config::testing {

// A fresh directory under /tmp, removed with everything in it at the end of the test.
class TempConfigDir {
 public:
  TempConfigDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("nimbus-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempConfigDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempConfigDir(const TempConfigDir&) = delete;
  TempConfigDir& operator=(const TempConfigDir&) = delete;

  // Writes `content` to <dir>/<name> (creating parent folders); returns the full path.
  std::filesystem::path Write(const std::string& name, const std::string& content) const {
    std::filesystem::path p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline Result<Config> LoadFrom(const TempConfigDir& dir,
                               std::map<std::string, std::string> env = {}) {
  LoadOptions options;
  options.config_dir = dir.path();
  options.env = std::move(env);
  return LoadConfig(options);
}

// The error message of a failed load ("" with a test failure when it loaded).
inline std::string ErrorOf(const Result<Config>& r) {
  EXPECT_FALSE(r.has_value()) << "expected the load to fail";
  if (r.has_value()) return "";
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  return r.error().message;
}

// Loads one file with `content` and returns the error message.
inline std::string ErrorFor(const std::string& file, const std::string& content,
                            std::map<std::string, std::string> env = {}) {
  TempConfigDir dir;
  dir.Write(file, content);
  return ErrorOf(LoadFrom(dir, std::move(env)));
}

}  // namespace nimbus::config::testing
