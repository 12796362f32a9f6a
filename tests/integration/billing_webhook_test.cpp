// SPDX-License-Identifier: AGPL-3.0-or-later
// The payment webhook (issue 7) against the real `nimbus serve`: a user upgrades to 10 GB (an
// open invoice), and the provider's events, signed here with Python's hmac (independent of the
// server's OpenSSL), pay it (204, status paid, a receipt mailed), are refused when replayed, badly
// signed, six minutes old or about an unknown invoice (400, nothing changed), record a failed
// payment (a mail), and lift a past-due account at once (uploads work again, /me and /plan say
// active); without a secret the webhook is 503.
#include <chrono>
#include <ctime>
#include <thread>

#include "integration/accounts_test_util.h"
#include "support/python.h"

namespace nimbus::test {
namespace {

namespace json = boost::json;

constexpr char kSecret[] = "whsec_integration_3b1f";
constexpr char kWebhook[] = "/api/v1/billing/webhook";

// One pair of category A and one of B (room for a 10 GB plan).
constexpr char kDisks[] = R"(
[[disk]]
id = "a1"
category = "A"
uri = "file:disks/a1"
capacity = "20GiB"
mirror = "a1m"

[[disk]]
id = "a1m"
category = "A"
uri = "file:disks/a1m"
capacity = "20GiB"
role = "mirror"
mirror = "a1"

[[disk]]
id = "b1"
category = "B"
uri = "file:disks/b1"
capacity = "200GiB"
mirror = "b1m"

[[disk]]
id = "b1m"
category = "B"
uri = "file:disks/b1m"
capacity = "200GiB"
role = "mirror"
mirror = "b1"
)";

std::int64_t NowS() { return static_cast<std::int64_t>(std::time(nullptr)); }

// The Nimbus-Signature a provider sends: t and the hex HMAC-SHA256 of "<t>.<body>", by Python.
std::string Signature(const std::string& body, std::int64_t t, const std::string& secret) {
  const std::string hex = Python(
      "import hmac, hashlib, sys\n"
      "msg = (sys.argv[2] + \".\" + sys.argv[3]).encode()\n"
      "print(hmac.new(sys.argv[1].encode(), msg, hashlib.sha256).hexdigest(), end=\"\")\n",
      {secret, std::to_string(t), body});
  EXPECT_EQ(hex.size(), 64u) << hex;
  return "t=" + std::to_string(t) + ",v1=" + hex;
}

std::string Event(const std::string& id, const std::string& type, const std::string& invoice) {
  return R"({"id":")" + id + R"(","type":")" + type + R"(","invoice_id":")" + invoice +
         R"(","amount":100,"currency":"USD"})";
}

std::string Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string Message(const HttpResponse& r) {
  json::object body = BodyOf(r);
  return body.contains("error") ? Str(body.at("error").as_object(), "message") : std::string();
}

