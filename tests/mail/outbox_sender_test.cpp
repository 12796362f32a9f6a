// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include "db/database.h"
#include "db/migrations.h"
#include "fakes/fake_clock.h"
#include "mail/fake_mailer.h"
#include "mail/outbox.h"
#include "support/temp_dir.h"
#include "util/metrics.h"

namespace nimbus::mail {
namespace {

using std::chrono::seconds;

class OutboxSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = db::OpenDatabase("sqlite:" + dir_.File("nimbus.db"), {});
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    ASSERT_TRUE(db::Migrate(*db_, db::BuiltinMigrations("sqlite")));
    config_.outbox.max_attempts = 4;
    config_.outbox.initial_backoff_s = 30;
    config_.outbox.max_backoff_s = 100;
    config_.outbox.batch_size = 3;
    config_.smtp.connect_timeout_s = 5;
    config_.smtp.timeout_s = 10;
  }

  std::int64_t Queue(std::string to = "ann@x.org") {
    Message m{to, "Subject", "text", "<p>html</p>"};
    auto id =
        db_->Write([&](db::Transaction& tx) { return Enqueue(tx, m, ToUnixMs(clock_.Now())); });
    EXPECT_TRUE(id) << id.error().message;
    return id.value_or(0);
  }

  struct RowState {
    std::string state;
    std::int64_t attempts = 0;
    std::int64_t next_attempt_at = 0;
    std::string last_error;
    std::string text;
  };
  RowState Row(std::int64_t id) {
    auto r = db_->Read([&](db::Transaction& tx) {
      return tx.QueryOne(
          "SELECT state, attempts, next_attempt_at, last_error, text FROM mail_outbox "
          "WHERE id = ?",
          {id});
    });
    if (!r || !*r) return {};
    const db::Row& row = **r;
    return {row.Text(0), row.Int(1), row.Int(2), row.Text(3), row.Text(4)};
  }
  std::int64_t Now() { return ToUnixMs(clock_.Now()); }

  nimbus::testing::TempDir dir_;
  std::unique_ptr<db::Database> db_;
  FakeClock clock_;
  config::EmailConfig config_;
  testing::FakeMailer mailer_;
  util::Metrics metrics_;
};

TEST_F(OutboxSenderTest, SendsWhatIsDueAndMarksItSent) {
  const auto id = Queue();
  OutboxSender sender(*db_, mailer_, config_, clock_, &metrics_);
  auto run = sender.RunOnce();
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->sent, 1);
  ASSERT_EQ(mailer_.sent().size(), 1u);
  EXPECT_EQ(mailer_.sent()[0].message.to, "ann@x.org");
  EXPECT_EQ(mailer_.sent()[0].message.html, "<p>html</p>");
  const RowState r = Row(id);
  EXPECT_EQ(r.state, "sent");
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.text, "") << "a delivered body (maybe a one-time link) is not kept";
  // Nothing is sent twice.
  ASSERT_TRUE(sender.RunOnce());
  EXPECT_EQ(mailer_.calls(), 1);
  const std::string text = metrics_.RenderPrometheus();
  EXPECT_NE(text.find("nimbus_mail_sent_total{result=\"sent\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("nimbus_mail_queue{state=\"sent\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("nimbus_mail_queue{state=\"queued\"} 0"), std::string::npos) << text;
}

TEST_F(OutboxSenderTest, RetriesWithExponentialBackoffThenFails) {
  const auto id = Queue();
  OutboxSender sender(*db_, mailer_, config_, clock_, &metrics_);
  mailer_.FailWith({Errc::kInvalidArgument, "550 no such user"});
  // Backoffs: 30 s, 60 s, then capped at 100 s; the 4th attempt is the last.
  const std::int64_t expected_backoff[] = {30, 60, 100};
  for (std::int64_t backoff : expected_backoff) {
    auto run = sender.RunOnce();
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ(run->retried, 1);
    EXPECT_EQ(run->last_error, "550 no such user");
    RowState r = Row(id);
    EXPECT_EQ(r.state, "queued");
    EXPECT_EQ(r.next_attempt_at, Now() + backoff * 1000);
    EXPECT_EQ(r.last_error, "550 no such user");
    // Not due a second earlier.
    clock_.Advance(seconds(backoff - 1));
    ASSERT_TRUE(sender.RunOnce());
    EXPECT_EQ(Row(id).attempts, r.attempts);
    clock_.Advance(seconds(1));
  }
  auto last = sender.RunOnce();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->failed, 1);
  EXPECT_EQ(Row(id).state, "failed");
  EXPECT_EQ(Row(id).attempts, 4);
  EXPECT_EQ(Row(id).text, "text") << "a failed message stays for the admin";
  clock_.Advance(seconds(10'000));
  ASSERT_TRUE(sender.RunOnce());
  EXPECT_EQ(mailer_.calls(), 4);
  auto counts = sender.Counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->failed, 1);
}

TEST_F(OutboxSenderTest, AnUnreachableServerDefersTheRestOfTheBatch) {
  const auto a = Queue("a@x.org"), b = Queue("b@x.org"), c = Queue("c@x.org");
  OutboxSender sender(*db_, mailer_, config_, clock_);
  mailer_.FailWith({Errc::kUnavailable, "connection refused"});
  auto run = sender.RunOnce();
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->retried, 1);
  EXPECT_EQ(run->deferred, 2);
  EXPECT_EQ(mailer_.calls(), 1) << "one failed connection is enough to know";
  for (auto id : {a, b, c}) {
    EXPECT_EQ(Row(id).state, "queued");
    EXPECT_EQ(Row(id).next_attempt_at, Now() + 30'000);
  }
  EXPECT_EQ(Row(a).attempts, 1);
  EXPECT_EQ(Row(b).attempts, 0);
  EXPECT_EQ(Row(c).attempts, 0);
  mailer_.Heal();
  clock_.Advance(seconds(30));
  auto again = sender.Drain();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->sent, 3);
  EXPECT_EQ(mailer_.sent().size(), 3u);
}

