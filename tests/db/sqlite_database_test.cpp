// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/sqlite/sqlite_database.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <future>
#include <limits>
#include <thread>
#include <vector>

#include "db/database.h"
#include "support/temp_dir.h"

namespace nimbus::db {
namespace {

using std::chrono::milliseconds;

std::unique_ptr<SqliteDatabase> OpenFile(const std::string& path, OpenOptions o = {}) {
  auto db = SqliteDatabase::Open(path, o);
  EXPECT_TRUE(db.has_value()) << (db ? "" : db.error().message);
  return db ? std::move(*db) : nullptr;
}

Result<void> Exec(Database& db, std::string_view sql) {
  return db.Write([&](Transaction& tx) { return tx.Exec(sql); });
}

std::int64_t CountRows(Database& db, std::string_view table) {
  auto n = db.Read([&](Transaction& tx) -> Result<std::int64_t> {
    auto row = tx.QueryOne(fmt::format("SELECT count(*) FROM {}", table));
    if (!row) return std::unexpected(row.error());
    return (*row)->Int(0);
  });
  EXPECT_TRUE(n.has_value()) << (n ? "" : n.error().message);
  return n.value_or(-1);
}

std::string ReadPragma(Database& db, std::string_view pragma) {
  auto v = db.Read([&](Transaction& tx) -> Result<std::string> {
    auto row = tx.QueryOne(fmt::format("PRAGMA {}", pragma));
    if (!row) return std::unexpected(row.error());
    return (*row)->Text(0);
  });
  return v.value_or("error: " + (v ? "" : v.error().message));
}

class SqliteDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = OpenFile(dir_.File("nimbus.db"));
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(Exec(*db_, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"));
  }
  testing::TempDir dir_;
  std::unique_ptr<SqliteDatabase> db_;
};

TEST_F(SqliteDatabaseTest, ConnectionsUseWalForeignKeysAndSynchronousNormal) {
  EXPECT_EQ(ReadPragma(*db_, "journal_mode"), "wal");
  EXPECT_EQ(ReadPragma(*db_, "foreign_keys"), "1");
  EXPECT_EQ(ReadPragma(*db_, "synchronous"), "1");  // NORMAL
  auto writer = db_->Write([](Transaction& tx) -> Result<std::string> {
    auto row = tx.QueryOne("PRAGMA foreign_keys");
    if (!row) return std::unexpected(row.error());
    return (*row)->Text(0);
  });
  EXPECT_EQ(writer.value_or(""), "1");
  EXPECT_TRUE(std::filesystem::exists(dir_.File("nimbus.db-wal")));
}

TEST_F(SqliteDatabaseTest, ForeignKeysAreEnforced) {
  ASSERT_TRUE(Exec(*db_,
                   "CREATE TABLE child (id INTEGER PRIMARY KEY, "
                   "t_id INTEGER NOT NULL REFERENCES t(id))"));
  auto r = Exec(*db_, "INSERT INTO child (t_id) VALUES (42)");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kConflict);
  EXPECT_NE(r.error().message.find("FOREIGN KEY"), std::string::npos) << r.error().message;
}

TEST_F(SqliteDatabaseTest, WriteCommitsWhenTheFunctionSucceeds) {
  auto id = db_->Write([](Transaction& tx) -> Result<std::int64_t> {
    auto row = tx.QueryOne("INSERT INTO t (v) VALUES (?) RETURNING id", {"a"});
    if (!row) return std::unexpected(row.error());
    return (*row)->Int("id");
  });
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(*id, 1);
  EXPECT_EQ(CountRows(*db_, "t"), 1);
}

TEST_F(SqliteDatabaseTest, WriteRollsBackWhenTheFunctionFails) {
  auto r = db_->Write([](Transaction& tx) -> Result<void> {
    if (auto e = tx.Exec("INSERT INTO t (v) VALUES (?)", {"a"}); !e) return e;
    return Fail(Errc::kQuotaExceeded, "changed my mind");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kQuotaExceeded);
  EXPECT_EQ(CountRows(*db_, "t"), 0);
}

TEST_F(SqliteDatabaseTest, SqlErrorInsideWriteRollsBackEarlierStatements) {
  auto r = db_->Write([](Transaction& tx) -> Result<void> {
    if (auto e = tx.Exec("INSERT INTO t (v) VALUES ('x')"); !e) return e;
    return tx.Exec("INSERT INTO t (v) VALUES ('x')");  // UNIQUE violation.
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kConflict);
  EXPECT_EQ(CountRows(*db_, "t"), 0);
}

TEST_F(SqliteDatabaseTest, TransactionRollsBackInDestructorUnlessCommitted) {
  {
    auto tx = db_->BeginWrite();
    ASSERT_TRUE(tx);
    ASSERT_TRUE((*tx)->Exec("INSERT INTO t (v) VALUES ('dropped')"));
  }
  EXPECT_EQ(CountRows(*db_, "t"), 0);
  {
    auto tx = db_->BeginWrite();
    ASSERT_TRUE(tx);
    auto n = (*tx)->ExecCount("INSERT INTO t (v) VALUES ('kept'), ('kept2')");
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 2);
    ASSERT_TRUE((*tx)->Commit());
    EXPECT_FALSE((*tx)->Commit());  // Already ended.
  }
  EXPECT_EQ(CountRows(*db_, "t"), 2);
  // The writer was released both times: another write goes through.
  EXPECT_TRUE(Exec(*db_, "DELETE FROM t"));
  EXPECT_EQ(CountRows(*db_, "t"), 0);
}

TEST_F(SqliteDatabaseTest, PlaceholdersRoundTripEveryValueType) {
  ASSERT_TRUE(Exec(*db_, "CREATE TABLE v (n, i, r, s, b, e, es, flag)"));
  const std::string text("h\xC3\xA9llo\0world", 12);  // UTF-8 and an embedded NUL.
  const Blob blob{{0x00, 0xff, 0x10, 0x00}};
  const std::int64_t big = std::numeric_limits<std::int64_t>::min();
  auto w = db_->Write([&](Transaction& tx) {
    return tx.Exec("INSERT INTO v VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   {nullptr, big, 2.5, text, blob, Blob{}, std::string(), true});
  });
  ASSERT_TRUE(w) << w.error().message;
  auto row = db_->Read([](Transaction& tx) -> Result<Row> {
    auto r = tx.QueryOne("SELECT n, i, r, s, b, e, es, flag, typeof(e) AS te FROM v");
    if (!r) return std::unexpected(r.error());
    return **r;
  });
  ASSERT_TRUE(row) << row.error().message;
  EXPECT_TRUE(row->IsNull("n"));
  EXPECT_EQ(row->OptInt("n"), std::nullopt);
  EXPECT_EQ((*row)["i"].type(), Value::Type::kInt);
  EXPECT_EQ(row->Int("i"), big);
  EXPECT_EQ((*row)["r"].type(), Value::Type::kReal);
  EXPECT_DOUBLE_EQ(row->Real("r"), 2.5);
  EXPECT_EQ((*row)["s"].type(), Value::Type::kText);
  EXPECT_EQ(row->Text("s"), text);
  EXPECT_EQ((*row)["b"].type(), Value::Type::kBlob);
  EXPECT_EQ(row->Bytes("b"), blob);
  EXPECT_EQ(row->Text("te"), "blob");  // An empty blob stays a blob, not NULL.
  EXPECT_EQ(row->Text("es"), "");
  EXPECT_FALSE(row->IsNull("es"));
  EXPECT_EQ(row->Int("flag"), 1);
  EXPECT_THROW((void)row->Int("missing"), std::out_of_range);
}

TEST_F(SqliteDatabaseTest, QueryEachReadsRowsInPlaceAndStopsOnAnError) {
  const std::string text("h\xC3\xA9llo\0world", 12);
  auto w = db_->Write([&](Transaction& tx) -> Result<void> {
    for (std::string v : {"a", "b", "c"}) {
      if (auto r = tx.Exec("INSERT INTO t (v) VALUES (?)", {v}); !r) return r;
    }
    return tx.Exec("INSERT INTO t (id, v) VALUES (?, ?)", {100, text});
  });
  ASSERT_TRUE(w) << w.error().message;
  std::vector<std::string> seen;
  auto read = db_->Read([&](Transaction& tx) -> Result<void> {
    const std::vector<Value> params{Value(1)};
    return tx.QueryEach("SELECT id, v, NULL AS n FROM t WHERE id >= ? ORDER BY id", params,
                        [&](const RowView& r) -> Result<void> {
                          EXPECT_EQ(r.size(), 3u);
                          EXPECT_TRUE(r.IsNull(2));
                          EXPECT_EQ(r.Text(2), "");
                          EXPECT_FALSE(r.IsNull(1));
                          EXPECT_THROW((void)r.Int(3), std::out_of_range);
                          seen.push_back(std::to_string(r.Int(0)) + ":" + std::string(r.Text(1)));
                          return {};
                        });
  });
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(seen, (std::vector<std::string>{"1:a", "2:b", "3:c", "100:" + text}));

  // An error from the callback stops the statement, comes back as is, and leaves the cached
  // statement reset: the same query runs again in full.
  int calls = 0;
  auto stopped = db_->Read([&](Transaction& tx) -> Result<void> {
    const std::vector<Value> params{Value(1)};
    auto r =
        tx.QueryEach("SELECT id, v, NULL AS n FROM t WHERE id >= ? ORDER BY id", params,
                     [&](const RowView&) -> Result<void> {
                       return ++calls == 2 ? Fail(Errc::kNotFound, "stop at two") : Result<void>();
                     });
    EXPECT_FALSE(r);
    if (!r) {
      EXPECT_EQ(r.error().code, Errc::kNotFound);
    }
    auto again = tx.Query("SELECT id, v, NULL AS n FROM t WHERE id >= ? ORDER BY id", params);
    if (!again) return std::unexpected(again.error());
    EXPECT_EQ(again->size(), 4u);
    return {};
  });
  ASSERT_TRUE(stopped) << stopped.error().message;
  EXPECT_EQ(calls, 2);
  // A write after it is not blocked by a statement left open.
  EXPECT_TRUE(Exec(*db_, "INSERT INTO t (v) VALUES ('d')"));
  auto bad = db_->Read([](Transaction& tx) {
    return tx.QueryEach("SELECT nope FROM t", {}, [](const RowView&) { return Result<void>(); });
  });
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInternal);
}

TEST_F(SqliteDatabaseTest, WrongParameterCountIsAnError) {
  auto r = db_->Write([](Transaction& tx) { return tx.Exec("INSERT INTO t (v) VALUES (?)"); });
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("takes 1 parameters, got 0"), std::string::npos);
}

TEST_F(SqliteDatabaseTest, BadSqlIsInternalAndNamesTheStatement) {
  auto r = Exec(*db_, "SELEC nonsense");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInternal);
  EXPECT_NE(r.error().message.find("SELEC nonsense"), std::string::npos) << r.error().message;
}

