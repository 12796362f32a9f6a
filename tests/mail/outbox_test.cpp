// SPDX-License-Identifier: AGPL-3.0-or-later
#include "mail/outbox.h"

#include <gtest/gtest.h>

#include "db/database.h"
#include "db/migrations.h"
#include "support/migrated_db.h"
#include "support/temp_dir.h"

namespace nimbus::mail {
namespace {

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = nimbus::testing::MigratedSqlite(dir_.File("nimbus.db"));
    ASSERT_TRUE(db_);
  }

  testing::TempDir dir_;
  std::unique_ptr<db::Database> db_;
};

TEST_F(OutboxTest, EnqueueStoresAQueuedMessageDueNow) {
  Message m{"Ann <ann@example.com>", "Hi", "text body", "<p>html</p>"};
  auto id = db_->Write([&](db::Transaction& tx) { return Enqueue(tx, m, 1000); });
  ASSERT_TRUE(id) << id.error().message;
  auto row = db_->Read([&](db::Transaction& tx) {
    return tx.QueryOne(
        "SELECT \"to\", subject, text, html, state, attempts, next_attempt_at, created_at, "
        "message_id FROM mail_outbox WHERE id = ?",
        {*id});
  });
  ASSERT_TRUE(row && *row);
  const db::Row& r = **row;
  EXPECT_EQ(r.Text(0), "Ann <ann@example.com>");
  EXPECT_EQ(r.Text(1), "Hi");
  EXPECT_EQ(r.Text(2), "text body");
  EXPECT_EQ(r.Text(3), "<p>html</p>");
  EXPECT_EQ(r.Text(4), "queued");
  EXPECT_EQ(r.Int(5), 0);
  EXPECT_EQ(r.Int(6), 1000);
  EXPECT_EQ(r.Int(7), 1000);
  EXPECT_FALSE(r.Text(8).empty());
}

TEST_F(OutboxTest, EnqueueIsPartOfTheCallersTransaction) {
  Message m{"ann@example.com", "Hi", "t", ""};
  auto r = db_->Write([&](db::Transaction& tx) -> Result<int> {
    auto id = Enqueue(tx, m, 1);
    if (!id) return std::unexpected(id.error());
    return Fail(Errc::kEmailTaken, "sign-up failed after queueing");
  });
  ASSERT_FALSE(r);
  auto n = db_->Read(
      [](db::Transaction& tx) { return tx.QueryOne("SELECT COUNT(*) FROM mail_outbox"); });
  ASSERT_TRUE(n && *n);
  EXPECT_EQ((*n)->Int(0), 0);
}

TEST_F(OutboxTest, EnqueueRejectsABadAddressOrAHeaderInjection) {
  for (Message m :
       {Message{"", "s", "t", ""}, Message{"nobody", "s", "t", ""},
        Message{"a@b.c\r\nBcc: x@y", "s", "t", ""}, Message{"a@b.c", "s\nBcc: x@y", "t", ""}}) {
    auto id = db_->Write([&](db::Transaction& tx) { return Enqueue(tx, m, 1); });
    ASSERT_FALSE(id) << m.to;
    EXPECT_EQ(id.error().code, Errc::kInvalidArgument);
  }
}

TEST_F(OutboxTest, EachMessageGetsItsOwnMessageId) {
  Message m{"ann@example.com", "Hi", "t", ""};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(db_->Write([&](db::Transaction& tx) { return Enqueue(tx, m, 5); }));
  }
  auto n = db_->Read([](db::Transaction& tx) {
    return tx.QueryOne("SELECT COUNT(DISTINCT message_id) FROM mail_outbox");
  });
  ASSERT_TRUE(n && *n);
  EXPECT_EQ((*n)->Int(0), 3);
}

}  // namespace
}  // namespace nimbus::mail
