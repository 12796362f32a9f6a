// SPDX-License-Identifier: AGPL-3.0-or-later
// The billing handlers, one per route. Every route is authenticated (the auth middleware
// answered 401 otherwise), so CurrentPrincipal() is set; each reads or changes the caller's own
// plan and invoices only.
#include "api/billing_routes.h"

#include <fmt/core.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>

#include "api/auth_middleware.h"
#include "api/handler_util.h"
#include "api/json_codec.h"
#include "core/billing/plan_pricing.h"

namespace nimbus::api {

namespace json = boost::json;
namespace billing = core::billing;
using http::Request;
using http::Response;

namespace {

constexpr int kDefaultLimit = 200;
constexpr int kMaxLimit = 1000;

json::value OptTimestamp(const std::optional<std::int64_t>& ms) {
  return ms ? json::value(Timestamp(*ms)) : json::value(nullptr);
}

}  // namespace

json::object PlanJson(const billing::Plan& p) {
  json::object o{{"size_gb", p.size_gb},
                 {"category", p.category},
                 {"monthly_price", p.monthly_price},
                 {"currency", p.currency},
                 {"period_start", OptTimestamp(p.period_start)},
                 {"period_end", OptTimestamp(p.period_end)},
                 {"state", p.state},
                 {"balance", p.balance},
                 {"complimentary", p.complimentary}};
  if (p.migration) {
    o["migration"] = json::object{{"state", p.migration->state},
                                  {"copied_bytes", p.migration->copied_bytes},
                                  {"copied_blobs", p.migration->copied_blobs},
                                  {"total_bytes", p.migration->total_bytes}};
  } else {
    o["migration"] = nullptr;
  }
  return o;
}

json::object AdminInvoiceJson(const billing::AdminInvoice& a) {
  json::object o = InvoiceJson(a.invoice);
  o.erase("lines");  // The list has no lines; GET /api/v1/invoices/{id} has them.
  o["user_id"] = a.user_id;
  o["email"] = a.email;
  return o;
}

json::object InvoiceJson(const billing::Invoice& i) {
  json::array lines;
  for (const billing::InvoiceLine& l : i.lines) {
    lines.push_back(json::object{{"description", l.description},
                                 {"size_gb", l.size_gb},
                                 {"from", Timestamp(l.from)},
                                 {"to", Timestamp(l.to)},
                                 {"amount", l.amount}});
  }
  return {{"id", i.id},
          {"number", i.number},
          {"status", i.status},
          {"currency", i.currency},
          {"subtotal", i.subtotal},
          {"credit_applied", i.credit_applied},
          {"total", i.total},
          {"period_start", Timestamp(i.period_start)},
          {"period_end", Timestamp(i.period_end)},
          {"issued_at", Timestamp(i.issued_at)},
          {"due_at", Timestamp(i.due_at)},
          {"paid_at", OptTimestamp(i.paid_at)},
          {"lines", std::move(lines)}};
}

namespace {

Error BadSize(const billing::BillingService& b, std::string_view got) {
  return Error{Errc::kInvalidPlanSize,
               fmt::format("{} '{}' is not one.", billing::PlanSizeRule(b.config()), got)};
}

// ?size_gb=N: digits only ("10.5", "ten", "" are not plan sizes).
Result<std::int64_t> SizeParam(const billing::BillingService& b, const Request& req) {
  const std::string text = req.query("size_gb").value_or("");
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return std::unexpected(BadSize(b, text));
  }
  return n;
}

}  // namespace

// {"<field>": N}: a whole JSON number (10 or 10.0; not 10.5 and not "10").
Result<std::int64_t> PlanSizeField(const billing::BillingService& b, const json::object& body,
                                   std::string_view field) {
  const json::value* v = body.if_contains(field);
  if (v == nullptr || v->is_null()) {
    return std::unexpected(Error{
        Errc::kInvalidPlanSize,
        fmt::format("The field '{}' is required. {}", field, billing::PlanSizeRule(b.config()))});
  }
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return std::unexpected(BadSize(b, std::to_string(v->get_uint64())));
  if (v->is_double()) {
    const double d = v->get_double();
    if (std::trunc(d) == d && std::abs(d) < 1e9) return static_cast<std::int64_t>(d);
    // As a person wrote it: 10.5, not the serializer's 1.05E1.
    return std::unexpected(BadSize(b, fmt::format("{}", d)));
  }
  if (v->is_string()) return std::unexpected(BadSize(b, std::string(v->get_string())));
  return std::unexpected(BadSize(b, json::serialize(*v)));
}

namespace {

Result<int> LimitOf(const Request& req) {
  const auto text = req.query("limit");
  if (!text) return kDefaultLimit;
  int n = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || end != text->data() + text->size() || n < 1 || n > kMaxLimit) {
    return Fail(Errc::kInvalidArgument, "'limit' must be a whole number from 1 to {}.", kMaxLimit);
  }
  return n;
}

