// MirroredWriter: the BlobWriter of MirroredVolume. Appends each chunk to both sides' writers at
// once and commits both; a side that fails is dropped and the blob queued for repair there.
// Internal to src/storage/mirror/. SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <array>
#include <memory>
#include <optional>

#include "storage/mirror/pair_state.h"
#include "storage/volume.h"

namespace nimbus::storage {

class MirroredWriter final : public BlobWriter {
 public:
  // `writers[s]` is null for a side that could not start (its reason in `errors[s]`).
  MirroredWriter(BlobId id, std::shared_ptr<PairState> state,
                 std::array<std::shared_ptr<Volume>, 2> volumes,
                 std::array<std::unique_ptr<BlobWriter>, 2> writers,
                 std::array<std::optional<Error>, 2> errors);
  ~MirroredWriter() override = default;  // The side writers abort themselves.

  // OK while at least one side takes the bytes.
  net::awaitable<Result<void>> Append(std::span<const char> data) override;
  net::awaitable<Result<void>> AppendBlock(std::span<const char> block, std::uint64_t checksum) override;
  // OK when at least one side committed; a side that did not is queued for repair (the pair is
  // then degraded). kNameTaken if a side already had the blob (copies made here are removed).
  net::awaitable<Result<std::uint64_t>> Commit() override;
  net::awaitable<void> Abort() override;

 private:
  // Append and AppendBlock: both sides at once (a block's checksum, if known, goes to both).
  net::awaitable<Result<void>> AppendBoth(std::span<const char> data, std::optional<std::uint64_t> checksum);
  net::awaitable<void> DropSide(Side s, Error error);
  bool Alive(Side s) const { return writers_[Index(s)] != nullptr; }
  Error DeadError() const;

  const BlobId id_;
  const std::shared_ptr<PairState> state_;
  const std::array<std::shared_ptr<Volume>, 2> volumes_;
  std::array<std::unique_ptr<BlobWriter>, 2> writers_;
  std::array<std::optional<Error>, 2> errors_;
  bool done_ = false;
};

}  // namespace nimbus::storage
