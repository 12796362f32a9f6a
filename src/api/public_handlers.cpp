// SPDX-License-Identifier: AGPL-3.0-or-later
// STUB: being written (issue 6).
#include "api/handler_util.h"
#include "api/share_handlers.h"

namespace nimbus::api {
net::awaitable<http::Response> GetPublic(const ShareApi&, http::Request& req) {
  co_return Err(Error{Errc::kUnavailable, "not built yet"}, req);
}
net::awaitable<http::Response> ListPublicChildren(const ShareApi&, http::Request& req) {
  co_return Err(Error{Errc::kUnavailable, "not built yet"}, req);
}
net::awaitable<http::Response> GetPublicContent(const ShareApi&, http::Request& req) {
  co_return Err(Error{Errc::kUnavailable, "not built yet"}, req);
}
}  // namespace nimbus::api