TEST_F(SqliteDatabaseTest, ReadTransactionsRefuseToWrite) {
  auto r = db_->Read([](Transaction& tx) { return tx.Exec("INSERT INTO t (v) VALUES ('no')"); });
  EXPECT_FALSE(r);
  EXPECT_EQ(CountRows(*db_, "t"), 0);
}

TEST_F(SqliteDatabaseTest, ReadersSeeTheLastCommitWhileTheWriterHoldsATransaction) {
  ASSERT_TRUE(Exec(*db_, "INSERT INTO t (v) VALUES ('old')"));
  auto tx = db_->BeginWrite();
  ASSERT_TRUE(tx);
  ASSERT_TRUE((*tx)->Exec("UPDATE t SET v = 'new'"));
  // A reader on another thread is not blocked by the open write transaction.
  auto seen = std::async(std::launch::async, [&] {
    return db_->Read([](Transaction& r) -> Result<std::string> {
      auto row = r.QueryOne("SELECT v FROM t");
      if (!row) return std::unexpected(row.error());
      return (*row)->Text(0);
    });
  });
  ASSERT_EQ(seen.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(seen.get().value_or("error"), "old");
  ASSERT_TRUE((*tx)->Commit());
  tx->reset();
  EXPECT_EQ(ReadPragma(*db_, "user_version"), "0");
  auto now = db_->Read([](Transaction& r) -> Result<std::string> {
    auto row = r.QueryOne("SELECT v FROM t");
    if (!row) return std::unexpected(row.error());
    return (*row)->Text(0);
  });
  EXPECT_EQ(now.value_or("error"), "new");
}

TEST_F(SqliteDatabaseTest, ConcurrentReadersAlwaysSeeAConsistentSnapshot) {
  ASSERT_TRUE(Exec(*db_, "CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)"));
  ASSERT_TRUE(Exec(*db_, "INSERT INTO acct VALUES (1, 1000000), (2, 0)"));
  std::atomic<int> readers_left{4};
  std::atomic<int> bad{0}, errors{0}, writes{0};
  std::atomic<std::int64_t> lowest{-1}, highest{-1};
  // The writer moves one unit at a time until every reader is done (bounded by the balance).
  std::thread writer([&] {
    while (readers_left > 0 && writes < 1000000) {
      auto r = db_->Write([](Transaction& tx) -> Result<void> {
        if (auto e = tx.Exec("UPDATE acct SET bal = bal - 1 WHERE id = 1"); !e) return e;
        return tx.Exec("UPDATE acct SET bal = bal + 1 WHERE id = 2");
      });
      if (!r) errors++;
      writes++;
    }
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      // 300 reads, then on (5 s at most) until the writer was seen committing in between: on a
      // loaded machine the readers could finish before its first commit (a flake, not a bug).
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      for (int i = 0; i < 300 || (lowest >= highest && std::chrono::steady_clock::now() < deadline);
           ++i) {
        auto r = db_->Read([&](Transaction& tx) -> Result<void> {
          auto a = tx.QueryOne("SELECT sum(bal) FROM acct");
          auto b = tx.QueryOne("SELECT bal FROM acct WHERE id = 2");
          std::this_thread::yield();  // Give the writer a chance to commit in between.
          auto c = tx.QueryOne("SELECT bal FROM acct WHERE id = 2");
          if (!a || !b || !c) return Fail(Errc::kInternal, "query failed");
          if ((*a)->Int(0) != 1000000 || (*b)->Int(0) != (*c)->Int(0)) bad++;
          std::int64_t v = (*b)->Int(0);
          if (lowest < 0 || v < lowest) lowest = v;
          if (v > highest) highest = v;
          return {};
        });
        if (!r) errors++;
      }
      readers_left--;
    });
  }
  for (auto& r : readers) r.join();
  writer.join();
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(bad, 0);
  EXPECT_LT(lowest, highest);  // Readers really ran while the writer was committing.
  EXPECT_EQ(CountRows(*db_, fmt::format("acct WHERE id = 2 AND bal = {}", writes.load())), 1);
}

