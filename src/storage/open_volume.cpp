// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/open_volume.h"

#include <spdlog/spdlog.h>

#include <string>

#include "storage/local/local_volume.h"
#include "storage/memory/memory_volume.h"

namespace nimbus::storage {

namespace {

// A disk opened before whose directory is now missing or unmarked: every call fails with kIoError
// naming why, as a disk pulled while the server runs does (the mirror serves; the health probe
// fails it).
class AbsentVolume final : public Volume {
 public:
  AbsentVolume(std::string id, std::string why) : id_(std::move(id)), why_(std::move(why)) {}
  const std::string& id() const override { return id_; }
  net::awaitable<Result<std::unique_ptr<BlobWriter>>> Create(const BlobId&, WriteCaching) override {
    co_return Gone();
  }
  net::awaitable<Result<void>> Get(const BlobId&, ByteRange, ByteSink&) override {
    co_return Gone();
  }
  net::awaitable<Result<BlobStat>> Stat(const BlobId&) override { co_return Gone(); }
  net::awaitable<Result<void>> Remove(const BlobId&) override { co_return Gone(); }
  net::awaitable<Result<void>> ForEach(BlobVisitor) override { co_return Gone(); }
  net::awaitable<Result<void>> Probe() override { co_return Gone(); }
  net::awaitable<Result<VolumeSpace>> Space() override { co_return Gone(); }

 private:
  std::unexpected<Error> Gone() const { return std::unexpected(Error{Errc::kIoError, why_}); }

  std::string id_;
  std::string why_;
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
              "disk {}: unknown uri scheme in '{}' (want file:/absolute/path, memory: or "
              "s3://bucket/prefix)",
              id, uri);
}

Result<std::unique_ptr<Volume>> OpenVolume(std::string_view id, std::string_view uri,
                                           std::uint64_t capacity_bytes, WorkerPool& pool,
                                           bool sweep_tmp, bool set_up_before) {
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
    auto volume = LocalVolume::Open(options, pool);
    if (!volume && set_up_before && volume.error().code == Errc::kNotFound) {
      spdlog::error("storage: {}", volume.error().message);
      return std::unique_ptr<Volume>(
          std::make_unique<AbsentVolume>(std::string(id), volume.error().message));
    }
    if (!volume) return Fail(volume.error());
    return std::unique_ptr<Volume>(std::move(*volume));
  }
  if (uri.starts_with("memory:")) {
    return std::unique_ptr<Volume>(std::make_unique<MemoryVolume>(std::string(id), capacity_bytes));
  }
  return Fail(Errc::kUnavailable, "disk {}: S3 volumes come in a later release (uri '{}')", id, uri);
}

}  // namespace nimbus::storage
