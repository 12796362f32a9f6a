// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/blob_names.h"

#include <fmt/core.h>

#include "db/stores/node_store.h"

namespace nimbus::core {

Result<std::vector<std::string>> NameBlobs(db::Database& db,
                                           const std::vector<std::string>& blob_ids) {
  return db.Read([&](db::Transaction& tx) -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    out.reserve(blob_ids.size());
    for (const std::string& id : blob_ids) {
      auto row = tx.QueryOne(
          "SELECT n.id, n.trash_id, u.email FROM nodes n JOIN users u ON u.id = n.owner_id"
          " WHERE n.blob_id = ? LIMIT 1",
          {id});
      if (!row) return std::unexpected(std::move(row.error()));
      if (!*row) {
        out.push_back(fmt::format("blob {} (no file uses it now)", id));
        continue;
      }
      auto path = db::NodeStore::PathOf(tx, (*row)->Text(0));
      if (!path) return std::unexpected(std::move(path.error()));
      out.push_back(fmt::format("{} of {}{}", *path, (*row)->Text(2),
                                (*row)->IsNull(1) ? "" : " (in the trash)"));
    }
    return out;
  });
}

}  // namespace nimbus::core
