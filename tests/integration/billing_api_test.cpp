// SPDX-License-Identifier: AGPL-3.0-or-later
// Plans and billing integration tests (issue 7, first increment) against the real `nimbus
// serve` with disks of every category (D and E too small for any plan): the offer, the plan,
// quotes, invalid sizes, an upgrade that is invoiced and raises the quota at once, below_usage,
// no_capacity with nothing changed, a category change that moves the files (same bytes after),
// a downgrade's credit used by the next invoice, and invoices visible to their owner only.
#include <fmt/core.h>

#include <chrono>
#include <thread>

#include "integration/files_test_util.h"

namespace nimbus::test {
namespace {

namespace json = boost::json;

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

std::string Disk(const std::string& id, const std::string& cat, const std::string& cap) {
  return fmt::format(
      "[[disk]]\nid = \"{0}1\"\ncategory = \"{1}\"\nuri = \"file:disks/{0}1\"\ncapacity = "
      "\"{2}\"\nmirror = \"{0}1m\"\n\n[[disk]]\nid = \"{0}1m\"\ncategory = \"{1}\"\nuri = "
      "\"file:disks/{0}1m\"\ncapacity = \"{2}\"\nrole = \"mirror\"\nmirror = \"{0}1\"\n\n",
      id, cat, cap);
}

class BillingApiTest : public FilesTest {
 protected:
  void StartWithDisks() {
    WriteConfig("disks.toml", Disk("a", "A", "20GiB") + Disk("b", "B", "200GiB") +
                                  Disk("c", "C", "200GiB") + Disk("d", "D", "1GiB") +
                                  Disk("e", "E", "1GiB"));
    Start({}, true);
    ASSERT_EQ(SignUp("ann@example.com").status, 201);
    ann_ = LogIn("ann@example.com");
    ASSERT_EQ(SignUp("bob@example.com").status, 201);
    bob_ = LogIn("bob@example.com");
  }
  HttpResponse As(const Browser& who, const std::string& method, const std::string& target,
                  const std::string& body = "", Headers extra = {}) {
    return Call(method, target, body, &who, true, std::move(extra));
  }
  HttpResponse SetPlan(const std::string& size_json) {
    return As(ann_, "PUT", "/api/v1/plan", "{\"size_gb\":" + size_json + "}");
  }
  json::object Plan() {
    HttpResponse r = As(ann_, "GET", "/api/v1/plan");
    EXPECT_EQ(r.status, 200) << r.body;
    return BodyOf(r);
  }
  // POST /api/v1/uploads of big.bin into the root declaring `length` bytes (a tus creation:
  // the quota is reserved now, no byte is sent).
  HttpResponse CreateUpload(std::uint64_t length) {
    return As(ann_, "POST", "/api/v1/uploads", "",
              {{"Tus-Resumable", "1.0.0"},
               {"Upload-Length", std::to_string(length)},
               {"Upload-Metadata", "filename YmlnLmJpbg=="}});  // base64("big.bin")
  }
  // usage.quota_bytes of GET /api/v1/me.
  std::int64_t Quota() {
    json::object me = BodyOf(As(ann_, "GET", "/api/v1/me"));
    return me.contains("usage") ? Int(me.at("usage").as_object(), "quota_bytes") : -1;
  }
  // Waits (bounded: 60 s, for a loaded CI machine) until the plan is no longer migrating;
  // returns the last plan.
  json::object WaitUntilMoved() {
    json::object plan;
    for (int i = 0; i < 1200; ++i) {
      plan = Plan();
      if (plan.at("state").as_string() != "migrating") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return plan;
  }
  static std::int64_t Int(const json::object& o, std::string_view key) {
    return o.at(key).to_number<std::int64_t>();
  }
  static std::string Str(const json::object& o, std::string_view key) {
    return std::string(o.at(key).as_string());
  }

  Browser ann_, bob_;
};

TEST_F(BillingApiTest, OfferPlanQuoteAndInvalidSizes) {
  StartWithDisks();
  if (HasFatalFailure()) return;
  HttpResponse plans = As(ann_, "GET", "/api/v1/plans");
  ASSERT_EQ(plans.status, 200) << plans.body;
  json::object offer = BodyOf(plans);
  EXPECT_EQ(Int(offer, "free_gb"), 1);
  EXPECT_EQ(Int(offer, "min_gb"), 10);
  EXPECT_EQ(Int(offer, "max_gb"), 100);
  EXPECT_EQ(Int(offer, "step_gb"), 1);
  EXPECT_EQ(Int(offer, "price_per_gb_month"), 10);
  EXPECT_EQ(Str(offer, "currency"), "USD");
  ASSERT_EQ(offer.at("categories").as_array().size(), 5u);
  EXPECT_EQ(Int(offer.at("categories").as_array()[2].as_object(), "min_gb"), 25);

  json::object plan = Plan();
  EXPECT_EQ(Int(plan, "size_gb"), 1);
  EXPECT_EQ(Str(plan, "category"), "A");
  EXPECT_EQ(Int(plan, "monthly_price"), 0);
  EXPECT_EQ(Str(plan, "state"), "active");
  EXPECT_TRUE(plan.at("period_start").is_null());
  EXPECT_TRUE(plan.at("period_end").is_null());

  HttpResponse quote = As(ann_, "GET", "/api/v1/plan/quote?size_gb=30");
  ASSERT_EQ(quote.status, 200) << quote.body;
  json::object q = BodyOf(quote);
  EXPECT_EQ(Int(q, "size_gb"), 30);
  EXPECT_EQ(Str(q, "category"), "C");
  EXPECT_EQ(Int(q, "monthly_price"), 300);
  EXPECT_EQ(Int(q, "prorated_amount"), 300) << "free to paid: the whole first month";
  EXPECT_FALSE(Str(q, "effective_at").empty());

  for (const char* bad : {"0", "2", "9", "101", "10.5", "\"ten\"", "\"10\"", "null"}) {
    HttpResponse r = SetPlan(bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_plan_size") << bad;
    EXPECT_TRUE(r.body.contains("whole number of GB from 10 to 100")) << r.body;
  }
  // The refused value as it was typed (not the serializer's 1.05E1), and a missing field said so.
  EXPECT_TRUE(SetPlan("10.5").body.contains("'10.5' is not one.")) << SetPlan("10.5").body;
  HttpResponse missing = As(ann_, "PUT", "/api/v1/plan", "{}");
  EXPECT_EQ(ErrorCode(missing), "invalid_plan_size");
  EXPECT_TRUE(missing.body.contains("The field 'size_gb' is required.")) << missing.body;
  for (const char* bad : {"0", "2", "9", "101", "10.5", "ten", ""}) {
    HttpResponse r = As(ann_, "GET", std::string("/api/v1/plan/quote?size_gb=") + bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_plan_size") << bad;
  }
  EXPECT_EQ(Int(Plan(), "size_gb"), 1) << "nothing changed";
  EXPECT_EQ(Call("GET", "/api/v1/plan").status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/invoices").status, 401);
  EXPECT_EQ(Call("PUT", "/api/v1/plan", R"({"size_gb":10})", &ann_, false).status, 403)
      << "a cookie without the CSRF token";
}

TEST_F(BillingApiTest, UpgradeInvoicesAndRaisesTheQuotaAtOnce) {
  StartWithDisks();
  if (HasFatalFailure()) return;
  HttpResponse big = CreateUpload(2 * kGiB);
  EXPECT_EQ(big.status, 507) << big.body;
  EXPECT_EQ(ErrorCode(big), "quota_exceeded");

  EXPECT_EQ(Quota(), static_cast<std::int64_t>(kGiB));  // Now cached in the profile.
  HttpResponse up = SetPlan("10");
  ASSERT_EQ(up.status, 200) << up.body;
  json::object body = BodyOf(up);
  json::object plan = body.at("plan").as_object();
  EXPECT_EQ(Int(plan, "size_gb"), 10);
  EXPECT_EQ(Str(plan, "category"), "B");
  EXPECT_EQ(Int(plan, "monthly_price"), 100);
  EXPECT_FALSE(plan.at("period_start").is_null());
  ASSERT_TRUE(body.at("invoice").is_object()) << up.body;
  json::object invoice = body.at("invoice").as_object();
  EXPECT_EQ(Str(invoice, "status"), "open");
  EXPECT_EQ(Str(invoice, "currency"), "USD");
  EXPECT_EQ(Int(invoice, "subtotal"), 100);
  EXPECT_EQ(Int(invoice, "total"), 100);
  EXPECT_EQ(Str(invoice, "number"), "INV-000001");
  ASSERT_EQ(invoice.at("lines").as_array().size(), 1u);
  EXPECT_EQ(Int(invoice.at("lines").as_array()[0].as_object(), "amount"), 100);

  // The quota follows at once: the same 2 GiB upload is accepted now.
  EXPECT_EQ(Quota(), static_cast<std::int64_t>(10 * kGiB));
  HttpResponse after = CreateUpload(2 * kGiB);
  ASSERT_EQ(after.status, 201) << after.body;
  HttpResponse me = As(ann_, "GET", "/api/v1/me");
  EXPECT_EQ(Int(BodyOf(me).at("usage").as_object(), "quota_bytes"),
            static_cast<std::int64_t>(10 * kGiB))
      << "the cached profile was dropped";

  // Down to the free plan while 2 GiB are reserved: below_usage, nothing changes.
  HttpResponse down = SetPlan("1");
  EXPECT_EQ(down.status, 409) << down.body;
  EXPECT_EQ(ErrorCode(down), "below_usage");
  EXPECT_TRUE(down.body.contains("Free at least")) << down.body;
  EXPECT_EQ(Int(Plan(), "size_gb"), 10);
  // The quote says the same before anyone confirms; a size that fits has no refusal.
  HttpResponse quote = As(ann_, "GET", "/api/v1/plan/quote?size_gb=1");
  ASSERT_EQ(quote.status, 200) << quote.body;
  EXPECT_EQ(BodyOf(quote).at("refusal"), BodyOf(down).at("error").at("message")) << quote.body;
  EXPECT_EQ(BodyOf(quote).at("refusal_code"), "below_usage") << quote.body;
  json::object fits = BodyOf(As(ann_, "GET", "/api/v1/plan/quote?size_gb=12"));
  EXPECT_TRUE(fits.at("refusal").is_null());
  EXPECT_TRUE(fits.at("refusal_code").is_null());
  HttpResponse ended =
      As(ann_, "DELETE", after.HeaderOr("Location"), "", {{"Tus-Resumable", "1.0.0"}});
  EXPECT_EQ(ended.status, 204) << ended.body;

  EXPECT_EQ(Str(WaitUntilMoved(), "state"), "active") << "the move from A to B ends";
  // No disk of category D has room for 50 GB: the quote says so before anyone confirms (and
  // attaches no spare: there is none to attach here either way)...
  HttpResponse no_room = As(ann_, "GET", "/api/v1/plan/quote?size_gb=50");
  ASSERT_EQ(no_room.status, 200) << no_room.body;
  EXPECT_EQ(BodyOf(no_room).at("refusal_code"), "no_capacity") << no_room.body;
  // ... and the change gets 507 with the same sentence; the plan, quota and invoices unchanged.
  HttpResponse full = SetPlan("50");
  EXPECT_EQ(full.status, 507) << full.body;
  EXPECT_EQ(ErrorCode(full), "no_capacity");
  // A sentence for the user, not the pool's (which names disks) nor "internal error".
  const std::string said = Str(BodyOf(full).at("error").as_object(), "message");
  EXPECT_NE(said.find("no room for a 50 GB plan"), std::string::npos) << said;
  EXPECT_EQ(said.find("disk"), std::string::npos) << said;
  EXPECT_EQ(Str(BodyOf(no_room), "refusal"), said);
  EXPECT_EQ(Int(Plan(), "size_gb"), 10);
  EXPECT_EQ(Str(Plan(), "category"), "B");
  EXPECT_EQ(Quota(), static_cast<std::int64_t>(10 * kGiB));
  EXPECT_EQ(BodyOf(As(ann_, "GET", "/api/v1/invoices")).at("items").as_array().size(), 1u);
}

TEST_F(BillingApiTest, CategoryChangeMovesTheFilesAndCreditsCarryOver) {
  StartWithDisks();
  if (HasFatalFailure()) return;
  const std::string bytes(300'000, 'x');
  HttpResponse put = As(ann_, "PUT", "/api/v1/nodes/root/content?path=keep.bin", bytes);
  ASSERT_EQ(put.status, 201) << put.body;
  const std::string file_id = IdOf(put);

  HttpResponse first = SetPlan("24");  // A → B: the first move.
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(Str(WaitUntilMoved(), "state"), "active");
  HttpResponse up = SetPlan("25");  // B → C: the files move.
  ASSERT_EQ(up.status, 200) << up.body;
  json::object plan = BodyOf(up).at("plan").as_object();
  EXPECT_EQ(Int(plan, "size_gb"), 25);
  EXPECT_EQ(Str(plan, "category"), "C");
  const std::string state = Str(plan, "state");
  EXPECT_TRUE(state == "migrating" || state == "active") << state;
  if (state == "migrating") {
    EXPECT_TRUE(plan.at("migration").is_object()) << up.body;
  }
  // Prorated to the second: 10 cents for the rest of an almost whole month.
  EXPECT_EQ(Int(BodyOf(up).at("invoice").as_object(), "subtotal"), 10) << up.body;
  HttpResponse during = As(ann_, "GET", "/api/v1/nodes/" + file_id + "/content");
  EXPECT_EQ(during.status, 200);
  EXPECT_TRUE(during.body == bytes) << "readable during the move";

  plan = WaitUntilMoved();
  EXPECT_EQ(Str(plan, "state"), "active") << json::serialize(plan);
  EXPECT_EQ(Str(BodyOf(As(ann_, "GET", "/api/v1/me")).at("plan").as_object(), "category"), "C");
  HttpResponse moved = As(ann_, "GET", "/api/v1/nodes/" + file_id + "/content");
  EXPECT_EQ(moved.status, 200);
  EXPECT_TRUE(moved.body == bytes) << "the same bytes after the move";

  // Both invoices are paid (a credit would settle open ones first: BillingStandingTest).
  for (const HttpResponse* r : {&first, &up}) {
    const std::string id = Str(BodyOf(*r).at("invoice").as_object(), "id");
    auto paid = RunNimbus({"admin", "invoice", "mark-paid", id, "--data", data_dir()});
    ASSERT_TRUE(paid) << paid.error().message;
    ASSERT_EQ(paid->exit_code(), 0) << paid->out << paid->err;
  }
  // Downgrade 25 → 10: the unused 150 cents are credited; the next upgrade uses them.
  HttpResponse down = SetPlan("10");
  ASSERT_EQ(down.status, 200) << down.body;
  EXPECT_TRUE(BodyOf(down).at("invoice").is_null());
  EXPECT_EQ(Int(BodyOf(down), "credited"), 150);
  EXPECT_EQ(Int(BodyOf(down).at("plan").as_object(), "balance"), 150);
  WaitUntilMoved();
  HttpResponse again = SetPlan("20");  // Within B: a resize.
  ASSERT_EQ(again.status, 200) << again.body;
  json::object inv = BodyOf(again).at("invoice").as_object();
  EXPECT_EQ(Int(inv, "subtotal"), 100);
  EXPECT_EQ(Int(inv, "credit_applied"), 100);
  EXPECT_EQ(Int(inv, "total"), 0);
  EXPECT_EQ(Str(inv, "status"), "paid") << "paid by the credit";
  EXPECT_EQ(Int(BodyOf(again).at("plan").as_object(), "balance"), 50);

  // Invoices: newest first with lines; one by id; another user's is 404.
  HttpResponse list = As(ann_, "GET", "/api/v1/invoices");
  ASSERT_EQ(list.status, 200) << list.body;
  const json::object listed = BodyOf(list);
  const json::array& items = listed.at("items").as_array();
  ASSERT_EQ(items.size(), 3u) << list.body;  // 24 (first paid month), 25, and 20.
  EXPECT_EQ(Str(items[0].as_object(), "number"), "INV-000003");
  EXPECT_FALSE(items[0].at("lines").as_array().empty());
  const std::string first_id = Str(items[2].as_object(), "id");
  HttpResponse one = As(ann_, "GET", "/api/v1/invoices/" + first_id);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(Int(BodyOf(one), "total"), 240);
  EXPECT_EQ(Str(BodyOf(one).at("lines").as_array()[0].as_object(), "description").substr(0, 11),
            "24 GB plan,");
  EXPECT_EQ(As(bob_, "GET", "/api/v1/invoices/" + first_id).status, 404);
  EXPECT_EQ(As(ann_, "GET", "/api/v1/invoices/nope").status, 404);
  EXPECT_TRUE(BodyOf(As(bob_, "GET", "/api/v1/invoices")).at("items").as_array().empty());
  HttpResponse paged = As(ann_, "GET", "/api/v1/invoices?limit=2");
  EXPECT_EQ(BodyOf(paged).at("items").as_array().size(), 2u);
  ASSERT_TRUE(BodyOf(paged).at("next_cursor").is_string()) << paged.body;
  const std::string cursor(BodyOf(paged).at("next_cursor").as_string());
  HttpResponse rest = As(ann_, "GET", "/api/v1/invoices?limit=2&cursor=" + cursor);
  ASSERT_EQ(BodyOf(rest).at("items").as_array().size(), 1u) << rest.body;
  EXPECT_EQ(Str(BodyOf(rest).at("items").as_array()[0].as_object(), "number"), "INV-000001");
  EXPECT_TRUE(BodyOf(rest).at("next_cursor").is_null());
  for (const char* bad : {"?limit=0", "?limit=1001", "?limit=x", "?cursor=abc", "?cursor=-1"}) {
    HttpResponse r = As(ann_, "GET", std::string("/api/v1/invoices") + bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_request") << bad;
  }
}

}  // namespace
}  // namespace nimbus::test
