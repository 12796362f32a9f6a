// SPDX-License-Identifier: AGPL-3.0-or-later
// The billing job and the past-due lifecycle (core/billing/ledger.h): the invoice of each new
// period (a full month at the plan's price, the balance applied, exact cents), missed periods,
// free plans, past_due exactly grace_days after the due date, and manual payments lifting it.
// Plans are changed through BillingService as a user does, over a real SQLite file, a
// StorageEngine on MemoryVolumes (one category holding every size, so changes resize in place)
// and a FakeClock; mails are read back from the outbox table.
#include "core/billing/ledger.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <cctype>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/billing/billing_service.h"
#include "core/billing/plan_pricing.h"
#include "db/database.h"
#include "db/migrations.h"
#include "db/stores/account_store.h"
#include "db/stores/billing_store.h"
#include "fakes/fake_clock.h"
#include "storage/engine/owner_blobs.h"
#include "storage/engine/storage_engine.h"
#include "storage/memory/memory_volume.h"
#include "storage/run_co.h"
#include "support/migrated_db.h"
#include "support/temp_dir.h"
#include "util/metrics.h"

namespace nimbus::core::billing {
namespace {

namespace chr = std::chrono;

constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::uint64_t kG = std::uint64_t{1} << 30;

// Milliseconds of a UTC date and time.
std::int64_t At(int y, unsigned m, unsigned d, int h = 0, int min = 0) {
  const chr::sys_days day{chr::year(y) / chr::month(m) / chr::day(d)};
  return chr::duration_cast<chr::milliseconds>(day.time_since_epoch() + chr::hours(h) +
                                               chr::minutes(min))
      .count();
}

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = nimbus::testing::MigratedSqlite(dir_.File("nimbus.db"));
    ASSERT_TRUE(db_);
    config::DisksConfig disks;
    disks.categories = {{"A", 1, 100}};
    disks.disks.push_back({"a1", "A", "memory:a1", 1000 * kG, "a1m", "primary"});
    disks.disks.push_back({"a1m", "A", "memory:a1m", 1000 * kG, "a1", "mirror"});
    storage::VolumeFactory factory =
        [](const storage::DiskInfo& d) -> Result<std::unique_ptr<storage::Volume>> {
      return std::make_unique<storage::MemoryVolume>(d.id, d.capacity_bytes);
    };
    auto engine = storage::StorageEngine::Open(disks, storage::EngineDeps{.db = *db_,
                                                                          .workers = workers_,
                                                                          .metrics = metrics_,
                                                                          .clock = clock_,
                                                                          .open_volume = factory});
    ASSERT_TRUE(engine) << engine.error().message;
    engine_ = std::move(*engine);
    blobs_ = std::make_unique<storage::OwnerBlobs>(*engine_, *db_, workers_, clock_);
    billing_ = std::make_unique<BillingService>(
        BillingDeps{*db_, *blobs_, engine_->pool(), workers_, clock_, config_, {}, public_url_});
    ledger_ = std::make_unique<Ledger>(
        LedgerDeps{*db_, clock_, config_, public_url_,
                   [this](std::int64_t user) { notified_.push_back(user); }});
    ann_ = AddUser(1001, "ann@example.com");
  }

  void TearDown() override {
    ledger_.reset();
    billing_.reset();
    blobs_.reset();
    engine_.reset();
  }

  void SetNow(std::int64_t ms) { clock_.Set(FromUnixMs(ms)); }

  // A user with a 1 GiB allocation (the free plan), as sign-up leaves them.
  std::int64_t AddUser(std::int64_t id, const std::string& email) {
    db::UserRecord u;
    u.id = id;
    u.email = email;
    u.name = email.substr(0, email.find('@'));
    u.password_hash = "x";
    u.root_id = "root-" + std::to_string(id);
    auto added =
        db_->Write([&](db::Transaction& tx) { return db::AccountStore::InsertUser(tx, u); });
    EXPECT_TRUE(added) << added.error().message;
    auto pair = engine_->pool().Allocate(id, kG);
    EXPECT_TRUE(pair) << pair.error().message;
    return id;
  }

  // PUT /plan as the user does; returns the invoice issued, if any.
  std::optional<Invoice> ChangePlan(std::int64_t user, std::int64_t gb) {
    auto changed = nimbus::testing::RunCo(ioc_, billing_->ChangePlan(user, gb));
    EXPECT_TRUE(changed) << changed.error().message;
    return changed ? changed->invoice : std::nullopt;
  }

