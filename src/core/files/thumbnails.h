// Thumbnails: the small picture of a photo or image file that the file list shows instead of
// an icon (as Dropbox, Nextcloud and Seafile do). Made on the first request from the file's
// content (read through the storage engine, mirror failover included) and kept in a cache
// directory under the content's blob id and the size asked for, so a new version of a file
// gets a new thumbnail. A file that cannot have one (damaged, too large) is remembered as such
// and not decoded again. The cache is not part of anyone's quota; SweepCache (the daily
// thumbnail-cache job) removes the thumbnails of contents deleted for good, so a closed
// account's pictures do not outlive it by more than a day, and keeps the cache under its size.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>

#include "core/files/file_service.h"
#include "util/result.h"

namespace nimbus::core::files {

struct ThumbnailLimits {
  std::uint64_t max_source_bytes = std::uint64_t{64} << 20;  // Larger files get none.
  std::uint64_t cache_bytes = std::uint64_t{1} << 30;        // TrimCache's bound.
  int concurrent = 2;  // Thumbnails made at the same time (each holds its file in memory).
};

// Thread-safe.
class Thumbnails {
 public:
  // The sizes a client may ask for: a list row's icon, a grid tile (both at 2× pixel density).
  static constexpr int kSmall = 64;
  static constexpr int kLarge = 256;

  Thumbnails(FileService& files, std::filesystem::path cache_dir, ThumbnailLimits limits);

  // Whether `file` can have a thumbnail by its name and size (JPEG or PNG, not too large).
  bool Eligible(const Node& file) const;

  // The thumbnail of `file` (a file the caller may read) no larger than `side` × `side`
  // (kSmall or kLarge) as JPEG bytes. kNotFound with a sentence when it has none: not a JPEG or
  // PNG picture, larger than max_source_bytes, damaged or too many pixels. Storage errors as
  // reading the file gives them (nothing is remembered then).
  net::awaitable<Result<std::string>> Get(const Node& file, int side);

  struct Swept {
    std::int64_t gone = 0;     // Thumbnails of contents deleted for good.
    std::int64_t trimmed = 0;  // Least recently used ones removed to bring the cache to size.
    std::uint64_t kept_bytes = 0;
  };
  // Removes the thumbnails of contents no longer stored (deleted for good) and half-written
  // files left by a crash, then, when the cache is over cache_bytes, the least recently made
  // or used thumbnails until it holds at most 90 % of it. Blocking.
  Result<Swept> SweepCache();

 private:
  // At most `concurrent` makers at once; the others wait their turn, first come first served.
  void Acquire(std::move_only_function<void(bool)> go);
  void Release();

  FileService& files_;
  std::filesystem::path dir_;
  ThumbnailLimits limits_;
  std::mutex mu_;
  int running_ = 0;                                          // Guarded by mu_.
  std::deque<std::move_only_function<void(bool)>> waiting_;  // Guarded by mu_.
  std::atomic<int> made_since_sweep_{0};
};

}  // namespace nimbus::core::files
