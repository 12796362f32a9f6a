// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/files/tus_staging.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>

namespace nimbus::core::files {

namespace fs = std::filesystem;

namespace {

std::unexpected<Error> IoFail(std::string_view what, const fs::path& path, int err) {
  const char* name = strerrorname_np(err);
  return Fail(err == ENOSPC ? Errc::kNoCapacity : Errc::kIoError, "{} {}: {} ({})", what,
              path.string(), std::strerror(err), name ? name : "?");
}

// Makes a new or removed directory entry durable.
Result<void> SyncDir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoFail("open directory", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return IoFail("fsync directory", dir, err);
  return {};
}

}  // namespace

StagingFile& StagingFile::operator=(StagingFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

StagingFile::~StagingFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> StagingFile::WriteAt(std::uint64_t offset, std::span<const char> data) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoFail("write", "staging file", errno);
    }
    data = data.subspan(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return {};
}

Result<std::size_t> StagingFile::ReadAt(std::uint64_t offset, std::span<char> buf) {
  while (true) {
    ssize_t n = ::pread(fd_, buf.data(), buf.size(), static_cast<off_t>(offset));
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return IoFail("read", "staging file", errno);
  }
}

Result<void> StagingFile::Truncate(std::uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
    return IoFail("truncate", "staging file", errno);
  }
  return {};
}

Result<void> StagingFile::Sync() {
  if (::fdatasync(fd_) != 0) return IoFail("fdatasync", "staging file", errno);
  return {};
}

Result<void> TusStaging::Create(std::string_view id) const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return Fail(Errc::kIoError, "create {}: {}", dir_.string(), ec.message());
  const fs::path path = PathOf(id);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoFail("create", path, errno);
  StagingFile file(fd);
  if (auto synced = file.Sync(); !synced) return synced;
  return SyncDir(dir_);
}

Result<StagingFile> TusStaging::OpenForAppend(std::string_view id, std::uint64_t offset) const {
  const fs::path path = PathOf(id);
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && offset == 0) {
    if (auto created = Create(id); !created) return std::unexpected(created.error());
    fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  }
  if (fd < 0) {
    if (errno == ENOENT) {
      return Fail(Errc::kNotFound, "the bytes received so far are gone ({} is missing)",
                  path.string());
    }
    return IoFail("open", path, errno);
  }
  StagingFile file(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return IoFail("stat", path, errno);
  if (static_cast<std::uint64_t>(st.st_size) < offset) {
    return Fail(Errc::kIoError, "staging file {} has {} bytes, {} were recorded", path.string(),
                st.st_size, offset);
  }
  if (static_cast<std::uint64_t>(st.st_size) > offset) {
    if (auto cut = file.Truncate(offset); !cut) return std::unexpected(cut.error());
  }
  return file;
}

Result<StagingFile> TusStaging::OpenForRead(std::string_view id) const {
  const fs::path path = PathOf(id);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Fail(Errc::kNotFound, "{} is missing", path.string());
    return IoFail("open", path, errno);
  }
  return StagingFile(fd);
}

void TusStaging::Remove(std::string_view id) const {
  std::error_code ec;
  fs::remove(PathOf(id), ec);  // Best effort: the cleanup job removes leftovers.
}

std::vector<std::pair<std::string, std::int64_t>> TusStaging::ListWithAge() const {
  std::vector<std::pair<std::string, std::int64_t>> out;
  std::error_code ec;
  fs::directory_iterator it(dir_, ec);
  if (ec) return out;
  const auto now = fs::file_time_type::clock::now();
  for (const fs::directory_entry& entry : it) {
    std::error_code stat_ec;
    auto written = entry.last_write_time(stat_ec);
    if (stat_ec || !entry.is_regular_file(stat_ec)) continue;
    auto age = std::chrono::duration_cast<std::chrono::seconds>(now - written).count();
    out.emplace_back(entry.path().filename().string(), age);
  }
  return out;
}

}  // namespace nimbus::core::files
