// SPDX-License-Identifier: AGPL-3.0-or-later
// Past-due accounts are read-only (issue 7), against the real `nimbus serve` and CLI: with
// billing.grace_days = 0 a user upgrades to 10 GB (an open invoice due at once), `nimbus job run
// billing` makes the account past_due, and then uploads (PUT content and tus creation), copies,
// restores and new folders answer 402 payment_required with the sentence a person reads, while
// downloads, listing, renames and deletes keep working and GET /me shows the standing; `nimbus
// admin invoice mark-paid` lifts it at once (upload works, /me active).
#include <fmt/core.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "integration/files_test_util.h"

namespace nimbus::test {
namespace {

namespace json = boost::json;

// "26 Nov 2026": today's date (UTC) as the server's sentences print it.
std::string Today() {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  return fmt::format("{} {} {}", tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900);
}

class BillingStandingTest : public FilesTest {
 protected:
  static constexpr const char* kHowToPay =
      "Pay by bank transfer to IBAN XX00 0000 with the invoice number as reference.";
  const EnvVars env_{{"NIMBUS_BILLING_GRACE_DAYS", "0"},
                     {"NIMBUS_BILLING_PAYMENT_INSTRUCTIONS", kHowToPay}};

  void StartAnn() {
    Start(env_);  // The default disks: a 10 GB plan has room.
    ASSERT_EQ(SignUp("ann@example.com").status, 201);
    ann_ = LogIn("ann@example.com");
  }
  HttpResponse As(const std::string& method, const std::string& target,
                  const std::string& body = "", Headers extra = {}) {
    return Call(method, target, body, &ann_, true, std::move(extra));
  }
  HttpResponse PutFile(const std::string& name, const std::string& bytes) {
    return As("PUT", "/api/v1/nodes/root/content?path=" + name, bytes,
              {{"Content-Type", "application/octet-stream"}});
  }
  json::object Billing() {
    HttpResponse r = As("GET", "/api/v1/me");
    EXPECT_EQ(r.status, 200) << r.body;
    json::object me = BodyOf(r);
    return me.contains("billing") ? me.at("billing").as_object() : json::object{};
  }
  // /me's billing once its state is `state` (the profile is cached for up to a second), or the
  // last one seen after 4 s.
  json::object WaitForState(std::string_view state) {
    json::object billing;
    for (int i = 0; i < 40; ++i) {
      billing = Billing();
      if (billing.contains("state") && billing.at("state").as_string() == state) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return billing;
  }
  Result<CommandResult> Cli(std::vector<std::string> args) {
    args.insert(args.end(), {"--data", data_dir()});
    return RunNimbus(args, env_);
  }
  // Expects 402 payment_required with the past-due sentence (1.00 USD due since today).
  void Expect402(const HttpResponse& r, const std::string& what) {
    EXPECT_EQ(r.status, 402) << what << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), "payment_required") << what;
    json::object body = BodyOf(r);
    std::string message;
    if (body.contains("error"))
      message = json::value_to<std::string>(body.at("error").at("message"));
    EXPECT_EQ(message, fmt::format("Your account is past due: 1.00 USD has been unpaid since {}, "
                                   "so uploads, copies and restores are paused until it is paid. "
                                   "Your files stay safe and you can still open, download, share "
                                   "and delete them. The invoices page says how to pay.",
                                   Today()))
        << what;
  }