  // Upgrades `user` to `gb` now and pays the first month's invoice at once.
  void PaidPlan(std::int64_t user, std::int64_t gb) {
    auto invoice = ChangePlan(user, gb);
    ASSERT_TRUE(invoice);
    ASSERT_TRUE(ledger_->MarkPaid(invoice->id, kPaidViaManual, ""));
  }

  BillingRun RunBilling() {
    auto run = ledger_->RunBilling();
    EXPECT_TRUE(run) << run.error().message;
    return run.value_or(BillingRun{});
  }

  db::BillingAccountRow Account(std::int64_t user) {
    auto row =
        db_->Read([&](db::Transaction& tx) { return db::BillingStore::FindAccount(tx, user); });
    EXPECT_TRUE(row && *row);
    return row && *row ? **row : db::BillingAccountRow{};
  }

  // The user's invoices with their lines, oldest first.
  std::vector<Invoice> Invoices(std::int64_t user) {
    auto page = nimbus::testing::RunCo(ioc_, billing_->ListInvoices(user, 1000, ""));
    EXPECT_TRUE(page) << page.error().message;
    std::vector<Invoice> out = page ? page->items : std::vector<Invoice>{};
    std::reverse(out.begin(), out.end());
    return out;
  }

  // Subjects of the mails queued to `to`, oldest first.
  std::vector<std::string> Subjects(const std::string& to) {
    auto rows = db_->Read([&](db::Transaction& tx) {
      return tx.Query("SELECT subject FROM mail_outbox WHERE \"to\" = ? ORDER BY id", {to});
    });
    EXPECT_TRUE(rows) << rows.error().message;
    std::vector<std::string> out;
    if (rows) {
      for (const auto& r : *rows) out.push_back(r.Text(0));
    }
    return out;
  }
  int CountSubjects(const std::string& to, const std::string& part) {
    int n = 0;
    for (const std::string& s : Subjects(to)) n += s.find(part) != std::string::npos ? 1 : 0;
    return n;
  }

  Standing StandingOf(std::int64_t user) {
    auto s = ledger_->StandingOf(user);
    EXPECT_TRUE(s) << s.error().message;
    return s.value_or(Standing{});
  }

  nimbus::testing::TempDir dir_;
  std::unique_ptr<db::Database> db_;
  WorkerPool workers_{2};
  util::Metrics metrics_;
  FakeClock clock_;
  config::BillingConfig config_;  // 10 cents per GB-month, grace 14 days, due at once.
  std::string public_url_ = "http://nimbus.test:8080";
  boost::asio::io_context ioc_;
  std::unique_ptr<storage::StorageEngine> engine_;
  std::unique_ptr<storage::OwnerBlobs> blobs_;
  std::unique_ptr<BillingService> billing_;
  std::unique_ptr<Ledger> ledger_;
  std::vector<std::int64_t> notified_;
  std::int64_t ann_ = 0;
};

