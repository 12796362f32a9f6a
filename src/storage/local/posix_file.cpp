// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/local/posix_file.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace nimbus::storage::local {

void UniqueFd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int UniqueFd::Close() {
  if (fd_ < 0) return 0;
  int rc = ::close(fd_);
  fd_ = -1;
  return rc == 0 ? 0 : errno;
}

std::string ErrnoText(int err) {
  if (err < 0) return "unexpected end of file";
  const char* name = strerrorname_np(err);
  return fmt::format("{} ({})", strerrordesc_np(err) ? strerrordesc_np(err) : "unknown error",
                     name ? name : fmt::format("errno {}", err));
}

Error IoError(std::string_view disk, std::string_view what, int err, bool enoent_not_found) {
  Errc code = (enoent_not_found && err == ENOENT) ? Errc::kNotFound : Errc::kIoError;
  return Error{code, fmt::format("disk {}: {}: {}", disk, what, ErrnoText(err))};
}

int PwriteAll(int fd, std::span<const char> data, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;  // A zero-byte write of a non-empty buffer: treat as an I/O error.
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

int PreadAll(int fd, std::span<char> buf, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = ::pread(fd, buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return -1;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

int FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  UniqueFd guard(fd);
  if (::fsync(fd) != 0) return errno;
  return guard.Close();
}

int TryLock(int fd) { return ::flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : errno; }

int MakeDir(const std::string& dir, bool* created) {
  *created = false;
  if (::mkdir(dir.c_str(), 0750) == 0) {
    *created = true;
    return 0;
  }
  if (errno != EEXIST) return errno;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return errno;
  return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

}  // namespace nimbus::storage::local
