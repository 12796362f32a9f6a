// SPDX-License-Identifier: AGPL-3.0-or-later
// The BlobWriter of LocalVolume: a blob under 64 KiB is a row of small.sqlite, written at Commit
// (small_blobs.h). Else a temp file in tmp/ (created at the first full block, or at Commit for a
// blob under one block: a small blob costs one trip to the WorkerPool), one pwrite
// (+ XXH3) per 1 MiB block on the WorkerPool, footer, fdatasync, rename into blobs/ab/cd/, fsync
// of the directory (and of its parent when the directory was new). A whole block handed over in
// a page-aligned buffer is written with O_DIRECT (see WriteAt), the rest through the page cache.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "storage/local/blob_format.h"
#include "storage/local/local_volume.h"
#include "storage/local/posix_file.h"
#include "storage/local/small_blobs.h"
#include "util/await_callback.h"
#include "util/run_blocking.h"

namespace nimbus::storage::local {
namespace {

constexpr std::uint64_t kWritebackBytes = 8 << 20;
// O_DIRECT needs the buffer, the offset and the length aligned to the device's logical block
// size; 4 KiB covers every device we run on (512 and 4096).
constexpr std::uintptr_t kDirectAlign = 4096;

bool DirectEligible(std::span<const char> block, std::uint64_t offset) {
  return block.size() == kBlockSize && offset % kDirectAlign == 0 &&
         reinterpret_cast<std::uintptr_t>(block.data()) % kDirectAlign == 0;
}

class LocalBlobWriter final : public BlobWriter {
 public:
  LocalBlobWriter(LocalVolume& volume, BlobId id, std::string tmp_path, WriteCaching caching)
      : volume_(volume),
        id_(std::move(id)),
        tmp_path_(std::move(tmp_path)),
        direct_ok_(caching == WriteCaching::kBypass) {}

  ~LocalBlobWriter() override { Discard(); }

