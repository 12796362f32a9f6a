// The JSON of a disk and of its latest disk task, shared by `nimbus admin disk list/show --json`
// and GET /api/v1/admin/disks so both give the same fields (api.md "Admin").
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string_view>

#include "db/database.h"
#include "db/stores/disk_task_store.h"
#include "storage/engine/scrub.h"
#include "storage/pool/disk_pool.h"
#include "util/result.h"

namespace nimbus::core {

// {id, category, role, state, mirror_id, uri, capacity_bytes, allocated_bytes, used_bytes, users}.
boost::json::object DiskJson(const storage::DiskInfo& d);
// {id, kind, state, total_blobs, done_blobs, total_bytes, done_bytes, progress (0..1), result
// (parsed JSON or null), error, lease_owner, created_at, updated_at, finished_at}.
boost::json::object TaskJson(const db::DiskTaskRow& t);
// {task_id, state, started_at, finished_at, result (parsed JSON or null), error, summary}.
boost::json::object LastScrubJson(const storage::LastScrub& s);
// The newest resilver or scrub task of the disk, nullopt when none. Blocking (database).
Result<std::optional<db::DiskTaskRow>> LatestDiskTask(db::Database& db, std::string_view disk_id);

}  // namespace nimbus::core
