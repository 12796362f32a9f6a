// The Files, Trash and usage endpoints of api.md (nodes, content, trash, /me/usage) and the
// resumable uploads (tus 1.0.0 at /api/v1/uploads), registered on a Router in one call. Add
// after AddAccountRoutes: its auth middleware answers 401/403 first.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "config/files.h"
#include "core/files/file_service.h"
#include "http/router.h"

namespace nimbus::core::files {
class TusService;
class Thumbnails;
}

namespace nimbus::api {

struct FileApi {
  core::files::FileService& files;
  core::files::TusService& tus;
  const config::FilesConfig& config;
  core::files::Thumbnails* thumbnails = nullptr;  // nullptr: every thumbnail is 404.
};

// `api` must outlive `router`.
void AddFileRoutes(http::Router& router, const FileApi& api);

}  // namespace nimbus::api
