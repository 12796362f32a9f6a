// SPDX-License-Identifier: AGPL-3.0-or-later
// The payment webhook (core/billing/webhook): Nimbus-Signature parsing (malformed headers too),
// HMAC-SHA256 against a vector computed independently with Python's hmac, a wrong secret, a
// tampered body, stale and future timestamps, two v1 entries while a secret is rotated; then
// events applied to a real SQLite database (migrated): paid, failed, replayed, unknown invoice.
#include "core/billing/webhook.h"

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <memory>
#include <string>

#include "db/database.h"
#include "db/migrations.h"
#include "db/stores/account_store.h"
#include "db/stores/billing_store.h"
#include "fakes/fake_clock.h"
#include "support/python.h"
#include "support/migrated_db.h"
#include "support/temp_dir.h"

namespace nimbus::core::billing {
namespace {

constexpr std::int64_t kT = 1'700'000'000;  // FakeClock's start, in seconds.
constexpr char kSecret[] = "whsec_test";
constexpr char kBody[] = R"({"id":"evt_1","type":"invoice.paid","invoice_id":"inv_1"})";
// Computed once with Python's hmac (an implementation independent of OpenSSL's):
//   /usr/bin/python3 -c "import hmac,hashlib; print(hmac.new(b'whsec_test',
//     b'1700000000.{\"id\":\"evt_1\",\"type\":\"invoice.paid\",\"invoice_id\":\"inv_1\"}',
//     hashlib.sha256).hexdigest())"
// and the same with b'whsec_old' for kOldSig.
constexpr char kSig[] = "9a9f6389351fc7179ba82df248e1f0d0bd43b9f0285be3b1196f9d981f648933";
constexpr char kOldSig[] = "fd18b9607fe99ecf2ac5b44efbe86b58ea74b8a69950b19a036c7082e0a4383c";

std::string Header(std::int64_t t, const std::string& sig) {
  return "t=" + std::to_string(t) + ",v1=" + sig;
}

// The error message of a failed Result, "" when it succeeded.
template <class T>
std::string MessageOf(const Result<T>& r) {
  return r ? std::string() : r.error().message;
}

// HMAC-SHA256 hex of "<t>.<body>" computed by Python for the database tests' bodies.
std::string PythonSign(const std::string& secret, std::int64_t t, const std::string& body) {
  std::string out = test::Python(
      "import hmac, hashlib, sys\n"
      "msg = (sys.argv[2] + \".\" + sys.argv[3]).encode()\n"
      "print(hmac.new(sys.argv[1].encode(), msg, hashlib.sha256).hexdigest(), end=\"\")\n",
      {secret, std::to_string(t), body});
  EXPECT_EQ(out.size(), 64u) << out;
  return out;
}

TEST(WebhookSignature, ParsesTimestampAndEveryV1InAnyOrderIgnoringOtherSchemes) {
  auto h = ParseSignatureHeader(" v1=" + std::string(kSig) +
                                " , t=1700000000, v0=abc,v1=" + std::string(kOldSig));
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->timestamp, kT);
  ASSERT_EQ(h->v1.size(), 2u);
  EXPECT_EQ(h->v1[0], kSig);
  EXPECT_EQ(h->v1[1], kOldSig);
}

TEST(WebhookSignature, MalformedHeadersAreBadSignatureSayingWhatIsWrong) {
  const std::string sig = kSig;
  const struct {
    std::string header;
    std::string says;
  } cases[] = {
      {"", "no Nimbus-Signature header"},
      {"  ", "no Nimbus-Signature header"},
      {"v1=" + sig, "no t= timestamp"},
      {"t=1700000000", "no v1= signature"},
      {"t=1700000000,v2=" + sig, "no v1= signature"},
      {"t=abc,v1=" + sig, "t='abc' is not a whole number"},
      {"t=-5,v1=" + sig, "t='-5' is not a whole number"},
      {"t=17e8,v1=" + sig, "t='17e8' is not a whole number"},
      {"t=,v1=" + sig, "t='' is not a whole number"},
      {"t=1700000000000000000000,v1=" + sig, "is not a whole number"},
      {"t=1,t=2,v1=" + sig, "two t= entries"},
      {"t=1700000000,v1=" + sig.substr(1), "not 64 hex digits"},
      {"t=1700000000,v1=" + sig + "00", "not 64 hex digits"},
      {"t=1700000000,v1=" + std::string(64, 'g'), "not 64 hex digits"},
      {"t=1700000000;v1=" + sig, "not a whole number"},
      {"t=1700000000,signature", "the entry 'signature' has no '='"},
  };
  for (const auto& c : cases) {
    auto h = ParseSignatureHeader(c.header);
    ASSERT_FALSE(h) << c.header;
    EXPECT_EQ(h.error().code, Errc::kBadSignature) << c.header;
    EXPECT_NE(h.error().message.find(c.says), std::string::npos)
        << c.header << " -> " << h.error().message;
  }
}

TEST(WebhookSignature, AcceptsTheIndependentlyComputedVector) {
  auto ok = VerifySignature(Header(kT, kSig), kBody, kSecret, 300, kT);
  EXPECT_TRUE(ok) << MessageOf(ok);
  std::string upper = kSig;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto upper_ok = VerifySignature(Header(kT, upper), kBody, kSecret, 300, kT);
  EXPECT_TRUE(upper_ok) << "hex in capitals is the same MAC: " << MessageOf(upper_ok);
}

TEST(WebhookSignature, AWrongSecretOrATamperedBodyDoesNotMatch) {
  auto wrong = VerifySignature(Header(kT, kSig), kBody, "whsec_other", 300, kT);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Errc::kBadSignature);
  EXPECT_NE(wrong.error().message.find("does not match this body"), std::string::npos);

