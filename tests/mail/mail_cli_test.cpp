// SPDX-License-Identifier: AGPL-3.0-or-later
// Integration: the real `nimbus` binary delivers the outbox. `nimbus job run mail-outbox` over
// SMTP chosen by environment overrides (NIMBUS_EMAIL_TRANSPORT=smtp, NIMBUS_EMAIL_SMTP_PORT),
// through an outage and back; and `nimbus serve` draining it by itself into .eml files.
#include <gtest/gtest.h>

#include <filesystem>

#include <thread>

#include "db/database.h"
#include "mail/mail_test_util.h"
#include "mail/outbox.h"
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace nimbus::mail {
namespace {

using testing::EmlFiles;
using testing::ParsedMail;
using testing::ParseEml;
using testing::SmtpSink;

class MailCliTest : public ::testing::Test {
 protected:
  std::string Data() const { return dir_.File("data"); }

  Result<test::CommandResult> Nimbus(std::vector<std::string> args, test::EnvVars env = {}) {
    test::ProcessOptions options;
    options.args = std::move(args);
    options.env = std::move(env);
    options.cwd = dir_.path();
    return test::RunToCompletion(options, std::chrono::seconds(30));
  }

  // Queues one message in the data directory's database (created by an earlier nimbus run).
  void Queue(const std::string& to, const std::string& subject) {
    auto db = db::OpenDatabase("sqlite:" + Data() + "/nimbus.db", {});
    ASSERT_TRUE(db) << db.error().message;
    Message m{to, subject, "Hello from the outbox.", "<p>Hello from the outbox.</p>"};
    auto id = (*db)->Write([&](db::Transaction& tx) {
      return Enqueue(tx, m, ToUnixMs(std::chrono::system_clock::now()));
    });
    ASSERT_TRUE(id) << id.error().message;
  }

  nimbus::testing::TempDir dir_;
};

TEST_F(MailCliTest, JobRunDeliversOverSmtpFromEnvironmentOverridesAfterAnOutage) {
  std::filesystem::create_directories(Data());  // The operator's mkdir: commands need one.
  auto first = Nimbus({"job", "run", "mail-outbox", "--data", Data()});
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->exit_code(), 0) << first->err;
  EXPECT_NE(first->out.find("sent 0"), std::string::npos) << first->out;

  auto sink = SmtpSink::Start(dir_.path() / "inbox");
  ASSERT_TRUE(sink) << sink.error().message;
  const std::uint16_t port = (*sink)->port();
  (*sink)->Stop();
  const test::EnvVars smtp = {{"NIMBUS_EMAIL_TRANSPORT", "smtp"},
                              {"NIMBUS_EMAIL_FROM", "Nimbus <nimbus@files.example>"},
                              {"NIMBUS_EMAIL_SMTP_HOST", "127.0.0.1"},
                              {"NIMBUS_EMAIL_SMTP_PORT", std::to_string(port)},
                              {"NIMBUS_EMAIL_SMTP_SECURITY", "none"},
                              {"NIMBUS_EMAIL_OUTBOX_INITIAL_BACKOFF_S", "1"}};
  ASSERT_NO_FATAL_FAILURE(Queue("Ann <ann@example.org>", "Welcome"));

  auto down = Nimbus({"job", "run", "mail-outbox", "--data", Data()}, smtp);
  ASSERT_TRUE(down) << down.error().message;
  EXPECT_EQ(down->exit_code(), 0) << "an SMTP outage is not a job failure\n" << down->err;
  EXPECT_NE(down->out.find("retry 1"), std::string::npos) << down->out;
  EXPECT_NE(down->out.find("queued 1"), std::string::npos) << down->out;

  auto up = SmtpSink::Start(dir_.path() / "inbox", port);
  ASSERT_TRUE(up) << up.error().message;
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // The 1 s backoff.
  auto sent = Nimbus({"job", "run", "mail-outbox", "--data", Data()}, smtp);
  ASSERT_TRUE(sent) << sent.error().message;
  EXPECT_EQ(sent->exit_code(), 0) << sent->err;
  EXPECT_NE(sent->out.find("sent 1"), std::string::npos) << sent->out;
  auto again = Nimbus({"job", "run", "mail-outbox", "--data", Data()}, smtp);
  ASSERT_TRUE(again);
  EXPECT_NE(again->out.find("sent 0"), std::string::npos) << again->out;

  auto files = EmlFiles(dir_.path() / "inbox");
  ASSERT_EQ(files.size(), 1u);
  auto p = ParseEml(files[0]);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->subject, "Welcome");
  EXPECT_EQ(p->from, "Nimbus <nimbus@files.example>");
  EXPECT_EQ(p->envelope_to, "ann@example.org");
  ASSERT_EQ(p->parts.size(), 2u);
  EXPECT_EQ(p->parts[0].body, "Hello from the outbox.\n");
}

