// SPDX-License-Identifier: AGPL-3.0-or-later
#include "api/file_routes.h"

#include "api/file_handlers.h"

namespace nimbus::api {

void AddFileRoutes(http::Router& router, const FileApi& api) {
  using http::Method;
  auto add = [&](Method m, std::string_view pattern, auto fn) {
    router.Add(m, pattern, [&api, fn](http::Request& req) { return fn(api, req); });
  };
  add(Method::kGet, "/api/v1/nodes/{id}", GetNode);
  add(Method::kPatch, "/api/v1/nodes/{id}", PatchNode);
  add(Method::kDelete, "/api/v1/nodes/{id}", DeleteNode);
  add(Method::kGet, "/api/v1/nodes/{id}/children", ListChildren);
  add(Method::kGet, "/api/v1/nodes/{id}/space", GetFolderSpace);
  add(Method::kPost, "/api/v1/nodes/{id}/folders", MakeFolders);
  add(Method::kGet, "/api/v1/resolve", ResolvePath);
  add(Method::kPut, "/api/v1/nodes/{id}/content", PutContent);
  add(Method::kGet, "/api/v1/nodes/{id}/content", GetContent);
  add(Method::kGet, "/api/v1/nodes/{id}/thumbnail", GetThumbnail);
  add(Method::kPost, "/api/v1/nodes/{id}/copy", CopyNode);
  add(Method::kGet, "/api/v1/trash", ListTrash);
  add(Method::kDelete, "/api/v1/trash", EmptyTrash);
  add(Method::kPost, "/api/v1/trash/{id}/restore", RestoreTrashItem);
  add(Method::kDelete, "/api/v1/trash/{id}", DeleteTrashItem);
  add(Method::kGet, "/api/v1/me/usage", GetUsage);
  add(Method::kGet, "/api/v1/search", Search);
  AddTusRoutes(router, api);
}

}  // namespace nimbus::api