  std::string tampered = kBody;
  tampered.replace(tampered.find("inv_1"), 5, "inv_2");
  auto changed = VerifySignature(Header(kT, kSig), tampered, kSecret, 300, kT);
  ASSERT_FALSE(changed);
  EXPECT_EQ(changed.error().code, Errc::kBadSignature);
  auto spaced = VerifySignature(Header(kT, kSig), std::string(kBody) + "\n", kSecret, 300, kT);
  EXPECT_FALSE(spaced) << "the exact bytes are signed: a trailing newline changes them";
  auto other_t = VerifySignature(Header(kT + 1, kSig), kBody, kSecret, 300, kT);
  EXPECT_FALSE(other_t) << "the timestamp is part of what is signed";
}

TEST(WebhookSignature, StaleAndFutureTimestampsAreRefusedSayingWhich) {
  EXPECT_TRUE(VerifySignature(Header(kT, kSig), kBody, kSecret, 300, kT + 300));
  auto stale = VerifySignature(Header(kT, kSig), kBody, kSecret, 300, kT + 301);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Errc::kBadSignature);
  EXPECT_NE(stale.error().message.find("301 seconds old"), std::string::npos)
      << stale.error().message;
  auto six_minutes = VerifySignature(Header(kT, kSig), kBody, kSecret, 300, kT + 360);
  ASSERT_FALSE(six_minutes);
  EXPECT_NE(six_minutes.error().message.find("360 seconds old"), std::string::npos);

  EXPECT_TRUE(VerifySignature(Header(kT, kSig), kBody, kSecret, 300, kT - 300))
      << "up to the tolerance of clock skew ahead";
  auto future = VerifySignature(Header(kT, kSig), kBody, kSecret, 300, kT - 600);
  ASSERT_FALSE(future);
  EXPECT_EQ(future.error().code, Errc::kBadSignature);
  EXPECT_NE(future.error().message.find("600 seconds in the future"), std::string::npos)
      << future.error().message;
}

TEST(WebhookSignature, EitherSecretMatchesWhileOneIsRotated) {
  const std::string both = "t=1700000000,v1=" + std::string(kOldSig) + ",v1=" + kSig;
  auto with_new = VerifySignature(both, kBody, kSecret, 300, kT);
  EXPECT_TRUE(with_new) << MessageOf(with_new);
  auto with_old = VerifySignature(both, kBody, "whsec_old", 300, kT);
  EXPECT_TRUE(with_old) << MessageOf(with_old);
  EXPECT_FALSE(VerifySignature(both, kBody, "whsec_other", 300, kT));
  EXPECT_FALSE(VerifySignature(Header(kT, kOldSig), kBody, kSecret, 300, kT))
      << "the old secret's signature alone no longer matches the new secret";
}

TEST(WebhookEvent, NeedsAnIdATypeAndForInvoiceTypesAnInvoiceId) {
  auto e = ParseWebhookEvent(kBody);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->id, "evt_1");
  EXPECT_EQ(e->type, "invoice.paid");
  EXPECT_EQ(e->invoice_id, "inv_1");
  auto other = ParseWebhookEvent(R"({"id":"evt_9","type":"customer.updated","extra":[1,2]})");
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_EQ(other->invoice_id, "");
  for (const char* bad : {"", "not json", "[1]", R"({"type":"invoice.paid","invoice_id":"i"})",
                          R"({"id":"","type":"invoice.paid","invoice_id":"i"})",
                          R"({"id":7,"type":"invoice.paid","invoice_id":"i"})",
                          R"({"id":"e","invoice_id":"i"})", R"({"id":"e","type":"invoice.paid"})",
                          R"({"id":"e","type":"invoice.payment_failed","invoice_id":3})"}) {
    auto r = ParseWebhookEvent(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument) << bad;
  }
  auto long_id = ParseWebhookEvent(R"({"id":")" + std::string(256, 'x') + R"(","type":"x"})");
  EXPECT_FALSE(long_id);
}