net::awaitable<Response> GetPlans(const BillingApi& api, Request&) {
  const billing::PlanOffer o = api.billing.Offer();
  json::array cats;
  for (const config::Category& c : o.categories) {
    cats.push_back(json::object{{"name", c.name}, {"min_gb", c.min_gb}, {"max_gb", c.max_gb}});
  }
  co_return http::JsonResponse(200, json::object{{"free_gb", o.free_gb},
                                                 {"min_gb", o.min_gb},
                                                 {"max_gb", o.max_gb},
                                                 {"step_gb", o.step_gb},
                                                 {"price_per_gb_month", o.price_per_gb_month},
                                                 {"currency", o.currency},
                                                 {"categories", std::move(cats)},
                                                 {"payment_instructions", o.payment_instructions}});
}

net::awaitable<Response> GetPlan(const BillingApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto plan = co_await api.billing.GetPlan(p.user.id);
  if (!plan) co_return Err(plan.error(), req);
  co_return http::JsonResponse(200, PlanJson(*plan));
}

net::awaitable<Response> QuotePlan(const BillingApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto size = SizeParam(api.billing, req);
  if (!size) co_return Err(size.error(), req);
  auto q = co_await api.billing.QuotePlan(p.user.id, *size);
  if (!q) co_return Err(q.error(), req);
  co_return http::JsonResponse(
      200,
      json::object{{"size_gb", q->size_gb},
                   {"category", q->category},
                   {"monthly_price", q->monthly_price},
                   {"currency", q->currency},
                   {"prorated_amount", q->prorated_amount},
                   {"effective_at", Timestamp(q->effective_at)},
                   {"refusal", q->refusal.empty() ? json::value(nullptr) : json::value(q->refusal)},
                   {"refusal_code",
                    q->refusal.empty() ? json::value(nullptr) : json::value(q->refusal_code)}});
}

net::awaitable<Response> PutPlan(const BillingApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto size = PlanSizeField(api.billing, *body, "size_gb");
  if (!size) co_return Err(size.error(), req);
  auto changed = co_await api.billing.ChangePlan(p.user.id, *size);
  if (!changed) {
    // BillingService wrote no_capacity's message for the user (the pool's names disks and is
    // logged there): passed on, unlike other 5xx messages.
    if (changed.error().code == Errc::kNoCapacity) {
      co_return http::ErrorResponse(507, "no_capacity", changed.error().message);
    }
    co_return Err(changed.error(), req);
  }
  json::object out{{"plan", PlanJson(changed->plan)},
                   {"credited", changed->credited},
                   {"settled", changed->settled}};
  if (changed->invoice) {
    out["invoice"] = InvoiceJson(*changed->invoice);
  } else {
    out["invoice"] = nullptr;
  }
  co_return http::JsonResponse(200, out);
}

net::awaitable<Response> ListInvoices(const BillingApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto limit = LimitOf(req);
  if (!limit) co_return Err(limit.error(), req);
  auto page =
      co_await api.billing.ListInvoices(p.user.id, *limit, req.query("cursor").value_or(""));
  if (!page) co_return Err(page.error(), req);
  json::array items;
  for (const billing::Invoice& i : page->items) items.push_back(InvoiceJson(i));
  json::object out{{"items", std::move(items)}};
  if (page->next_cursor) {
    out["next_cursor"] = *page->next_cursor;
  } else {
    out["next_cursor"] = nullptr;
  }
  co_return http::JsonResponse(200, out);
}

net::awaitable<Response> GetInvoice(const BillingApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto invoice = co_await api.billing.GetInvoice(p.user.id, std::string(req.path_param("id")));
  if (!invoice) co_return Err(invoice.error(), req);
  co_return http::JsonResponse(200, InvoiceJson(*invoice));
}

}  // namespace

void AddBillingRoutes(http::Router& router, const BillingApi& api) {
  using http::Method;
  auto add = [&](Method m, std::string_view pattern, auto fn) {
    router.Add(m, pattern, [&api, fn](http::Request& req) { return fn(api, req); });
  };
  add(Method::kGet, "/api/v1/plans", GetPlans);
  add(Method::kGet, "/api/v1/plan", GetPlan);
  add(Method::kGet, "/api/v1/plan/quote", QuotePlan);
  add(Method::kPut, "/api/v1/plan", PutPlan);
  add(Method::kGet, "/api/v1/invoices", ListInvoices);
  add(Method::kGet, "/api/v1/invoices/{id}", GetInvoice);
  AddAdminBillingRoutes(router, api);
  AddBillingWebhookRoute(router, api);
}

}  // namespace nimbus::api
