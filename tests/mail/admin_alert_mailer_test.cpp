// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/admin_alert_mailer.h"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <future>

#include "db/database.h"
#include "db/migrations.h"
#include "fakes/fake_clock.h"
#include "support/migrated_db.h"
#include "support/temp_dir.h"

namespace nimbus::core {
namespace {

class AdminAlertMailerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = nimbus::testing::MigratedSqlite(dir_.File("nimbus.db"));
    ASSERT_TRUE(db_);
  }

  struct Mail {
    std::string to, subject, text, html;
  };
  std::vector<Mail> Outbox() {
    auto rows = db_->Read([](db::Transaction& tx) {
      return tx.Query("SELECT \"to\", subject, text, html FROM mail_outbox ORDER BY id");
    });
    std::vector<Mail> out;
    if (!rows) return out;
    for (const auto& r : *rows) out.push_back({r.Text(0), r.Text(1), r.Text(2), r.Text(3)});
    return out;
  }

  nimbus::testing::TempDir dir_;
  std::unique_ptr<db::Database> db_;
  FakeClock clock_;
  WorkerPool workers_{1};
  util::Metrics metrics_;
  std::string public_url_ = "https://files.example";
};

// A replaced disk healed is a spare again, in no pair: its mail does not say "back in service"
// (QA pass 20).
TEST(AlertTitle, ADiskHealedIntoASpareIsNotBackInService) {
  storage::Alert back{storage::AlertKind::kDiskRecovered, "b1", "disk 'b1' is healthy again"};
  EXPECT_EQ(AlertTitle(back), "Disk b1 is back in service");
  storage::Alert spare = back;
  spare.to_spare = true;
  EXPECT_EQ(AlertTitle(spare), "Disk b1 is a usable spare again");
}