// A migrated SQLite file with Ann (user 42) on 10 GB and her open invoice inv_1 of 1.00 USD; a
// Ledger at FakeClock's 1700000000 s with the webhook secret set.
class WebhookDbTest : public ::testing::Test {
 protected:
  static constexpr std::int64_t kAnn = 42;

  void SetUp() override {
    db_ = nimbus::testing::MigratedSqlite(dir_.File("nimbus.db"));
    ASSERT_TRUE(db_);
    config_.webhook_secret = kSecret;
    const std::int64_t now = kT * 1000;
    auto seeded = db_->Write([&](db::Transaction& tx) -> Result<void> {
      db::UserRecord ann{.id = kAnn,
                         .email = "ann@example.com",
                         .name = "Ann",
                         .password_hash = "x",
                         .root_id = "root-ann",
                         .created_at = now,
                         .updated_at = now};
      if (auto r = db::AccountStore::InsertUser(tx, ann); !r) return r;
      const std::int64_t end = now + 30 * 86'400'000LL;
      db::BillingAccountRow account;
      account.user_id = kAnn;
      account.plan_gb = 10;
      account.currency = "USD";
      account.anchor_at = account.period_start = now;
      account.period_end = end;
      account.created_at = account.updated_at = now;
      if (auto r = db::BillingStore::PutAccount(tx, account); !r) return r;
      db::InvoiceRow inv;
      inv.id = "inv_1";
      inv.user_id = kAnn;
      inv.seq = 1;
      inv.number = "INV-000001";
      inv.currency = "USD";
      inv.subtotal = inv.total = 100;
      inv.period_start = inv.issued_at = inv.due_at = now;
      inv.period_end = end;
      inv.lines.push_back({"10 GB", 10, now, end, 100});
      return db::BillingStore::InsertInvoice(tx, inv);
    });
    ASSERT_TRUE(seeded) << seeded.error().message;
    ledger_ = std::make_unique<Ledger>(LedgerDeps{*db_, clock_, config_, public_url_, {}});
  }

  // Signs `body` at `t` (Python's hmac) and runs the whole webhook.
  Result<WebhookResult> Send(const std::string& body, std::int64_t t = kT,
                             const std::string& secret = kSecret) {
    return HandleWebhook(*ledger_, Header(t, PythonSign(secret, t, body)), body);
  }
  static std::string Event(const std::string& id, const std::string& type,
                           const std::string& invoice) {
    return R"({"id":")" + id + R"(","type":")" + type + R"(","invoice_id":")" + invoice +
           R"(","amount":100})";
  }
  db::InvoiceRow Invoice() {
    auto row =
        db_->Read([](db::Transaction& tx) { return db::BillingStore::FindInvoice(tx, "inv_1"); });
    EXPECT_TRUE(row && *row);
    return row && *row ? **row : db::InvoiceRow{};
  }
  std::int64_t Count(const std::string& sql) {
    auto n = db_->Read([&](db::Transaction& tx) { return tx.QueryOne(sql); });
    EXPECT_TRUE(n && *n) << sql;
    return n && *n ? (**n).Int(0) : -1;
  }
  std::int64_t Mails(const std::string& subject_part) {
    return Count("SELECT COUNT(*) FROM mail_outbox WHERE subject LIKE '%" + subject_part + "%'");
  }

  testing::TempDir dir_;
  std::unique_ptr<db::Database> db_;
  FakeClock clock_;
  config::BillingConfig config_;
  std::string public_url_ = "https://nimbus.example";
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(WebhookDbTest, PaidMarksTheInvoicePaidViaTheProviderAndMailsAReceipt) {
  auto r = Send(Event("evt_1", "invoice.paid", "inv_1"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->applied);
  EXPECT_EQ(r->user_id, kAnn);
  EXPECT_FALSE(r->lifted);
  db::InvoiceRow inv = Invoice();
  EXPECT_EQ(inv.status, "paid");
  EXPECT_EQ(inv.paid_at, kT * 1000);
  EXPECT_EQ(inv.paid_via, "provider");
  EXPECT_EQ(inv.payment_ref, "evt_1");
  EXPECT_EQ(Mails("Payment received for invoice INV-000001"), 1);
}

TEST_F(WebhookDbTest, TheKnownVectorIsAcceptedEndToEnd) {
  auto r = HandleWebhook(*ledger_, Header(kT, kSig), kBody);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(Invoice().status, "paid");
}

TEST_F(WebhookDbTest, AReplayedEventIsRefusedAndChangesNothing) {
  const std::string body = Event("evt_1", "invoice.paid", "inv_1");
  ASSERT_TRUE(Send(body));
  clock_.Advance(std::chrono::seconds(10));
  auto again = Send(body, kT + 10);  // Signed anew: only the event id repeats.
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kReplayed);
  EXPECT_NE(again.error().message.find("'evt_1' was received before"), std::string::npos);
  EXPECT_EQ(Invoice().paid_at, kT * 1000) << "paid_at is the first delivery's";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM billing_events"), 1);
  EXPECT_EQ(Mails("Payment received"), 1);

  // A payment_failed replayed after the payment is refused the same way.
  auto failed = Send(Event("evt_1", "invoice.payment_failed", "inv_1"), kT + 10);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, Errc::kReplayed);
  EXPECT_FALSE(Invoice().payment_failed_at);
}

