// SPDX-License-Identifier: AGPL-3.0-or-later
#include "api/share_routes.h"

#include "api/share_handlers.h"

namespace nimbus::api {

void AddShareRoutes(http::Router& router, const ShareApi& api) {
  using http::Method;
  auto add = [&](Method m, std::string_view pattern, auto fn, http::RouteOptions options = {}) {
    router.Add(
        m, pattern, [&api, fn](http::Request& req) { return fn(api, req); }, std::move(options));
  };
  add(Method::kPost, "/api/v1/shares", CreateShare);
  add(Method::kGet, "/api/v1/shares", ListShares);
  add(Method::kPatch, "/api/v1/shares/{id}", PatchShare);
  add(Method::kDelete, "/api/v1/shares/{id}", DeleteShare);
  add(Method::kGet, "/api/v1/shares/{id}/activity", ShareActivity);
  add(Method::kGet, "/api/v1/contacts", ListContacts);
  add(Method::kPost, "/api/v1/links", CreateLink);
  add(Method::kGet, "/api/v1/links", ListLinks);
  add(Method::kDelete, "/api/v1/links/{id}", DeleteLink);
  add(Method::kGet, "/api/v1/links/{id}/activity", LinkActivity);
  http::RouteOptions pub;
  pub.public_access = true;
  add(Method::kGet, "/api/v1/public/{token}", GetPublic, pub);
  add(Method::kGet, "/api/v1/public/{token}/children", ListPublicChildren, pub);
  add(Method::kGet, "/api/v1/public/{token}/content", GetPublicContent, pub);
  add(Method::kGet, "/api/v1/public/{token}/thumbnail", GetPublicThumbnail, pub);
}

}  // namespace nimbus::api
