// SPDX-License-Identifier: AGPL-3.0-or-later
// Usage warnings (issue 7 "Warnings") over a real SQLite file with every migration: the usage is
// set on the user's allocation (used_bytes, what uploads and the trash keep exact; the allocation
// is the plan), each check reads it, and the mails are read back from the outbox table.
#include "core/billing/usage_warnings.h"

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "db/database.h"
#include "db/migrations.h"
#include "fakes/fake_clock.h"
#include "support/migrated_db.h"
#include "support/temp_dir.h"

namespace nimbus::core::billing {
namespace {

constexpr std::int64_t kGiB = std::int64_t{1} << 30;
constexpr std::int64_t kUser = 4242;

struct Mail {
  std::string to;
  std::string subject;
  std::string text;
};

class UsageWarningsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = nimbus::testing::MigratedSqlite(dir_.File("nimbus.db"));
    ASSERT_TRUE(db_);
    // A user with the free 1 GB plan on a category-A disk, nothing stored yet.
    Exec(
        "INSERT INTO disks (id, category, role, uri, capacity_bytes, mirror_id, state, "
        "created_at, updated_at) VALUES ('a1', 'A', 'primary', 'file:/a1', ?, NULL, 'healthy', "
        "0, 0)",
        {100 * kGiB});
    Exec(
        "INSERT INTO users (id, email, name, password_hash, root_id, created_at, updated_at) "
        "VALUES (?, 'ann@example.com', 'Ann', 'x', 'root-ann', 0, 0)",
        {kUser});
    Exec(
        "INSERT INTO allocations (owner_id, primary_id, bytes, used_bytes, created_at, "
        "updated_at) VALUES (?, 'a1', ?, 0, 0, 0)",
        {kUser, kGiB});
    warnings_ =
        std::make_unique<UsageWarnings>(UsageWarningsDeps{*db_, workers_, clock_, public_url_});
  }

  void Exec(const std::string& sql, std::initializer_list<db::Value> params) {
    auto r = db_->Write([&](db::Transaction& tx) { return tx.Exec(sql, params); });
    ASSERT_TRUE(r) << r.error().message;
  }
  // Sets the bytes the user holds to `percent` % of the plan (rounded up: at least that share).
  void SetUsage(std::int64_t percent) {
    Exec("UPDATE allocations SET used_bytes = (bytes * ? + 99) / 100 WHERE owner_id = ?",
         {percent, kUser});
  }
  void SetPlan(std::int64_t bytes) {
    Exec("UPDATE allocations SET bytes = ? WHERE owner_id = ?", {bytes, kUser});
  }
  UsageCheck Check() {
    auto c = warnings_->Check(kUser);
    EXPECT_TRUE(c) << c.error().message;
    return c.value_or(UsageCheck{-1, -1, false});
  }
  // The stored level (0 without a row).
  std::int64_t StoredLevel() {
    auto r = db_->Read([](db::Transaction& tx) {
      return tx.QueryOne("SELECT level FROM usage_warnings WHERE user_id = ?", {kUser});
    });
    EXPECT_TRUE(r) << r.error().message;
    return r && *r ? (*r)->Int(0) : 0;
  }
  // Every queued mail, oldest first.
  std::vector<Mail> Mails() {
    auto rows = db_->Read([](db::Transaction& tx) {
      return tx.Query("SELECT \"to\", subject, text FROM mail_outbox ORDER BY id");
    });
    EXPECT_TRUE(rows) << rows.error().message;
    std::vector<Mail> out;
    if (!rows) return out;
    for (const db::Row& r : *rows) out.push_back({r.Text(0), r.Text(1), r.Text(2)});
    return out;
  }

