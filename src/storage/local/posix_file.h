// Small POSIX helpers for LocalVolume: an owning fd, full pread/pwrite loops, directory fsync,
// and errno → kIoError messages ("disk a1: fdatasync tmp/x: Input/output error (EIO)").
// Plain open/pwrite/pread/fdatasync/fsync/rename/unlink (not the *at() calls) so fiu-run can
// inject faults into them. All of these block: call them on the WorkerPool.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "util/result.h"

namespace nimbus::storage::local {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.Release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = o.Release();
    }
    return *this;
  }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset();  // Closes, ignoring errors (use Close() where the error matters).
  // Closes and returns the errno of close(), 0 when it succeeded.
  int Close();

 private:
  int fd_ = -1;
};

// "Input/output error (EIO)".
std::string ErrnoText(int err);
// kIoError "disk <disk>: <what>: <errno text>" (kNotFound for ENOENT when `enoent_not_found`).
Error IoError(std::string_view disk, std::string_view what, int err, bool enoent_not_found = false);

// Writes all of `data` at `offset`, retrying short writes and EINTR. Returns 0 or the errno.
int PwriteAll(int fd, std::span<const char> data, std::uint64_t offset);
// Reads exactly `buf.size()` bytes at `offset`. Returns 0, the errno, or -1 at an early end of file.
int PreadAll(int fd, std::span<char> buf, std::uint64_t offset);
// Opens `dir` and fsyncs it. Returns 0 or the errno.
int FsyncDir(const std::string& dir);
// flock(LOCK_EX | LOCK_NB) on `fd`: temp files in tmp/ are locked by the process writing them,
// so the tmp/ sweep of another process opening the same disk (the admin CLI while the server
// runs) leaves them alone. Returns 0 or the errno (EWOULDBLOCK: locked elsewhere).
int TryLock(int fd);
// Creates directory `dir` if missing (mode 0750). Sets *created. Returns 0 or the errno.
int MakeDir(const std::string& dir, bool* created);

}  // namespace nimbus::storage::local