TEST_F(SqliteDatabaseTest, AnotherProcessHoldingTheLockGivesUnavailableAfterTheBusyTimeout) {
  OpenOptions quick;
  quick.busy_timeout = milliseconds(100);
  auto other = OpenFile(dir_.File("nimbus.db"), quick);  // Separate connections, as a CLI has.
  ASSERT_NE(other, nullptr);
  auto held = db_->BeginWrite();
  ASSERT_TRUE(held);
  auto start = std::chrono::steady_clock::now();
  auto r = Exec(*other, "INSERT INTO t (v) VALUES ('blocked')");
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kUnavailable);
  EXPECT_GE(waited, milliseconds(90));
  // Reads of the other process still work while the lock is held.
  EXPECT_EQ(CountRows(*other, "t"), 0);

  // With a longer timeout the second writer waits for the first to finish, then succeeds.
  OpenOptions patient;
  patient.busy_timeout = milliseconds(10000);
  auto third = OpenFile(dir_.File("nimbus.db"), patient);
  auto waiter = std::async(std::launch::async,
                           [&] { return Exec(*third, "INSERT INTO t (v) VALUES ('waited')"); });
  std::this_thread::sleep_for(milliseconds(200));
  ASSERT_TRUE((*held)->Exec("INSERT INTO t (v) VALUES ('first')"));
  ASSERT_TRUE((*held)->Commit());
  held->reset();
  ASSERT_EQ(waiter.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(waiter.get());
  EXPECT_EQ(CountRows(*db_, "t"), 2);
}

