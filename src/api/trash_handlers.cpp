// SPDX-License-Identifier: AGPL-3.0-or-later
// /api/v1/trash (list, empty), /trash/{id} (delete for good), /trash/{id}/restore,
// /api/v1/me/usage and /api/v1/search. Every route is authenticated, so CurrentPrincipal() is set.
#include <fmt/core.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/auth_middleware.h"
#include "api/file_handlers.h"
#include "api/handler_util.h"
#include "api/json_codec.h"

namespace nimbus::api {

namespace json = boost::json;
using http::Request;
using http::Response;

namespace {}  // namespace

net::awaitable<Response> ListTrash(const FileApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto limit = LimitParam(req, api.config);
  if (!limit) co_return Err(limit.error(), req);
  auto page = co_await api.files.ListTrash(p.user.id, *limit, req.query("cursor").value_or(""),
                                           req.query("parent_id").value_or(""));
  if (!page) co_return Err(page.error(), req);
  json::array items;
  for (const auto& t : page->items) items.push_back(TrashItemJson(t));
  co_return http::JsonResponse(200, PageJson(std::move(items), page->next_cursor));
}

net::awaitable<Response> RestoreTrashItem(const FileApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto restored = co_await api.files.Restore(p.user.id, std::string(req.path_param("id")));
  if (!restored) co_return Err(restored.error(), req);
  co_return http::JsonResponse(200, json::object{{"node", NodeJson(restored->node, p.user)},
                                                 {"restored_path", restored->restored_path}});
}

net::awaitable<Response> DeleteTrashItem(const FileApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto done = co_await api.files.DeleteForever(p.user.id, std::string(req.path_param("id")));
  if (!done) co_return Err(done.error(), req);
  co_return http::EmptyResponse(204);
}

net::awaitable<Response> EmptyTrash(const FileApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto done = co_await api.files.EmptyTrash(p.user.id);
  if (!done) co_return Err(done.error(), req);
  co_return http::EmptyResponse(204);
}

net::awaitable<Response> GetUsage(const FileApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto usage = co_await api.files.GetUsage(p.user.id);
  if (!usage) co_return Err(usage.error(), req);
  json::array folders;
  for (const auto& f : usage->by_folder) {
    folders.push_back(json::object{{"id", f.id}, {"name", f.name}, {"bytes", f.bytes}});
  }
  json::array largest;
  for (const auto& n : usage->largest_files) largest.push_back(NodeJson(n, p.user));
  Response res = http::JsonResponse(200, json::object{{"quota_bytes", usage->quota_bytes},
                                                      {"used_bytes", usage->used_bytes},
                                                      {"trash_bytes", usage->trash_bytes},
                                                      {"reserved_bytes", usage->reserved_bytes},
                                                      {"root_files_bytes", usage->root_files_bytes},
                                                      {"by_folder", std::move(folders)},
                                                      {"largest_files", std::move(largest)}});
  res.SetHeader("Cache-Control", "no-store");
  co_return res;
}

// GET /api/v1/search?q=&limit= (limit 1–200, default 50): the caller's own live files and
// folders whose name contains q, with their paths; `truncated` when there were more.
net::awaitable<Response> Search(const FileApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  int limit = 50;
  if (auto given = req.query("limit"); given && !given->empty()) {
    constexpr int kMaxSearchLimit = 200;
    auto parsed = LimitParam(req, api.config);
    if (!parsed || *parsed > kMaxSearchLimit) {
      co_return Err(
          Error{Errc::kInvalidArgument,
                fmt::format("'limit' must be a whole number from 1 to {}.", kMaxSearchLimit)},
          req);
    }
    limit = *parsed;
  }
  auto found =
      co_await api.files.Search(p.user.id, std::string(req.query("q").value_or("")), limit);
  if (!found) co_return Err(found.error(), req);
  json::array items;
  for (const auto& n : found->items) items.push_back(NodeJson(n, p.user));
  co_return http::JsonResponse(
      200, json::object{{"items", std::move(items)}, {"truncated", found->truncated}});
}

}  // namespace nimbus::api
