// SPDX-License-Identifier: AGPL-3.0-or-later
// /api/v1/nodes/{id} (get, rename/move, delete), /children, /folders and /resolve. Every route is
// authenticated (the auth middleware answered 401 otherwise), so CurrentPrincipal() is set.
#include <fmt/core.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <charconv>
#include <optional>

#include "api/auth_middleware.h"
#include "api/content_headers.h"
#include "api/file_handlers.h"
#include "api/handler_util.h"
#include "api/json_codec.h"

namespace nimbus::api {

namespace json = boost::json;
using core::files::ListOptions;
using core::files::SortKey;
using http::Request;
using http::Response;

Result<ListOptions> ListOptionsOf(const Request& req, const config::FilesConfig& config) {
  ListOptions o;
  auto limit = LimitParam(req, config);
  if (!limit) return std::unexpected(std::move(limit.error()));
  o.limit = *limit;
  o.cursor = req.query("cursor").value_or("");
  std::string sort = req.query("sort").value_or("name");
  if (sort == "name") {
    o.sort = SortKey::kName;
  } else if (sort == "modified") {
    o.sort = SortKey::kModified;
  } else if (sort == "size") {
    o.sort = SortKey::kSize;
  } else {
    return Fail(Errc::kInvalidArgument, "'sort' must be name, modified or size.");
  }
  std::string order = req.query("order").value_or("asc");
  if (order != "asc" && order != "desc") {
    return Fail(Errc::kInvalidArgument, "'order' must be asc or desc.");
  }
  o.descending = order == "desc";
  return o;
}

net::awaitable<Response> GetNode(const FileApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto node = co_await api.files.Get(p.user.id, std::string(req.path_param("id")));
  if (!node) co_return Err(node.error(), req);
  co_return http::JsonResponse(200, NodeJson(*node, p.user));
}

// GET /api/v1/nodes/{id}/space: the space uploads into the folder count against (its owner's).
net::awaitable<Response> GetFolderSpace(const FileApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto space = co_await api.files.SpaceOf(p.user.id, std::string(req.path_param("id")));
  if (!space) co_return Err(space.error(), req);
  const bool own = space->owner == nullptr;
  json::object owner{{"id", std::to_string(own ? p.user.id : space->owner->id)},
                     {"name", own ? p.user.name : space->owner->name},
                     {"email", own ? p.user.email : space->owner->email}};
  Response res = http::JsonResponse(200, json::object{{"quota_bytes", space->quota_bytes},
                                                      {"free_bytes", space->free_bytes},
                                                      {"owner", std::move(owner)}});
  res.SetHeader("Cache-Control", "no-store");
  co_return res;
}

net::awaitable<Response> ListChildren(const FileApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto options = ListOptionsOf(req, api.config);
  if (!options) co_return Err(options.error(), req);
  auto page = co_await api.files.Children(p.user.id, std::string(req.path_param("id")), *options);
  if (!page) co_return Err(page.error(), req);
  co_return http::TextResponse(200, NodePageJsonText(*page, p.user),
                               "application/json; charset=utf-8");
}

net::awaitable<Response> ResolvePath(const FileApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto path = req.query("path");
  if (!path) {
    co_return Err(Error{Errc::kInvalidArgument, "The query parameter 'path' is required."}, req);
  }
  auto node = co_await api.files.Resolve(p.user.id, *path);
  if (!node) co_return Err(node.error(), req);
  co_return http::JsonResponse(200, NodeJson(*node, p.user));
}

net::awaitable<Response> MakeFolders(const FileApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto path = RequiredString(*body, "path");
  if (!path) co_return Err(path.error(), req);
  auto folder = co_await api.files.MakeFolders(p.user.id, std::string(req.path_param("id")),
                                               std::move(*path));
  if (!folder) co_return Err(folder.error(), req);
  co_return http::JsonResponse(201, NodeJson(*folder, p.user));
}

// With If-Match, the node must still be the version the client read: 412 precondition_failed
// otherwise (nullopt when it may go on).
net::awaitable<std::optional<Response>> CheckIfMatch(const FileApi& api, Request& req,
                                                     std::int64_t user_id) {
  if (!req.has_header("If-Match")) co_return std::nullopt;
  auto node = co_await api.files.Get(user_id, std::string(req.path_param("id")));
  if (!node) co_return Err(node.error(), req);
  if (node->MatchesIfMatch(req.header("If-Match"))) co_return std::nullopt;
  co_return Err(Error{Errc::kPreconditionFailed,
                      fmt::format("'{}' changed since you read it (its ETag is now {}); nothing "
                                  "was done.",
                                  node->name, node->etag())},
                req);
}

net::awaitable<Response> PatchNode(const FileApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  if (auto stale = co_await CheckIfMatch(api, req, p.user.id)) co_return std::move(*stale);
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  // A field this does not know (a typo, or one it cannot change) is refused, rather than
  // answered 200 with nothing done (QA pass 19: modified_at was ignored).
  for (const auto& [key, value] : *body) {
    if (key != "name" && key != "parent_id" && key != "modified_at") {
      // Someone else's node stays a 404, whatever the body.
      auto visible = co_await api.files.Get(p.user.id, std::string(req.path_param("id")));
      if (!visible) co_return Err(visible.error(), req);
      co_return Err(Error{Errc::kInvalidArgument,
                          fmt::format("'{}' cannot be changed here: give 'name', 'parent_id' "
                                      "and/or 'modified_at'.",
                                      std::string_view(key))},
                    req);
    }
  }
  auto name = StringField(*body, "name", true);
  if (!name) co_return Err(name.error(), req);
  auto parent_id = StringField(*body, "parent_id", true);
  if (!parent_id) co_return Err(parent_id.error(), req);
  auto modified_text = StringField(*body, "modified_at", true);
  if (!modified_text) co_return Err(modified_text.error(), req);
  std::optional<std::int64_t> modified_at;
  if (*modified_text) {
    modified_at = ParseClientModifiedAt(**modified_text);
    if (!modified_at) {
      co_return Err(
          Error{Errc::kInvalidArgument, fmt::format("modified_at must be {}.", kClientTimeRule)},
          req);
    }
  }
  if (!*name && !*parent_id && !modified_at) {
    co_return Err(
        Error{Errc::kInvalidArgument, "Give a new 'name', a 'parent_id' or a 'modified_at'."}, req);
  }
  auto node = co_await api.files.Update(p.user.id, std::string(req.path_param("id")),
                                        std::move(*name), std::move(*parent_id), modified_at);
  if (!node) co_return Err(node.error(), req);
  co_return http::JsonResponse(200, NodeJson(*node, p.user));
}

net::awaitable<Response> DeleteNode(const FileApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  if (auto stale = co_await CheckIfMatch(api, req, p.user.id)) co_return std::move(*stale);
  auto item = co_await api.files.Delete(p.user.id, std::string(req.path_param("id")));
  if (!item) co_return Err(item.error(), req);
  co_return http::JsonResponse(200, json::object{{"trash_item", TrashItemJson(*item)}});
}

Result<int> LimitParam(const Request& req, const config::FilesConfig& config) {
  auto text = req.query("limit");
  if (!text || text->empty()) return config.list_default_limit;
  int v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size() || v < 1 ||
      v > config.list_max_limit) {
    return Fail(Errc::kInvalidArgument, "'limit' must be a whole number from 1 to {}.",
                config.list_max_limit);
  }
  return v;
}

}  // namespace nimbus::api
