// Schema migrations: numbered SQL scripts embedded in the binary (one set per dialect), applied
// in order at start-up and recorded in schema_migrations(version, name, applied_at).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <span>
#include <string_view>

#include "db/database.h"
#include "util/result.h"

namespace nimbus::db {

struct Migration {
  int version;            // 1, 2, …: strictly increasing within a set.
  std::string_view name;  // "0001_init": the file name without the dialect suffix.
  std::string_view sql;   // Several statements; runs inside one transaction.
};

// Applies every migration of `migrations` not yet recorded in `db`, in order, each in its own
// write transaction together with its schema_migrations row. Returns how many it applied.
// A failing migration is rolled back entirely (the database stays as it was before it) and the
// error names it: "migration 0002_x failed: …" with the SQL error's code. A database that
// records a version this list does not have (written by a newer binary) is refused with
// kUnavailable before anything changes. A malformed list is kInvalidArgument.
Result<int> Migrate(Database& db, std::span<const Migration> migrations);

// The migrations compiled into this binary for a dialect ("sqlite", "postgres"); empty for an
// unknown dialect. Generated from src/db/migrations/*.sql at build time.
std::span<const Migration> BuiltinMigrations(std::string_view dialect);

}  // namespace nimbus::db
