// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/migrations.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace nimbus::db {
namespace {

// Portable DDL (SQLite and PostgreSQL). 0001_init creates the same table; creating it here too,
// inside the first migration's transaction, lets Migrate read it before 0001 ran, and a failure
// still rolls it back with the rest.
constexpr std::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

Result<void> Validate(std::span<const Migration> migrations) {
  int last = 0;
  for (const Migration& m : migrations) {
    if (m.version <= last) {
      return Fail(Errc::kInvalidArgument,
                  "migration {} ({}) is out of order: versions must increase from 1", m.name,
                  m.version);
    }
    last = m.version;
  }
  return {};
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// In one write transaction: checks the recorded versions and applies the first pending
// migration. Returns whether it applied one (false: up to date).
Result<bool> ApplyNext(Transaction& tx, std::span<const Migration> migrations) {
  if (auto r = tx.Exec(kCreateTable); !r) return std::unexpected(std::move(r.error()));
  auto rows = tx.Query("SELECT version, name FROM schema_migrations ORDER BY version");
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<std::int64_t> applied;
  for (const Row& row : *rows) {
    std::int64_t v = row.Int(0);
    bool known = false;
    for (const Migration& m : migrations) known = known || m.version == v;
    if (!known) {
      return Fail(Errc::kUnavailable,
                  "the database has schema version {} ({}) which this nimbus binary does not "
                  "know (it knows up to {}): it was upgraded by a newer nimbus; run that "
                  "version or restore a backup",
                  v, row.Text(1), migrations.empty() ? 0 : migrations.back().version);
    }
    applied.push_back(v);
  }
  const Migration* next = nullptr;
  for (const Migration& m : migrations) {
    if (std::find(applied.begin(), applied.end(), m.version) == applied.end()) {
      next = &m;
      break;
    }
  }
  if (next == nullptr) return false;
  if (auto r = tx.ExecScript(next->sql); !r) {
    return Fail(r.error().code, "migration {} failed: {}", next->name, r.error().message);
  }
  auto rec = tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                     {next->version, next->name, NowMs()});
  if (!rec) {
    return Fail(rec.error().code, "migration {}: recording it failed: {}", next->name,
                rec.error().message);
  }
  return true;
}

}  // namespace

Result<int> Migrate(Database& db, std::span<const Migration> migrations) {
  if (auto v = Validate(migrations); !v) return std::unexpected(std::move(v.error()));
  int count = 0;
  // Bounded: each round applies one migration or stops.
  for (std::size_t round = 0; round <= migrations.size(); ++round) {
    auto applied = db.Write([&](Transaction& tx) { return ApplyNext(tx, migrations); });
    if (!applied) return std::unexpected(std::move(applied.error()));
    if (!*applied) return count;
    ++count;
  }
  return Fail(Errc::kInternal, "migrations did not converge");
}

}  // namespace nimbus::db
