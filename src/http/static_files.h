// Serving the embedded web assets: exact path lookup, ETag/If-None-Match, cache headers.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <span>
#include <string_view>
#include <unordered_map>

#include "http/request.h"
#include "http/response.h"
#include "http/static_assets.h"

namespace nimbus::http {

class StaticFiles {
 public:
  // Indexes `assets` (which must outlive this object).
  explicit StaticFiles(std::span<const StaticAsset> assets);
  // The asset at exactly `path`, or nullptr.
  const StaticAsset* Find(std::string_view path) const;
  // 200 with the bytes, or 304 when If-None-Match names the asset's ETag. Immutable assets get
  // "public, max-age=31536000, immutable", the others "no-cache".
  static Response Serve(const StaticAsset& asset, const Request& req);

 private:
  std::unordered_map<std::string_view, const StaticAsset*> by_path_;
};

}  // namespace nimbus::http
