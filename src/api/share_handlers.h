// The handlers of the share routes (internal to api/), one per route. share_handlers.cpp: user
// shares, their activity and contacts; link_handlers.cpp: the owner's links; public_handlers.cpp:
// a link's visitor (no account).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/awaitable.hpp>

#include "api/share_routes.h"
#include "http/request.h"
#include "http/response.h"

namespace nimbus::api {

namespace net = boost::asio;

// share_handlers.cpp
net::awaitable<http::Response> CreateShare(const ShareApi& api, http::Request& req);
net::awaitable<http::Response> ListShares(const ShareApi& api, http::Request& req);
net::awaitable<http::Response> PatchShare(const ShareApi& api, http::Request& req);
net::awaitable<http::Response> DeleteShare(const ShareApi& api, http::Request& req);
net::awaitable<http::Response> ShareActivity(const ShareApi& api, http::Request& req);
net::awaitable<http::Response> ListContacts(const ShareApi& api, http::Request& req);
// link_handlers.cpp
net::awaitable<http::Response> CreateLink(const ShareApi& api, http::Request& req);
net::awaitable<http::Response> ListLinks(const ShareApi& api, http::Request& req);
net::awaitable<http::Response> DeleteLink(const ShareApi& api, http::Request& req);
net::awaitable<http::Response> LinkActivity(const ShareApi& api, http::Request& req);
// public_handlers.cpp (public_access routes)
net::awaitable<http::Response> GetPublic(const ShareApi& api, http::Request& req);
net::awaitable<http::Response> ListPublicChildren(const ShareApi& api, http::Request& req);
net::awaitable<http::Response> GetPublicContent(const ShareApi& api, http::Request& req);
net::awaitable<http::Response> GetPublicThumbnail(const ShareApi& api, http::Request& req);

}  // namespace nimbus::api
