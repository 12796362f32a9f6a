// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/local/disk_root.h"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

#include "storage/local/posix_file.h"

namespace nimbus::storage::local {
namespace {

namespace fs = std::filesystem;

constexpr char kMarkerTmpName[] = ".nimbus-disk.new";

// Writes the marker (atomically: a new file renamed over the old). `created_at` "" = now.
Result<void> WriteMarker(const std::string& disk_id, const std::string& root,
                         std::string_view installation, std::string created_at = {}) {
  if (created_at.empty()) {
    auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    created_at = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", now);
  }
  std::string text = fmt::format(
      "# Nimbus disk marker: this directory holds the blobs of one Nimbus disk. Do not edit.\n"
      "id = \"{}\"\ncreated_at = \"{}\"\n",
      disk_id, created_at);
  if (!installation.empty()) text += fmt::format("installation = \"{}\"\n", installation);
  std::string tmp = root + "/" + kMarkerTmpName;
  std::string dst = root + "/" + kMarkerName;
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (!fd.valid()) return Fail(IoError(disk_id, "create marker " + tmp, errno));
  if (int e = PwriteAll(fd.get(), text, 0)) return Fail(IoError(disk_id, "write marker " + tmp, e));
  if (::fdatasync(fd.get()) != 0) return Fail(IoError(disk_id, "fdatasync marker " + tmp, errno));
  if (int e = fd.Close()) return Fail(IoError(disk_id, "close marker " + tmp, e));
  if (::rename(tmp.c_str(), dst.c_str()) != 0)
    return Fail(IoError(disk_id, "rename marker into " + dst, errno));
  if (int e = FsyncDir(root)) return Fail(IoError(disk_id, "fsync " + root, e));
  return {};
}

Result<bool> IsEmptyForNewDisk(const std::string& disk_id, const std::string& root) {
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name == "lost+found" || name == kMarkerTmpName) continue;
    return false;
  }
  if (ec) return Fail(Errc::kIoError, "disk {}: listing {}: {}", disk_id, root, ec.message());
  return true;
}

// Removes what crashed processes left in tmp/ (files nobody holds a lock on).
Result<std::size_t> SweepTmp(const std::string& disk_id, const std::string& tmp) {
  std::size_t swept = 0;
  std::error_code ec;
  for (fs::directory_iterator it(tmp, ec), end; !ec && it != end; it.increment(ec)) {
    std::string path = it->path().string();
    // A temp file locked by a live writer (another process on this disk) is not a leftover.
    UniqueFd probe(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (probe.valid() && TryLock(probe.get()) == EWOULDBLOCK) continue;
    if (::unlink(path.c_str()) != 0) {
      // A directory someone made in tmp/: not ours to delete, but not a blob either.
      if (errno == EISDIR || errno == EPERM) continue;
      return Fail(IoError(disk_id, "sweep " + path, errno));
    }
    ++swept;
  }
  if (ec) return Fail(Errc::kIoError, "disk {}: listing {}: {}", disk_id, tmp, ec.message());
  if (swept > 0) {
    if (int e = FsyncDir(tmp)) return Fail(IoError(disk_id, "fsync " + tmp, e));
  }
  return swept;
}

std::uint64_t CountBytes(const std::string& blobs) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(blobs, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code fec;
    if (it->is_regular_file(fec)) total += it->file_size(fec);
  }
  return total;
}

}  // namespace

Result<Marker> ReadMarker(const std::string& root) {
  std::string path = root + "/" + kMarkerName;
  std::ifstream in(path);
  if (!in) return Fail(Errc::kNotFound, "no marker {}", path);
  Marker marker;
  std::string line;
  auto value = [&line](std::string_view key) -> std::optional<std::string> {
    const std::string prefix = fmt::format("{} = \"", key);
    if (line.starts_with(prefix) && line.size() > prefix.size() && line.back() == '"') {
      return line.substr(prefix.size(), line.size() - prefix.size() - 1);
    }
    return std::nullopt;
  };
  while (std::getline(in, line)) {
    if (auto v = value("id")) marker.id = std::move(*v);
    if (auto v = value("created_at")) marker.created_at = std::move(*v);
    if (auto v = value("installation")) marker.installation = std::move(*v);
  }
  if (marker.id.empty()) return Fail(Errc::kInvalidArgument, "marker {} has no id line", path);
  return marker;
}