  // PUT /plan {size_gb}, then waits (bounded, 60 s) until a move it started has ended.
  HttpResponse SetPlan(int size_gb) {
    HttpResponse r = As("PUT", "/api/v1/plan", fmt::format(R"({{"size_gb":{}}})", size_gb));
    for (int i = 0; i < 1200 && r.status == 200; ++i) {
      HttpResponse plan = As("GET", "/api/v1/plan");
      if (plan.status != 200 || BodyOf(plan).at("state").as_string() != "migrating") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return r;
  }

  Browser ann_;
};

TEST_F(BillingStandingTest, PastDueIsReadOnlyAndPayingLiftsItAtOnce) {
  StartAnn();
  if (HasFatalFailure()) return;
  HttpResponse kept = PutFile("kept.txt", "kept bytes");
  ASSERT_EQ(kept.status, 201) << kept.body;
  HttpResponse other = PutFile("other.txt", "other bytes");
  ASSERT_EQ(other.status, 201) << other.body;
  HttpResponse binned = PutFile("binned.txt", "binned bytes");
  ASSERT_EQ(binned.status, 201) << binned.body;
  HttpResponse trashed = As("DELETE", "/api/v1/nodes/" + IdOf(binned));
  ASSERT_EQ(trashed.status, 200) << trashed.body;
  const std::string trash_id =
      json::value_to<std::string>(BodyOf(trashed).at("trash_item").at("id"));
  json::object active = Billing();
  EXPECT_EQ(active.at("state").as_string(), "active");
  EXPECT_TRUE(active.at("past_due_since").is_null());
  EXPECT_EQ(active.at("amount_due").to_number<std::int64_t>(), 0);

  // Upgrade: the first month (10 GB × 10 cents) is invoiced now and due now.
  HttpResponse plan = As("PUT", "/api/v1/plan", R"({"size_gb":10})");
  ASSERT_EQ(plan.status, 200) << plan.body;
  json::object changed = BodyOf(plan);
  ASSERT_TRUE(changed.at("invoice").is_object()) << plan.body;
  const std::string invoice = json::value_to<std::string>(changed.at("invoice").at("id"));
  EXPECT_EQ(changed.at("invoice").at("status").as_string(), "open");
  // How to pay (billing.payment_instructions) is in the offer the web app shows and in the mail.
  HttpResponse plans = As("GET", "/api/v1/plans");
  ASSERT_EQ(plans.status, 200) << plans.body;
  EXPECT_EQ(BodyOf(plans).at("payment_instructions").as_string(), kHowToPay);
  bool mailed = false;
  for (int i = 0; i < 100 && !mailed; ++i) {  // The outbox sends within a second or two.
    mailed = AnyMailContains(std::string("How to pay: ") + kHowToPay);
    if (!mailed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(mailed) << "the invoice mail says how to pay";
  EXPECT_EQ(Billing().at("state").as_string(), "active") << "not before the billing job ran";

  // The billing job: unpaid past grace_days (0) → past_due.
  auto job = Cli({"job", "run", "billing"});
  ASSERT_TRUE(job) << job.error().message;
  ASSERT_EQ(job->exit_code(), 0) << job->out << job->err;

  // What is refused, with the sentence.
  Expect402(PutFile("new.txt", "new bytes"), "PUT content");
  Expect402(As("POST", "/api/v1/uploads", "",
               {{"Tus-Resumable", "1.0.0"},
                {"Upload-Length", "100"},
                {"Upload-Metadata", "filename YmlnLmJpbg=="}}),
            "tus creation");
  Expect402(As("POST", "/api/v1/nodes/" + IdOf(kept) + "/copy", R"({"parent_id":"root"})"), "copy");
  Expect402(As("POST", "/api/v1/trash/" + trash_id + "/restore"), "restore");
  Expect402(As("POST", "/api/v1/nodes/root/folders", R"({"path":"Photos"})"), "new folder");

  // What keeps working.
  HttpResponse download = As("GET", "/api/v1/nodes/" + IdOf(kept) + "/content");
  EXPECT_EQ(download.status, 200) << download.body;
  EXPECT_EQ(download.body, "kept bytes");
  HttpResponse list = As("GET", "/api/v1/nodes/root/children");
  EXPECT_EQ(list.status, 200) << list.body;
  HttpResponse renamed =
      As("PATCH", "/api/v1/nodes/" + IdOf(kept), R"({"name":"kept-renamed.txt"})");
  EXPECT_EQ(renamed.status, 200) << renamed.body;
  HttpResponse deleted_now = As("DELETE", "/api/v1/nodes/" + IdOf(other));
  EXPECT_EQ(deleted_now.status, 200) << deleted_now.body;
  HttpResponse forever = As("DELETE", "/api/v1/trash/" + trash_id);
  EXPECT_EQ(forever.status, 204) << forever.body;

  // /me shows the standing.
  json::object standing = WaitForState("past_due");
  ASSERT_EQ(standing.at("state").as_string(), "past_due");
  EXPECT_TRUE(standing.at("past_due_since").is_string());
  EXPECT_EQ(standing.at("amount_due").to_number<std::int64_t>(), 100);
  EXPECT_EQ(standing.at("currency").as_string(), "USD");

  // Paying lifts it at once.
  auto paid = Cli({"admin", "invoice", "mark-paid", invoice});
  ASSERT_TRUE(paid) << paid.error().message;
  ASSERT_EQ(paid->exit_code(), 0) << paid->out << paid->err;
  HttpResponse after = PutFile("new.txt", "new bytes");
  EXPECT_EQ(after.status, 201) << after.body;
  HttpResponse deleted = As("DELETE", "/api/v1/nodes/" + IdOf(kept));
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  standing = WaitForState("active");
  EXPECT_EQ(standing.at("state").as_string(), "active");
  EXPECT_TRUE(standing.at("past_due_since").is_null());
  EXPECT_EQ(standing.at("amount_due").to_number<std::int64_t>(), 0);
}

// A downgrade's credit pays what is still owed before it waits on the balance (QA pass 10,
// finding 3): a user who went 10 → 12 GB unpaid, became past due, then went back to 10 and to the
// free plan owes nothing and holds no credit, both invoices are paid via credit, and the account
// is no longer read-only.
TEST_F(BillingStandingTest, ADowngradeCreditPaysTheOpenInvoicesFirst) {
  StartAnn();
  if (HasFatalFailure()) return;
  HttpResponse ten = SetPlan(10);
  ASSERT_EQ(ten.status, 200) << ten.body;
  HttpResponse twelve = SetPlan(12);
  ASSERT_EQ(twelve.status, 200) << twelve.body;
  ASSERT_TRUE(BodyOf(twelve).at("invoice").is_object()) << twelve.body;
  auto job = Cli({"job", "run", "billing"});
  ASSERT_TRUE(job) << job.error().message;
  ASSERT_EQ(job->exit_code(), 0) << job->out << job->err;
  ASSERT_EQ(WaitForState("past_due").at("state").as_string(), "past_due");

  // 12 → 10: about 20 cents of credit go to the oldest open invoice (10 GB, 100 cents).
  HttpResponse back = SetPlan(10);
  ASSERT_EQ(back.status, 200) << back.body;
  const std::int64_t first_credit = BodyOf(back).at("credited").to_number<std::int64_t>();
  EXPECT_GE(first_credit, 19);
  EXPECT_EQ(BodyOf(back).at("plan").at("balance").to_number<std::int64_t>(), 0) << back.body;
  // 10 → free: the rest of the month is credited and pays what is left of both invoices.
  HttpResponse free = SetPlan(1);
  ASSERT_EQ(free.status, 200) << free.body;
  const std::int64_t credited =
      first_credit + BodyOf(free).at("credited").to_number<std::int64_t>();
  HttpResponse list = As("GET", "/api/v1/invoices");
  ASSERT_EQ(list.status, 200) << list.body;
  std::int64_t owed = 0, applied = 0;
  const json::object listed = BodyOf(list);
  for (const json::value& v : listed.at("items").as_array()) {
    const json::object& inv = v.as_object();
    owed += inv.at("subtotal").to_number<std::int64_t>();
    applied += inv.at("credit_applied").to_number<std::int64_t>();
    if (credited >= 120) {
      EXPECT_EQ(inv.at("status").as_string(), "paid") << json::serialize(inv);
      EXPECT_EQ(inv.at("total").to_number<std::int64_t>(), 0) << json::serialize(inv);
    }
  }
  EXPECT_EQ(applied, std::min(owed, credited)) << list.body;
  EXPECT_EQ(BodyOf(free).at("plan").at("balance").to_number<std::int64_t>(),
            std::max<std::int64_t>(credited - owed, 0))
      << free.body;
  if (credited >= owed) {
    json::object standing = WaitForState("active");
    EXPECT_EQ(standing.at("state").as_string(), "active") << json::serialize(standing);
    EXPECT_EQ(standing.at("amount_due").to_number<std::int64_t>(), 0);
    HttpResponse upload = PutFile("after.txt", "after");
    EXPECT_EQ(upload.status, 201) << upload.body;
  }
}

}  // namespace
}  // namespace nimbus::test
