// MigratedSqlite: a real SQLite file with every built-in migration applied, the database most
// unit tests of one layer start from (header-only; the test links nimbus_db already).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "db/database.h"
#include "db/migrations.h"

namespace nimbus::testing {

// Opens (creating) the SQLite file `path` and migrates it. On failure the test is failed with
// the reason and null is returned: `db_ = MigratedSqlite(...); ASSERT_TRUE(db_);`.
inline std::unique_ptr<db::Database> MigratedSqlite(const std::string& path) {
  auto db = db::OpenDatabase("sqlite:" + path, {});
  if (!db) {
    ADD_FAILURE() << "cannot open " << path << ": " << db.error().message;
    return nullptr;
  }
  auto migrated = db::Migrate(**db, db::BuiltinMigrations("sqlite"));
  if (!migrated) {
    ADD_FAILURE() << "cannot migrate " << path << ": " << migrated.error().message;
    return nullptr;
  }
  return std::move(*db);
}

}  // namespace nimbus::testing
