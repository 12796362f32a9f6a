// SPDX-License-Identifier: AGPL-3.0-or-later
// GET /api/v1/admin/users and PATCH /api/v1/admin/users/{id} (flags, and plan_gb through the
// billing hook). A non-admin gets 404 not_found (from core), as if the routes did not exist.
#include <fmt/core.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <string>

#include "api/auth_middleware.h"
#include "api/handler_util.h"
#include "api/json_codec.h"

namespace nimbus::api {

namespace json = boost::json;
using http::Request;
using http::Response;

namespace {

constexpr std::size_t kDefaultLimit = 200;
constexpr std::size_t kMaxLimit = 1000;

// A non-negative integer query parameter; nullopt when absent or not a number.
std::optional<std::size_t> SizeParam(const Request& req, std::string_view name) {
  auto text = req.query(name);
  if (!text || text->empty()) return std::nullopt;
  std::size_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return v;
}

}  // namespace

net::awaitable<Response> ListUsers(const AccountApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto users = co_await api.accounts.ListUsers(p.user);
  if (!users) co_return Err(users.error(), req);
  // The cursor is the offset in creation order (users are few; good enough until they are not).
  const std::size_t limit = std::min(SizeParam(req, "limit").value_or(kDefaultLimit), kMaxLimit);
  const std::size_t from = std::min(SizeParam(req, "cursor").value_or(0), users->size());
  const std::size_t to = std::min(from + std::max<std::size_t>(limit, 1), users->size());
  json::array out;
  for (std::size_t i = from; i < to; ++i) {
    // With the plan, usage and standing of each user on the page (the profile cache serves
    // repeated lists); a user whose profile cannot be read is listed without them.
    auto profile = co_await api.accounts.GetProfile((*users)[i].id);
    if (profile) {
      out.push_back(AccountJson(*profile));
    } else {
      out.push_back(UserJson((*users)[i]));
    }
  }
  json::object body{{"users", std::move(out)}};
  if (to < users->size()) {
    body["next_cursor"] = std::to_string(to);
  } else {
    body["next_cursor"] = nullptr;
  }
  co_return http::JsonResponse(200, body);
}

namespace {

// The {id} of /api/v1/admin/users/{id}; kNotFound when it is not a user id.
Result<std::int64_t> UserIdParam(const Request& req) {
  std::int64_t id = 0;
  std::string_view text = req.path_param("id");
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    return Fail(Errc::kNotFound, "There is no user with this id.");
  }
  return id;
}

}  // namespace

// DELETE /api/v1/admin/users/{id}: the account and its files for good (core::CloseAccount).
net::awaitable<Response> DeleteUser(const AccountApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  if (!p.user.is_admin)
    co_return Err(Error{Errc::kNotFound, "There is nothing at this address."}, req);
  auto id = UserIdParam(req);
  if (!id) co_return Err(id.error(), req);
  if (api.close_account == nullptr || !*api.close_account) {
    co_return Err(Error{Errc::kUnavailable, "Deleting accounts is not available right now."}, req);
  }
  auto closed = co_await (*api.close_account)(*id, true);
  if (!closed) co_return Err(closed.error(), req);
  co_return http::EmptyResponse(204);
}

net::awaitable<Response> PatchUser(const AccountApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  if (!p.user.is_admin)
    co_return Err(Error{Errc::kNotFound, "There is nothing at this address."}, req);
  auto user_id = UserIdParam(req);
  if (!user_id) co_return Err(user_id.error(), req);
  const std::int64_t id = *user_id;
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  // A field this does not know (a typo, {"size_gb": 5} for plan_gb) is refused, rather than
  // answered 200 with nothing changed.
  for (const auto& field : *body) {
    const std::string_view k = field.key();
    if (k != "disabled" && k != "is_admin" && k != "plan_gb" && k != "complimentary") {
      co_return Err(Error{Errc::kInvalidArgument,
                          fmt::format("Unknown field '{}': a user takes disabled, is_admin, "
                                      "plan_gb (the plan's size in GB) and complimentary (the "
                                      "plan is a gift: never invoiced).",
                                      k)},
                    req);
    }
  }
  auto disabled = BoolField(*body, "disabled");
  if (!disabled) co_return Err(disabled.error(), req);
  auto is_admin = BoolField(*body, "is_admin");
  if (!is_admin) co_return Err(is_admin.error(), req);
  // plan_gb first: it is the part that can be refused (below_usage, no_capacity), and then
  // nothing has changed.
  json::value plan = nullptr;
  if (body->contains("plan_gb") || body->contains("complimentary")) {
    if (api.set_plan == nullptr || !*api.set_plan) {
      co_return Err(Error{Errc::kUnavailable, "Plans cannot be set: billing is not running."}, req);
    }
    auto set = co_await (*api.set_plan)(id, *body, p.user.id);
    if (!set) {
      // The sentence for the admin names the category with no room (not a 5xx to hide).
      if (set.error().code == Errc::kNoCapacity) {
        co_return http::ErrorResponse(507, "no_capacity", set.error().message);
      }
      co_return Err(set.error(), req);
    }
    plan = std::move(*set);
  }
  auto user = co_await api.accounts.UpdateUser(p.user, id, *disabled, *is_admin);
  if (!user) co_return Err(user.error(), req);
  json::object out{{"user", UserJson(*user)}};
  if (!plan.is_null()) out["plan"] = std::move(plan);
  co_return http::JsonResponse(200, out);
}

}  // namespace nimbus::api