TEST_F(WebhookDbTest, AnUnknownInvoiceRecordsNothingSoACorrectedRetryWorks) {
  auto r = Send(Event("evt_2", "invoice.paid", "inv_nope"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  EXPECT_NE(r.error().message.find("invoice 'inv_nope', which does not exist"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM billing_events"), 0);
  EXPECT_EQ(Invoice().status, "open");

  auto retry = Send(Event("evt_2", "invoice.paid", "inv_1"));
  ASSERT_TRUE(retry) << retry.error().message;
  EXPECT_EQ(Invoice().status, "paid");
}

TEST_F(WebhookDbTest, AFailedPaymentIsRecordedAndMailedAndTheInvoiceStaysOpen) {
  auto r = Send(Event("evt_3", "invoice.payment_failed", "inv_1"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->applied);
  db::InvoiceRow inv = Invoice();
  EXPECT_EQ(inv.status, "open");
  EXPECT_EQ(inv.payment_failed_at, kT * 1000);
  EXPECT_EQ(inv.payment_ref, "evt_3");
  EXPECT_EQ(Mails("Payment of invoice INV-000001 failed"), 1);
}

TEST_F(WebhookDbTest, OtherEventTypesAreRecordedAndIgnored) {
  auto r = Send(R"({"id":"evt_4","type":"customer.updated"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->applied);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM billing_events WHERE id = 'evt_4'"), 1);
  EXPECT_EQ(Invoice().status, "open");
  auto again = Send(R"({"id":"evt_4","type":"customer.updated"})");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kReplayed);
}

TEST_F(WebhookDbTest, ABadSignatureOrAStaleOneRecordsNothing) {
  auto wrong = Send(Event("evt_5", "invoice.paid", "inv_1"), kT, "whsec_other");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Errc::kBadSignature);
  auto stale = Send(Event("evt_5", "invoice.paid", "inv_1"), kT - 301);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Errc::kBadSignature);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM billing_events"), 0);
  EXPECT_EQ(Invoice().status, "open");
  EXPECT_EQ(Mails("Payment"), 0);
}

TEST_F(WebhookDbTest, PayingThePastDueInvoiceLiftsTheAccountAtOnce) {
  auto made_past_due = db_->Write([&](db::Transaction& tx) -> Result<void> {
    auto account = db::BillingStore::FindAccount(tx, kAnn);
    if (!account) return std::unexpected(account.error());
    db::BillingAccountRow row = **account;
    row.state = "past_due";
    row.past_due_since = kT * 1000;
    return db::BillingStore::PutAccount(tx, row);
  });
  ASSERT_TRUE(made_past_due) << made_past_due.error().message;
  auto r = Send(Event("evt_6", "invoice.paid", "inv_1"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->lifted);
  EXPECT_EQ(r->user_id, kAnn);
  auto standing = ledger_->StandingOf(kAnn);
  ASSERT_TRUE(standing) << standing.error().message;
  EXPECT_EQ(standing->state, "active");
  EXPECT_EQ(standing->amount_due, 0);
}

TEST_F(WebhookDbTest, WithoutASecretEveryEventIsRefusedAsUnavailable) {
  config_.webhook_secret.clear();
  EXPECT_FALSE(WebhookConfigured(config_));
  auto r = HandleWebhook(*ledger_, Header(kT, kSig), kBody);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kUnavailable);
  EXPECT_NE(r.error().message.find("not configured"), std::string::npos);
  EXPECT_EQ(Invoice().status, "open");
}

}  // namespace
}  // namespace nimbus::core::billing