TEST_F(OutboxSenderTest, DrainSendsMoreThanOneBatch) {
  for (int i = 0; i < 7; ++i) Queue();
  OutboxSender sender(*db_, mailer_, config_, clock_);
  auto run = sender.Drain();
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->sent, 7);
  auto counts = sender.Counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->sent, 7);
  EXPECT_EQ(counts->queued, 0);
}

TEST_F(OutboxSenderTest, SentRowsAreRemovedAfterTheRetentionAndOthersStay) {
  const auto old_sent = Queue("old@x.org");
  const auto failed = Queue("failed@x.org");
  OutboxSender sender(*db_, mailer_, config_, clock_);
  ASSERT_TRUE(db_->Write([&](db::Transaction& tx) {
    return tx.Exec("UPDATE mail_outbox SET state = 'failed' WHERE id = ?", {failed});
  }));
  auto first = sender.Drain();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->sent, 1);
  EXPECT_EQ(first->pruned, 0);
  clock_.Advance(kSentRetention + seconds(1));
  const auto fresh = Queue("fresh@x.org");
  auto later = sender.Drain();
  ASSERT_TRUE(later) << later.error().message;
  EXPECT_EQ(later->pruned, 1);
  EXPECT_EQ(Row(old_sent).state, "");  // Gone.
  EXPECT_EQ(Row(failed).state, "failed");
  EXPECT_EQ(Row(fresh).state, "sent");
  // Within the hour nothing is pruned again.
  auto again = sender.Drain();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->pruned, 0);
}

TEST_F(OutboxSenderTest, AClaimLeftByADeadProcessIsRetriedAfterItExpires) {
  const auto id = Queue();
  // A process claimed it and died: state 'sending', claim until now + 3 * (5 + 10 + 30) s.
  ASSERT_TRUE(db_->Write([&](db::Transaction& tx) {
    return tx.Exec(
        "UPDATE mail_outbox SET state = 'sending', attempts = 1, next_attempt_at = ? "
        "WHERE id = ?",
        {Now() + 135'000, id});
  }));
  OutboxSender sender(*db_, mailer_, config_, clock_);
  ASSERT_TRUE(sender.RunOnce());
  EXPECT_EQ(mailer_.calls(), 0) << "the claim has not expired";
  clock_.Advance(seconds(135));
  auto run = sender.RunOnce();
  ASSERT_TRUE(run);
  EXPECT_EQ(run->sent, 1);
  EXPECT_EQ(Row(id).state, "sent");
  EXPECT_EQ(Row(id).attempts, 2);
}

TEST_F(OutboxSenderTest, AMessageThatKeepsCrashingTheSenderEndsFailed) {
  const auto id = Queue();
  ASSERT_TRUE(db_->Write([&](db::Transaction& tx) {
    return tx.Exec(
        "UPDATE mail_outbox SET state = 'sending', attempts = 4, next_attempt_at = ? "
        "WHERE id = ?",
        {Now(), id});
  }));
  OutboxSender sender(*db_, mailer_, config_, clock_);
  auto run = sender.RunOnce();
  ASSERT_TRUE(run);
  EXPECT_EQ(run->failed, 1);
  EXPECT_EQ(mailer_.calls(), 0);
  EXPECT_EQ(Row(id).state, "failed");
  EXPECT_NE(Row(id).last_error.find("interrupted"), std::string::npos);
}

}  // namespace
}  // namespace nimbus::mail