TEST_F(SqliteDatabaseTest, NestedWriteOnTheSameThreadIsAnErrorNotADeadlock) {
  auto r = db_->Write([&](Transaction&) -> Result<void> {
    return db_->Write([](Transaction& inner) { return inner.Exec("DELETE FROM t"); });
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInternal);
  EXPECT_TRUE(Exec(*db_, "DELETE FROM t"));  // The writer was released.
}

TEST_F(SqliteDatabaseTest, PreparedStatementsAreReusedFromTheCache) {
  auto before = db_->statement_cache_stats();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        db_->Write([&](Transaction& tx) { return tx.Exec("INSERT INTO t (v) VALUES (?)", {i}); }));
  }
  auto after = db_->statement_cache_stats();
  // BEGIN IMMEDIATE and COMMIT were prepared by SetUp; the INSERT is prepared once, then reused.
  EXPECT_EQ(after.misses - before.misses, 1u);
  EXPECT_EQ(after.hits - before.hits, 14u);
  EXPECT_EQ(CountRows(*db_, "t"), 5);
}

TEST(SqliteStatementCache, EvictsTheLeastRecentlyUsedStatementWhenFull) {
  OpenOptions o;
  o.statement_cache_size = 2;
  auto db = SqliteDatabase::Open(":memory:", o);
  ASSERT_TRUE(db);
  auto& d = **db;
  auto run = [&](std::string_view sql) { return d.ExecMaintenance(sql).has_value(); };
  ASSERT_TRUE(run("SELECT 1"));
  ASSERT_TRUE(run("SELECT 2"));
  auto s1 = d.statement_cache_stats();
  ASSERT_TRUE(run("SELECT 2"));  // Hit.
  ASSERT_TRUE(run("SELECT 3"));  // Miss, evicts SELECT 1.
  ASSERT_TRUE(run("SELECT 1"));  // Miss again.
  auto s2 = d.statement_cache_stats();
  EXPECT_EQ(s2.hits - s1.hits, 1u);
  EXPECT_EQ(s2.misses - s1.misses, 2u);
}

