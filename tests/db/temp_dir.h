// TempDir: a fresh directory under the system temp dir, removed with everything in it at scope end.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <fmt/core.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

namespace nimbus::testing {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            fmt::format("nimbus-test-{}-{}", ::getpid(), counter.fetch_add(1));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace nimbus::testing
