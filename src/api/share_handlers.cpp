// SPDX-License-Identifier: AGPL-3.0-or-later
// /api/v1/shares (create, list, change, revoke or leave), /shares/{id}/activity and /contacts.
// Every route is authenticated (the auth middleware answered 401 otherwise), so
// CurrentPrincipal() is set.
#include "api/share_handlers.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/auth_middleware.h"
#include "api/file_handlers.h"
#include "api/handler_util.h"
#include "api/json_codec.h"
#include "core/files/tus_service.h"

namespace nimbus::api {

namespace json = boost::json;
using core::files::Permission;
using core::files::Share;
using http::Request;
using http::Response;

namespace {

// The share dialog's autocomplete shows a handful of addresses.
constexpr int kDefaultContacts = 10;

json::object PersonJson(const core::files::NodeOwner& p) {
  return {{"id", std::to_string(p.id)}, {"name", p.name}, {"email", p.email}};
}

json::object ShareJson(const Share& s, const core::User& caller) {
  return {{"id", s.id},
          {"node", NodeJson(s.node, caller)},
          {"owner", PersonJson(s.owner)},
          {"grantee", PersonJson(s.grantee)},
          {"permission", core::files::PermissionName(s.permission)},
          {"created_at", Timestamp(s.created_at)}};
}

// The body's "permission": "read" or "edit".
Result<Permission> PermissionField(const json::object& body) {
  auto text = RequiredString(body, "permission");
  if (!text) return std::unexpected(std::move(text.error()));
  if (*text == "read") return Permission::kRead;
  if (*text == "edit") return Permission::kEdit;
  return Fail(Errc::kInvalidArgument,
              "'permission' must be \"read\" (open and download) or \"edit\" (also upload, "
              "rename, move and delete).");
}

}  // namespace

net::awaitable<Response> CreateShare(const ShareApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto node_id = RequiredString(*body, "node_id");
  if (!node_id) co_return Err(node_id.error(), req);
  auto email = RequiredString(*body, "email");
  if (!email) co_return Err(email.error(), req);
  auto permission = PermissionField(*body);
  if (!permission) co_return Err(permission.error(), req);
  auto share =
      co_await api.shares.Create(p.user.id, std::move(*node_id), std::move(*email), *permission);
  if (!share) co_return Err(share.error(), req);
  co_return http::JsonResponse(201, ShareJson(*share, p.user));
}

net::awaitable<Response> ListShares(const ShareApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  json::array items;
  if (auto node_id = req.query("node_id")) {
    auto shares = co_await api.shares.ListForNode(p.user.id, std::move(*node_id));
    if (!shares) co_return Err(shares.error(), req);
    for (const Share& s : *shares) items.push_back(ShareJson(s, p.user));
    co_return http::JsonResponse(200, PageJson(std::move(items), std::nullopt));
  }
  const std::string direction = req.query("direction").value_or("outgoing");
  if (direction != "outgoing" && direction != "incoming") {
    co_return Err(Error{Errc::kInvalidArgument,
                        "'direction' must be outgoing (what you share) or incoming (what is "
                        "shared with you)."},
                  req);
  }
  auto limit = LimitParam(req, api.files.config);
  if (!limit) co_return Err(limit.error(), req);
  auto page = co_await api.shares.List(p.user.id, direction == "incoming", *limit,
                                       req.query("cursor").value_or(""));
  if (!page) co_return Err(page.error(), req);
  for (const Share& s : page->items) items.push_back(ShareJson(s, p.user));
  co_return http::JsonResponse(200, PageJson(std::move(items), page->next_cursor));
}

net::awaitable<Response> PatchShare(const ShareApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto permission = PermissionField(*body);
  if (!permission) co_return Err(permission.error(), req);
  auto share =
      co_await api.shares.Update(p.user.id, std::string(req.path_param("id")), *permission);
  if (!share) co_return Err(share.error(), req);
  // Lowered to read: the grantee's uploads into it cannot land any more; their space is freed.
  if (*permission == core::files::Permission::kRead) {
    (void)co_await api.files.tus.DropUnreachable(share->grantee.id);
  }
  co_return http::JsonResponse(200, ShareJson(*share, p.user));
}

net::awaitable<Response> DeleteShare(const ShareApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto deleted = co_await api.shares.Delete(p.user.id, std::string(req.path_param("id")));
  if (!deleted) co_return Err(deleted.error(), req);
  // The grantee's uploads into it cannot land any more: their space is freed now, not in a day.
  (void)co_await api.files.tus.DropUnreachable(*deleted);
  co_return http::EmptyResponse(204);
}

net::awaitable<Response> ShareActivity(const ShareApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto limit = LimitParam(req, api.files.config);
  if (!limit) co_return Err(limit.error(), req);
  auto entries = co_await api.shares.Activity(p.user.id, std::string(req.path_param("id")), *limit);
  if (!entries) co_return Err(entries.error(), req);
  json::array items;
  for (const auto& e : *entries) items.push_back(ActivityJson(e));
  co_return http::JsonResponse(200, json::object{{"items", std::move(items)}});
}

net::awaitable<Response> ListContacts(const ShareApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  int limit = kDefaultContacts;
  if (req.query("limit")) {
    auto parsed = LimitParam(req, api.files.config);
    if (!parsed) co_return Err(parsed.error(), req);
    limit = *parsed;
  }
  auto emails = co_await api.shares.Contacts(p.user.id, req.query("q").value_or(""), limit);
  if (!emails) co_return Err(emails.error(), req);
  json::array items;
  for (const std::string& e : *emails) items.emplace_back(e);
  co_return http::JsonResponse(200, json::object{{"items", std::move(items)}});
}

}  // namespace nimbus::api