Result<std::string> ReadMarkerId(const std::string& root) {
  auto marker = ReadMarker(root);
  if (!marker) return Fail(marker.error());
  return std::move(marker->id);
}

Result<RootState> PrepareRoot(const std::string& disk_id, const std::string& root,
                              bool create_if_missing, bool sweep_tmp, bool set_up_before,
                              std::string_view installation) {
  RootState state;
  auto not_there = [&](std::string_view what) {
    return Fail(Errc::kNotFound,
                "disk {}: {} {}, but the disk was set up there before: it is not mounted, or an "
                "empty disk took its place. Nothing is written there; its mirror serves its files. "
                "Mount it again and mark it healthy (nimbus admin disk heal {}), or replace it "
                "(nimbus admin disk replace {} --with SPARE)",
                disk_id, root, what, disk_id, disk_id);
  };
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0) {
    if (errno != ENOENT) return Fail(IoError(disk_id, "stat " + root, errno));
    if (set_up_before) return not_there("does not exist");
    if (!create_if_missing)
      return Fail(Errc::kNotFound, "disk {}: directory {} does not exist", disk_id, root);
    std::error_code ec;
    fs::create_directories(root, ec);
    if (ec) return Fail(Errc::kIoError, "disk {}: creating {}: {}", disk_id, root, ec.message());
  } else if (!S_ISDIR(st.st_mode)) {
    return Fail(Errc::kInvalidArgument, "disk {}: {} is not a directory", disk_id, root);
  }

  auto marker = ReadMarker(root);
  if (marker) {
    if (marker->id != disk_id) {
      return Fail(Errc::kInvalidArgument,
                  "disk {}: {} carries the marker of disk '{}', not '{}'; refusing to use it "
                  "(wrong mount point or wrong uri?)",
                  disk_id, root, marker->id, disk_id);
    }
    if (!installation.empty() && !marker->installation.empty() &&
        marker->installation != installation) {
      return Fail(Errc::kInvalidArgument,
                  "disk {}: {} belongs to another Nimbus installation (its marker says "
                  "installation {}, this one is {}); refusing to use it. Is this server started "
                  "with the wrong data directory (--data, or the working directory)? Nothing was "
                  "written there",
                  disk_id, root, marker->installation, installation);
    }
    if (!installation.empty() && marker->installation.empty()) {
      // A marker from before installation ids: this installation's from now on. Best effort: a
      // disk that cannot take the write (read-only now) still opens, and is stamped later.
      auto stamped = WriteMarker(disk_id, root, installation, marker->created_at);
      if (!stamped) {
        spdlog::warn("disk {}: could not write this installation's id into its marker: {}", disk_id,
                     stamped.error().message);
      }
    }
  } else if (marker.error().code == Errc::kNotFound) {
    if (set_up_before) return not_there(fmt::format("has no {} marker", kMarkerName));
    auto empty = IsEmptyForNewDisk(disk_id, root);
    if (!empty) return Fail(empty.error());
    if (!*empty) {
      return Fail(Errc::kInvalidArgument,
                  "disk {}: {} is not empty and has no {} marker; refusing to write to it "
                  "(give the disk an empty directory or one that already belongs to it)",
                  disk_id, root, kMarkerName);
    }
    auto ok = WriteMarker(disk_id, root, installation);
    if (!ok) return Fail(ok.error());
    state.marker_created = true;
  } else {
    return Fail(Errc::kInvalidArgument, "disk {}: {}; refusing to use {}", disk_id,
                marker.error().message, root);
  }

  bool created_any = false;
  for (const char* sub : {"blobs", "tmp"}) {
    bool created = false;
    if (int e = MakeDir(root + "/" + sub, &created))
      return Fail(IoError(disk_id, fmt::format("mkdir {}/{}", root, sub), e));
    created_any = created_any || created;
  }
  if (created_any) {
    if (int e = FsyncDir(root)) return Fail(IoError(disk_id, "fsync " + root, e));
  }
  if (sweep_tmp) {
    auto swept = SweepTmp(disk_id, root + "/tmp");
    if (!swept) return Fail(swept.error());
    state.swept_tmp_files = *swept;
  }
  state.used_bytes = CountBytes(root + "/blobs");
  return state;
}

}  // namespace nimbus::storage::local