TEST(SqliteInMemory, WorksWithOneConnectionForReadsAndWrites) {
  auto opened = OpenDatabase("sqlite::memory:", {});
  ASSERT_TRUE(opened) << opened.error().message;
  Database& db = **opened;
  EXPECT_EQ(db.Dialect(), "sqlite");
  EXPECT_TRUE(db.Ping());
  ASSERT_TRUE(Exec(db, "CREATE TABLE t (v TEXT)"));
  ASSERT_TRUE(Exec(db, "INSERT INTO t VALUES ('a')"));
  EXPECT_EQ(CountRows(db, "t"), 1);
  auto w = db.Read([](Transaction& tx) { return tx.Exec("INSERT INTO t VALUES ('b')"); });
  EXPECT_FALSE(w);  // Read() is read-only even on the shared connection...
  ASSERT_TRUE(Exec(db, "INSERT INTO t VALUES ('c')"));  // ...and Write() is not.
  EXPECT_EQ(CountRows(db, "t"), 2);
}

TEST(OpenDatabase, ChoosesTheDriverByUrl) {
  auto pg = OpenDatabase("postgres://nimbus@localhost/nimbus", {});
  ASSERT_FALSE(pg);
  EXPECT_EQ(pg.error().code, Errc::kUnavailable);
  auto other = OpenDatabase("mysql://x", {});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, Errc::kInvalidArgument);

  testing::TempDir dir;
  auto file = OpenDatabase("sqlite:" + dir.File("a.db"), {});
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_TRUE((*file)->Ping());
  EXPECT_TRUE(std::filesystem::exists(dir.File("a.db")));
}

TEST(OpenDatabase, RefusesAFileThatIsNotADatabase) {
  testing::TempDir dir;
  std::ofstream(dir.File("junk.db")) << std::string(4096, 'x');
  auto db = OpenDatabase("sqlite:" + dir.File("junk.db"), {});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, Errc::kIoError);
  auto missing_dir = OpenDatabase("sqlite:" + dir.File("no/such/dir/a.db"), {});
  ASSERT_FALSE(missing_dir);
  EXPECT_EQ(missing_dir.error().code, Errc::kIoError);
}

TEST_F(SqliteDatabaseTest, MaintenanceRunsOutsideATransaction) {
  ASSERT_TRUE(Exec(*db_, "INSERT INTO t (v) VALUES ('x')"));
  auto rows = db_->ExecMaintenance("PRAGMA wal_checkpoint(TRUNCATE)");
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().Int(0), 0);  // Not busy: the checkpoint completed.
  EXPECT_EQ(std::filesystem::file_size(dir_.File("nimbus.db-wal")), 0u);
}

}  // namespace
}  // namespace nimbus::db
