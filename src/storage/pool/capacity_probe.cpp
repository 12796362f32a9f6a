// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/pool/capacity_probe.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

namespace nimbus::storage {
namespace {

struct FsInfo {
  dev_t device = 0;
  std::uint64_t free_bytes = 0;
};

// The file system of `path`, or of its nearest existing parent (a disk directory is created by
// its volume later).
Result<FsInfo> FileSystemOf(const std::string& path) {
  std::filesystem::path p(path);
  for (int depth = 0; depth < 256 && !p.empty(); ++depth) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
      struct statvfs vfs {};
      if (::statvfs(p.c_str(), &vfs) != 0) {
        return Fail(Errc::kIoError, "statvfs {}: {}", p.string(), std::strerror(errno));
      }
      return FsInfo{st.st_dev, static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize};
    }
    if (!p.has_parent_path() || p.parent_path() == p) break;
    p = p.parent_path();
  }
  return Fail(Errc::kIoError, "no part of {} exists", path);
}

Result<std::string> LocalPath(std::string_view uri) {
  if (!uri.starts_with("file:") || uri.size() <= 5) {
    return Fail(Errc::kInvalidArgument,
                "disk {} has no capacity: set `capacity` for disks that are not file: paths", uri);
  }
  return std::string(uri.substr(5));
}

}  // namespace

CapacityProbe FreeSpaceShare(const config::DisksConfig& config) {
  std::vector<std::string> unsized;
  for (const config::Disk& d : config.disks)
    if (d.capacity_bytes == 0) unsized.push_back(d.uri);
  for (const config::Spare& s : config.spares)
    if (s.capacity_bytes == 0) unsized.push_back(s.uri);
  std::uint64_t largest_plan = 0;
  for (const config::Category& c : config.categories) {
    largest_plan =
        std::max<std::uint64_t>(largest_plan, static_cast<std::uint64_t>(c.max_gb) * kGiB);
  }
  auto warned = std::make_shared<std::atomic<bool>>(false);
  return [unsized = std::move(unsized), largest_plan,
          warned](std::string_view uri) -> Result<std::uint64_t> {
    auto path = LocalPath(uri);
    if (!path) return std::unexpected(std::move(path.error()));
    auto fs = FileSystemOf(*path);
    if (!fs) return std::unexpected(std::move(fs.error()));
    // This disk too when it is not in the configuration (attached by `nimbus admin disk attach`).
    std::uint64_t sharing = std::find(unsized.begin(), unsized.end(), uri) == unsized.end() ? 1 : 0;
    for (const std::string& other : unsized) {
      auto other_path = LocalPath(other);
      if (!other_path) continue;
      auto other_fs = FileSystemOf(*other_path);
      if (other_fs && other_fs->device == fs->device) ++sharing;
    }
    const std::uint64_t share = fs->free_bytes / sharing;
    if (share >= largest_plan) return share;
    if (!warned->exchange(true)) {
      spdlog::warn(
          "storage: the file system of {} has {} GiB free for {} disks without a capacity; each "
          "gets {} GiB so that the largest plan fits (thin provisioning: writes fail with 'disk "
          "full' once the file system is full). Set `capacity` in disks.toml for real disks.",
          *path, fs->free_bytes >> 30, sharing, largest_plan >> 30);
    }
    return largest_plan;
  };
}

}  // namespace nimbus::storage
