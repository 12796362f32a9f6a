// DamageBlob: flips one data byte of a blob on a local disk, wherever the disk keeps it (its file
// under blobs/, or its row of small.sqlite), as a bad sector would. For tests of the checks and
// repairs; the database file itself stays valid.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include "db/sqlite/sqlite_database.h"
#include "storage/local/local_volume.h"
#include "storage/local/small_blobs.h"

namespace nimbus::storage::testing {

// True when byte `offset` of blob `id`'s data was found and flipped.
inline bool DamageBlob(const LocalVolume& v, const BlobId& id, std::uint64_t offset) {
  const std::string file = v.BlobPath(id);
  if (std::filesystem::exists(file)) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    if (!f.get(c)) return false;
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(static_cast<char>(c ^ 0x5a));
    return f.good();
  }
  auto db = db::SqliteDatabase::Open(v.root() + "/" + local::kSmallBlobsName, db::OpenOptions{});
  if (!db) return false;
  auto ok = (*db)->Write([&](db::Transaction& tx) -> Result<bool> {
    auto row = tx.QueryOne("SELECT data FROM blobs WHERE id = ?", {id.str()});
    if (!row) return std::unexpected(row.error());
    if (!*row) return false;
    db::Blob data = (*row)->Bytes(0);
    if (offset >= data.bytes.size()) return false;
    data.bytes[offset] ^= 0x5a;
    if (auto r = tx.Exec("UPDATE blobs SET data = ? WHERE id = ?", {data, id.str()}); !r)
      return std::unexpected(r.error());
    return true;
  });
  return ok && *ok;
}

}  // namespace nimbus::storage::testing
