// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/stores/job_store.h"

#include <fmt/chrono.h>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "util/clock.h"

namespace nimbus::db {
namespace {

// "2026-11-25T15:43:01Z": how a time appears in messages an operator reads.
std::string Iso(std::optional<std::int64_t> ms) {
  if (!ms) return "?";
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::floor<std::chrono::seconds>(FromUnixMs(*ms)));
}

constexpr std::string_view kColumns =
    "name, schedule, last_started_at, last_finished_at, last_duration_ms, last_outcome, "
    "last_message, next_run_at, run_count, failure_count, lease_owner, lease_until";

JobRecord ToRecord(const Row& r) {
  return JobRecord{r.Text(0),   r.Text(1),    r.OptInt(2),   r.OptInt(3),
                   r.OptInt(4), r.OptText(5), r.OptText(6),  r.OptInt(7),
                   r.Int(8),    r.Int(9),     r.OptText(10), r.OptInt(11)};
}

Result<std::optional<JobRecord>> GetIn(Transaction& tx, std::string_view name) {
  auto row = tx.QueryOne(fmt::format("SELECT {} FROM jobs WHERE name = ?", kColumns), {name});
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<JobRecord>();
  return std::optional<JobRecord>(ToRecord(**row));
}

Result<void> UpsertIn(Transaction& tx, std::string_view name, std::string_view schedule) {
  return tx.Exec(
      "INSERT INTO jobs (name, schedule) VALUES (?, ?) "
      "ON CONFLICT (name) DO UPDATE SET schedule = excluded.schedule",
      {name, schedule});
}

}  // namespace

Result<JobRecord> JobStore::Upsert(std::string_view name, std::string_view schedule) {
  return db_.Write([&](Transaction& tx) -> Result<JobRecord> {
    if (auto r = UpsertIn(tx, name, schedule); !r) return std::unexpected(std::move(r.error()));
    auto rec = GetIn(tx, name);
    if (!rec) return std::unexpected(std::move(rec.error()));
    if (!*rec) return Fail(Errc::kInternal, "job '{}' vanished after insert", name);
    return std::move(**rec);
  });
}

Result<void> JobStore::Acquire(std::string_view name, std::string_view schedule,
                               std::string_view owner, std::int64_t now_ms,
                               std::int64_t lease_until_ms,
                               const std::function<bool(std::string_view holder)>& gone) {
  return db_.Write([&](Transaction& tx) -> Result<void> {
    if (auto r = UpsertIn(tx, name, schedule); !r) return r;
    // The condition and the update are one statement, so two processes cannot both win even on
    // a database without a single writer (PostgreSQL).
    auto take = [&](std::string_view stale_holder) {
      return tx.ExecCount(
          "UPDATE jobs SET lease_owner = ?, lease_until = ?, last_started_at = ?, "
          "last_outcome = 'running', last_message = NULL "
          "WHERE name = ? AND (lease_until IS NULL OR lease_until <= ? OR lease_owner = ?)",
          {owner, lease_until_ms, now_ms, name, now_ms, stale_holder});
    };
    auto n = take("");
    if (!n) return std::unexpected(std::move(n.error()));
    if (*n == 1) return {};
    auto rec = GetIn(tx, name);
    if (!rec) return std::unexpected(std::move(rec.error()));
    const JobRecord held = rec->value_or(JobRecord{});
    if (gone && held.lease_owner && !held.lease_owner->empty() && gone(*held.lease_owner)) {
      auto again = take(*held.lease_owner);
      if (!again) return std::unexpected(std::move(again.error()));
      if (*again == 1) {
        spdlog::warn("job '{}': took over the run lease of {}, a process that is gone", name,
                     *held.lease_owner);
        return {};
      }
    }
    return Fail(Errc::kConflict,
                "job '{}' is already running (started {} by {}; its lease ends {}); try again "
                "when it has finished",
                name, Iso(held.last_started_at), held.lease_owner.value_or("?"),
                Iso(held.lease_until));
  });
}

Result<void> JobStore::Renew(std::string_view name, std::string_view owner,
                             std::int64_t lease_until_ms) {
  return db_.Write([&](Transaction& tx) -> Result<void> {
    auto n = tx.ExecCount("UPDATE jobs SET lease_until = ? WHERE name = ? AND lease_owner = ?",
                          {lease_until_ms, name, owner});
    if (!n) return std::unexpected(std::move(n.error()));
    if (*n == 0) return Fail(Errc::kConflict, "job '{}': {} lost its run lease", name, owner);
    return {};
  });
}

Result<void> JobStore::Finish(std::string_view name, std::string_view owner,
                              std::int64_t finished_ms, std::int64_t duration_ms, bool ok,
                              std::string_view message, std::optional<std::int64_t> next_run_at) {
  return db_.Write([&](Transaction& tx) -> Result<void> {
    auto n = tx.ExecCount(
        "UPDATE jobs SET last_finished_at = ?, last_duration_ms = ?, last_outcome = ?, "
        "last_message = ?, run_count = run_count + 1, failure_count = failure_count + ?, "
        "next_run_at = COALESCE(?, next_run_at), lease_owner = NULL, lease_until = NULL "
        "WHERE name = ? AND lease_owner = ?",
        {finished_ms, duration_ms, ok ? "ok" : "failed", message, ok ? 0 : 1, next_run_at, name,
         owner});
    if (!n) return std::unexpected(std::move(n.error()));
    if (*n == 0) {
      return Fail(Errc::kConflict, "job '{}': the run lease of {} expired before it finished", name,
                  owner);
    }
    return {};
  });
}

Result<void> JobStore::SetNextRun(std::string_view name, std::int64_t next_run_at) {
  return db_.Write([&](Transaction& tx) {
    return tx.Exec("UPDATE jobs SET next_run_at = ? WHERE name = ?", {next_run_at, name});
  });
}

Result<std::optional<JobRecord>> JobStore::Get(std::string_view name) {
  return db_.Read([&](Transaction& tx) { return GetIn(tx, name); });
}

Result<std::vector<JobRecord>> JobStore::List() {
  return db_.Read([&](Transaction& tx) -> Result<std::vector<JobRecord>> {
    auto rows = tx.Query(fmt::format("SELECT {} FROM jobs ORDER BY name", kColumns));
    if (!rows) return std::unexpected(std::move(rows.error()));
    std::vector<JobRecord> out;
    out.reserve(rows->size());
    for (const Row& r : *rows) out.push_back(ToRecord(r));
    return out;
  });
}

}  // namespace nimbus::db
