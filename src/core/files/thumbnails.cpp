// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/files/thumbnails.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <vector>

#include "core/files/quota_tx.h"
#include "core/files/thumbnail_image.h"
#include "util/await_callback.h"
#include "util/run_blocking.h"

namespace nimbus::core::files {

namespace fs = std::filesystem;

namespace {

// A thumbnail used again is marked as recently used at most this often (one utimes per day).
constexpr auto kTouchEvery = std::chrono::hours(24);
// The cache is swept (and checked against its size) after this many new thumbnails, besides
// the daily job.
constexpr int kSweepEvery = 1024;
// A ".tmp" file this old is the leftover of a crash, not a thumbnail being written.
constexpr auto kLeftoverAge = std::chrono::hours(1);

// The file's bytes in memory (thumbnails only, bounded by max_source_bytes).
class MemorySink final : public storage::ByteSink {
 public:
  explicit MemorySink(std::size_t expected) { bytes_.reserve(expected); }
  net::awaitable<Result<void>> Write(std::span<const char> data) override {
    bytes_.insert(bytes_.end(), data.begin(), data.end());
    co_return Result<void>{};
  }
  std::vector<unsigned char>& bytes() { return bytes_; }

 private:
  std::vector<unsigned char> bytes_;
};

std::optional<std::string> ReadWhole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(out).str();
}

// Writes `bytes` to `path` through a temporary file and a rename: a reader never sees half a
// thumbnail. Not fsynced: a cache (a lost file is made again).
Result<void> WriteWhole(const fs::path& path, std::string_view bytes) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec)
    return Fail(Errc::kIoError, "cannot create {}: {}", path.parent_path().string(), ec.message());
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return Fail(Errc::kIoError, "cannot write {}", tmp.string());
  }
  fs::rename(tmp, path, ec);
  if (ec) return Fail(Errc::kIoError, "cannot rename {}: {}", tmp.string(), ec.message());
  return {};
}

