// TempDir: a fresh directory under $TMPDIR (or /tmp), removed with everything in it at scope end.
// The one temporary-directory helper of every test binary (header-only, no library needed).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace nimbus::testing {

class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "nimbus-test-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) {
      // A test cannot do anything useful without its directory: that is a broken machine.
      throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
    }
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // path() / name as a string (a file to create, or a command-line argument).
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace nimbus::testing
