// SPDX-License-Identifier: AGPL-3.0-or-later
// /api/v1/links (create, list), /links/{id} (delete) and /links/{id}/activity: the owner's public
// links. Every route is authenticated (the auth middleware answered 401 otherwise), so
// CurrentPrincipal() is set. What a visitor of a link reads is in public_handlers.cpp.
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>

#include "api/auth_middleware.h"
#include "api/file_handlers.h"
#include "api/handler_util.h"
#include "api/json_codec.h"
#include "api/share_handlers.h"
#include "util/rfc3339.h"

namespace nimbus::api {

namespace json = boost::json;
using core::files::Link;
using http::Request;
using http::Response;

namespace {

// {id, token, url, node, expires_at (null: never), has_password, download_count, created_at}.
json::object LinkJson(const Link& l, const core::User& owner) {
  json::object o{{"id", l.id},
                 {"token", l.token},
                 {"url", l.url},
                 {"node", NodeJson(l.node, owner)},
                 {"has_password", l.has_password},
                 {"download_count", l.download_count},
                 {"created_at", Timestamp(l.created_at)}};
  if (l.expires_at) {
    o["expires_at"] = Timestamp(*l.expires_at);
  } else {
    o["expires_at"] = nullptr;
  }
  return o;
}

}  // namespace

net::awaitable<Response> CreateLink(const ShareApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto node_id = RequiredString(*body, "node_id");
  if (!node_id) co_return Err(node_id.error(), req);
  auto expiry_text = StringField(*body, "expires_at", true);
  if (!expiry_text) co_return Err(expiry_text.error(), req);
  auto password = StringField(*body, "password", true);
  if (!password) co_return Err(password.error(), req);
  std::optional<std::int64_t> expires_at;
  if (*expiry_text) {
    expires_at = ParseRfc3339(**expiry_text);
    if (!expires_at) {
      co_return Err(Error{Errc::kInvalidArgument,
                          "'expires_at' must be an RFC 3339 time such as "
                          "\"2026-12-01T18:00:00Z\", or null for a link that never expires."},
                    req);
    }
  }
  auto link =
      co_await api.links.Create(p.user.id, std::move(*node_id), expires_at, std::move(*password));
  if (!link) co_return Err(link.error(), req);
  co_return http::JsonResponse(201, LinkJson(*link, p.user));
}

net::awaitable<Response> ListLinks(const ShareApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto limit = LimitParam(req, api.files.config);
  if (!limit) co_return Err(limit.error(), req);
  auto page = co_await api.links.List(p.user.id, req.query("node_id").value_or(""), *limit,
                                      req.query("cursor").value_or(""));
  if (!page) co_return Err(page.error(), req);
  json::array items;
  for (const Link& l : page->items) items.push_back(LinkJson(l, p.user));
  co_return http::JsonResponse(200, PageJson(std::move(items), page->next_cursor));
}

net::awaitable<Response> DeleteLink(const ShareApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto done = co_await api.links.Delete(p.user.id, std::string(req.path_param("id")));
  if (!done) co_return Err(done.error(), req);
  co_return http::EmptyResponse(204);
}

net::awaitable<Response> LinkActivity(const ShareApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto limit = LimitParam(req, api.files.config);
  if (!limit) co_return Err(limit.error(), req);
  auto entries = co_await api.links.Activity(p.user.id, std::string(req.path_param("id")), *limit);
  if (!entries) co_return Err(entries.error(), req);
  json::array items;
  for (const core::files::ActivityEntry& e : *entries) items.push_back(ActivityJson(e));
  co_return http::JsonResponse(200, json::object{{"items", std::move(items)}});
}

}  // namespace nimbus::api