TEST_F(LedgerTest, PeriodEndInvoicesAFullMonthAtThePlanPriceLessTheBalance) {
  SetNow(At(2026, 1, 10, 9, 30));
  PaidPlan(ann_, 20);
  // 20 → 10 GB with 16 of the period's 31 days left: 100 × 16/31 = 51.61 → 52 cents credited.
  SetNow(At(2026, 1, 25, 9, 30));
  EXPECT_FALSE(ChangePlan(ann_, 10));
  EXPECT_EQ(Account(ann_).balance, 52);

  SetNow(At(2026, 2, 10, 9, 30) - 1);  // A millisecond before the period ends: nothing yet.
  EXPECT_EQ(RunBilling().invoices_issued, 0);
  EXPECT_EQ(Invoices(ann_).size(), 1u);

  SetNow(At(2026, 2, 10, 9, 30));
  const BillingRun run = RunBilling();
  EXPECT_EQ(run.invoices_issued, 1);
  EXPECT_EQ(run.amount_invoiced, 48);
  EXPECT_EQ(run.accounts_billed, 1);
  EXPECT_EQ(run.Summary(),
            "1 invoice(s) issued (0.48 USD) for 1 account(s); 0 account(s) became past due, "
            "0 lifted");
  const std::vector<Invoice> invoices = Invoices(ann_);
  ASSERT_EQ(invoices.size(), 2u);
  const Invoice& next = invoices[1];
  EXPECT_EQ(next.number, "INV-000002");
  EXPECT_EQ(next.status, "open");
  EXPECT_EQ(next.subtotal, 100);  // 10 GB × 10 cents, a full month.
  EXPECT_EQ(next.credit_applied, 52);
  EXPECT_EQ(next.total, 48);
  EXPECT_EQ(next.period_start, At(2026, 2, 10, 9, 30));
  EXPECT_EQ(next.period_end, At(2026, 3, 10, 9, 30));
  EXPECT_EQ(next.issued_at, At(2026, 2, 10, 9, 30));
  EXPECT_EQ(next.due_at, At(2026, 2, 10, 9, 30));
  ASSERT_EQ(next.lines.size(), 1u);
  EXPECT_EQ(next.lines[0].description, "Plan 10 GB, 2026-02-10 – 2026-03-10");
  EXPECT_EQ(next.lines[0].size_gb, 10);
  EXPECT_EQ(next.lines[0].from, At(2026, 2, 10, 9, 30));
  EXPECT_EQ(next.lines[0].to, At(2026, 3, 10, 9, 30));
  EXPECT_EQ(next.lines[0].amount, 100);
  const db::BillingAccountRow account = Account(ann_);
  EXPECT_EQ(account.balance, 0);
  EXPECT_EQ(account.period_start, At(2026, 2, 10, 9, 30));
  EXPECT_EQ(account.period_end, At(2026, 3, 10, 9, 30));
  EXPECT_EQ(account.anchor_at, At(2026, 1, 10, 9, 30));
  EXPECT_EQ(CountSubjects("ann@example.com", "INV-000002"), 1) << "the new invoice is mailed";

  // Running again in the same period issues nothing more.
  SetNow(At(2026, 2, 20));
  EXPECT_EQ(RunBilling().invoices_issued, 0);
  EXPECT_EQ(Invoices(ann_).size(), 2u);
}

