// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/migrations.h"

#include <gtest/gtest.h>

#include <vector>

#include "db/sqlite/sqlite_database.h"
#include "support/temp_dir.h"

namespace nimbus::db {
namespace {

// Table names and recorded versions, as a user inspecting the file would see them.
std::vector<std::string> Tables(Database& db) {
  auto names = db.Read([](Transaction& tx) -> Result<std::vector<std::string>> {
    auto rows = tx.Query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    if (!rows) return std::unexpected(rows.error());
    std::vector<std::string> out;
    for (const Row& r : *rows) out.push_back(r.Text(0));
    return out;
  });
  return names.value_or(std::vector<std::string>{"error"});
}

std::vector<std::int64_t> Versions(Database& db) {
  auto v = db.Read([](Transaction& tx) -> Result<std::vector<std::int64_t>> {
    auto rows = tx.Query("SELECT version FROM schema_migrations ORDER BY version");
    if (!rows) return std::unexpected(rows.error());
    std::vector<std::int64_t> out;
    for (const Row& r : *rows) out.push_back(r.Int(0));
    return out;
  });
  return v.value_or(std::vector<std::int64_t>{-1});
}

class MigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = SqliteDatabase::Open(dir_.File("nimbus.db"), {});
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
  }
  testing::TempDir dir_;
  std::unique_ptr<SqliteDatabase> db_;
};

constexpr Migration kTwo[] = {
    {1, "0001_a", "CREATE TABLE a (x INTEGER);"},
    {2, "0002_b", "CREATE TABLE b (y INTEGER); INSERT INTO b VALUES (7);"},
};

TEST_F(MigrationsTest, BuiltinMigrationsApplyOnceAndAreRecorded) {
  auto builtin = BuiltinMigrations("sqlite");
  ASSERT_FALSE(builtin.empty());
  EXPECT_EQ(builtin.front().version, 1);
  EXPECT_EQ(builtin.front().name, "0001_init");
  auto first = Migrate(*db_, builtin);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, static_cast<int>(builtin.size()));
  auto again = Migrate(*db_, builtin);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, 0);
  auto tables = Tables(*db_);
  EXPECT_NE(std::find(tables.begin(), tables.end(), "jobs"), tables.end());
  EXPECT_EQ(Versions(*db_).size(), builtin.size());
  auto recorded = db_->Read([](Transaction& tx) -> Result<std::string> {
    auto row = tx.QueryOne("SELECT name FROM schema_migrations WHERE version = 1");
    if (!row || !*row) return Fail(Errc::kNotFound, "no row");
    return (*row)->Text(0);
  });
  EXPECT_EQ(recorded.value_or(""), "0001_init");
  EXPECT_FALSE(BuiltinMigrations("postgres").empty());
  EXPECT_TRUE(BuiltinMigrations("oracle").empty());
}

TEST_F(MigrationsTest, AppliesOnlyTheNewOnesInOrder) {
  ASSERT_EQ(Migrate(*db_, std::span(kTwo, 1)).value_or(-1), 1);
  EXPECT_EQ(Versions(*db_), (std::vector<std::int64_t>{1}));
  ASSERT_EQ(Migrate(*db_, kTwo).value_or(-1), 1);
  EXPECT_EQ(Versions(*db_), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(Tables(*db_), (std::vector<std::string>{"a", "b", "schema_migrations"}));
}

TEST_F(MigrationsTest, AFailingMigrationLeavesTheDatabaseAsItWasAndIsNamed) {
  ASSERT_EQ(Migrate(*db_, std::span(kTwo, 1)).value_or(-1), 1);
  const Migration bad[] = {
      kTwo[0],
      {2, "0002_half_done",
       "CREATE TABLE c (z INTEGER); INSERT INTO c VALUES (1); "
       "INSERT INTO nowhere VALUES (1);"},
      {3, "0003_never", "CREATE TABLE d (w INTEGER);"},
  };
  auto r = Migrate(*db_, bad);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("0002_half_done"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("nowhere"), std::string::npos) << r.error().message;
  EXPECT_EQ(Tables(*db_), (std::vector<std::string>{"a", "schema_migrations"}));
  EXPECT_EQ(Versions(*db_), (std::vector<std::int64_t>{1}));
}

TEST_F(MigrationsTest, AFailingFirstMigrationLeavesAnEmptyDatabaseEmpty) {
  const Migration bad[] = {{1, "0001_broken", "CREATE TABLE ok (x); CREATE TABLE ok (x);"}};
  auto r = Migrate(*db_, bad);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("migration 0001_broken failed"), std::string::npos);
  EXPECT_TRUE(Tables(*db_).empty());
}

TEST_F(MigrationsTest, ADatabaseFromANewerBinaryIsRefusedUntouched) {
  ASSERT_EQ(Migrate(*db_, kTwo).value_or(-1), 2);
  const Migration older[] = {kTwo[0]};
  auto r = Migrate(*db_, older);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kUnavailable);
  EXPECT_NE(r.error().message.find("schema version 2 (0002_b)"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("newer nimbus"), std::string::npos);
  EXPECT_EQ(Versions(*db_), (std::vector<std::int64_t>{1, 2}));
}

TEST_F(MigrationsTest, AMalformedListIsRejectedBeforeTouchingTheDatabase) {
  const Migration unordered[] = {kTwo[1], kTwo[0]};
  auto r = Migrate(*db_, unordered);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  EXPECT_TRUE(Tables(*db_).empty());
}

TEST(Migrations, RunOnAnInMemoryDatabase) {
  auto db = OpenDatabase("sqlite::memory:", {});
  ASSERT_TRUE(db);
  auto n = Migrate(**db, BuiltinMigrations((*db)->Dialect()));
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_GE(*n, 1);
}

}  // namespace
}  // namespace nimbus::db
