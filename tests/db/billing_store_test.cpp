// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/stores/billing_store.h"

#include <gtest/gtest.h>

#include "db/database.h"
#include "db/migrations.h"

namespace nimbus::db {
namespace {

// The replay check of the payment webhook: an event id is recorded once; the same id again is
// refused (false) and leaves one row.
TEST(BillingStore, RecordsAWebhookEventIdOnce) {
  auto opened = OpenDatabase("sqlite::memory:", {});
  ASSERT_TRUE(opened) << opened.error().message;
  auto& db = **opened;
  ASSERT_TRUE(Migrate(db, BuiltinMigrations("sqlite")));
  auto record = [&](std::string_view id) {
    return db.Write(
        [&](Transaction& tx) { return BillingStore::RecordEvent(tx, id, "invoice.paid", 1000); });
  };
  auto first = record("evt_1");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(*first);
  auto again = record("evt_1");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_FALSE(*again);
  auto other = record("evt_2");
  ASSERT_TRUE(other);
  EXPECT_TRUE(*other);
  auto rows = db.Read([](Transaction& tx) { return tx.Query("SELECT id FROM billing_events"); });
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 2u);
}

}  // namespace
}  // namespace nimbus::db