// A change between a period's end and the next job run: the ended period is invoiced first (as
// the job would), then the upgrade is prorated over the new period, not the ended one (where
// nothing would be left to charge).
TEST_F(LedgerTest, APlanChangeAfterThePeriodEndedBeforeTheJobRanBillsTheEndedPeriodFirst) {
  SetNow(At(2026, 1, 10));
  PaidPlan(ann_, 10);
  SetNow(At(2026, 2, 10, 0, 30));  // The period ended half an hour ago; no job run since.
  auto quote = nimbus::testing::RunCo(ioc_, billing_->QuotePlan(ann_, 20));
  ASSERT_TRUE(quote) << quote.error().message;
  // +10 GB = 100 cents a month, for the 28 days less 30 minutes left of Feb 10 – Mar 10.
  const std::int64_t left_s = 28 * 86'400 - 30 * 60;
  const std::int64_t expected = Prorate(100, left_s, 28 * 86'400);
  EXPECT_EQ(quote->prorated_amount, expected);
  auto upgrade = ChangePlan(ann_, 20);
  ASSERT_TRUE(upgrade);
  EXPECT_EQ(upgrade->total, expected);
  EXPECT_EQ(upgrade->period_start, At(2026, 2, 10, 0, 30));
  EXPECT_EQ(upgrade->period_end, At(2026, 3, 10));
  const std::vector<Invoice> invoices = Invoices(ann_);
  ASSERT_EQ(invoices.size(), 3u);
  EXPECT_EQ(invoices[1].lines.at(0).description, "Plan 10 GB, 2026-02-10 – 2026-03-10");
  EXPECT_EQ(invoices[1].total, 100);
  EXPECT_EQ(Account(ann_).period_end, At(2026, 3, 10));
  // The job finds nothing more to bill for this period.
  EXPECT_EQ(RunBilling().invoices_issued, 0);
}

TEST_F(LedgerTest, ACreditLargerThanAMonthPaysTheNextInvoicesAndTheRestIsCarriedForward) {
  SetNow(At(2026, 3, 1));
  PaidPlan(ann_, 100);
  // 100 → 10 GB with 30 of 31 days left: 900 × 30/31 = 870.97 → 871 cents credited.
  SetNow(At(2026, 3, 2));
  ChangePlan(ann_, 10);
  ASSERT_EQ(Account(ann_).balance, 871);

  SetNow(At(2026, 4, 1));
  EXPECT_EQ(RunBilling().invoices_issued, 1);
  std::vector<Invoice> invoices = Invoices(ann_);
  ASSERT_EQ(invoices.size(), 2u);
  EXPECT_EQ(invoices[1].subtotal, 100);
  EXPECT_EQ(invoices[1].credit_applied, 100);
  EXPECT_EQ(invoices[1].total, 0);
  EXPECT_EQ(invoices[1].status, "paid") << "nothing owed: paid by the credit when issued";
  EXPECT_EQ(invoices[1].paid_via, "credit");
  EXPECT_EQ(Account(ann_).balance, 771);
  EXPECT_EQ(CountSubjects("ann@example.com", invoices[1].number), 0) << "nothing due, no mail";

  SetNow(At(2026, 5, 1));
  EXPECT_EQ(RunBilling().invoices_issued, 1);
  EXPECT_EQ(Account(ann_).balance, 671);
  EXPECT_EQ(Invoices(ann_).back().total, 0);
}

// A downgrade's credit pays what is still owed: the invoice the user was mailed about changes,
// and they are mailed again, saying how much the credit paid and what is left (QA pass 19b).
TEST_F(LedgerTest, ACreditThatPaysAnOpenInvoiceIsMailed) {
  SetNow(At(2026, 3, 1));
  auto open = ChangePlan(ann_, 100);  // 1,000 cents for March, not paid.
  ASSERT_TRUE(open);
  const std::string number = open->number;
  EXPECT_EQ(CountSubjects("ann@example.com", number), 1) << "the invoice";
  SetNow(At(2026, 3, 2));
  ChangePlan(ann_, 10);  // 900 × 30/31 → 871 credited, all of it into the open invoice.
  const std::vector<Invoice> invoices = Invoices(ann_);
  ASSERT_EQ(invoices.size(), 1u);
  EXPECT_EQ(invoices[0].credit_applied, 871);
  EXPECT_EQ(invoices[0].status, "open");
  EXPECT_EQ(CountSubjects("ann@example.com", number + ": 8.71 USD paid from your credit"), 1);
  auto text = db_->Read([&](db::Transaction& tx) -> Result<std::string> {
    auto row = tx.QueryOne("SELECT text FROM mail_outbox WHERE subject LIKE '%from your credit'");
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::string("no mail");
    return (**row).Text(0);
  });
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_NE(text->find("1.29 USD is still due."), std::string::npos) << *text;
}

TEST_F(LedgerTest, MissedPeriodsGetOneInvoiceEachAndPeriodsKeepTheAnchorDay) {
  SetNow(At(2026, 1, 31, 8));
  PaidPlan(ann_, 10);
  // The server was down for two months: periods [Jan 31, Feb 28), [Feb 28, Mar 31) and
  // [Mar 31, Apr 30) ... by Apr 1 two of them ended.
  SetNow(At(2026, 4, 1));
  const BillingRun run = RunBilling();
  EXPECT_EQ(run.invoices_issued, 2);
  EXPECT_EQ(run.amount_invoiced, 200);
  EXPECT_EQ(run.accounts_billed, 1);
  const std::vector<Invoice> invoices = Invoices(ann_);
  ASSERT_EQ(invoices.size(), 3u);
  EXPECT_EQ(invoices[1].number, "INV-000002");
  EXPECT_EQ(invoices[1].period_start, At(2026, 2, 28, 8));
  EXPECT_EQ(invoices[1].period_end, At(2026, 3, 31, 8));
  EXPECT_EQ(invoices[1].lines.at(0).description, "Plan 10 GB, 2026-02-28 – 2026-03-31");
  EXPECT_EQ(invoices[1].total, 100);
  EXPECT_EQ(invoices[2].number, "INV-000003");
  EXPECT_EQ(invoices[2].period_start, At(2026, 3, 31, 8));
  EXPECT_EQ(invoices[2].period_end, At(2026, 4, 30, 8));
  EXPECT_EQ(invoices[2].lines.at(0).description, "Plan 10 GB, 2026-03-31 – 2026-04-30");
  EXPECT_EQ(Account(ann_).period_start, At(2026, 3, 31, 8));
  EXPECT_EQ(Account(ann_).period_end, At(2026, 4, 30, 8));

  EXPECT_EQ(RunBilling().invoices_issued, 0) << "a second run issues nothing more";
  EXPECT_EQ(Invoices(ann_).size(), 3u);
}

TEST_F(LedgerTest, ALeapFebruaryEndsOnThe29th) {
  SetNow(At(2028, 1, 31));
  PaidPlan(ann_, 10);
  SetNow(At(2028, 3, 1));
  EXPECT_EQ(RunBilling().invoices_issued, 1);
  const Invoice next = Invoices(ann_).back();
  EXPECT_EQ(next.period_start, At(2028, 2, 29));
  EXPECT_EQ(next.period_end, At(2028, 3, 31));
  EXPECT_EQ(next.lines.at(0).description, "Plan 10 GB, 2028-02-29 – 2028-03-31");
}

TEST_F(LedgerTest, TheFreePlanIsNeverInvoiced) {
  const std::int64_t bob = AddUser(1002, "bob@example.com");  // Never had a paid plan.
  SetNow(At(2026, 1, 10));
  PaidPlan(ann_, 10);
  SetNow(At(2026, 1, 12));
  ChangePlan(ann_, 1);  // Paid → free mid-period: credited, the period ends.
  const std::int64_t balance = Account(ann_).balance;
  EXPECT_GT(balance, 0);
  EXPECT_FALSE(Account(ann_).period_end);

  for (int month = 2; month <= 6; ++month) {
    SetNow(At(2026, month, 11));
    const BillingRun run = RunBilling();
    EXPECT_EQ(run.invoices_issued, 0) << month;
    EXPECT_EQ(run.accounts_billed, 0) << month;
  }
  EXPECT_EQ(Invoices(ann_).size(), 1u);
  EXPECT_TRUE(Invoices(bob).empty());
  EXPECT_EQ(Account(ann_).balance, balance);
}

TEST_F(LedgerTest, PastDueExactlyGraceDaysAfterTheDueDateAndMailedOnce) {
  const std::int64_t t0 = At(2026, 6, 1, 12);
  SetNow(t0);
  auto invoice = ChangePlan(ann_, 10);  // Open, due at once.
  ASSERT_TRUE(invoice);
  const std::int64_t grace_end = t0 + 14 * kDayMs;

  SetNow(grace_end - 1);
  BillingRun run = RunBilling();
  EXPECT_EQ(run.became_past_due, 0);
  EXPECT_EQ(StandingOf(ann_).state, "active");
  EXPECT_FALSE(Account(ann_).past_due_since);
  EXPECT_EQ(CountSubjects("ann@example.com", "past due"), 0);

  SetNow(grace_end);
  run = RunBilling();
  EXPECT_EQ(run.became_past_due, 1);
  EXPECT_NE(run.Summary().find("1 account(s) became past due"), std::string::npos);
  Standing s = StandingOf(ann_);
  EXPECT_EQ(s.state, "past_due");
  EXPECT_EQ(s.past_due_since, grace_end);
  EXPECT_EQ(s.amount_due, 100);
  EXPECT_EQ(s.currency, "USD");
  EXPECT_EQ(notified_, std::vector<std::int64_t>{ann_});
  EXPECT_EQ(CountSubjects("ann@example.com", "past due"), 1);

  SetNow(grace_end + kDayMs);
  EXPECT_EQ(RunBilling().became_past_due, 0);
  EXPECT_EQ(CountSubjects("ann@example.com", "past due"), 1) << "mailed once";

  auto paid = ledger_->MarkPaid(invoice->number, kPaidViaManual, "bank transfer 42");
  ASSERT_TRUE(paid) << paid.error().message;
  EXPECT_TRUE(paid->lifted);
  EXPECT_FALSE(paid->already_paid);
  EXPECT_EQ(paid->email, "ann@example.com");
  EXPECT_EQ(paid->invoice.status, "paid");
  EXPECT_EQ(paid->invoice.paid_via, "manual");
  EXPECT_EQ(paid->invoice.paid_at, grace_end + kDayMs);
  s = StandingOf(ann_);
  EXPECT_EQ(s.state, "active");
  EXPECT_FALSE(s.past_due_since);
  EXPECT_EQ(s.amount_due, 0);
  EXPECT_EQ(notified_, (std::vector<std::int64_t>{ann_, ann_}));
  EXPECT_EQ(CountSubjects("ann@example.com", "Payment received for invoice " + invoice->number), 1);

  auto again = ledger_->MarkPaid(invoice->id, kPaidViaManual, "");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->already_paid);
  // The number typed in lower case is the same invoice.
  std::string lower = invoice->number;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto typed = ledger_->MarkPaid(lower, kPaidViaManual, "");
  ASSERT_TRUE(typed) << typed.error().message;
  EXPECT_TRUE(typed->already_paid);
  EXPECT_EQ(CountSubjects("ann@example.com", "Payment received"), 1) << "no second receipt";
  EXPECT_EQ(RunBilling().lifted, 0);
}