class BillingWebhookTest : public AccountsTest {
 protected:
  // Starts the server with the webhook secret (plus `env`), signs Ann up and upgrades her to
  // 10 GB; invoice_ is the open invoice of that upgrade.
  void StartAnnOn10Gb(EnvVars env = {}) {
    env.emplace_back("NIMBUS_BILLING_WEBHOOK_SECRET", kSecret);
    env_ = env;
    WriteConfig("disks.toml", kDisks);
    Start(env, true);
    ASSERT_EQ(SignUp("ann@example.com").status, 201);
    ann_ = LogIn("ann@example.com");
    HttpResponse up = Call("PUT", "/api/v1/plan", R"({"size_gb":10})", &ann_);
    ASSERT_EQ(up.status, 200) << up.body;
    json::object invoice = BodyOf(up).at("invoice").as_object();
    ASSERT_EQ(Str(invoice, "status"), "open") << up.body;
    invoice_ = Str(invoice, "id");
  }
  // POSTs `body` as the provider does: no session, no CSRF token, the signature header.
  HttpResponse Post(const std::string& body, const std::string& signature) {
    return Call("POST", kWebhook, body, nullptr, false, {{"Nimbus-Signature", signature}});
  }
  HttpResponse Send(const std::string& body, std::int64_t t = NowS()) {
    return Post(body, Signature(body, t, kSecret));
  }
  json::object Invoice() {
    HttpResponse r = Call("GET", "/api/v1/invoices/" + invoice_, "", &ann_);
    EXPECT_EQ(r.status, 200) << r.body;
    return BodyOf(r);
  }
  std::string PlanState() {
    HttpResponse r = Call("GET", "/api/v1/plan", "", &ann_);
    EXPECT_EQ(r.status, 200) << r.body;
    return Str(BodyOf(r), "state");
  }
  // billing.state of GET /api/v1/me.
  std::string MeState() {
    json::object me = BodyOf(Call("GET", "/api/v1/me", "", &ann_));
    return me.contains("billing") ? Str(me.at("billing").as_object(), "state") : std::string();
  }
  // PUT /api/v1/nodes/root/content?path=<name>: a small new file in Ann's root.
  HttpResponse Upload(const std::string& name) {
    return Call("PUT", "/api/v1/nodes/root/content?path=" + name, "a few bytes", &ann_, true,
                {{"Content-Type", "application/octet-stream"}});
  }
  // Waits (bounded, 15 s) until `n` mails to Ann have a subject containing `subject`.
  bool WaitForMails(const std::string& subject, std::size_t n = 1) {
    for (int i = 0; i < 150; ++i) {
      if (MailsTo("ann@example.com", subject) >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  EnvVars env_;
  Browser ann_;
  std::string invoice_;
};

TEST_F(BillingWebhookTest, PaidEventPaysTheInvoiceOnceAndAReplayIsRefused) {
  StartAnnOn10Gb();
  if (HasFatalFailure()) return;
  const std::string paid = Event("evt_paid_1", "invoice.paid", invoice_);
  HttpResponse r = Send(paid);
  EXPECT_EQ(r.status, 204) << r.body;
  json::object inv = Invoice();
  EXPECT_EQ(Str(inv, "status"), "paid");
  const std::string paid_at = Str(inv, "paid_at");
  EXPECT_FALSE(paid_at.empty()) << "paid_at set";
  EXPECT_TRUE(WaitForMails("Payment received for invoice INV-000001")) << "a receipt is mailed";

  // The same event again, freshly signed: only its id repeats.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  HttpResponse again = Send(paid);
  EXPECT_EQ(again.status, 400) << again.body;
  EXPECT_EQ(ErrorCode(again), "replayed");
  EXPECT_TRUE(Message(again).contains("'evt_paid_1' was received before")) << again.body;
  EXPECT_EQ(Str(Invoice(), "paid_at"), paid_at) << "nothing changed";
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // An outbox poll or more.
  EXPECT_EQ(MailsTo("ann@example.com", "Payment received"), 1u) << "no second receipt";

  // A signed-in browser's cookie without its CSRF token is no obstacle (and no authority).
  const std::string other = R"({"id":"evt_other_1","type":"customer.updated"})";
  HttpResponse with_cookie = Call("POST", kWebhook, other, &ann_, false,
                                  {{"Nimbus-Signature", Signature(other, NowS(), kSecret)}});
  EXPECT_EQ(with_cookie.status, 204) << with_cookie.body;
}

TEST_F(BillingWebhookTest, BadSignaturesAndStaleTimestampsChangeNothing) {
  StartAnnOn10Gb();
  if (HasFatalFailure()) return;
  const std::string paid = Event("evt_paid_2", "invoice.paid", invoice_);

  HttpResponse wrong = Post(paid, Signature(paid, NowS(), "whsec_someone_else"));
  EXPECT_EQ(wrong.status, 400) << wrong.body;
  EXPECT_EQ(ErrorCode(wrong), "bad_signature");
  EXPECT_TRUE(Message(wrong).contains("does not match this body")) << wrong.body;

  std::string tampered = paid;
  tampered.replace(tampered.find("\"amount\":100"), 12, "\"amount\":1");
  HttpResponse changed = Post(tampered, Signature(paid, NowS(), kSecret));
  EXPECT_EQ(changed.status, 400) << changed.body;
  EXPECT_EQ(ErrorCode(changed), "bad_signature");

  HttpResponse unsigned_ = Call("POST", kWebhook, paid);
  EXPECT_EQ(unsigned_.status, 400) << unsigned_.body;
  EXPECT_EQ(ErrorCode(unsigned_), "bad_signature");
  EXPECT_TRUE(Message(unsigned_).contains("no Nimbus-Signature header")) << unsigned_.body;

  HttpResponse malformed = Post(paid, "v1=abc");
  EXPECT_EQ(malformed.status, 400) << malformed.body;
  EXPECT_EQ(ErrorCode(malformed), "bad_signature");
  EXPECT_TRUE(Message(malformed).contains("malformed")) << malformed.body;

  HttpResponse stale = Send(paid, NowS() - 6 * 60);  // Correctly signed, six minutes ago.
  EXPECT_EQ(stale.status, 400) << stale.body;
  EXPECT_EQ(ErrorCode(stale), "bad_signature");
  EXPECT_TRUE(Message(stale).contains("seconds old")) << stale.body;

  HttpResponse future = Send(paid, NowS() + 6 * 60);
  EXPECT_EQ(future.status, 400) << future.body;
  EXPECT_EQ(ErrorCode(future), "bad_signature");
  EXPECT_TRUE(Message(future).contains("in the future")) << future.body;

  json::object inv = Invoice();
  EXPECT_EQ(Str(inv, "status"), "open") << "the invoice is unchanged";
  EXPECT_TRUE(inv.at("paid_at").is_null());

  // None of those recorded the event id: the genuine delivery is applied.
  HttpResponse genuine = Send(paid);
  EXPECT_EQ(genuine.status, 204) << genuine.body;
  EXPECT_EQ(Str(Invoice(), "status"), "paid");
}

TEST_F(BillingWebhookTest, AnUnknownInvoiceIsInvalidAndACorrectedRetryIsApplied) {
  StartAnnOn10Gb();
  if (HasFatalFailure()) return;
  HttpResponse unknown = Send(Event("evt_paid_3", "invoice.paid", "no-such-invoice"));
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_EQ(ErrorCode(unknown), "invalid_request");
  EXPECT_TRUE(Message(unknown).contains("'no-such-invoice', which does not exist")) << unknown.body;
  HttpResponse not_json = Send("paid, honestly");
  EXPECT_EQ(not_json.status, 400) << not_json.body;
  EXPECT_EQ(ErrorCode(not_json), "invalid_request");
  // A body over server.max_json_body_bytes (1 MiB by default) is not read whole.
  const std::string huge =
      Event("evt_paid_3", "invoice.paid", invoice_) + std::string(std::size_t{1} << 20, ' ');
  HttpResponse too_large = Post(huge, "t=1,v1=" + std::string(64, 'a'));  // Refused unread.
  EXPECT_EQ(too_large.status, 413) << too_large.body;
  EXPECT_EQ(ErrorCode(too_large), "too_large");
  EXPECT_EQ(Str(Invoice(), "status"), "open");

  HttpResponse retry = Send(Event("evt_paid_3", "invoice.paid", invoice_));
  EXPECT_EQ(retry.status, 204) << retry.body;
  EXPECT_EQ(Str(Invoice(), "status"), "paid");
}

TEST_F(BillingWebhookTest, AFailedPaymentIsMailedAndTheInvoiceStaysOpen) {
  StartAnnOn10Gb();
  if (HasFatalFailure()) return;
  HttpResponse r = Send(Event("evt_failed_1", "invoice.payment_failed", invoice_));
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(Str(Invoice(), "status"), "open");
  EXPECT_TRUE(WaitForMails("Payment of invoice INV-000001 failed"));
  EXPECT_TRUE(AnyMailContains("did not go through")) << "the mail says what happened";
  EXPECT_EQ(PlanState(), "active") << "a failed payment alone does not make the account past due";
}

TEST_F(BillingWebhookTest, PayingLiftsAPastDueAccountAtOnce) {
  StartAnnOn10Gb({{"NIMBUS_BILLING_GRACE_DAYS", "0"}});
  if (HasFatalFailure()) return;
  // The billing job: the invoice is unpaid past grace_days (0), so the account is past due.
  auto job =
      RunNimbus({"job", "run", "billing", "--data", data_dir(), "--config", config_dir()}, env_);
  ASSERT_TRUE(job) << job.error().message;
  ASSERT_EQ(job->exit_code(), 0) << job->out << job->err;
  ASSERT_EQ(PlanState(), "past_due");
  // /me's standing comes from a cached profile the job (another process) cannot drop: wait for
  // it, so that "active" right after the payment shows the webhook dropped it.
  for (int i = 0; i < 100 && MeState() != "past_due"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(MeState(), "past_due");
  HttpResponse refused = Upload("before.txt");
  EXPECT_EQ(refused.status, 402) << refused.body;
  EXPECT_EQ(ErrorCode(refused), "payment_required");

  HttpResponse r = Send(Event("evt_paid_late", "invoice.paid", invoice_));
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(PlanState(), "active") << "lifted at once, not at the next job run";
  EXPECT_EQ(MeState(), "active");
  EXPECT_EQ(Str(Invoice(), "status"), "paid");
  HttpResponse upload = Upload("after.txt");
  EXPECT_EQ(upload.status, 201) << upload.body;
}

TEST_F(BillingWebhookTest, WithoutASecretTheWebhookIsUnavailable) {
  Start();
  HttpResponse r = Call("POST", kWebhook, R"({"id":"e","type":"invoice.paid","invoice_id":"x"})",
                        nullptr, false, {{"Nimbus-Signature", "t=1,v1=" + std::string(64, 'a')}});
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(ErrorCode(r), "unavailable");
  EXPECT_TRUE(Message(r).contains("Payment webhook not configured")) << r.body;
}

}  // namespace
}  // namespace nimbus::test
