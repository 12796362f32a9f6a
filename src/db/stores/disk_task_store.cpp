// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/stores/disk_task_store.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

namespace nimbus::db {
namespace {

constexpr std::string_view kColumns =
    "id, kind, disk_id, owner_id, state, total_blobs, done_blobs, total_bytes, done_bytes, "
    "result, error, lease_owner, lease_until, created_at, updated_at, finished_at";

DiskTaskRow ToTask(const Row& r) {
  return DiskTaskRow{r.Int(0),  r.Text(1), r.Text(2), r.OptInt(3), r.Text(4),  r.Int(5),
                     r.Int(6),  r.Int(7),  r.Int(8),  r.Text(9),   r.Text(10), r.Text(11),
                     r.Int(12), r.Int(13), r.Int(14), r.OptInt(15)};
}

Result<std::optional<DiskTaskRow>> ToOptTask(Result<std::optional<Row>> row) {
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<DiskTaskRow>();
  return std::optional<DiskTaskRow>(ToTask(**row));
}

bool KnownKind(std::string_view kind) {
  return kind == "resilver" || kind == "scrub" || kind == "move";
}

}  // namespace

Result<std::int64_t> DiskTaskStore::Create(std::string_view kind, std::string_view disk_id,
                                           std::optional<std::int64_t> owner_id,
                                           std::int64_t now_ms) {
  if (!KnownKind(kind)) return Fail(Errc::kInvalidArgument, "unknown disk task kind '{}'", kind);
  auto row = tx_.QueryOne(
      "INSERT INTO disk_tasks (kind, disk_id, owner_id, state, created_at, updated_at) "
      "VALUES (?, ?, ?, 'queued', ?, ?) RETURNING id",
      {kind, disk_id, owner_id, now_ms, now_ms});
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row)
    return Fail(Errc::kInternal, "inserting a {} task for disk {} returned no id", kind, disk_id);
  return (*row)->Int(0);
}

Result<std::optional<DiskTaskRow>> DiskTaskStore::Get(std::int64_t id) {
  return ToOptTask(
      tx_.QueryOne(fmt::format("SELECT {} FROM disk_tasks WHERE id = ?", kColumns), {id}));
}

Result<std::optional<DiskTaskRow>> DiskTaskStore::LatestFor(std::string_view disk_id,
                                                            std::string_view kind) {
  return ToOptTask(tx_.QueryOne(
      fmt::format("SELECT {} FROM disk_tasks WHERE disk_id = ? AND kind = ? ORDER BY id DESC "
                  "LIMIT 1",
                  kColumns),
      {disk_id, kind}));
}

Result<std::vector<DiskTaskRow>> DiskTaskStore::ListUnfinished(std::string_view kind) {
  auto rows = tx_.Query(
      fmt::format("SELECT {} FROM disk_tasks WHERE kind = ? AND state IN ('queued', 'running') "
                  "ORDER BY id",
                  kColumns),
      {kind});
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<DiskTaskRow> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back(ToTask(r));
  return out;
}

Result<void> DiskTaskStore::TryLease(std::int64_t id, std::string_view owner, std::int64_t now_ms,
                                     std::int64_t until_ms,
                                     const std::function<bool(std::string_view holder)>& gone) {
  // The condition and the update are one statement, so two processes cannot both take the lease
  // even on a database without a single writer (PostgreSQL).
  auto take = [&](std::string_view holder) {
    return tx_.ExecCount(
        "UPDATE disk_tasks SET lease_owner = ?, lease_until = ?, state = 'running', "
        "updated_at = ? WHERE id = ? AND state IN ('queued', 'running') "
        "AND (lease_owner = '' OR lease_owner = ? OR lease_until <= ?)",
        {owner, until_ms, now_ms, id, holder, now_ms});
  };
  auto n = take(owner);
  if (!n) return std::unexpected(std::move(n.error()));
  if (*n == 1) return {};
  auto task = Get(id);
  if (!task) return std::unexpected(std::move(task.error()));
  if (!*task) return Fail(Errc::kNotFound, "disk task {} not found", id);
  const DiskTaskRow& t = **task;
  if (t.state == "done" || t.state == "failed") {
    return Fail(Errc::kConflict, "the {} of disk {} (task {}) has already finished ({})", t.kind,
                t.disk_id, id, t.state);
  }
  if (gone && !t.lease_owner.empty() && gone(t.lease_owner)) {
    auto again = take(t.lease_owner);
    if (!again) return std::unexpected(std::move(again.error()));
    if (*again == 1) {
      spdlog::warn("the {} of disk {} (task {}): took over the lease of {}, a process that is gone",
                   t.kind, t.disk_id, id, t.lease_owner);
      return {};
    }
  }
  return Fail(Errc::kConflict,
              "the {} of disk {} (task {}) is running in another process ({}, lease for {} s "
              "more); try again later",
              t.kind, t.disk_id, id, t.lease_owner, (t.lease_until - now_ms + 999) / 1000);
}

Result<void> DiskTaskStore::UpdateProgress(std::int64_t id, std::string_view owner,
                                           const DiskTaskProgress& p, std::int64_t now_ms,
                                           std::int64_t until_ms) {
  auto n = tx_.ExecCount(
      "UPDATE disk_tasks SET total_blobs = ?, done_blobs = ?, total_bytes = ?, done_bytes = ?, "
      "lease_until = ?, updated_at = ? WHERE id = ? AND lease_owner = ? AND state = 'running'",
      {p.total_blobs, p.done_blobs, p.total_bytes, p.done_bytes, until_ms, now_ms, id, owner});
  if (!n) return std::unexpected(std::move(n.error()));
  if (*n == 0) return Fail(Errc::kConflict, "disk task {}: {} lost its lease", id, owner);
  return {};
}

Result<void> DiskTaskStore::Release(std::int64_t id, std::string_view owner, std::int64_t now_ms) {
  return tx_.Exec(
      "UPDATE disk_tasks SET lease_owner = '', lease_until = 0, updated_at = ? "
      "WHERE id = ? AND lease_owner = ?",
      {now_ms, id, owner});
}

Result<void> DiskTaskStore::Finish(std::int64_t id, std::string_view owner, std::string_view state,
                                   std::string_view result_json, std::string_view error,
                                   std::int64_t now_ms) {
  if (state != "done" && state != "failed") {
    return Fail(Errc::kInvalidArgument, "a disk task finishes as done or failed, not '{}'", state);
  }
  auto n = tx_.ExecCount(
      "UPDATE disk_tasks SET state = ?, result = ?, error = ?, lease_owner = '', lease_until = 0, "
      "updated_at = ?, finished_at = ? WHERE id = ? AND lease_owner = ? AND state = 'running'",
      {state, result_json, error, now_ms, now_ms, id, owner});
  if (!n) return std::unexpected(std::move(n.error()));
  if (*n == 0) return Fail(Errc::kConflict, "disk task {}: {} does not hold its lease", id, owner);
  return {};
}

}  // namespace nimbus::db
