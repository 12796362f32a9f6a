// OpenVolume: builds the Volume a disk's uri names — file: (LocalVolume), memory: (MemoryVolume,
// tests and development), s3:// (not yet: a later release).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "storage/volume.h"
#include "util/worker_pool.h"

namespace nimbus::storage {

// The directory of a "file:/abs/path" or "file:///abs/path" uri; kInvalidArgument (naming disk
// `id`) for a relative path or a host.
Result<std::string> LocalPathOfUri(std::string_view id, std::string_view uri);
// kInvalidArgument when `uri` has no scheme OpenVolume knows or a bad file: path.
Result<void> CheckVolumeUri(std::string_view id, std::string_view uri);

// Opens disk `id` at `uri`:
//   "file:/abs/path" or "file:///abs/path" → LocalVolume (created if missing, marker checked;
//       see LocalVolume::Open for the refusals), blocking;
//   "memory:" (anything after the colon is ignored) → an empty MemoryVolume;
//   "s3://bucket/prefix" → kUnavailable ("S3 volumes come in a later release");
//   anything else → kInvalidArgument.
// `capacity_bytes` 0 = the file system's size (or 1 TiB for memory:). `pool` must outlive it.
// `sweep_tmp` false leaves a file: disk's tmp/ alone (see LocalVolumeOptions).
// `set_up_before`: the disk was opened before (the database says so). A file: disk whose
// directory is then missing or has no marker (not mounted, or an empty disk in its place) is not
// set up anew: it opens as an absent volume, whose every call (the health probe's too) fails with
// kIoError saying so, so that its mirror serves and the health job fails it.
// `installation`: see LocalVolumeOptions.
Result<std::unique_ptr<Volume>> OpenVolume(std::string_view id, std::string_view uri,
                                           std::uint64_t capacity_bytes, WorkerPool& pool,
                                           bool sweep_tmp = true, bool set_up_before = false,
                                           std::string_view installation = {});

}  // namespace nimbus::storage
