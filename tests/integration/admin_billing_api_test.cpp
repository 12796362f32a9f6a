// SPDX-License-Identifier: AGPL-3.0-or-later
// Issue 7 "Admin" against the real `nimbus serve`: PATCH /api/v1/admin/users/{id} {plan_gb}
// sets a plan without charging (the user's plan, quota and invoices show it; the log names the
// admin), with the errors of PUT /plan; GET /api/v1/admin/billing shows a user's own upgrade in
// this month's revenue and the users per category. Non-admins get 404 for both.
#include <fmt/core.h>

#include <chrono>
#include <thread>
#include <tuple>

#include "integration/files_test_util.h"

namespace nimbus::test {
namespace {

namespace json = boost::json;

constexpr std::int64_t kGiB = std::int64_t{1} << 30;

class AdminBillingApiTest : public FilesTest {
 protected:
  // One mirrored pair per category (D and E with no room for a plan); Ann (the first user) is
  // the admin, Bob a user.
  void StartWithUsers() {
    std::string disks;
    for (const auto& [id, category, capacity] :
         {std::tuple{"a", "A", "20GiB"}, std::tuple{"b", "B", "200GiB"},
          std::tuple{"c", "C", "300GiB"}, std::tuple{"d", "D", "1GiB"},
          std::tuple{"e", "E", "1GiB"}}) {
      for (const bool mirror : {false, true}) {
        disks += fmt::format(
            "[[disk]]\nid = \"{0}{1}\"\ncategory = \"{2}\"\nuri = \"file:disks/{0}{1}\"\n"
            "capacity = \"{3}\"\nmirror = \"{0}{4}\"\n{5}\n",
            id, mirror ? "1m" : "1", category, capacity, mirror ? "1" : "1m",
            mirror ? "role = \"mirror\"\n" : "");
      }
    }
    WriteConfig("disks.toml", disks);
    Start({}, true);
    ASSERT_EQ(SignUp("ann@example.com").status, 201);
    ann_ = LogIn("ann@example.com");
    ASSERT_EQ(SignUp("bob@example.com").status, 201);
    bob_ = LogIn("bob@example.com");
    ann_id_ = IdOfMe(ann_);
    bob_id_ = IdOfMe(bob_);
  }
  HttpResponse As(const Browser& who, const std::string& method, const std::string& target,
                  const std::string& body = "", Headers extra = {}) {
    return Call(method, target, body, &who, true, std::move(extra));
  }
  std::string IdOfMe(const Browser& who) {
    return std::string(BodyOf(As(who, "GET", "/api/v1/me")).at("id").as_string());
  }
  // PATCH /api/v1/admin/users/{id} as `who` with {"plan_gb": <plan_json>}.
  HttpResponse SetPlanOf(const Browser& who, const std::string& id, const std::string& plan_json) {
    return As(who, "PATCH", "/api/v1/admin/users/" + id, "{\"plan_gb\":" + plan_json + "}");
  }
  // GET /api/v1/plan of `who`, once it is no longer migrating (bounded wait).
  json::object SettledPlan(const Browser& who) {
    json::object plan;
    for (int i = 0; i < 200; ++i) {
      plan = BodyOf(As(who, "GET", "/api/v1/plan"));
      if (plan.contains("state") && plan.at("state").as_string() != "migrating") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return plan;
  }
  std::size_t InvoiceCount(const Browser& who) {
    return BodyOf(As(who, "GET", "/api/v1/invoices")).at("items").as_array().size();
  }
  static std::int64_t Int(const json::object& o, std::string_view key) {
    return o.at(key).to_number<std::int64_t>();
  }
  static std::string Str(const json::object& o, std::string_view key) {
    return std::string(o.at(key).as_string());
  }

  Browser ann_, bob_;
  std::string ann_id_, bob_id_;
};

TEST_F(AdminBillingApiTest, AdminSetsAPlanWithoutCharging) {
  StartWithUsers();
  if (HasFatalFailure()) return;
  HttpResponse set = SetPlanOf(ann_, bob_id_, "30");
  ASSERT_EQ(set.status, 200) << set.body;
  const json::object body = BodyOf(set);
  EXPECT_EQ(Str(body.at("user").as_object(), "id"), bob_id_);
  EXPECT_EQ(Int(body.at("plan").as_object(), "size_gb"), 30);
  EXPECT_EQ(Str(body.at("plan").as_object(), "category"), "C");

  // What Bob sees: the plan (a paid period started now), the quota, and no invoice.
  json::object plan = SettledPlan(bob_);
  EXPECT_EQ(Int(plan, "size_gb"), 30);
  EXPECT_EQ(Str(plan, "category"), "C");
  EXPECT_EQ(Str(plan, "state"), "active") << json::serialize(plan);
  EXPECT_FALSE(plan.at("period_start").is_null()) << "a paid period starts now";
  EXPECT_EQ(Int(plan, "balance"), 0);
  json::object me = BodyOf(As(bob_, "GET", "/api/v1/me"));
  EXPECT_EQ(Int(me.at("usage").as_object(), "quota_bytes"), 30 * kGiB);
  EXPECT_EQ(Int(me.at("plan").as_object(), "size_gb"), 30);
  EXPECT_EQ(InvoiceCount(bob_), 0u) << "an admin's plan is not charged";
  // The admin's users list shows each user's plan, usage and standing.
  bool listed = false;
  const json::object users = BodyOf(As(ann_, "GET", "/api/v1/admin/users"));
  for (const json::value& u : users.at("users").as_array()) {
    const json::object& user = u.as_object();
    if (Str(user, "id") != bob_id_) continue;
    listed = true;
    EXPECT_EQ(Int(user.at("plan").as_object(), "size_gb"), 30) << json::serialize(user);
    EXPECT_EQ(Int(user.at("usage").as_object(), "quota_bytes"), 30 * kGiB);
    EXPECT_EQ(Str(user.at("billing").as_object(), "state"), "active");
    EXPECT_FALSE(user.contains("csrf_token"));
  }
  EXPECT_TRUE(listed);
  // The log records who did it.
  const std::string said =
      fmt::format("admin {} set the plan of user {} from 1 GB to 30 GB", ann_id_, bob_id_);
  EXPECT_NE(server().Stderr().find(said), std::string::npos) << server().Stderr();

  // The errors of PUT /plan, and nothing changes.
  for (const char* bad : {"5", "101", "10.5", "\"30\"", "null"}) {
    HttpResponse r = SetPlanOf(ann_, bob_id_, bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_plan_size") << bad;
    EXPECT_TRUE(r.body.contains("whole number of GB from 10 to 100")) << r.body;
  }
  EXPECT_EQ(SetPlanOf(ann_, "999999", "30").status, 404) << "an unknown user";
  // A non-admin: 404 as if the route did not exist, and Ann's plan stays free.
  HttpResponse hidden = SetPlanOf(bob_, ann_id_, "30");
  EXPECT_EQ(hidden.status, 404) << hidden.body;
  EXPECT_EQ(Int(SettledPlan(ann_), "size_gb"), 1);

  // Below what Bob holds (a 2 GiB upload in progress): 409 below_usage, the plan stays.
  HttpResponse upload = As(bob_, "POST", "/api/v1/uploads", "",
                           {{"Tus-Resumable", "1.0.0"},
                            {"Upload-Length", std::to_string(2 * kGiB)},
                            {"Upload-Metadata", "filename YmlnLmJpbg=="}});  // "big.bin"
  ASSERT_EQ(upload.status, 201) << upload.body;
  HttpResponse below = SetPlanOf(ann_, bob_id_, "1");
  EXPECT_EQ(below.status, 409) << below.body;
  EXPECT_EQ(ErrorCode(below), "below_usage");
  EXPECT_TRUE(below.body.contains("This user's files take")) << below.body;
  EXPECT_EQ(Int(SettledPlan(bob_), "size_gb"), 30);

  // Back to the free plan once the upload is gone: the period ends, no credit, no invoice.
  ASSERT_EQ(
      As(bob_, "DELETE", upload.HeaderOr("Location"), "", {{"Tus-Resumable", "1.0.0"}}).status,
      204);
  HttpResponse free = SetPlanOf(ann_, bob_id_, "1");
  ASSERT_EQ(free.status, 200) << free.body;
  plan = SettledPlan(bob_);
  EXPECT_EQ(Int(plan, "size_gb"), 1);
  EXPECT_TRUE(plan.at("period_start").is_null());
  EXPECT_EQ(Int(plan, "balance"), 0) << "no credit for the unused part";
  EXPECT_EQ(InvoiceCount(bob_), 0u);
  // The flags still work next to plan_gb.
  HttpResponse both =
      As(ann_, "PATCH", "/api/v1/admin/users/" + bob_id_, R"({"plan_gb":10,"disabled":false})");
  ASSERT_EQ(both.status, 200) << both.body;
  EXPECT_EQ(Int(BodyOf(both).at("plan").as_object(), "size_gb"), 10);
  EXPECT_FALSE(BodyOf(both).at("user").at("disabled").as_bool());
}

// GB an admin granted were never paid: going down from them credits nothing, and only GB the
// user bought on top come back (found in an exploratory QA pass: 10 granted GB became a
// credit of a month of 10 GB).
// The same from the command line, with the server running: `nimbus admin user plan` moves Bob's
// files to category C to their end and says so; `admin user list` shows plans and usage, most
// used first with --sort used (QA pass 19: only the API could).
TEST_F(AdminBillingApiTest, TheCliSetsAPlanMovesTheFilesAndListsUsage) {
  StartWithUsers();
  if (HasFatalFailure()) return;
  const std::string bytes(300000, 'b');
  HttpResponse put = Call("PUT", "/api/v1/nodes/root/content?path=bob.bin", bytes, &bob_, true);
  ASSERT_EQ(put.status, 201) << put.body;
  const std::string file = IdOf(put);

  auto plan = RunNimbus(
      {"admin", "user", "plan", "bob@example.com", "30", "--complimentary", "--data", data_dir()},
      {}, std::chrono::seconds(60));
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->exit_code(), 0) << plan->out << plan->err;
  EXPECT_NE(plan->out.find("bob@example.com now has the 30 GB plan (category C), a gift"),
            std::string::npos)
      << plan->out;
  EXPECT_NE(plan->out.find("1 files (293.0 KB) copied"), std::string::npos) << plan->out;
  EXPECT_NE(plan->out.find("the move is done"), std::string::npos) << plan->out;
  json::object settled = SettledPlan(bob_);
  EXPECT_EQ(Int(settled, "size_gb"), 30);
  EXPECT_EQ(Str(settled, "category"), "C");
  EXPECT_TRUE(settled.at("complimentary").as_bool());
  HttpResponse back = As(bob_, "GET", "/api/v1/nodes/" + file + "/content");
  EXPECT_EQ(back.status, 200);
  EXPECT_TRUE(back.body == bytes) << "the file changed in the move";
  EXPECT_EQ(InvoiceCount(bob_), 0u);

  auto bad = RunNimbus({"admin", "user", "plan", "bob@example.com", "9", "--data", data_dir()});
  ASSERT_TRUE(bad) << bad.error().message;
  EXPECT_EQ(bad->exit_code(), 2);
  EXPECT_NE(bad->err.find("9 GB is not one"), std::string::npos) << bad->err;

  auto list = RunNimbus({"admin", "user", "list", "--sort", "used", "--data", data_dir()});
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->exit_code(), 0) << list->err;
  const std::size_t bob_at = list->out.find("bob@example.com");
  const std::size_t ann_at = list->out.find("ann@example.com");
  ASSERT_NE(bob_at, std::string::npos) << list->out;
  EXPECT_LT(bob_at, ann_at) << "most used first:\n" << list->out;
  const std::string bob_line = list->out.substr(bob_at, list->out.find('\n', bob_at) - bob_at);
  EXPECT_NE(bob_line.find("30 GB C"), std::string::npos) << bob_line;
  EXPECT_NE(bob_line.find("293.0 KB"), std::string::npos) << bob_line;
  EXPECT_NE(bob_line.find("active"), std::string::npos) << bob_line;
}

TEST_F(AdminBillingApiTest, AGrantedPlanIsNeverCreditedBack) {
  StartWithUsers();
  if (HasFatalFailure()) return;
  ASSERT_EQ(SetPlanOf(ann_, bob_id_, "10").status, 200);
  EXPECT_EQ(Int(SettledPlan(bob_), "size_gb"), 10);
  HttpResponse quote = As(bob_, "GET", "/api/v1/plan/quote?size_gb=1");
  ASSERT_EQ(quote.status, 200) << quote.body;
  EXPECT_EQ(Int(BodyOf(quote), "prorated_amount"), 0) << "nothing to credit";

  // Bob buys 2 GB more: he pays for those 2 only.
  HttpResponse up = As(bob_, "PUT", "/api/v1/plan", R"({"size_gb":12})");
  ASSERT_EQ(up.status, 200) << up.body;
  const std::int64_t paid = Int(BodyOf(up).at("invoice").as_object(), "subtotal");
  EXPECT_GT(paid, 0);
  EXPECT_LT(paid, 30) << "2 GB for (nearly) a month at 10 cents per GB-month";
  SettledPlan(bob_);
  // Back to the free plan: what he paid comes back, not the admin's 10 GB.
  HttpResponse down = As(bob_, "PUT", "/api/v1/plan", R"({"size_gb":1})");
  ASSERT_EQ(down.status, 200) << down.body;
  const std::int64_t credited = Int(BodyOf(down), "credited");
  EXPECT_LE(credited, paid);
  EXPECT_GE(credited, paid - 1) << "the few seconds since are worth at most a cent";
  // The 2 GB invoice is still open: the credit pays it rather than waiting on the balance.
  EXPECT_EQ(Int(SettledPlan(bob_), "balance"), 0);
  HttpResponse invoices = As(bob_, "GET", "/api/v1/invoices");
  ASSERT_EQ(invoices.status, 200) << invoices.body;
  const json::object inv = BodyOf(invoices).at("items").as_array().at(0).as_object();
  EXPECT_EQ(Int(inv, "credit_applied"), credited) << invoices.body;
  EXPECT_EQ(Int(inv, "total"), paid - credited) << invoices.body;
}

TEST_F(AdminBillingApiTest, ReportShowsThisMonthsRevenueAndUsersPerCategory) {
  StartWithUsers();
  if (HasFatalFailure()) return;
  HttpResponse hidden = As(bob_, "GET", "/api/v1/admin/billing");
  EXPECT_EQ(hidden.status, 404) << "non-admins do not see admin routes";
  EXPECT_EQ(Call("GET", "/api/v1/admin/billing").status, 401);

  // Bob's own upgrade to 10 GB: an invoice of 100 cents, open.
  HttpResponse up = As(bob_, "PUT", "/api/v1/plan", R"({"size_gb":10})");
  ASSERT_EQ(up.status, 200) << up.body;
  const json::object invoice = BodyOf(up).at("invoice").as_object();
  ASSERT_EQ(Int(invoice, "total"), 100) << up.body;
  const std::string month = Str(invoice, "issued_at").substr(0, 7);  // "2026-11".

  HttpResponse report = As(ann_, "GET", "/api/v1/admin/billing");
  ASSERT_EQ(report.status, 200) << report.body;
  const json::object r = BodyOf(report);
  EXPECT_EQ(Str(r, "currency"), "USD");
  const json::array& months = r.at("months").as_array();
  ASSERT_EQ(months.size(), 1u) << report.body;
  EXPECT_EQ(Str(months[0].as_object(), "month"), month);
  EXPECT_EQ(Int(months[0].as_object(), "invoiced"), 100);
  EXPECT_EQ(Int(months[0].as_object(), "paid"), 0);
  EXPECT_EQ(Int(months[0].as_object(), "invoices"), 1);
  EXPECT_EQ(Int(r, "open_amount"), 100);
  EXPECT_EQ(Int(r, "past_due_users"), 0);

  // Categories in the order of disks.toml: Ann on the free 1 GB (A), Bob on 10 GB (B).
  const json::array& categories = r.at("categories").as_array();
  ASSERT_EQ(categories.size(), 5u) << report.body;
  const std::tuple<const char*, std::int64_t, std::int64_t, std::int64_t> expected[] = {
      {"A", 1, 1, 20}, {"B", 1, 10, 200}, {"C", 0, 0, 300}, {"D", 0, 0, 1}, {"E", 0, 0, 1}};
  for (std::size_t i = 0; i < categories.size(); ++i) {
    const json::object& c = categories[i].as_object();
    const auto& [name, users, allocated, capacity] = expected[i];
    EXPECT_EQ(Str(c, "name"), name);
    EXPECT_EQ(Int(c, "users"), users) << name;
    EXPECT_EQ(Int(c, "allocated_gb"), allocated) << name;
    EXPECT_EQ(Int(c, "capacity_gb"), capacity) << name;
  }

  // An admin's plan for Ann is no revenue: the month stays at one invoice.
  ASSERT_EQ(SetPlanOf(ann_, ann_id_, "30").status, 200);
  const json::object after = BodyOf(As(ann_, "GET", "/api/v1/admin/billing"));
  EXPECT_EQ(Int(after.at("months").as_array()[0].as_object(), "invoices"), 1);
  EXPECT_EQ(Int(after.at("categories").as_array()[0].as_object(), "users"), 0);
  EXPECT_EQ(Int(after.at("categories").as_array()[2].as_object(), "users"), 1);
  EXPECT_EQ(Int(after.at("categories").as_array()[2].as_object(), "allocated_gb"), 30);
}

}  // namespace
}  // namespace nimbus::test
