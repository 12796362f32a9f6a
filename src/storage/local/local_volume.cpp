// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/local/local_volume.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <vector>

#include "storage/local/blob_format.h"
#include "storage/local/disk_root.h"
#include "storage/local/posix_file.h"
#include "storage/local/small_blobs.h"
#include "util/await_callback.h"
#include "util/run_blocking.h"

namespace nimbus::storage {
namespace {

using local::UniqueFd;
using namespace net::experimental::awaitable_operators;

// An open blob file with its verified footer.
struct OpenBlob {
  UniqueFd fd;
  local::BlobTrailer trailer;
  std::vector<std::uint64_t> sums;
};

// Blocks Get reads per trip to the pool. Two halve the trips and sends of one; more did not
// help (bench/results/2026-11-26-files-7.md).
constexpr std::uint64_t kReadBlocks = 2;
// Small blobs listed per trip to the pool by ForEach.
constexpr int kListPage = 4096;
// A disk whose small blobs were not used for this long closes small.sqlite at its next probe.
constexpr std::chrono::seconds kSmallBlobsIdle{2};

bool IsHexPair(const std::string& name) {
  return name.size() == 2 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

LocalVolume::LocalVolume(const LocalVolumeOptions& options, WorkerPool& pool)
    : id_(options.id), root_(options.root), capacity_(options.capacity_bytes), pool_(pool) {}

LocalVolume::~LocalVolume() = default;

Result<std::unique_ptr<LocalVolume>> LocalVolume::Open(const LocalVolumeOptions& options,
                                                       WorkerPool& pool) {
  if (options.id.empty()) return Fail(Errc::kInvalidArgument, "local disk without an id");
  if (options.root.empty() || options.root.front() != '/') {
    return Fail(Errc::kInvalidArgument, "disk {}: root '{}' is not an absolute path", options.id,
                options.root);
  }
  LocalVolumeOptions opts = options;
  while (opts.root.size() > 1 && opts.root.back() == '/') opts.root.pop_back();
  auto state = local::PrepareRoot(opts.id, opts.root, opts.create_if_missing, opts.sweep_tmp,
                                  opts.set_up_before, opts.installation);
  if (!state) return Fail(state.error());
  auto small = local::SmallBlobs::Open(opts.id, opts.root, pool);
  if (!small) return Fail(small.error());
  std::unique_ptr<LocalVolume> volume(new LocalVolume(opts, pool));
  volume->small_ = std::move(*small);
  volume->used_bytes_ = state->used_bytes + volume->small_->bytes_at_open();
  volume->swept_at_open_ = state->swept_tmp_files;
  return volume;
}

std::string LocalVolume::BlobPath(const BlobId& id) const {
  const std::string& s = id.str();
  return fmt::format("{}/blobs/{}/{}/{}", root_, s.substr(0, 2), s.substr(2, 2), s);
}

net::awaitable<Result<std::unique_ptr<BlobWriter>>> LocalVolume::Create(const BlobId& id,
                                                                        WriteCaching caching) {
  // No I/O here (the temp file is made by the writer on the pool): no trip to the pool.
  co_return local::NewLocalWriter(*this, id, caching);
}

namespace {

// Opens blob `path` and reads its trailer (and, with `with_sums`, its verified block checksums).
Result<OpenBlob> OpenBlobFile(const std::string& disk, const BlobId& id, const std::string& path,
                              bool with_sums) {
  OpenBlob out;
  out.fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!out.fd.valid()) {
    if (errno == ENOENT) return Fail(Errc::kNotFound, "disk {}: blob {} not found", disk, id.str());
    return Fail(local::IoError(disk, fmt::format("open blob {}", id.str()), errno));
  }
  struct stat st {};
  if (::fstat(out.fd.get(), &st) != 0)
    return Fail(local::IoError(disk, fmt::format("fstat blob {}", id.str()), errno));
  auto file_size = static_cast<std::uint64_t>(st.st_size);
  char trailer[local::kTrailerSize] = {};
  if (file_size >= local::kTrailerSize) {
    int e = local::PreadAll(out.fd.get(), trailer, file_size - local::kTrailerSize);
    if (e != 0)
      return Fail(local::IoError(disk, fmt::format("read footer of blob {}", id.str()), e));
  }
  auto decoded = local::DecodeTrailer(trailer, file_size, kBlockSize);
  if (!decoded) {
    return Fail(Errc::kChecksumMismatch, "disk {}: blob {}: {}", disk, id.str(),
                decoded.error().message);
  }
  out.trailer = *decoded;
  if (with_sums) {
    std::vector<char> encoded(out.trailer.block_count * 8);
    int e = local::PreadAll(out.fd.get(), encoded, out.trailer.logical_size);
    if (e != 0)
      return Fail(local::IoError(disk, fmt::format("read footer of blob {}", id.str()), e));
    auto sums = local::DecodeSums(encoded, out.trailer);
    if (!sums)
      return Fail(Errc::kChecksumMismatch, "disk {}: blob {}: {}", disk, id.str(),
                  sums.error().message);
    out.sums = std::move(*sums);
  }
  return out;
}

// When small.sqlite could not be asked (`small_error`: a disk gone, or read-only and closed): the
// blob's file if there is one (an id is never both a row and a file), else that error, not
// kNotFound, since the blob may be a row.
Result<OpenBlob> OrFile(const Error& small_error, Result<OpenBlob> file) {
  if (file || file.error().code != Errc::kNotFound) return file;
  return Fail(small_error);
}

// kInvalidArgument when `range` starts past the end of a blob of `size` bytes.
Result<void> CheckRangeStart(const std::string& disk, const BlobId& id, const ByteRange& range,
                             std::uint64_t size) {
  if (range.offset <= size) return {};
  return Fail(Errc::kInvalidArgument, "disk {}: blob {}: range starts at {}, past its end ({})",
              disk, id.str(), range.offset, size);
}

std::uint64_t RangeEnd(const ByteRange& range, std::uint64_t size) {
  return range.length ? std::min(size, range.offset + *range.length) : size;
}

// Reads blocks [first, first + count) of `blob` (fewer at its end) into `out` on the pool and
// checks each against its checksum.
net::awaitable<Result<void>> ReadBlocks(WorkerPool& pool, const std::string& disk,
                                        const OpenBlob& blob, const BlobId& id, std::uint64_t first,
                                        std::uint64_t count, std::vector<char>& out) {
  const std::uint64_t size = blob.trailer.logical_size;
  const std::uint64_t start = first * kBlockSize;
  out.resize(static_cast<std::size_t>(std::min<std::uint64_t>(count * kBlockSize, size - start)));
  auto read_fn = [&disk, &id, &blob, &out, first, start]() -> Result<void> {
    if (int e = local::PreadAll(blob.fd.get(), out, start)) {
      return Fail(
          local::IoError(disk, fmt::format("read block {} of blob {}", first, id.str()), e));
    }
    for (std::size_t at = 0; at < out.size(); at += kBlockSize) {
      std::span<const char> block(out.data() + at, std::min(kBlockSize, out.size() - at));
      if (BlockChecksum(block) != blob.sums[first + at / kBlockSize]) {
        return Fail(Errc::kChecksumMismatch,
                    "disk {}: blob {}: block {} does not match its checksum", disk, id.str(),
                    first + at / kBlockSize);
      }
    }
    return {};
  };
  co_return co_await RunBlocking(pool, std::move(read_fn));
}

}  // namespace

net::awaitable<Result<void>> LocalVolume::Get(const BlobId& id, ByteRange range, ByteSink& sink) {
  std::string path = BlobPath(id);
  // A small blob (one row, checked against its checksum) or else the blob's file: one trip.
  std::optional<std::vector<char>> small;
  auto open_fn = [this, &id, &path, &small]() -> Result<OpenBlob> {
    auto row = small_->Get(id);
    if (!row) return OrFile(row.error(), OpenBlobFile(id_, id, path, true));
    if (*row) {
      small = std::move(*row);
      return OpenBlob{};
    }
    return OpenBlobFile(id_, id, path, true);
  };
  auto blob = co_await RunBlocking(pool_, std::move(open_fn));
  if (!blob) co_return Fail(blob.error());
  if (small) {
    if (auto ok = CheckRangeStart(id_, id, range, small->size()); !ok) co_return ok;
    const std::uint64_t end = RangeEnd(range, small->size());
    if (range.offset == end) co_return Result<void>{};
    co_return co_await sink.Write(
        std::span<const char>(small->data() + range.offset, end - range.offset));
  }
  const std::uint64_t size = blob->trailer.logical_size;
  if (auto ok = CheckRangeStart(id_, id, range, size); !ok) co_return ok;
  const std::uint64_t end = RangeEnd(range, size);
  if (range.offset == end) co_return Result<void>{};
  // The next blocks are read (on the pool) while these are sent.
  const std::uint64_t end_block = (end + kBlockSize - 1) / kBlockSize;  // Past the range's last.
  auto count = [end_block](std::uint64_t first) {
    return std::min(kReadBlocks, end_block - first);
  };
  std::vector<char> cur;
  std::vector<char> next;
  std::uint64_t pos = range.offset;
  std::uint64_t first = pos / kBlockSize;
  auto ok = co_await ReadBlocks(pool_, id_, *blob, id, first, count(first), cur);
  if (!ok) co_return ok;
  for (;;) {
    const std::uint64_t start = first * kBlockSize;
    const std::uint64_t stop = std::min<std::uint64_t>(end, start + cur.size());
    std::span<const char> part(cur.data() + (pos - start), stop - pos);
    if (stop >= end) co_return co_await sink.Write(part);
    const std::uint64_t after = first + (cur.size() + kBlockSize - 1) / kBlockSize;
    auto [sent, read] =
        co_await (sink.Write(part) && ReadBlocks(pool_, id_, *blob, id, after, count(after), next));
    if (!sent) co_return sent;
    if (!read) co_return read;
    pos = stop;
    first = after;
    std::swap(cur, next);
  }
}

net::awaitable<Result<BlobStat>> LocalVolume::Stat(const BlobId& id) {
  std::string path = BlobPath(id);
  auto fn = [this, &id, &path]() -> Result<BlobStat> {
    auto small = small_->Size(id);
    if (small && *small) return BlobStat{**small};
    auto blob = OpenBlobFile(id_, id, path, false);
    if (!small) blob = OrFile(small.error(), std::move(blob));
    if (!blob) return Fail(blob.error());
    return BlobStat{blob->trailer.logical_size};
  };
  co_return co_await RunBlocking(pool_, std::move(fn));
}

net::awaitable<Result<void>> LocalVolume::Remove(const BlobId& id) {
  // A row of small.sqlite first, removed with the others of the moment (one commit).
  using Removed = Result<std::optional<std::uint64_t>>;
  auto start = [this, &id](local::SmallBlobs::RemoveDone done) {
    small_->RemoveAsync(id, std::move(done));
  };
  Removed small = co_await AwaitCallback<Removed>(std::move(start));
  if (small && *small) {
    used_bytes_ -= std::min(used_bytes_.load(), **small);
    co_return Result<void>{};
  }
  std::string path = BlobPath(id);
  auto fn = [this, &id, &path, &small]() -> Result<void> {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      // Not a file either: absent, unless small.sqlite could not be asked.
      if (!small) return Fail(small.error());
      return Fail(local::IoError(id_, fmt::format("remove blob {}", id.str()), errno, true));
    }
    if (::unlink(path.c_str()) != 0) {
      return Fail(local::IoError(id_, fmt::format("remove blob {}", id.str()), errno, true));
    }
    used_bytes_ -=
        std::min<std::uint64_t>(used_bytes_.load(), static_cast<std::uint64_t>(st.st_size));
    std::string dir = path.substr(0, path.rfind('/'));
    if (int e = local::FsyncDir(dir)) {
      return Fail(
          local::IoError(id_, fmt::format("fsync directory of removed blob {}", id.str()), e));
    }
    return {};
  };
  co_return co_await RunBlocking(pool_, std::move(fn));
}

net::awaitable<Result<void>> LocalVolume::ForEach(BlobVisitor visit) {
  namespace fs = std::filesystem;
  using Batch = std::vector<std::pair<BlobId, std::uint64_t>>;
  auto top_fn = [this]() -> Result<std::vector<std::string>> {
    std::vector<std::string> dirs;
    std::error_code ec;
    for (fs::directory_iterator it(root_ + "/blobs", ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (IsHexPair(name)) dirs.push_back(name);
    }
    if (ec) return Fail(Errc::kIoError, "disk {}: listing blobs/: {}", id_, ec.message());
    return dirs;
  };
  // The small blobs first, a page at a time.
  for (std::string after;;) {
    auto page_fn = [this, &after]() { return small_->List(after, kListPage); };
    auto page = co_await RunBlocking(pool_, std::move(page_fn));
    if (!page) co_return Fail(page.error());
    for (const auto& [id, size] : *page) {
      auto ok = visit(id, size);
      if (!ok) co_return ok;
    }
    if (page->size() < static_cast<std::size_t>(kListPage)) break;
    after = page->back().first.str();
  }
  auto tops = co_await RunBlocking(pool_, std::move(top_fn));
  if (!tops) co_return Fail(tops.error());
  for (const std::string& top : *tops) {
    auto batch_fn = [this, &top]() -> Result<Batch> {
      Batch batch;
      std::error_code ec;
      for (fs::directory_iterator d2(root_ + "/blobs/" + top, ec), end; !ec && d2 != end;
           d2.increment(ec)) {
        std::string mid = d2->path().filename().string();
        if (!IsHexPair(mid)) continue;
        std::error_code ec3;
        for (fs::directory_iterator f(d2->path(), ec3), e3; !ec3 && f != e3; f.increment(ec3)) {
          auto id = BlobId::Parse(f->path().filename().string());
          if (!id || id->str().substr(0, 2) != top || id->str().substr(2, 2) != mid) continue;
          auto blob = OpenBlobFile(id_, *id, f->path().string(), false);
          if (!blob && blob.error().code == Errc::kNotFound) continue;  // Removed meanwhile.
          batch.emplace_back(*id, blob ? blob->trailer.logical_size : 0);
        }
        if (ec3)
          return Fail(Errc::kIoError, "disk {}: listing {}: {}", id_, d2->path().string(),
                      ec3.message());
      }
      if (ec) return Fail(Errc::kIoError, "disk {}: listing blobs/{}: {}", id_, top, ec.message());
      return batch;
    };
    auto batch = co_await RunBlocking(pool_, std::move(batch_fn));
    if (!batch) co_return Fail(batch.error());
    for (const auto& [id, size] : *batch) {
      auto ok = visit(id, size);
      if (!ok) co_return ok;
    }
  }
  co_return Result<void>{};
}

net::awaitable<Result<void>> LocalVolume::Probe() {
  // A full file system (ENOSPC, EDQUOT) is not a broken disk: its files still read, and deleting
  // them makes room. The write steps then pass; the directory checks still run (QA pass 17: both
  // disks of a pair filled together, were failed by the health job, and every file of their
  // users answered 503 until the operator grew the file system offline).
  bool full = false;
  auto failed = [&full](int err) {
    if (err == ENOSPC || err == EDQUOT) full = true;
    return !full;
  };
  auto probe = [this, &failed]() -> Result<void> {
    std::string path = fmt::format("{}/tmp/probe-{}", root_, BlobId::Random().str().substr(0, 12));
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
    Result<void> result;
    if (!fd.valid()) {
      if (failed(errno)) return Fail(local::IoError(id_, "probe: create " + path, errno));
    } else {
      local::TryLock(fd.get());  // Keeps another process's tmp/ sweep away from a live probe.
      std::string data = fmt::format("nimbus probe {} {}\n", id_, BlobId::Random().str());
      data.resize(4096, '.');
      std::string back(data.size(), '\0');
      if (int e = local::PwriteAll(fd.get(), data, 0)) {
        if (failed(e)) result = Fail(local::IoError(id_, "probe: pwrite", e));
      } else if (::fdatasync(fd.get()) != 0) {
        if (failed(errno)) result = Fail(local::IoError(id_, "probe: fdatasync", errno));
      } else if (int e2 = local::PreadAll(fd.get(), back, 0)) {
        result = Fail(local::IoError(id_, "probe: pread", e2));
      } else if (back != data) {
        result =
            Fail(Errc::kIoError, "disk {}: probe: read back different bytes than written", id_);
      }
      int close_err = fd.Close();
      if (::unlink(path.c_str()) != 0 && result)
        result = Fail(local::IoError(id_, "probe: unlink", errno));
      if (close_err != 0 && result && failed(close_err))
        result = Fail(local::IoError(id_, "probe: close", close_err));
    }
    // The directory must still be this disk (another disk's directory moved to its path, or an
    // empty one mounted there, takes writes that nobody finds later), with its small blobs.
    if (result) {
      auto marker = local::ReadMarkerId(root_);
      if (!marker || *marker != id_) {
        result = Fail(Errc::kIoError, "disk {}: {} no longer holds this disk (its marker is {})",
                      id_, root_, marker ? "disk " + *marker + "'s" : "gone");
      } else if (auto small = small_->Check(); !small) {
        result = small;
      }
    }
    return result;
  };
  auto fn = [this, &probe, &full]() -> Result<void> {
    Result<void> result = probe();
    // The health job probes every disk each round: an idle disk lets go of small.sqlite here,
    // so that it can be unmounted while the server runs; a disk that failed its probe (at any
    // step: a read-only file system fails at the first) at once. Not a full one: opening
    // small.sqlite again needs room for its WAL, and its small blobs would no longer read.
    if (!full) small_->CloseIfIdle(result ? kSmallBlobsIdle : std::chrono::milliseconds(0));
    return result;
  };
  co_return co_await RunBlocking(pool_, std::move(fn));
}

std::optional<std::chrono::seconds> LocalVolume::BlobAge(const BlobId& id) {
  struct stat st {};
  if (::stat(BlobPath(id).c_str(), &st) == 0) {
    const auto modified = std::chrono::system_clock::from_time_t(st.st_mtime);
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() -
                                                            modified);
  }
  if (errno != ENOENT) return std::nullopt;
  auto age = small_->Age(id);
  return age ? *age : std::nullopt;
}

net::awaitable<Result<VolumeSpace>> LocalVolume::Space() {
  auto fn = [this]() -> Result<VolumeSpace> {
    struct statvfs vfs {};
    if (::statvfs(root_.c_str(), &vfs) != 0)
      return Fail(local::IoError(id_, "statvfs " + root_, errno));
    std::uint64_t fs_total = static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize;
    std::uint64_t fs_free = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    if (capacity_ == 0) return VolumeSpace{fs_total, fs_free};
    std::uint64_t used = std::min(capacity_, used_bytes_.load());
    return VolumeSpace{capacity_, std::min(capacity_ - used, fs_free)};
  };
  co_return co_await RunBlocking(pool_, std::move(fn));
}

}  // namespace nimbus::storage