  // The subjects of every queued mail, oldest first.
  std::vector<std::string> Subjects() {
    std::vector<std::string> out;
    for (const Mail& m : Mails()) out.push_back(m.subject);
    return out;
  }
  // The subjects of warnings of `percents` (the share used when mailed, not the threshold
  // crossed), in that order.
  static std::vector<std::string> Warned(std::initializer_list<int> percents) {
    std::vector<std::string> out;
    for (int p : percents) out.push_back("Your Nimbus storage is " + std::to_string(p) + "% full");
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<db::Database> db_;
  WorkerPool workers_{1};
  FakeClock clock_;
  std::string public_url_ = "https://nimbus.example";
  std::unique_ptr<UsageWarnings> warnings_;
};

TEST(UsageLevel, IsTheHighestThresholdReachedExactly) {
  constexpr std::int64_t q = 100 * kGiB;
  EXPECT_EQ(UsageLevel(0, q), 0);
  EXPECT_EQ(UsageLevel(q * 85 / 100 - 1, q), 0);
  EXPECT_EQ(UsageLevel(q * 85 / 100, q), 85);
  EXPECT_EQ(UsageLevel(q * 90 / 100 - 1, q), 85);
  EXPECT_EQ(UsageLevel(q * 90 / 100, q), 90);
  EXPECT_EQ(UsageLevel(q * 95 / 100, q), 95);
  EXPECT_EQ(UsageLevel(2 * q, q), 95);  // Over the plan (a downgrade in progress): still 95.
  EXPECT_EQ(UsageLevel(5, 0), 0);
  // 1 GB is not a multiple of 100 bytes: 85 % of it is 912680550.4 bytes.
  EXPECT_EQ(UsageLevel(912680550, kGiB), 0);
  EXPECT_EQ(UsageLevel(912680551, kGiB), 85);
}

TEST_F(UsageWarningsTest, MailsEachThresholdOnceOnTheWayUp) {
  SetUsage(84);
  UsageCheck c = Check();
  EXPECT_EQ(c.level, 0);
  EXPECT_FALSE(c.mailed);
  EXPECT_TRUE(Mails().empty());

  SetUsage(85);
  c = Check();
  EXPECT_EQ(c.previous, 0);
  EXPECT_EQ(c.level, 85);
  EXPECT_TRUE(c.mailed);
  std::vector<Mail> mails = Mails();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].to, "ann@example.com");
  EXPECT_EQ(mails[0].subject, "Your Nimbus storage is 85% full");
  EXPECT_NE(mails[0].text.find("Hello Ann,"), std::string::npos) << mails[0].text;
  EXPECT_NE(mails[0].text.find("870.4 MB of your 1 GB plan (85%)"), std::string::npos)
      << mails[0].text;
  EXPECT_NE(mails[0].text.find("https://nimbus.example/plan"), std::string::npos) << mails[0].text;
  EXPECT_EQ(StoredLevel(), 85);

  SetUsage(86);  // Still the 85 % band: told already.
  c = Check();
  EXPECT_FALSE(c.mailed);
  EXPECT_EQ(Mails().size(), 1u);
  Check();  // Checking again changes nothing either.
  EXPECT_EQ(Mails().size(), 1u);

  SetUsage(91);
  c = Check();
  EXPECT_EQ(c.previous, 85);
  EXPECT_EQ(c.level, 90);
  EXPECT_EQ(Subjects(), Warned({85, 91}));
  EXPECT_EQ(StoredLevel(), 90);
}

TEST_F(UsageWarningsTest, AJumpPastSeveralThresholdsMailsTheHighestOnly) {
  SetUsage(50);
  Check();
  SetUsage(96);
  UsageCheck c = Check();
  EXPECT_EQ(c.level, 95);
  EXPECT_EQ(Subjects(), Warned({96}));
  EXPECT_EQ(StoredLevel(), 95);
}

TEST_F(UsageWarningsTest, DroppingBelowResetsSoCrossingAgainMailsAgain) {
  SetUsage(86);
  Check();
  ASSERT_EQ(Mails().size(), 1u);
  SetUsage(80);  // Files deleted and the trash emptied.
  UsageCheck c = Check();
  EXPECT_EQ(c.previous, 85);
  EXPECT_EQ(c.level, 0);
  EXPECT_FALSE(c.mailed);
  EXPECT_EQ(StoredLevel(), 0);
  EXPECT_EQ(Mails().size(), 1u);

  SetUsage(86);
  c = Check();
  EXPECT_TRUE(c.mailed);
  EXPECT_EQ(Subjects(), Warned({86, 86}));
}

