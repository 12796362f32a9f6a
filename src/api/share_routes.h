// The Sharing endpoints of api.md: user shares (/api/v1/shares, /contacts), public links
// (/api/v1/links) and what a link's visitor reads without an account (/api/v1/public/{token},
// its /children and /content; the page itself is the web app's /s/{token}). Add after
// AddAccountRoutes (its auth middleware answers 401 on the authenticated ones).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "api/file_routes.h"
#include "core/files/link_service.h"
#include "core/files/share_service.h"
#include "http/router.h"

namespace nimbus::api {

struct ShareApi {
  core::files::ShareService& shares;
  core::files::LinkService& links;
  const FileApi& files;  // Node JSON, list limits and the content responses of a link.
};

// `api` must outlive `router`.
void AddShareRoutes(http::Router& router, const ShareApi& api);

}  // namespace nimbus::api