std::string LowerExtension(std::string_view name) {
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  std::string ext(name.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

// A JPEG or PNG file by its name.
bool PictureName(std::string_view name) {
  static constexpr std::array<std::string_view, 5> kExtensions = {"jpg", "jpeg", "jpe", "jfif",
                                                                  "png"};
  const std::string ext = LowerExtension(name);
  return std::find(kExtensions.begin(), kExtensions.end(), ext) != kExtensions.end();
}

Error NoThumbnail(std::string sentence) { return Error{Errc::kNotFound, std::move(sentence)}; }

// Gives the slot back when the maker is done, however it ends.
struct SlotHeld {
  std::function<void()> release;
  ~SlotHeld() { release(); }
};

}  // namespace

Thumbnails::Thumbnails(FileService& files, fs::path cache_dir, ThumbnailLimits limits)
    : files_(files), dir_(std::move(cache_dir)), limits_(limits) {
  limits_.concurrent = std::max(limits_.concurrent, 1);
}

bool Thumbnails::Eligible(const Node& file) const {
  return file.is_file() && file.size > 0 &&
         static_cast<std::uint64_t>(file.size) <= limits_.max_source_bytes &&
         PictureName(file.name);
}

net::awaitable<Result<std::string>> Thumbnails::Get(const Node& file, int side) {
  if (!file.is_file()) co_return std::unexpected(NoThumbnail("A folder has no thumbnail."));
  if (!Eligible(file)) {
    if (file.size == 0 && PictureName(file.name)) {
      co_return std::unexpected(
          NoThumbnail(fmt::format("'{}' is empty: there is no picture to show.", file.name)));
    }
    if (static_cast<std::uint64_t>(file.size) > limits_.max_source_bytes &&
        PictureName(file.name)) {
      co_return std::unexpected(NoThumbnail(
          fmt::format("'{}' is too large for a thumbnail (pictures up to {} have one).", file.name,
                      HumanBytes(static_cast<std::int64_t>(limits_.max_source_bytes)))));
    }
    co_return std::unexpected(NoThumbnail(
        fmt::format("'{}' has no thumbnail: only JPEG and PNG pictures have one.", file.name)));
  }
  // By blob id: a new version (a new blob) has a new thumbnail, and the sweep can tell from
  // the blob catalog which thumbnails belong to contents deleted for good.
  if (file.blob_id.size() < 2) co_return std::unexpected(NoThumbnail("The file has no content."));
  const fs::path shard = dir_ / file.blob_id.substr(0, 2);
  const fs::path made = shard / fmt::format("{}-{}.jpg", file.blob_id, side);
  const fs::path refused = shard / (file.blob_id + ".none");
  WorkerPool& pool = files_.deps().workers;

  // A thumbnail made before, or the sentence of a file found to have none.
  std::function<std::optional<Result<std::string>>()> look =
      [&made, &refused]() -> std::optional<Result<std::string>> {
    if (auto bytes = ReadWhole(made)) {
      std::error_code ec;
      const auto now = fs::file_time_type::clock::now();
      const auto when = fs::last_write_time(made, ec);
      if (!ec && now - when > kTouchEvery) fs::last_write_time(made, now, ec);
      return Result<std::string>(std::move(*bytes));
    }
    if (auto why = ReadWhole(refused))
      return Result<std::string>(std::unexpected(NoThumbnail(*why)));
    return std::nullopt;
  };
  if (auto found = co_await RunBlocking(pool, look)) co_return std::move(*found);

  // Made here: wait for a slot (each maker holds a whole file in memory).
  std::move_only_function<void(std::move_only_function<void(bool)>)> wait =
      [this](std::move_only_function<void(bool)> go) { Acquire(std::move(go)); };
  co_await AwaitCallback<bool>(std::move(wait));
  SlotHeld slot{[this] { Release(); }};
  // Another request for the same picture may have made it while this one waited.
  if (auto found = co_await RunBlocking(pool, look)) co_return std::move(*found);

  MemorySink sink(static_cast<std::size_t>(file.size));
  if (auto read = co_await files_.ReadContent(
          file, storage::ByteRange{0, static_cast<std::uint64_t>(file.size)}, sink);
      !read) {
    co_return std::unexpected(std::move(read.error()));
  }
  std::function<Result<std::string>()> make = [this, &sink, side, &made, &refused,
                                               &file]() -> Result<std::string> {
    auto thumbnail = MakeThumbnail(sink.bytes(), ThumbnailOptions{.max_side = side});
    sink.bytes() = {};  // The file's bytes go before the cache is written.
    if (!thumbnail) {
      if (thumbnail.error().code != Errc::kInvalidArgument) return thumbnail;
      const std::string sentence =
          fmt::format("'{}' has no thumbnail: {}", file.name, thumbnail.error().message);
      if (auto kept = WriteWhole(refused, sentence); !kept) {
        spdlog::warn("thumbnail cache: {}", kept.error().message);
      }
      return std::unexpected(NoThumbnail(sentence));
    }
    if (auto kept = WriteWhole(made, *thumbnail); !kept) {
      spdlog::warn("thumbnail cache: {}", kept.error().message);
    }
    if (++made_since_sweep_ >= kSweepEvery) {
      made_since_sweep_ = 0;
      if (auto swept = SweepCache(); !swept) {
        spdlog::warn("thumbnail cache: {}", swept.error().message);
      }
    }
    return thumbnail;
  };
  co_return co_await RunBlocking(pool, make);
}

Result<Thumbnails::Swept> Thumbnails::SweepCache() {
  struct Entry {
    fs::file_time_type when;
    std::uint64_t size;
    fs::path path;
    std::string blob_id;
  };
  std::vector<Entry> entries;
  Swept swept;
  std::error_code ec;
  if (!fs::exists(dir_, ec)) return swept;
  const auto now = fs::file_time_type::clock::now();
  for (auto it = fs::recursive_directory_iterator(dir_, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::error_code entry_ec;
    if (!it->is_regular_file(entry_ec)) continue;
    const auto size = it->file_size(entry_ec);
    const auto when = it->last_write_time(entry_ec);
    if (entry_ec) continue;
    const std::string name = it->path().filename().string();
    if (name.ends_with(".tmp")) {
      if (now - when > kLeftoverAge && fs::remove(it->path(), entry_ec)) ++swept.gone;
      continue;
    }
    // "<blob id>-<size>.jpg" or "<blob id>.none".
    const std::string blob_id = name.substr(0, std::min(name.find('-'), name.find('.')));
    entries.push_back({when, size, it->path(), blob_id});
  }
  if (ec) return Fail(Errc::kIoError, "cannot list {}: {}", dir_.string(), ec.message());
  // Which contents are still stored.
  std::vector<bool> stored(entries.size(), true);
  auto checked = files_.deps().db.Read([&](db::Transaction& tx) -> Result<void> {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      auto row = tx.QueryOne("SELECT 1 FROM blobs WHERE id = ?", {entries[i].blob_id});
      if (!row) return std::unexpected(std::move(row.error()));
      stored[i] = row->has_value();
    }
    return {};
  });
  if (!checked) return std::unexpected(std::move(checked.error()));
  std::vector<Entry> kept;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!stored[i]) {
      if (fs::remove(entries[i].path, ec)) ++swept.gone;
      continue;
    }
    total += entries[i].size;
    kept.push_back(std::move(entries[i]));
  }
  if (total > limits_.cache_bytes) {
    std::sort(kept.begin(), kept.end(),
              [](const Entry& a, const Entry& b) { return a.when < b.when; });
    const std::uint64_t target = limits_.cache_bytes / 10 * 9;
    for (const Entry& e : kept) {
      if (total <= target) break;
      if (fs::remove(e.path, ec)) {
        total -= e.size;
        ++swept.trimmed;
      }
    }
  }
  swept.kept_bytes = total;
  if (swept.gone > 0 || swept.trimmed > 0) {
    spdlog::info("thumbnail cache: {} of deleted files and {} least recently used removed",
                 swept.gone, swept.trimmed);
  }
  return swept;
}

void Thumbnails::Acquire(std::move_only_function<void(bool)> go) {
  {
    std::lock_guard lock(mu_);
    if (running_ >= limits_.concurrent) {
      waiting_.push_back(std::move(go));
      return;
    }
    ++running_;
  }
  go(true);
}

void Thumbnails::Release() {
  std::move_only_function<void(bool)> next;
  {
    std::lock_guard lock(mu_);
    if (waiting_.empty()) {
      --running_;
      return;
    }
    next = std::move(waiting_.front());
    waiting_.pop_front();
  }
  next(true);  // The slot passes on.
}

}  // namespace nimbus::core::files