TEST_F(UsageWarningsTest, DroppingFromNinetyFiveToEightySevenKeepsEightyFiveWithoutAMail) {
  SetUsage(96);
  Check();
  SetUsage(87);
  UsageCheck c = Check();
  EXPECT_EQ(c.level, 85);
  EXPECT_FALSE(c.mailed);
  EXPECT_EQ(StoredLevel(), 85);
  SetUsage(91);  // 90 % is passed again: mailed again.
  EXPECT_TRUE(Check().mailed);
  EXPECT_EQ(Subjects(), Warned({96, 91}));
}

// Usage going back and forth across a line (a file deleted and uploaded again near 95 %) mails
// once: a level stays until usage is 2 points of the plan below it (QA pass 11: three "95 %"
// mails in two minutes).
TEST_F(UsageWarningsTest, BackAndForthAcrossALineMailsOnce) {
  SetUsage(96);
  EXPECT_TRUE(Check().mailed);
  SetUsage(94);  // Just below 95 %: still counts as passed.
  UsageCheck c = Check();
  EXPECT_EQ(c.level, 95);
  EXPECT_EQ(StoredLevel(), 95);
  SetUsage(96);
  EXPECT_FALSE(Check().mailed);
  SetUsage(92);  // 3 points below: 95 % is no longer passed (90 % is).
  c = Check();
  EXPECT_EQ(c.level, 90);
  EXPECT_FALSE(c.mailed);
  SetUsage(96);
  EXPECT_TRUE(Check().mailed);
  EXPECT_EQ(Subjects(), Warned({96, 96}));
}

TEST_F(UsageWarningsTest, ABiggerPlanLowersTheLevel) {
  SetUsage(90);  // 90 % of 1 GB.
  Check();
  ASSERT_EQ(StoredLevel(), 90);
  SetPlan(10 * kGiB);  // The same bytes are 9 % of 10 GB.
  UsageCheck c = Check();
  EXPECT_EQ(c.previous, 90);
  EXPECT_EQ(c.level, 0);
  EXPECT_FALSE(c.mailed);
  EXPECT_EQ(StoredLevel(), 0);
  EXPECT_EQ(Mails().size(), 1u);
  SetPlan(kGiB);  // Back to 1 GB (a downgrade): 90 % again, told again.
  c = Check();
  EXPECT_EQ(c.level, 90);
  EXPECT_TRUE(c.mailed);
  EXPECT_EQ(Subjects(), Warned({90, 90}));
}

