// SPDX-License-Identifier: AGPL-3.0-or-later
// BillingReportStore on a real SQLite database with every migration: invoices of three months
// grouped by calendar month (UTC), newest first; void invoices and other currencies left out;
// payments counted in the month they were paid; users and plans per category.
#include "db/stores/billing_report_store.h"

#include <gtest/gtest.h>

#include "db/database.h"
#include "db/migrations.h"
#include "db/stores/billing_store.h"

namespace nimbus::db {
namespace {

// Milliseconds of a UTC date and time (2026-09-01T00:00:00Z = 1788220800000).
constexpr std::int64_t kSep1 = 1788220800000;
constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kOct1 = kSep1 + 30 * kDay;
constexpr std::int64_t kNov1 = kOct1 + 31 * kDay;
constexpr std::int64_t kGiB = std::int64_t{1} << 30;

class BillingReportStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = OpenDatabase("sqlite::memory:", {});
    ASSERT_TRUE(opened) << opened.error().message;
    db_ = std::move(*opened);
    auto migrated = Migrate(*db_, BuiltinMigrations("sqlite"));
    ASSERT_TRUE(migrated) << migrated.error().message;
  }
  // An invoice of `total` cents issued at `issued`, paid at `paid` when given.
  void Invoice(std::int64_t total, std::int64_t issued, std::optional<std::int64_t> paid = {},
               std::string status = "", std::string currency = "USD") {
    ++seq_;
    InvoiceRow row;
    row.id = "inv" + std::to_string(seq_);
    row.user_id = 1;
    row.seq = seq_;
    row.number = "INV-" + std::to_string(seq_);
    row.status = !status.empty() ? status : paid ? "paid" : "open";
    row.currency = currency;
    row.subtotal = total;
    row.total = total;
    row.period_start = issued;
    row.period_end = issued + 30 * kDay;
    row.issued_at = issued;
    row.due_at = issued;
    row.paid_at = paid;
    auto put = db_->Write([&](Transaction& tx) { return BillingStore::InsertInvoice(tx, row); });
    ASSERT_TRUE(put) << put.error().message;
  }
  std::vector<MonthTotalsRow> Months(int max_months = 12) {
    auto months = db_->Read(
        [&](Transaction& tx) { return BillingReportStore::MonthTotals(tx, "USD", max_months); });
    EXPECT_TRUE(months) << months.error().message;
    return months ? *months : std::vector<MonthTotalsRow>{};
  }

  std::unique_ptr<Database> db_;
  std::int64_t seq_ = 0;
};

TEST_F(BillingReportStoreTest, GroupsInvoicesByCalendarMonthNewestFirst) {
  EXPECT_EQ(MonthOf(kSep1), "2026-09");
  EXPECT_EQ(MonthOf(kOct1 - 1), "2026-09") << "the last millisecond of September";
  EXPECT_EQ(MonthOf(kOct1), "2026-10");

  Invoice(100, kSep1 + 2 * kDay, kSep1 + 3 * kDay);   // Sep: issued and paid.
  Invoice(250, kOct1 - 1, kOct1 + 5 * kDay);          // Issued Sep, paid Oct.
  Invoice(40, kOct1 + 10 * kDay);                     // Oct, open.
  Invoice(999, kOct1 + 11 * kDay, {}, "void");        // Void: not revenue.
  Invoice(300, kNov1 + 1, kNov1 + 2);                 // Nov.
  Invoice(0, kNov1 + 3 * kDay, kNov1 + 3 * kDay);     // Nov, paid by credit.
  Invoice(777, kNov1 + 4 * kDay, {}, "open", "EUR");  // Another currency.

  const std::vector<MonthTotalsRow> months = Months();
  ASSERT_EQ(months.size(), 3u);
  EXPECT_EQ(months[0].month, "2026-11");
  EXPECT_EQ(months[0].invoiced, 300);
  EXPECT_EQ(months[0].paid, 300);
  EXPECT_EQ(months[0].invoices, 2);
  EXPECT_EQ(months[1].month, "2026-10");
  EXPECT_EQ(months[1].invoiced, 40);
  EXPECT_EQ(months[1].paid, 250) << "paid in October, issued in September";
  EXPECT_EQ(months[1].invoices, 1) << "the void one is not counted";
  EXPECT_EQ(months[2].month, "2026-09");
  EXPECT_EQ(months[2].invoiced, 350);
  EXPECT_EQ(months[2].paid, 100);
  EXPECT_EQ(months[2].invoices, 2);

  const std::vector<MonthTotalsRow> last_two = Months(2);
  ASSERT_EQ(last_two.size(), 2u);
  EXPECT_EQ(last_two[1].month, "2026-10");

  auto standing =
      db_->Read([](Transaction& tx) { return BillingReportStore::StandingTotals(tx, "USD"); });
  ASSERT_TRUE(standing) << standing.error().message;
  EXPECT_EQ(standing->open_amount, 40);
  EXPECT_EQ(standing->past_due_users, 0);
}

TEST_F(BillingReportStoreTest, CountsUsersAndPlansPerCategory) {
  auto seeded = db_->Write([](Transaction& tx) -> Result<void> {
    const char* disks[][4] = {{"a1", "A", "primary", "a1m"}, {"a1m", "A", "mirror", "a1"},
                              {"b1", "B", "primary", "b1m"}, {"b1m", "B", "mirror", "b1"},
                              {"c1", "C", "primary", "c1m"}, {"c1m", "C", "mirror", "c1"}};
    for (const auto& d : disks) {
      auto r = tx.Exec(
          "INSERT INTO disks (id, category, role, uri, capacity_bytes, mirror_id, state,"
          " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'healthy', 0, 0)",
          {d[0], d[1], d[2], std::string("file:") + d[0], 200 * kGiB, d[3]});
      if (!r) return r;
    }
    const std::tuple<std::int64_t, const char*, std::int64_t> owners[] = {
        {1, "a1", 1}, {2, "a1", 1}, {3, "b1", 10}, {4, "b1", 24}};
    for (const auto& [id, disk, gb] : owners) {
      auto r = tx.Exec(
          "INSERT INTO allocations (owner_id, primary_id, bytes, created_at, updated_at)"
          " VALUES (?, ?, ?, 0, 0)",
          {id, disk, gb * kGiB});
      if (!r) return r;
    }
    // Owner 4 is moving to C with a 30 GB plan: counted there already.
    return tx.Exec(
        "INSERT INTO allocation_moves (owner_id, target_primary_id, target_bytes, started_at)"
        " VALUES (4, 'c1', ?, 0)",
        {30 * kGiB});
  });
  ASSERT_TRUE(seeded) << seeded.error().message;
  auto rows = db_->Read([](Transaction& tx) { return BillingReportStore::CategoryUse(tx); });
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].name, "A");
  EXPECT_EQ((*rows)[0].users, 2);
  EXPECT_EQ((*rows)[0].allocated_bytes, 2 * kGiB);
  EXPECT_EQ((*rows)[0].capacity_bytes, 200 * kGiB) << "the primary's capacity, not twice";
  EXPECT_EQ((*rows)[1].name, "B");
  EXPECT_EQ((*rows)[1].users, 1);
  EXPECT_EQ((*rows)[1].allocated_bytes, 10 * kGiB);
  EXPECT_EQ((*rows)[2].name, "C");
  EXPECT_EQ((*rows)[2].users, 1);
  EXPECT_EQ((*rows)[2].allocated_bytes, 30 * kGiB);
}

}  // namespace
}  // namespace nimbus::db
