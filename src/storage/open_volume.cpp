// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/open_volume.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "storage/local/local_volume.h"
#include "storage/memory/memory_volume.h"
#include "util/run_blocking.h"

namespace nimbus::storage {

namespace {

// A disk opened before whose directory was missing or unmarked when the server started: every
// call fails with kIoError naming why, as a disk pulled while the server runs does (the mirror
// serves; the health probe fails it). Each probe looks again: once the disk is mounted back, it
// is opened (on the pool) and every call goes to it from then on, so that `nimbus admin disk heal`
// brings it back without a restart (QA pass 17b: heal said "marked healthy" and the next probe
// failed it again, for good, until a restart and a second heal).
class AbsentVolume final : public Volume {
 public:
  AbsentVolume(LocalVolumeOptions options, WorkerPool& pool, std::string why)
      : options_(std::move(options)), pool_(pool), why_(std::move(why)) {}
  const std::string& id() const override { return options_.id; }
  net::awaitable<Result<std::unique_ptr<BlobWriter>>> Create(const BlobId& id,
                                                             WriteCaching caching) override {
    if (auto v = Present()) co_return co_await v->Create(id, caching);
    co_return Gone();
  }
  net::awaitable<Result<void>> Get(const BlobId& id, ByteRange range, ByteSink& sink) override {
    if (auto v = Present()) co_return co_await v->Get(id, range, sink);
    co_return Gone();
  }
  net::awaitable<Result<BlobStat>> Stat(const BlobId& id) override {
    if (auto v = Present()) co_return co_await v->Stat(id);
    co_return Gone();
  }
  net::awaitable<Result<void>> Remove(const BlobId& id) override {
    if (auto v = Present()) co_return co_await v->Remove(id);
    co_return Gone();
  }
  net::awaitable<Result<void>> ForEach(BlobVisitor visit) override {
    if (auto v = Present()) co_return co_await v->ForEach(std::move(visit));
    co_return Gone();
  }
  net::awaitable<Result<void>> Probe() override {
    if (auto v = Present()) co_return co_await v->Probe();
    if (opening_.exchange(true)) co_return Gone();  // Another probe is looking already.
    LocalVolumeOptions options = options_;
    WorkerPool& pool = pool_;
    auto open = [options, &pool] { return LocalVolume::Open(options, pool); };
    auto opened = co_await RunBlocking(pool_, std::move(open));
    opening_ = false;
    if (!opened) {
      {
        std::lock_guard lock(mu_);
        why_ = opened.error().message;
      }
      co_return Gone();
    }
    spdlog::info("storage: disk {} is at {} again (its marker is there): opened", options_.id,
                 options_.root);
    std::shared_ptr<Volume> volume(std::move(*opened));
    {
      std::lock_guard lock(mu_);
      volume_ = volume;
    }
    co_return co_await volume->Probe();
  }
  net::awaitable<Result<VolumeSpace>> Space() override {
    if (auto v = Present()) co_return co_await v->Space();
    co_return Gone();
  }
  std::optional<std::chrono::seconds> BlobAge(const BlobId& id) override {
    if (auto v = Present()) return v->BlobAge(id);
    return std::nullopt;
  }

 private:
  std::shared_ptr<Volume> Present() const {
    std::lock_guard lock(mu_);
    return volume_;
  }
  std::unexpected<Error> Gone() const {
    std::lock_guard lock(mu_);
    return std::unexpected(Error{Errc::kIoError, why_});
  }

  const LocalVolumeOptions options_;
  WorkerPool& pool_;
  mutable std::mutex mu_;
  std::string why_;                 // mu_
  std::shared_ptr<Volume> volume_;  // mu_; set once, when the disk is found again.
  std::atomic<bool> opening_{false};
};

}  // namespace

Result<std::string> LocalPathOfUri(std::string_view id, std::string_view uri) {
  std::string_view path = uri.substr(5);
  if (path.starts_with("//")) {
    path.remove_prefix(2);  // file:///abs → /abs; file://host/abs is not supported.
    if (!path.starts_with("/")) {
      return Fail(Errc::kInvalidArgument, "disk {}: uri '{}' names a host; use file:/absolute/path",
                  id, uri);
    }
  }
  if (!path.starts_with("/")) {
    return Fail(Errc::kInvalidArgument,
                "disk {}: uri '{}' is not an absolute path (file:/abs/path)", id, uri);
  }
  return std::string(path);
}

Result<void> CheckVolumeUri(std::string_view id, std::string_view uri) {
  if (uri.starts_with("file:")) {
    if (auto path = LocalPathOfUri(id, uri); !path) return Fail(path.error());
    return {};
  }
  if (uri.starts_with("memory:") || uri.starts_with("s3://")) return {};
  return Fail(Errc::kInvalidArgument,
              "disk {}: unknown uri scheme in '{}' (want file:/absolute/path, "
              "file:relative/path inside the data directory, memory: or s3://bucket/prefix)",
              id, uri);
}

Result<std::unique_ptr<Volume>> OpenVolume(std::string_view id, std::string_view uri,
                                           std::uint64_t capacity_bytes, WorkerPool& pool,
                                           bool sweep_tmp, bool set_up_before,
                                           std::string_view installation) {
  if (auto bad = CheckVolumeUri(id, uri); !bad) return Fail(bad.error());
  if (uri.starts_with("file:")) {
    auto path = LocalPathOfUri(id, uri);
    if (!path) return Fail(path.error());
    LocalVolumeOptions options;
    options.id = std::string(id);
    options.root = std::move(*path);
    options.capacity_bytes = capacity_bytes;
    options.create_if_missing = true;
    options.sweep_tmp = sweep_tmp;
    options.set_up_before = set_up_before;
    options.installation = std::string(installation);
    auto volume = LocalVolume::Open(options, pool);
    if (!volume && set_up_before && volume.error().code == Errc::kNotFound) {
      spdlog::error("storage: {}", volume.error().message);
      return std::unique_ptr<Volume>(
          std::make_unique<AbsentVolume>(options, pool, volume.error().message));
    }
    if (!volume) return Fail(volume.error());
    return std::unique_ptr<Volume>(std::move(*volume));
  }
  if (uri.starts_with("memory:")) {
    return std::unique_ptr<Volume>(std::make_unique<MemoryVolume>(std::string(id), capacity_bytes));
  }
  return Fail(Errc::kUnavailable, "disk {}: S3 volumes come in a later release (uri '{}')", id,
              uri);
}

}  // namespace nimbus::storage
