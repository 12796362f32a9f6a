// UnrecordedRow: a blob written by OwnerBlobs::Write but not recorded, as the BlobRow that
// OwnerBlobs::Erase takes (internal to core/files: a failed upload or copy erases its bytes).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>

#include "db/stores/blob_store.h"
#include "storage/engine/owner_blobs.h"

namespace nimbus::core::files {

inline db::BlobRow UnrecordedRow(std::int64_t owner_id, const storage::StoredBlob& blob) {
  db::BlobRow row;
  row.id = blob.info.id.str();
  row.owner_id = owner_id;
  row.primary_id = blob.primary_id;
  row.size = static_cast<std::int64_t>(blob.info.size);
  row.sha256 = blob.info.sha256_hex;
  return row;
}

}  // namespace nimbus::core::files
