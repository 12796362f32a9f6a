// SPDX-License-Identifier: AGPL-3.0-or-later
// GET /api/v1/admin/billing (revenue per month, users and allocated GB per category, what is
// owed), GET /api/v1/admin/invoices (every user's invoices) and POST
// /api/v1/admin/invoices/{id}/mark-paid (a payment made outside the provider, as `nimbus admin
// invoice mark-paid`), and the hook behind PATCH /api/v1/admin/users/{id} {plan_gb}. Admins only:
// anyone else gets 404 not_found, as if the route did not exist (like the other admin routes).
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "api/auth_middleware.h"
#include "api/billing_routes.h"
#include "api/handler_util.h"
#include "api/json_codec.h"
#include "util/run_blocking.h"

namespace nimbus::api {

namespace json = boost::json;
namespace billing = core::billing;
using http::Request;
using http::Response;

namespace {

json::object ReportJson(const billing::BillingReport& r) {
  json::array months;
  for (const billing::MonthRevenue& m : r.months) {
    months.push_back(json::object{
        {"month", m.month}, {"invoiced", m.invoiced}, {"paid", m.paid}, {"invoices", m.invoices}});
  }
  json::array categories;
  for (const billing::CategoryUsage& c : r.categories) {
    categories.push_back(json::object{{"name", c.name},
                                      {"users", c.users},
                                      {"allocated_gb", c.allocated_gb},
                                      {"capacity_gb", c.capacity_gb}});
  }
  return {{"currency", r.currency},
          {"months", std::move(months)},
          {"categories", std::move(categories)},
          {"past_due_users", r.past_due_users},
          {"open_amount", r.open_amount}};
}

net::awaitable<Response> GetAdminBilling(const BillingApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  if (!p.user.is_admin)
    co_return Err(Error{Errc::kNotFound, "There is nothing at this address."}, req);
  auto report = co_await api.billing.Report();
  if (!report) co_return Err(report.error(), req);
  co_return http::JsonResponse(200, ReportJson(*report));
}

// GET /api/v1/admin/invoices[?status=open|paid|void][&email=]: newest first.
net::awaitable<Response> ListAdminInvoices(const BillingApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  if (!p.user.is_admin)
    co_return Err(Error{Errc::kNotFound, "There is nothing at this address."}, req);
  std::optional<std::string> status;
  if (auto s = req.query("status"); s && !s->empty()) status = std::string(*s);
  std::optional<std::string> email;
  if (auto e = req.query("email"); e && !e->empty()) email = std::string(*e);
  auto list = [&api, &status, &email] { return api.ledger.ListInvoices(email, status); };
  auto invoices = co_await RunBlocking(api.workers, std::move(list));
  if (!invoices) co_return Err(invoices.error(), req);
  json::array items;
  for (auto it = invoices->rbegin(); it != invoices->rend(); ++it) {
    items.push_back(AdminInvoiceJson(*it));
  }
  co_return http::JsonResponse(200, json::object{{"items", std::move(items)}});
}

// POST /api/v1/admin/invoices/{id}/mark-paid {ref?}: the invoice (id or number) paid manually,
// with a receipt mailed and past_due lifted as `nimbus admin invoice mark-paid` does.
net::awaitable<Response> MarkInvoicePaid(const BillingApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  if (!p.user.is_admin)
    co_return Err(Error{Errc::kNotFound, "There is nothing at this address."}, req);
  std::string ref;
  if (req.has_body()) {
    auto body = co_await ReadJsonObject(req);
    if (!body) co_return Err(body.error(), req);
    auto given = StringField(*body, "ref", true);
    if (!given) co_return Err(given.error(), req);
    if (*given) ref = std::move(**given);
  }
  if (ref.empty()) ref = fmt::format("marked paid by admin {}", p.user.email);
  const std::string id(req.path_param("id"));
  auto mark = [&api, &id, &ref] { return api.ledger.MarkPaid(id, billing::kPaidViaManual, ref); };
  auto paid = co_await RunBlocking(api.workers, std::move(mark));
  if (!paid) co_return Err(paid.error(), req);
  if (paid->lifted) api.ledger.NotifyStanding(paid->user_id);
  if (!paid->already_paid) {
    spdlog::info("admin {} marked invoice {} paid ({})", p.user.id, paid->invoice.number, ref);
  }
  co_return http::JsonResponse(200, json::object{{"invoice", InvoiceJson(paid->invoice)},
                                                 {"already_paid", paid->already_paid},
                                                 {"lifted", paid->lifted},
                                                 {"email", paid->email}});
}

net::awaitable<Result<json::object>> SetPlan(const BillingApi& api, std::int64_t user_id,
                                             const json::object& body, std::int64_t admin_id) {
  auto complimentary = BoolField(body, "complimentary");
  if (!complimentary) co_return std::unexpected(std::move(complimentary.error()));
  Result<std::int64_t> size = std::int64_t{0};
  if (body.contains("plan_gb") || !*complimentary) {
    size = PlanSizeField(api.billing, body, "plan_gb");
  } else {  // Only the gift changes: the plan keeps its size.
    auto current = co_await api.billing.GetPlan(user_id);
    if (!current && current.error().code == Errc::kNotFound) {
      co_return std::unexpected(Error{Errc::kNotFound, "There is no user with this id."});
    }
    if (!current) co_return std::unexpected(std::move(current.error()));
    size = current->size_gb;
  }
  if (!size) co_return std::unexpected(std::move(size.error()));
  auto changed = co_await api.billing.SetPlanByAdmin(user_id, *size, admin_id, *complimentary);
  if (!changed) co_return std::unexpected(std::move(changed.error()));
  co_return PlanJson(changed->plan);
}

}  // namespace

void AddAdminBillingRoutes(http::Router& router, const BillingApi& api) {
  router.Add(http::Method::kGet, "/api/v1/admin/billing",
             [&api](Request& req) { return GetAdminBilling(api, req); });
  router.Add(http::Method::kGet, "/api/v1/admin/invoices",
             [&api](Request& req) { return ListAdminInvoices(api, req); });
  router.Add(http::Method::kPost, "/api/v1/admin/invoices/{id}/mark-paid",
             [&api](Request& req) { return MarkInvoicePaid(api, req); });
}

AdminPlanSetter AdminPlanSetterFor(const BillingApi& api) {
  return [&api](std::int64_t user_id, const json::object& body, std::int64_t admin_id) {
    return SetPlan(api, user_id, body, admin_id);
  };
}

}  // namespace nimbus::api