TEST_F(AdminAlertMailerTest, MailsEveryAdminAndStillCountsTheAlert) {
  AdminAlertMailer sink(
      *db_, workers_, clock_,
      [] {
        return Result<std::vector<std::string>>({"a@x.org", "Bo <b@x.org>"});
      },
      public_url_, &metrics_);
  sink.Raise({storage::AlertKind::kDiskFailed, "a1", "Disk a1 stopped answering; a1m serves."});
  sink.Close();
  auto mails = Outbox();
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(mails[0].to, "a@x.org");
  EXPECT_EQ(mails[1].to, "Bo <b@x.org>");
  for (const Mail& m : mails) {
    EXPECT_EQ(m.subject, "[Nimbus alert] Disk a1 failed");
    EXPECT_NE(m.text.find("Disk a1 stopped answering; a1m serves."), std::string::npos);
    // What to do: heal a disk that is back, or replace a broken one.
    EXPECT_NE(m.text.find("nimbus admin disk heal a1."), std::string::npos) << m.text;
    EXPECT_NE(m.text.find("nimbus admin disk replace a1 --with SPARE"), std::string::npos);
    EXPECT_NE(m.text.find("https://files.example/admin"), std::string::npos);
    EXPECT_NE(m.html.find("href=\"https://files.example/admin\""), std::string::npos);
  }
  const std::string text = metrics_.RenderPrometheus();
  EXPECT_NE(text.find("nimbus_storage_alerts_total{kind=\"disk_failed\",disk=\"a1\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("nimbus_admin_alert_mails_total{result=\"queued\"} 2"), std::string::npos)
      << text;
}

TEST_F(AdminAlertMailerTest, RaiseNeverWaitsForTheDatabaseAndDropsPastTheBound) {
  std::promise<void> entered, release;
  std::shared_future<void> go = release.get_future().share();
  std::atomic<bool> first{true};
  auto admins = [&]() -> Result<std::vector<std::string>> {
    if (first.exchange(false)) {
      entered.set_value();
      go.wait();
    }
    return std::vector<std::string>{"a@x.org"};
  };
  AdminAlertMailer sink(*db_, workers_, clock_, admins, public_url_, &metrics_, 2);
  sink.Raise({storage::AlertKind::kDiskDegraded, "b1", "first"});
  ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  // The worker is stuck in the admin lookup; Raise returns at once all the same.
  const auto start = std::chrono::steady_clock::now();
  sink.Raise({storage::AlertKind::kNoCapacity, "", "second"});
  sink.Raise({storage::AlertKind::kSpareAttached, "s1", "third"});
  sink.Raise({storage::AlertKind::kNearFull, "", "fourth (dropped)"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  release.set_value();
  sink.Close();
  auto mails = Outbox();
  ASSERT_EQ(mails.size(), 3u);
  EXPECT_EQ(mails[0].subject, "[Nimbus alert] Disk b1 is degraded");
  EXPECT_EQ(mails[1].subject, "[Nimbus alert] No storage capacity left");
  EXPECT_EQ(mails[2].subject, "[Nimbus alert] Spare disk s1 was attached");
  const std::string text = metrics_.RenderPrometheus();
  EXPECT_NE(text.find("nimbus_admin_alert_mails_total{result=\"dropped\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("nimbus_storage_alerts_total{kind=\"near_full\",disk=\"\"} 1"),
            std::string::npos)
      << "a dropped mail is still logged and counted as an alert\n"
      << text;
}

TEST_F(AdminAlertMailerTest, AFailedAdminLookupQueuesNothingAndIsCounted) {
  AdminAlertMailer sink(
      *db_, workers_, clock_,
      [] { return Result<std::vector<std::string>>(Fail(Errc::kUnavailable, "db busy")); },
      public_url_, &metrics_);
  sink.Raise({storage::AlertKind::kRepairFailed, "c1", "both copies bad"});
  sink.Close();
  EXPECT_TRUE(Outbox().empty());
  EXPECT_NE(metrics_.RenderPrometheus().find("nimbus_admin_alert_mails_total{result=\"error\"} 1"),
            std::string::npos);
}

TEST_F(AdminAlertMailerTest, AlertsAfterCloseAreOnlyLogged) {
  AdminAlertMailer sink(
      *db_, workers_, clock_, [] { return Result<std::vector<std::string>>({"a@x.org"}); },
      public_url_, &metrics_);
  sink.Close();
  sink.Raise({storage::AlertKind::kDiskFailed, "a1", "late"});
  sink.Close();
  EXPECT_TRUE(Outbox().empty());
}

// The server applying a disk state that the CLI recorded (and mailed): counted, not mailed again.
TEST_F(AdminAlertMailerTest, AnAlertMailedElsewhereIsCountedButNotMailedAgain) {
  AdminAlertMailer sink(
      *db_, workers_, clock_, [] { return Result<std::vector<std::string>>({"a@x.org"}); },
      public_url_, &metrics_);
  storage::Alert applied{storage::AlertKind::kDiskFailed, "a1", "marked failed in the database"};
  applied.mailed = false;
  sink.Raise(applied);
  sink.Close();
  EXPECT_TRUE(Outbox().empty());
  EXPECT_NE(metrics_.RenderPrometheus().find(
                "nimbus_storage_alerts_total{kind=\"disk_failed\",disk=\"a1\"} 1"),
            std::string::npos);
}

// A disk flapping, or every read of a damaged file failing its repair, raises the same alert
// again and again: one mail per kind and disk in the quiet period, the next one says how many
// were held back; each is still logged and counted (QA pass 10).
TEST_F(AdminAlertMailerTest, TheSameAlertIsMailedOncePerQuietPeriodAndTheNextMailCountsTheRest) {
  clock_.Set(FromUnixMs(1'795'000'000'000));  // 2026-11-18 11:06:40 UTC.
  AdminAlertMailer sink(
      *db_, workers_, clock_, [] { return Result<std::vector<std::string>>({"a@x.org"}); },
      public_url_, &metrics_);
  sink.Raise({storage::AlertKind::kRepairFailed, "a1", "blob 1: both copies are damaged"});
  for (int i = 2; i <= 4; ++i) {
    clock_.Advance(std::chrono::minutes(1));
    sink.Raise({storage::AlertKind::kRepairFailed, "a1",
                fmt::format("blob {}: both copies are damaged", i)});
  }
  sink.Raise({storage::AlertKind::kRepairFailed, "b1", "another disk: mailed"});
  sink.Raise({storage::AlertKind::kDiskRecovered, "a1", "another kind: mailed"});
  clock_.Advance(std::chrono::minutes(30));
  sink.Raise({storage::AlertKind::kRepairFailed, "a1", "blob 5: both copies are damaged"});
  sink.Close();
  auto mails = Outbox();
  ASSERT_EQ(mails.size(), 4u);
  EXPECT_NE(mails[0].text.find("blob 1:"), std::string::npos);
  EXPECT_EQ(mails[0].text.find("not mailed"), std::string::npos) << mails[0].text;
  EXPECT_NE(mails[1].text.find("another disk"), std::string::npos);
  EXPECT_NE(mails[2].text.find("another kind"), std::string::npos);
  EXPECT_NE(mails[3].text.find("blob 5:"), std::string::npos);
  EXPECT_NE(mails[3].text.find("3 more alerts like this since 2026-11-18 11:07 UTC were not "
                               "mailed"),
            std::string::npos)
      << mails[3].text;
  const std::string text = metrics_.RenderPrometheus();
  EXPECT_NE(text.find("nimbus_storage_alerts_total{kind=\"repair_failed\",disk=\"a1\"} 5"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("nimbus_admin_alert_mails_total{result=\"held\"} 3"), std::string::npos)
      << text;
}

// A disk back in service ends the quiet period of its alerts (in this process and across
// processes), and "users cannot reach their files" is never held back, under its own subject
// (QA pass 17: a whole pair going down was not mailed within 30 minutes of an earlier failure).
TEST_F(AdminAlertMailerTest, ADiskBackInServiceEndsTheQuietPeriodAndAPairDownIsAlwaysMailed) {
  clock_.Set(FromUnixMs(1'795'000'000'000));
  auto admins = [] { return Result<std::vector<std::string>>({"a@x.org"}); };
  {
    AdminAlertMailer sink(*db_, workers_, clock_, admins, public_url_, &metrics_);
    sink.Raise({storage::AlertKind::kDiskFailed, "a1", "disk 'a1' failed (1)"});
    clock_.Advance(std::chrono::minutes(1));
    sink.Raise({storage::AlertKind::kDiskRecovered, "a1", "disk 'a1' is healthy again"});
    clock_.Advance(std::chrono::minutes(1));
    sink.Raise({storage::AlertKind::kDiskFailed, "a1", "disk 'a1' failed (2)"});  // Mailed.
    clock_.Advance(std::chrono::minutes(1));
    sink.Raise({storage::AlertKind::kDiskFailed, "a1", "disk 'a1' failed (3)"});  // Held.
    storage::Alert down{storage::AlertKind::kDiskFailed, "a1m",
                        "disk 'a1m' failed, and its partner 'a1' is not serving either"};
    sink.Raise({storage::AlertKind::kDiskFailed, "a1m", "disk 'a1m' failed (4)"});
    down.users_cut_off = true;
    sink.Raise(down);  // Within a1m's quiet period, and mailed all the same.
    sink.Close();
  }
  clock_.Advance(std::chrono::minutes(1));
  {
    AdminAlertMailer again(*db_, workers_, clock_, admins, public_url_);
    again.Raise({storage::AlertKind::kDiskRecovered, "a1", "disk 'a1' is healthy again"});
    again.Close();
  }
  {
    AdminAlertMailer third(*db_, workers_, clock_, admins, public_url_);
    third.Raise({storage::AlertKind::kDiskFailed, "a1", "disk 'a1' failed (5)"});  // Mailed.
    third.Close();
  }
  auto mails = Outbox();
  std::vector<std::string> subjects;
  for (const auto& m : mails) subjects.push_back(m.subject);
  ASSERT_EQ(mails.size(), 7u) << fmt::format("{}", fmt::join(subjects, " | "));
  EXPECT_NE(mails[2].text.find("failed (2)"), std::string::npos);
  EXPECT_NE(mails[3].text.find("failed (4)"), std::string::npos);
  EXPECT_NE(mails[4].subject.find("Disk a1m failed: its pair is down, users cannot reach their "
                                  "files"),
            std::string::npos)
      << mails[4].subject;
  EXPECT_NE(mails[6].text.find("failed (5)"), std::string::npos);
}

// Each CLI command (a scrub, a job run) is a process with a mailer of its own: the quiet period
// holds across them through the outbox (QA pass 11: the same scrub alert mailed 7 times in 3
// minutes by successive commands).
TEST_F(AdminAlertMailerTest, TheQuietPeriodHoldsAcrossProcesses) {
  clock_.Set(FromUnixMs(1'795'000'000'000));
  auto admins = [] { return Result<std::vector<std::string>>({"a@x.org"}); };
  {
    AdminAlertMailer first(*db_, workers_, clock_, admins, public_url_, &metrics_);
    first.Raise({storage::AlertKind::kScrubFindings, "a1", "scrub of a1: 2 orphans"});
    first.Close();
  }
  clock_.Advance(std::chrono::minutes(5));
  {
    util::Metrics second_metrics;
    AdminAlertMailer second(*db_, workers_, clock_, admins, public_url_, &second_metrics);
    second.Raise({storage::AlertKind::kScrubFindings, "a1", "scrub of a1: 2 orphans"});
    second.Raise({storage::AlertKind::kScrubFindings, "b1", "scrub of b1: another disk"});
    second.Close();
    EXPECT_NE(
        second_metrics.RenderPrometheus().find("nimbus_admin_alert_mails_total{result=\"held\"} 1"),
        std::string::npos)
        << second_metrics.RenderPrometheus();
  }
  ASSERT_EQ(Outbox().size(), 2u);
  EXPECT_NE(Outbox()[1].text.find("another disk"), std::string::npos);
  clock_.Advance(std::chrono::minutes(26));  // 31 minutes after the first mail.
  {
    AdminAlertMailer third(*db_, workers_, clock_, admins, public_url_);
    third.Raise({storage::AlertKind::kScrubFindings, "a1", "scrub of a1: still 2 orphans"});
    third.Close();
  }
  ASSERT_EQ(Outbox().size(), 3u);
  EXPECT_NE(Outbox()[2].text.find("still 2 orphans"), std::string::npos);
}

}  // namespace
}  // namespace nimbus::core
