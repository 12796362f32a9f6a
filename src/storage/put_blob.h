// PutBlob and CopyBlob: stream bytes into a Volume through Create/Append/Commit in ~1 MiB
// appends, computing the whole-blob SHA-256 on the way (the hash the DB records).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "storage/volume.h"
#include "util/worker_pool.h"

namespace nimbus::storage {

struct BlobInfo {
  BlobId id;
  std::uint64_t size = 0;
  std::string sha256_hex;  // 64 lowercase hex characters.
};

// Writes everything `source` yields as blob `id` on `volume` and commits it. On any error the
// writer is aborted and nothing is visible: the source's error as it is; kInvalidArgument when
// `expected_size` is given and the source yields more or fewer bytes; the volume's errors
// (kIoError, kNameTaken) as they are. With `hash_pool`, the SHA-256 and the block checksums of
// a large blob are computed there, off the thread that reads `source` (the network). The blob is
// created with WriteCaching::kKeepForReads: an upload is likely read soon.
net::awaitable<Result<BlobInfo>> PutBlob(Volume& volume, const BlobId& id, ByteSource& source,
                                         std::optional<std::uint64_t> expected_size = {},
                                         WorkerPool* hash_pool = nullptr);

// Copies blob `id` from `from` to `to` (resilver, repair, migration), reading verified blocks.
// When `expected_sha256_hex` is given, the copy is committed only if the bytes read hash to it,
// else kChecksumMismatch and nothing is left on `to`. Errors of either volume are returned as
// they are (kNotFound from `from`, kNameTaken when `to` already has the blob).
net::awaitable<Result<BlobInfo>> CopyBlob(Volume& from, Volume& to, const BlobId& id,
                                          std::optional<std::string> expected_sha256_hex = {});

}  // namespace nimbus::storage
