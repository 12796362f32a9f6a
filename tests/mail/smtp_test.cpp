// SPDX-License-Identifier: AGPL-3.0-or-later
// Integration: the SMTP transport and the outbox against a real SMTP server (aiosmtpd), and the
// formatted messages read back by Python's email package.
#include <gtest/gtest.h>

#include "db/database.h"
#include "db/migrations.h"
#include "mail/file_mailer.h"
#include "mail/mail_test_util.h"
#include "mail/outbox.h"
#include "mail/smtp_mailer.h"
#include "mail/templates.h"
#include "support/temp_dir.h"

namespace nimbus::mail {
namespace {

using testing::EmlFiles;
using testing::ParseEml;
using testing::SmtpSink;

config::SmtpConfig PlainSmtp(std::uint16_t port) {
  config::SmtpConfig c;
  c.host = "127.0.0.1";
  c.port = port;
  c.security = "none";
  c.connect_timeout_s = 5;
  c.timeout_s = 10;
  return c;
}

Message Sample() {
  auto m = Render(Template::kPasswordReset, "Zoë Doe <zoe@example.org>",
                  {{"name", "Zoë"}, {"link", "http://127.0.0.1:8080/reset-password?token=abc"}});
  EXPECT_TRUE(m);
  m->subject = "Réinitialiser — " + m->subject;  // Non-ASCII: RFC 2047 on the wire.
  return *m;
}

TEST(SmtpMailer, DeliversAMessageThatParsesBackWithBothParts) {
  nimbus::testing::TempDir dir;
  auto sink = SmtpSink::Start(dir.path() / "inbox");
  ASSERT_TRUE(sink) << sink.error().message;
  SystemClock clock;
  SmtpMailer mailer(PlainSmtp((*sink)->port()), "Nimbus <nimbus@files.example>", clock);
  const Message m = Sample();
  ASSERT_TRUE(mailer.Send(m, "42.cafe").has_value());
  auto files = EmlFiles(dir.path() / "inbox");
  ASSERT_EQ(files.size(), 1u);
  auto p = ParseEml(files[0]);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->envelope_to, "zoe@example.org");
  EXPECT_EQ(p->to, "Zoë Doe <zoe@example.org>");
  EXPECT_EQ(p->from, "Nimbus <nimbus@files.example>");
  EXPECT_EQ(p->subject, m.subject);
  EXPECT_EQ(p->message_id, "<42.cafe@files.example>");
  EXPECT_EQ(p->mime, "multipart/alternative");
  EXPECT_TRUE(p->defects.empty()) << p->defects.front();
  EXPECT_TRUE(p->crlf_only);
  EXPECT_LE(p->max_line, 78);
  ASSERT_EQ(p->parts.size(), 2u);
  EXPECT_EQ(p->parts[0].type, "text/plain");
  EXPECT_EQ(p->parts[0].body, m.text);
  EXPECT_EQ(p->parts[1].type, "text/html");
  EXPECT_NE(p->parts[1].body.find("href=\"http://127.0.0.1:8080/reset-password?token=abc\""),
            std::string::npos);
}

TEST(SmtpMailer, AStoppedServerIsUnavailableAndARefusedRecipientIsInvalid) {
  nimbus::testing::TempDir dir;
  auto sink = SmtpSink::Start(dir.path() / "inbox");
  ASSERT_TRUE(sink) << sink.error().message;
  const std::uint16_t port = (*sink)->port();
  SystemClock clock;
  SmtpMailer mailer(PlainSmtp(port), "n@files.example", clock);
  auto refused = mailer.Send(Message{"reject-me@example.org", "s", "t", ""}, "1");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("550"), std::string::npos) << refused.error().message;
  (*sink)->Stop();
  auto down = mailer.Send(Message{"a@example.org", "s", "t", ""}, "2");
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, Errc::kUnavailable);
  EXPECT_NE(down.error().message.find(std::to_string(port)), std::string::npos)
      << down.error().message;
  EXPECT_TRUE(EmlFiles(dir.path() / "inbox").empty());
}

