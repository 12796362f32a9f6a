// SPDX-License-Identifier: AGPL-3.0-or-later
// GET /api/v1/admin/billing (revenue per month, users and allocated GB per category, what is
// owed) and the hook behind PATCH /api/v1/admin/users/{id} {plan_gb}. Admins only: anyone else
// gets 404 not_found, as if the route did not exist (like the other admin routes).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/auth_middleware.h"
#include "api/billing_routes.h"
#include "api/handler_util.h"
#include "api/json_codec.h"

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
  if (!p.user.is_admin) co_return Err(Error{Errc::kNotFound, "no such resource"}, req);
  auto report = co_await api.billing.Report();
  if (!report) co_return Err(report.error(), req);
  co_return http::JsonResponse(200, ReportJson(*report));
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
}

AdminPlanSetter AdminPlanSetterFor(const BillingApi& api) {
  return [&api](std::int64_t user_id, const json::object& body, std::int64_t admin_id) {
    return SetPlan(api, user_id, body, admin_id);
  };
}

}  // namespace nimbus::api