TEST_F(LedgerTest, PayingOneOfTwoOverdueInvoicesKeepsTheAccountPastDue) {
  const std::int64_t t0 = At(2026, 6, 1);
  SetNow(t0);
  auto first = ChangePlan(ann_, 10);
  SetNow(t0 + kDayMs);
  auto second = ChangePlan(ann_, 20);  // The upgrade's prorated difference.
  ASSERT_TRUE(first && second);
  SetNow(t0 + 16 * kDayMs);
  EXPECT_EQ(RunBilling().became_past_due, 1);

  auto paid = ledger_->MarkPaid(first->id, kPaidViaManual, "");
  ASSERT_TRUE(paid) << paid.error().message;
  EXPECT_FALSE(paid->lifted);
  EXPECT_EQ(StandingOf(ann_).state, "past_due");
  EXPECT_EQ(StandingOf(ann_).amount_due, second->total);

  paid = ledger_->MarkPaid(second->id, kPaidViaManual, "");
  ASSERT_TRUE(paid) << paid.error().message;
  EXPECT_TRUE(paid->lifted);
  EXPECT_EQ(StandingOf(ann_).state, "active");
}

TEST_F(LedgerTest, UnknownInvoicesAreNotFoundWithASentence) {
  auto paid = ledger_->MarkPaid("INV-000999", kPaidViaManual, "");
  ASSERT_FALSE(paid);
  EXPECT_EQ(paid.error().code, Errc::kNotFound);
  EXPECT_EQ(paid.error().message, "There is no invoice INV-000999.");
  paid = ledger_->MarkPaid("nope", kPaidViaManual, "");
  ASSERT_FALSE(paid);
  EXPECT_EQ(paid.error().code, Errc::kNotFound);
}