TEST_F(MailCliTest, AFailedDiskIsMailedToEveryAdmin) {
  std::filesystem::create_directories(Data());  // The operator's mkdir: commands need one.
  auto admin = Nimbus(
      {"admin", "user", "create", "ops@example.org", "--admin", "--name", "Ops", "--data", Data()});
  ASSERT_TRUE(admin) << admin.error().message;
  ASSERT_EQ(admin->exit_code(), 0) << admin->out << admin->err;
  auto user = Nimbus({"admin", "user", "create", "user@example.org", "--data", Data()});
  ASSERT_TRUE(user) << user.error().message;
  ASSERT_EQ(user->exit_code(), 0) << user->out << user->err;
  auto fail = Nimbus({"admin", "disk", "fail", "a1", "--data", Data()});
  ASSERT_TRUE(fail) << fail.error().message;
  ASSERT_EQ(fail->exit_code(), 0) << fail->out << fail->err;
  auto run = Nimbus({"job", "run", "mail-outbox", "--data", Data()});
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->exit_code(), 0) << run->err;

  std::vector<ParsedMail> alerts;
  for (const auto& f : EmlFiles(Data() + "/mail")) {
    auto p = ParseEml(f);
    ASSERT_TRUE(p) << p.error().message;
    if (p->subject.starts_with("[Nimbus alert]")) alerts.push_back(*p);
  }
  // Failing a1 also attaches a spare pair (category A has no healthy pair left): two alerts.
  const ParsedMail* failed = nullptr;
  for (const ParsedMail& m : alerts) {
    EXPECT_EQ(m.to, "ops@example.org") << "only admins get alerts: " << m.subject;
    if (m.subject == "[Nimbus alert] Disk a1 failed") failed = &m;
  }
  ASSERT_NE(failed, nullptr) << run->out;
  ASSERT_EQ(failed->parts.size(), 2u);
  EXPECT_NE(failed->parts[0].body.find("a1m"), std::string::npos) << failed->parts[0].body;
  EXPECT_NE(failed->parts[0].body.find("/admin"), std::string::npos);
}

TEST_F(MailCliTest, ServeDrainsTheOutboxIntoEmlFilesByItself) {
  test::ProcessOptions options;
  options.args = {"serve", "--listen", "127.0.0.1:0", "--data", Data()};
  options.env = {{"NIMBUS_EMAIL_OUTBOX_POLL_INTERVAL_S", "1"}};
  options.cwd = dir_.path();
  auto server = test::ServerProcess::Start(options);
  ASSERT_TRUE(server) << server.error().message;
  auto port = (*server)->WaitForListening(std::chrono::seconds(20));
  ASSERT_TRUE(port) << port.error().message << "\n" << (*server)->Stderr();

  ASSERT_NO_FATAL_FAILURE(Queue("bo@example.org", "Served"));
  std::vector<std::filesystem::path> files;
  for (int i = 0; i < 100 && files.empty(); ++i) {  // Bounded: 10 s for a 1 s poll interval.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    files = EmlFiles(Data() + "/mail");
  }
  ASSERT_EQ(files.size(), 1u) << (*server)->Stdout() << (*server)->Stderr();
  auto p = ParseEml(files[0]);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->subject, "Served");
  EXPECT_EQ(p->to, "bo@example.org");
  // The operator sees the queue on /metrics (the sender refreshes it after each pass).
  std::string metrics;
  for (int i = 0; i < 50; ++i) {  // Bounded: 5 s.
    auto client = test::HttpClient::Connect(*port);
    ASSERT_TRUE(client) << client.error().message;
    auto resp = client->Get("/metrics");
    ASSERT_TRUE(resp) << resp.error().message;
    metrics = resp->body;
    if (metrics.find("nimbus_mail_sent_total{result=\"sent\"} 1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(metrics.find("nimbus_mail_sent_total{result=\"sent\"} 1"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("nimbus_mail_queue{state=\"queued\"} 0"), std::string::npos) << metrics;
  const test::ExitStatus st = (*server)->Terminate(std::chrono::seconds(10));
  EXPECT_TRUE(st.exited()) << st.Describe();
}

}  // namespace
}  // namespace nimbus::mail