  net::awaitable<Result<void>> Append(std::span<const char> data) override {
    if (auto e = Usable()) co_return Fail(*e);
    while (!data.empty()) {
      if (buf_.empty() && data.size() >= kBlockSize) {
        // Whole blocks straight from the caller's buffer (it stays valid while we wait).
        auto ok = co_await WriteBlock(data.first(kBlockSize));
        if (!ok) co_return ok;
        data = data.subspan(kBlockSize);
        continue;
      }
      std::size_t n = std::min(kBlockSize - buf_.size(), data.size());
      buf_.insert(buf_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
      data = data.subspan(n);
      if (buf_.size() == kBlockSize) {
        auto ok = co_await WriteBlock(buf_);
        if (!ok) co_return ok;
        buf_.clear();
      }
    }
    co_return Result<void>{};
  }

  net::awaitable<Result<void>> AppendBlock(std::span<const char> block, std::uint64_t checksum) override {
    if (!buf_.empty() || block.size() != kBlockSize || written_ % kBlockSize != 0) co_return co_await Append(block);
    if (auto e = Usable()) co_return Fail(*e);
    co_return co_await WriteBlock(block, checksum);
  }

  net::awaitable<Result<std::uint64_t>> Commit() override {
    if (auto e = Usable()) co_return Fail(*e);
    Result<void> ok;
    if (!opened_ && buf_.size() <= kSmallBlobMax) {
      ok = co_await CommitSmall();
    } else {
      auto fn = [this]() { return CommitBlocking(); };
      ok = co_await RunBlocking(volume_.pool(), std::move(fn));
    }
    if (!ok) {
      failed_ = true;
      co_return Fail(ok.error());
    }
    done_ = true;
    co_return written_;
  }

  net::awaitable<void> Abort() override {
    if (!opened_ || (!fd_.valid() && done_)) {  // No temp file was made: nothing to remove.
      done_ = true;
      co_return;
    }
    auto fn = [this]() { Discard(); };
    co_await RunBlocking(volume_.pool(), std::move(fn));
  }

 private:
  std::optional<Error> Usable() const {
    if (done_ || (opened_ && !fd_.valid())) {
      return Error{Errc::kInternal, fmt::format("disk {}: blob {}: writer already finished", volume_.id(), id_.str())};
    }
    if (failed_) {
      return Error{Errc::kIoError, fmt::format("disk {}: blob {}: writer failed earlier; abort it", volume_.id(), id_.str())};
    }
    return std::nullopt;
  }

  // Writes one whole block at the end of the data, with its checksum when the caller has it.
  net::awaitable<Result<void>> WriteBlock(std::span<const char> block, std::optional<std::uint64_t> checksum = std::nullopt) {
    auto fn = [this, block, checksum]() -> Result<void> {
      if (auto opened = OpenTemp(); !opened) return opened;
      std::uint64_t sum = checksum ? *checksum : BlockChecksum(block);
      if (int e = WriteAt(block, written_)) {
        return Fail(IoError(volume_.id(), fmt::format("pwrite blob {} ({})", id_.str(), tmp_path_), e));
      }
      sums_.push_back(sum);
      written_ += block.size();
      StartWriteback();
      return {};
    };
    auto ok = co_await RunBlocking(volume_.pool(), std::move(fn));
    if (!ok) failed_ = true;
    co_return ok;
  }

  // Creates the temp file on first use (blocking; idempotent). Locked until renamed or removed,
  // so another process's tmp/ sweep leaves it alone.
  Result<void> OpenTemp() {
    if (opened_) return {};
    opened_ = true;
    fd_ = UniqueFd(::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
    if (!fd_.valid()) return Fail(IoError(volume_.id(), "create " + tmp_path_, errno));
    if (int e = TryLock(fd_.get())) {
      fd_.Reset();
      ::unlink(tmp_path_.c_str());
      return Fail(IoError(volume_.id(), "lock " + tmp_path_, e));
    }
    return {};
  }

  Result<void> CommitBlocking() {
    const std::string& disk = volume_.id();
    // Not also a small blob of the same id (ids are unique; a second write of one is a repair).
    auto small = volume_.small_blobs().Size(id_);
    if (!small) return Fail(small.error());
    if (*small) return Fail(Taken());
    if (auto opened = OpenTemp(); !opened) return opened;
    if (!buf_.empty()) {
      sums_.push_back(BlockChecksum(buf_));
      if (int e = WriteAt(buf_, written_)) {
        return Fail(IoError(disk, fmt::format("pwrite blob {} ({})", id_.str(), tmp_path_), e));
      }
      written_ += buf_.size();
      buf_.clear();
    }
    std::string footer = EncodeFooter(sums_, written_, kBlockSize);
    if (int e = WriteAt(footer, written_)) {
      return Fail(IoError(disk, fmt::format("pwrite footer of blob {} ({})", id_.str(), tmp_path_), e));
    }
    if (::fdatasync(fd_.get()) != 0) {
      return Fail(IoError(disk, fmt::format("fdatasync blob {} ({})", id_.str(), tmp_path_), errno));
    }
    if (int e = fd_.Close()) return Fail(IoError(disk, fmt::format("close blob {} ({})", id_.str(), tmp_path_), e));

    const std::string& s = id_.str();
    std::string d1 = volume_.root() + "/blobs/" + s.substr(0, 2);
    std::string d2 = d1 + "/" + s.substr(2, 2);
    std::string final_path = d2 + "/" + s;
    std::lock_guard lock(volume_.commit_mutex());
    struct stat st {};
    if (::stat(final_path.c_str(), &st) == 0) {
      return Fail(Taken());
    }
    bool created = false;
    if (int e = MakeDir(d1, &created)) return Fail(IoError(disk, "mkdir " + d1, e));
    if (created) {
      if (int e = FsyncDir(volume_.root() + "/blobs")) return Fail(IoError(disk, "fsync blobs/", e));
    }
    if (int e = MakeDir(d2, &created)) return Fail(IoError(disk, "mkdir " + d2, e));
    if (created) {
      if (int e = FsyncDir(d1)) return Fail(IoError(disk, "fsync " + d1, e));
    }
    if (::rename(tmp_path_.c_str(), final_path.c_str()) != 0) {
      return Fail(IoError(disk, fmt::format("rename blob {} into place", s), errno));
    }
    if (int e = FsyncDir(d2)) {
      // Not durable: take it back so that nothing is visible after a failed Commit.
      ::unlink(final_path.c_str());
      return Fail(IoError(disk, fmt::format("fsync directory of blob {}", s), e));
    }
    volume_.AddUsed(static_cast<std::int64_t>(BlobFileSize(written_, kBlockSize)));
    return {};
  }

  // kNameTaken: a blob with this id is on the disk already (a file or a row).
  Error Taken() const {
    return Error{Errc::kNameTaken,
                 fmt::format("disk {}: blob {} already exists", volume_.id(), id_.str())};
  }

  // A blob whole in buf_ and under kSmallBlobMax becomes a row of small.sqlite (durable when
  // it completes), committed with the other small blobs of the disk that finish at the same
  // time, instead of a file: no temp file was made. Not if a file of the same id exists.
  net::awaitable<Result<void>> CommitSmall() {
    auto no_file = [this]() -> Result<void> {
      struct stat st {};
      if (::stat(volume_.BlobPath(id_).c_str(), &st) == 0) return Fail(Taken());
      return {};
    };
    auto start = [&](db::GroupCommitter::Done done) {
      volume_.small_blobs().PutAsync(id_, buf_, BlockChecksum(buf_), no_file, std::move(done));
    };
    auto put = co_await AwaitCallback<Result<void>>(std::move(start));
    if (!put) co_return put;
    written_ = buf_.size();
    buf_.clear();
    volume_.AddUsed(static_cast<std::int64_t>(written_));
    co_return Result<void>{};
  }

  // Writes `data` at `offset` (blocking). Unless the blob was created with
  // WriteCaching::kKeepForReads, a whole 1 MiB block in a page-aligned buffer goes with O_DIRECT:
  // on a 2-core machine copying every block into the page cache and writing it back later is a
  // large share of the CPU time of a large write, and the CPU is shared with the network.
  // Everything else (the last, shorter block, the footer, blocks from unaligned buffers) goes
  // through the page cache. O_DIRECT is a file status flag, toggled
  // with fcntl only when the kind of write changes; one writer's writes never overlap in time.
  // Where O_DIRECT is refused (EINVAL: a file system without it, or an alignment the device
  // wants larger), the block is written through the page cache and O_DIRECT is not tried again
  // for this blob. Durability is unchanged: Commit still fdatasyncs (allocation metadata and the
  // device's write cache). The price: those blocks are not in the page cache afterwards, so the
  // first read comes from the disk (which is why uploads keep their blocks on the side that
  // serves reads: WriteCaching). Returns 0 or the errno.
  int WriteAt(std::span<const char> data, std::uint64_t offset) {
    const bool want_direct = direct_ok_ && DirectEligible(data, offset);
    if (want_direct != direct_on_ && !SetDirect(want_direct)) direct_ok_ = false;
    int e = PwriteAll(fd_.get(), data, offset);
    if (e == EINVAL && direct_on_) {
      direct_ok_ = false;
      if (!SetDirect(false)) return EINVAL;
      e = PwriteAll(fd_.get(), data, offset);
    }
    return e;
  }

  // Sets or clears O_DIRECT on fd_; false (and direct_on_ unchanged) if fcntl refused.
  bool SetDirect(bool on) {
    int flags = ::fcntl(fd_.get(), F_GETFL);
    if (flags < 0) return false;
    flags = on ? (flags | O_DIRECT) : (flags & ~O_DIRECT);
    if (::fcntl(fd_.get(), F_SETFL, flags) != 0) return false;
    direct_on_ = on;
    return true;
  }

  // Starts the disk writes of what was appended since the last call once it is kWritebackBytes,
  // without waiting for them: by Commit's fdatasync most of a large blob is already on its way
  // to the disk instead of all of it being flushed at the end. Errors surface at fdatasync.
  void StartWriteback() {
    if (written_ - writeback_from_ < kWritebackBytes) return;
    (void)::sync_file_range(fd_.get(), static_cast<off_t>(writeback_from_),
                            static_cast<off_t>(written_ - writeback_from_), SYNC_FILE_RANGE_WRITE);
    writeback_from_ = written_;
  }

  // Closes and unlinks the temp file (blocking, idempotent).
  void Discard() {
    if ((done_ && !fd_.valid()) || !opened_) {
      done_ = true;
      return;
    }
    fd_.Reset();
    ::unlink(tmp_path_.c_str());  // ENOENT after a rename that happened: fine.
    done_ = true;
  }

  LocalVolume& volume_;
  BlobId id_;
  std::string tmp_path_;
  UniqueFd fd_;
  std::vector<char> buf_;
  std::vector<std::uint64_t> sums_;
  std::uint64_t written_ = 0;
  std::uint64_t writeback_from_ = 0;  // Appended bytes before this offset had writeback started.
  bool opened_ = false;  // OpenTemp ran (the temp file may exist).
  bool direct_on_ = false;  // fd_ has O_DIRECT set.
  bool direct_ok_ = true;   // O_DIRECT is wanted (kBypass) and has not been refused for this file.
  bool failed_ = false;
  bool done_ = false;
};

}  // namespace

Result<std::unique_ptr<BlobWriter>> NewLocalWriter(LocalVolume& volume, const BlobId& id,
                                                   WriteCaching caching) {
  std::string tmp = fmt::format("{}/tmp/{}.{}.part", volume.root(), id.str(), BlobId::Random().str().substr(0, 8));
  std::unique_ptr<BlobWriter> writer =
      std::make_unique<LocalBlobWriter>(volume, id, std::move(tmp), caching);
  return writer;
}

}  // namespace nimbus::storage::local
