// SPDX-License-Identifier: AGPL-3.0-or-later
// PLACEHOLDER: not built yet (owned by a helper; replaced before this issue is called done).
#include "api/file_handlers.h"

namespace nimbus::api {

net::awaitable<http::Response> ListTrash(const FileApi&, http::Request& req) {
  co_return http::ErrorResponse(Error{Errc::kUnavailable, "not built yet"}, req.request_id());
}

net::awaitable<http::Response> RestoreTrashItem(const FileApi&, http::Request& req) {
  co_return http::ErrorResponse(Error{Errc::kUnavailable, "not built yet"}, req.request_id());
}

net::awaitable<http::Response> DeleteTrashItem(const FileApi&, http::Request& req) {
  co_return http::ErrorResponse(Error{Errc::kUnavailable, "not built yet"}, req.request_id());
}

net::awaitable<http::Response> EmptyTrash(const FileApi&, http::Request& req) {
  co_return http::ErrorResponse(Error{Errc::kUnavailable, "not built yet"}, req.request_id());
}

net::awaitable<http::Response> GetUsage(const FileApi&, http::Request& req) {
  co_return http::ErrorResponse(Error{Errc::kUnavailable, "not built yet"}, req.request_id());
}

}  // namespace nimbus::api