// Uploads into a folder someone shares count against the sharer's plan: the warning says who
// added what lately, largest first (files still there, each once), so a parent whose storage
// filled up does not have to guess (QA pass 21a #9). Without such uploads: no sentence.
TEST_F(UsageWarningsTest, TheWarningSaysWhoAddedFilesToFoldersTheUserShares) {
  const std::int64_t now = ToUnixMs(clock_.Now());
  const std::int64_t day = 24 * 3600 * 1000;
  Exec(
      "INSERT INTO users (id, email, name, password_hash, root_id, created_at, updated_at) "
      "VALUES (7, 'tom@example.com', 'Tom', 'x', 'root-tom', 0, 0), "
      "(8, 'eve@example.com', '', 'x', 'root-eve', 0, 0)",
      {});
  Exec(
      "INSERT INTO nodes (id, owner_id, parent_id, name, sort_name, type, size, created_at, "
      "modified_at, trash_id) VALUES "
      "('party', ?, 'root-ann', 'Party', 'party', 'folder', 0, 0, 0, NULL), "
      "('v1', ?, 'party', 'video.mp4', 'video.mp4', 'file', ?, 0, 0, NULL), "
      "('v2', ?, 'party', 'b.mp4', 'b.mp4', 'file', ?, 0, 0, NULL), "
      "('gone', ?, 'party', 'c.mp4', 'c.mp4', 'file', ?, 0, 0, 'trash-1'), "
      "('old', ?, 'party', 'd.mp4', 'd.mp4', 'file', ?, 0, 0, NULL), "
      "('e1', ?, 'party', 'e.jpg', 'e.jpg', 'file', ?, 0, 0, NULL)",
      {kUser, kUser, 300 << 20, kUser, 100 << 20, kUser, 500 << 20, kUser, 700 << 20, kUser,
       50 << 20});
  Exec(
      "INSERT INTO shares (id, node_id, owner_id, grantee_id, permission, created_at) VALUES "
      "('s-tom', 'party', ?, 7, 'edit', 0), ('s-eve', 'party', ?, 8, 'edit', 0)",
      {kUser, kUser});
  Exec(
      "INSERT INTO share_activity (share_id, at, actor_id, action, node_id, path) VALUES "
      "('s-tom', ?, 7, 'upload', 'v1', '/Party/video.mp4'), "
      "('s-tom', ?, 7, 'upload', 'v1', '/Party/video.mp4'), "  // Replaced: counted once.
      "('s-tom', ?, 7, 'upload', 'v2', '/Party/b.mp4'), "
      "('s-tom', ?, 7, 'upload', 'gone', '/Party/c.mp4'), "  // In the trash now.
      "('s-tom', ?, 7, 'upload', 'old', '/Party/d.mp4'), "   // Two months ago.
      "('s-tom', ?, 7, 'download', 'e1', '/Party/e.jpg'), "  // Not an upload.
      "('s-eve', ?, 8, 'upload', 'e1', '/Party/e.jpg')",
      {now - day, now - day, now - 2 * day, now - day, now - 60 * day, now - day, now - day});
  SetUsage(86);
  ASSERT_TRUE(Check().mailed);
  auto mails = Mails();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_NE(mails[0].text.find("Of that, people you share folders with added 450 MB in the "
                               "last 30 days: Tom (400 MB in Party), eve@example.com (50 MB in "
                               "Party)."),
            std::string::npos)
      << mails[0].text;

  // Someone without such uploads gets the mail without the sentence.
  Exec("DELETE FROM share_activity", {});
  SetUsage(10);
  Check();
  SetUsage(91);
  ASSERT_TRUE(Check().mailed);
  mails = Mails();
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(mails[1].text.find("Of that"), std::string::npos) << mails[1].text;
}

TEST_F(UsageWarningsTest, AUserWithoutAnAllocationIsLeftAlone) {
  auto c = warnings_->Check(999);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->level, 0);
  EXPECT_FALSE(c->mailed);
  EXPECT_TRUE(Mails().empty());
}

// Schedule runs the check on the worker pool; a burst of calls while it waits mails once.
TEST_F(UsageWarningsTest, ScheduledChecksRunOnTheWorkersAndCoalesce) {
  SetUsage(88);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  workers_.Post([released] { released.wait(); });  // Holds the only worker.
  EXPECT_TRUE(warnings_->Schedule(kUser));
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(warnings_->Schedule(kUser)) << i;  // Coalesced.
  EXPECT_TRUE(Mails().empty());  // Nothing ran on the caller's thread.
  release.set_value();
  workers_.Join();  // Runs what is queued, then stops.
  EXPECT_EQ(Subjects(), Warned({88}));
}

// At the end of a command the pool may be joined before the checks it queued ran: destroying
// UsageWarnings runs them (a purge just before exit still lowers or raises the level).
TEST_F(UsageWarningsTest, ChecksLeftInAJoinedPoolRunWhenItIsDestroyed) {
  workers_.Join();
  SetUsage(92);
  EXPECT_TRUE(warnings_->Schedule(kUser));
  EXPECT_TRUE(Mails().empty());
  warnings_.reset();
  EXPECT_EQ(Subjects(), Warned({92}));
}

}  // namespace
}  // namespace nimbus::core::billing
