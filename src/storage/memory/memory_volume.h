// MemoryVolume: a Volume that keeps blobs in memory, for unit tests and development. Thread-safe.
// It keeps per-block checksums like a real disk and has knobs to inject failures (FailNext,
// FailReadsAt, Corrupt, SetOffline) so callers such as MirroredVolume can be tested against them.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "storage/volume.h"

namespace nimbus::storage {

class MemoryVolume final : public Volume {
 public:
  // The operations a failure can be injected into.
  enum class Op { kCreate, kAppend, kCommit, kGet, kStat, kRemove, kForEach, kProbe, kSpace };

  // `capacity_bytes` 0 = 1 TiB. Appends that would take the stored bytes past the capacity fail
  // with kIoError (ENOSPC), as a full disk would.
  explicit MemoryVolume(std::string id, std::uint64_t capacity_bytes = 0);
  ~MemoryVolume() override;

  const std::string& id() const override { return id_; }
  using Volume::Create;
  net::awaitable<Result<std::unique_ptr<BlobWriter>>> Create(const BlobId& id,
                                                             WriteCaching caching) override;
  net::awaitable<Result<void>> Get(const BlobId& id, ByteRange range, ByteSink& sink) override;
  net::awaitable<Result<BlobStat>> Stat(const BlobId& id) override;
  net::awaitable<Result<void>> Remove(const BlobId& id) override;
  net::awaitable<Result<void>> ForEach(BlobVisitor visit) override;
  net::awaitable<Result<void>> Probe() override;
  net::awaitable<Result<VolumeSpace>> Space() override;

  // --- Test knobs (all thread-safe) ---

  // The next `times` calls of `op` fail with `code` (message names the disk and the op).
  void FailNext(Op op, Errc code, int times = 1);
  // Every Get that reaches logical byte `offset` of a blob delivers the bytes before it and then
  // fails with kIoError (as a bad sector would). nullopt clears it.
  void FailReadsAt(std::optional<std::uint64_t> offset);
  // Flips one stored byte of blob `id` (its checksums stay as written), so a Get of the block
  // holding `offset` fails with kChecksumMismatch. kNotFound / kInvalidArgument (offset >= size).
  Result<void> Corrupt(const BlobId& id, std::uint64_t offset);
  // Offline: every operation (also writes already in progress) fails with kIoError.
  void SetOffline(bool offline);
  // Number of committed blobs, whether `id` is committed, and the bytes they hold.
  std::size_t BlobCount() const;
  bool Contains(const BlobId& id) const;
  std::uint64_t UsedBytes() const;
  // Number of writers created and not yet committed, aborted or destroyed.
  std::size_t OpenWriters() const;

  struct Blob {
    std::string data;
    std::vector<std::uint64_t> block_sums;  // XXH3-64 of each kBlockSize block, at commit.
  };
  struct State;  // Shared with the writers, so a writer may outlive its volume.

 private:
  std::string id_;
  std::shared_ptr<State> state_;
};

}  // namespace nimbus::storage
