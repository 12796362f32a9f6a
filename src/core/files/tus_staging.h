// TusStaging: the staging files of resumable (tus) uploads, one per upload named by its id in
// one local directory (<data dir>/uploads). Plain blocking POSIX I/O: call it on the WorkerPool.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"

namespace nimbus::core::files {

// An open staging file (move-only); closes it on destruction.
class StagingFile {
 public:
  StagingFile() = default;
  explicit StagingFile(int fd) : fd_(fd) {}
  StagingFile(StagingFile&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  StagingFile& operator=(StagingFile&& o) noexcept;
  StagingFile(const StagingFile&) = delete;
  StagingFile& operator=(const StagingFile&) = delete;
  ~StagingFile();

  // Writes all of `data` at `offset`. kIoError (kNoCapacity when the disk is full).
  Result<void> WriteAt(std::uint64_t offset, std::span<const char> data);
  // Reads up to buf.size() bytes at `offset`; 0 at the end of the file. kIoError.
  Result<std::size_t> ReadAt(std::uint64_t offset, std::span<char> buf);
  // Cuts the file to `size` bytes. kIoError.
  Result<void> Truncate(std::uint64_t size);
  // fdatasync: everything written so far survives a crash. kIoError.
  Result<void> Sync();
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

class TusStaging {
 public:
  explicit TusStaging(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // Creates the directory if needed and an empty file for `id`, both durable. kIoError.
  Result<void> Create(std::string_view id) const;
  // Opens the file of `id` for writing at `offset`, cutting off anything past it (bytes that
  // were written but never recorded as durable). A missing file is created again when `offset`
  // is 0; otherwise kNotFound. kIoError.
  Result<StagingFile> OpenForAppend(std::string_view id, std::uint64_t offset) const;
  // Opens the file of `id` for reading. kNotFound, kIoError.
  Result<StagingFile> OpenForRead(std::string_view id) const;
  // Removes the file of `id`; a missing file is fine.
  void Remove(std::string_view id) const;
  // The names of the files in the directory with their age in seconds (empty when the directory
  // does not exist).
  std::vector<std::pair<std::string, std::int64_t>> ListWithAge() const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path PathOf(std::string_view id) const { return dir_ / std::string(id); }
  std::filesystem::path dir_;
};

}  // namespace nimbus::core::files