TEST_F(LedgerTest, TheAdminListFiltersByUserAndStatus) {
  const std::int64_t bob = AddUser(1002, "bob@example.com");
  SetNow(At(2026, 1, 10));
  PaidPlan(ann_, 10);
  ASSERT_TRUE(ChangePlan(bob, 20));

  auto all = ledger_->ListInvoices(std::nullopt, std::nullopt);
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].email, "ann@example.com");
  EXPECT_EQ((*all)[1].email, "bob@example.com");
  auto open = ledger_->ListInvoices(std::nullopt, "open");
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].user_id, bob);
  auto anns = ledger_->ListInvoices(" Ann@Example.com", std::nullopt);
  ASSERT_TRUE(anns);
  ASSERT_EQ(anns->size(), 1u);
  EXPECT_EQ((*anns)[0].invoice.status, "paid");
  EXPECT_EQ(ledger_->ListInvoices("zed@example.com", std::nullopt).error().code, Errc::kNotFound);
  EXPECT_EQ(ledger_->ListInvoices(std::nullopt, "late").error().code, Errc::kInvalidArgument);
}

// More accounts than one write transaction handles: every one is billed, in batches.
TEST_F(LedgerTest, ManyAccountsAreBilledInBatches) {
  const int n = 2 * kBillingBatch + 50;
  const std::int64_t anchor = At(2026, 1, 15);
  auto put = db_->Write([&](db::Transaction& tx) -> Result<void> {
    for (int i = 0; i < n; ++i) {
      // What a plan change to 10 GB leaves (users without a profile: no mail is queued).
      db::BillingAccountRow row{.user_id = 5000 + i,
                                .plan_gb = 10,
                                .currency = "USD",
                                .anchor_at = anchor,
                                .period_start = anchor,
                                .period_end = AddMonths(anchor, 1),
                                .created_at = anchor,
                                .updated_at = anchor,
                                .past_due_since = std::nullopt};
      if (auto r = db::BillingStore::PutAccount(tx, row); !r) return r;
    }
    return {};
  });
  ASSERT_TRUE(put) << put.error().message;
  SetNow(At(2026, 2, 15));
  const BillingRun run = RunBilling();
  EXPECT_EQ(run.invoices_issued, n);
  EXPECT_EQ(run.accounts_billed, n);
  EXPECT_EQ(run.amount_invoiced, 100 * n);
  EXPECT_EQ(run.became_past_due, 0) << "due now, the grace period has just begun";
  EXPECT_EQ(RunBilling().invoices_issued, 0);
}

}  // namespace
}  // namespace nimbus::core::billing
