// SPDX-License-Identifier: AGPL-3.0-or-later
// STUB: being written (issue 6).
#include "api/handler_util.h"
#include "api/share_handlers.h"

namespace nimbus::api {
net::awaitable<http::Response> CreateShare(const ShareApi&, http::Request& req) {
  co_return Err(Error{Errc::kUnavailable, "not built yet"}, req);
}
net::awaitable<http::Response> ListShares(const ShareApi&, http::Request& req) {
  co_return Err(Error{Errc::kUnavailable, "not built yet"}, req);
}
net::awaitable<http::Response> PatchShare(const ShareApi&, http::Request& req) {
  co_return Err(Error{Errc::kUnavailable, "not built yet"}, req);
}
net::awaitable<http::Response> DeleteShare(const ShareApi&, http::Request& req) {
  co_return Err(Error{Errc::kUnavailable, "not built yet"}, req);
}
net::awaitable<http::Response> ShareActivity(const ShareApi&, http::Request& req) {
  co_return Err(Error{Errc::kUnavailable, "not built yet"}, req);
}
net::awaitable<http::Response> ListContacts(const ShareApi&, http::Request& req) {
  co_return Err(Error{Errc::kUnavailable, "not built yet"}, req);
}
}  // namespace nimbus::api
