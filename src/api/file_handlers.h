// The handlers of the file routes (internal to api/), one per route, and the JSON of nodes and
// trash items. node_handlers.cpp: nodes and folders; trash_handlers.cpp: trash and usage;
// content_handlers.cpp: upload, download, zip and copy; tus_handlers.cpp: /api/v1/uploads.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "api/file_routes.h"
#include "core/account_types.h"
#include "core/files/file_types.h"
#include "http/request.h"
#include "http/response.h"

namespace nimbus::core::files {
struct ActivityEntry;  // share_service.h
}

namespace nimbus::api {

namespace net = boost::asio;

// api.md's node: {id, name, type, size, modified_at, created_at, parent_id, path, etag,
// checksum_sha256 (files), owner:{id,name,email}, permission, shared}. The root's parent_id is
// null and its id is the real id (not "root"). `caller` is the owner unless node.owner is set
// (a node shared with the caller).
boost::json::object NodeJson(const core::files::Node& node, const core::User& caller);
// {id, name, type, size, original_path, deleted_at, expires_at, node_id, original_parent_id}.
boost::json::object TrashItemJson(const core::files::TrashItem& item);

// {items, next_cursor} (null at the end) of a paged list (node_json.cpp).
boost::json::object PageJson(boost::json::array items, const std::optional<std::string>& next);

// The JSON text of a children page: byte for byte boost::json::serialize(PageJson(items of
// NodeJson(node, caller), next_cursor)), written straight into one string (the owner object once
// per page, timestamps by hand): a 1,000-item page costs no DOM of 14,000 values.
std::string NodePageJsonText(const core::files::ChildPage& page, const core::User& caller);

// ?limit= within 1..list_max_limit (default list_default_limit); kInvalidArgument otherwise
// (node_handlers.cpp; also read by the trash list).
Result<int> LimitParam(const http::Request& req, const config::FilesConfig& config);
// ?limit, ?cursor, ?sort=name|modified|size and ?order=asc|desc of a children listing
// (node_handlers.cpp; also read by a public link's listing).
Result<core::files::ListOptions> ListOptionsOf(const http::Request& req,
                                               const config::FilesConfig& config);

// {at, actor:{id,name,email}|null, ip, action, node_id, path}: one access through a share or a
// public link (node_json.cpp; the share and the link activity lists).
boost::json::object ActivityJson(const core::files::ActivityEntry& entry);

// node_handlers.cpp
net::awaitable<http::Response> GetNode(const FileApi& api, http::Request& req);
net::awaitable<http::Response> GetFolderSpace(const FileApi& api, http::Request& req);
net::awaitable<http::Response> ListChildren(const FileApi& api, http::Request& req);
net::awaitable<http::Response> ResolvePath(const FileApi& api, http::Request& req);
net::awaitable<http::Response> MakeFolders(const FileApi& api, http::Request& req);
net::awaitable<http::Response> PatchNode(const FileApi& api, http::Request& req);
net::awaitable<http::Response> DeleteNode(const FileApi& api, http::Request& req);
// trash_handlers.cpp
net::awaitable<http::Response> ListTrash(const FileApi& api, http::Request& req);
net::awaitable<http::Response> RestoreTrashItem(const FileApi& api, http::Request& req);
net::awaitable<http::Response> DeleteTrashItem(const FileApi& api, http::Request& req);
net::awaitable<http::Response> EmptyTrash(const FileApi& api, http::Request& req);
net::awaitable<http::Response> GetUsage(const FileApi& api, http::Request& req);
net::awaitable<http::Response> Search(const FileApi& api, http::Request& req);
// content_handlers.cpp
net::awaitable<http::Response> PutContent(const FileApi& api, http::Request& req);
net::awaitable<http::Response> GetContent(const FileApi& api, http::Request& req);
net::awaitable<http::Response> CopyNode(const FileApi& api, http::Request& req);
net::awaitable<http::Response> GetThumbnail(const FileApi& api, http::Request& req);
// The thumbnail of a file as FileService::Get returned it, for any caller: ?size=64|256
// (default 256), JPEG, ETag/304; with ?v=<its sha256> cached by the browser for a year (the URL
// names that content); 404 no_thumbnail with a sentence when the file has none.
net::awaitable<http::Response> ThumbnailResponse(const FileApi& api, const core::files::Node& file,
                                                 const http::Request& req);
// The download of a file as FileService::Get returned it, for any caller: ETag/304,
// Range/206/416, Content-Disposition, ?inline=1 for safe types.
http::Response FileResponse(const FileApi& api, const core::files::Node& file,
                            const http::Request& req);
// A folder as a streamed zip; 503 with Retry-After beyond files.zip_max_concurrent.
http::Response ZipResponse(const FileApi& api, const core::files::Node& folder,
                           const http::Request& req);
// tus_handlers.cpp: every /api/v1/uploads route (OPTIONS, POST, HEAD, PATCH, DELETE).
void AddTusRoutes(http::Router& router, const FileApi& api);

}  // namespace nimbus::api