TEST(SmtpMailer, StartTlsIsRequiredWhenConfigured) {
  nimbus::testing::TempDir dir;
  auto sink = SmtpSink::Start(dir.path() / "inbox");  // Offers no STARTTLS.
  ASSERT_TRUE(sink) << sink.error().message;
  config::SmtpConfig c = PlainSmtp((*sink)->port());
  c.security = "starttls";
  SystemClock clock;
  SmtpMailer mailer(c, "n@files.example", clock);
  auto r = mailer.Send(Message{"a@example.org", "s", "secret text", ""}, "1");
  ASSERT_FALSE(r) << "must not fall back to clear text";
  EXPECT_EQ(r.error().code, Errc::kUnavailable);
  EXPECT_TRUE(EmlFiles(dir.path() / "inbox").empty());
}

TEST(SmtpOutbox, AnOutageDelaysMailAndLosesNoneThenDeliversItOnce) {
  nimbus::testing::TempDir dir;
  auto sink = SmtpSink::Start(dir.path() / "inbox");
  ASSERT_TRUE(sink) << sink.error().message;
  const std::uint16_t port = (*sink)->port();
  (*sink)->Stop();

  auto db = db::OpenDatabase("sqlite:" + dir.File("nimbus.db"), {});
  ASSERT_TRUE(db) << db.error().message;
  ASSERT_TRUE(db::Migrate(**db, db::BuiltinMigrations("sqlite")));
  config::EmailConfig config;
  config.transport = "smtp";
  config.from = "Nimbus <nimbus@files.example>";
  config.smtp = PlainSmtp(port);
  config.outbox.initial_backoff_s = 1;
  SystemClock clock;
  SmtpMailer mailer(config.smtp, config.from, clock);
  OutboxSender sender(**db, mailer, config, clock);

  const Message m = Sample();
  auto id =
      (*db)->Write([&](db::Transaction& tx) { return Enqueue(tx, m, ToUnixMs(clock.Now())); });
  ASSERT_TRUE(id) << id.error().message;
  auto failed = sender.Drain();
  ASSERT_TRUE(failed) << failed.error().message;
  EXPECT_EQ(failed->sent, 0);
  EXPECT_EQ(failed->retried, 1);
  EXPECT_NE(failed->last_error.find(std::to_string(port)), std::string::npos);
  auto counts = sender.Counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->queued, 1) << "kept for the retry";

  auto restarted = SmtpSink::Start(dir.path() / "inbox", port);
  ASSERT_TRUE(restarted) << restarted.error().message;
  // The retry is due one second later (initial_backoff_s); poll as the job would, bounded.
  int sent = 0;
  for (int i = 0; i < 40 && sent == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto run = sender.Drain();
    ASSERT_TRUE(run) << run.error().message;
    sent += run->sent;
  }
  EXPECT_EQ(sent, 1);
  // Further runs send nothing again.
  auto after = sender.Drain();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->sent, 0);
  auto files = EmlFiles(dir.path() / "inbox");
  ASSERT_EQ(files.size(), 1u) << "delivered exactly once";
  auto p = ParseEml(files[0]);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->subject, m.subject);
  EXPECT_EQ(p->envelope_to, "zoe@example.org");
  ASSERT_EQ(p->parts.size(), 2u);
  EXPECT_NE(p->parts[0].body.find("reset-password?token=abc"), std::string::npos);
}

TEST(FileMailerParsed, AnEmlFileIsAWellFormedMessage) {
  nimbus::testing::TempDir dir;
  SystemClock clock;
  FileMailer mailer(dir.File("mail"), "Nimbus <nimbus@localhost>", clock);
  Message m = Sample();
  m.text += "\n.\nFrom the team\n" + std::string(200, 'x') + "\n";
  ASSERT_TRUE(mailer.Send(m, "7.beef"));
  auto files = EmlFiles(dir.File("mail"));
  ASSERT_EQ(files.size(), 1u);
  auto p = ParseEml(files[0]);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_TRUE(p->defects.empty()) << p->defects.front();
  EXPECT_TRUE(p->crlf_only);
  EXPECT_LE(p->max_line, 78);
  EXPECT_EQ(p->subject, m.subject);
  EXPECT_EQ(p->message_id, "<7.beef@localhost>");
  ASSERT_EQ(p->parts.size(), 2u);
  EXPECT_EQ(p->parts[0].charset, "utf-8");
  EXPECT_EQ(p->parts[0].body, m.text);
}

}  // namespace
}  // namespace nimbus::mail
