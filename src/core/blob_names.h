// BlobNames: what a blob is to the people who own it, for the admin reports that name damaged or
// lost blobs (scrub, disk replace): "/Photos/a.jpg of ann@example.com".
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>
#include <vector>

#include "db/database.h"
#include "util/result.h"

namespace nimbus::core {

// One line per blob id, in order: "<path> of <email>" for the file that uses it ("… (in the
// trash)" when it is there), or "blob <id> (no file uses it now)". Blocking (one read
// transaction).
Result<std::vector<std::string>> NameBlobs(db::Database& db,
                                           const std::vector<std::string>& blob_ids);

}  // namespace nimbus::core
