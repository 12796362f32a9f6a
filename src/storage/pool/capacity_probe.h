// FreeSpaceShare: the CapacityProbe the app gives DiskPool for disks configured without a
// capacity: an equal share of their file system's free space (disks.toml's default layout puts
// ten disks and two spares under one data dir). SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "config/disks.h"
#include "storage/pool/disk_pool.h"

namespace nimbus::storage {

// For a "file:" disk: the free bytes (for unprivileged users) of the file system holding its
// directory (or its nearest existing parent), divided by the number of disks and spares of
// `config` without a capacity on that same file system — but never less than the largest plan
// of `config.categories` (100 GiB by default), so that every category can place a user even on a
// small laptop disk. Such a disk is thin-provisioned (its plans promise more than the file
// system holds); a warning says so once, and writes then fail with "disk full" when it is.
// Blocks on statvfs. kInvalidArgument for any other URI ("set capacity for s3:// disks");
// kIoError when nothing of the path exists.
CapacityProbe FreeSpaceShare(const config::DisksConfig& config);

}  // namespace nimbus::storage
