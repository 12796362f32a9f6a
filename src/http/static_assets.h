// StaticAsset: one file of the web app, embedded into the binary at build time
// (web/CMakeLists.txt generates the table from web/), served by the HTTP layer.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <span>
#include <string_view>

namespace nimbus::http {

struct StaticAsset {
  std::string_view path;          // URL path: "/index.html", "/assets/<build hash>/js/app.js".
  std::string_view content_type;  // "text/javascript; charset=utf-8".
  std::string_view etag;          // Strong ETag, quotes included: "\"9f86d081884c7d65\"".
  std::string_view body;          // The bytes.
  bool immutable = false;         // Under /assets/<hash>/: cache for a year, never revalidate.
};

}  // namespace nimbus::http

namespace nimbus::web {

// The embedded web app, sorted by path. Implemented by the generated nimbus_web_assets library;
// only app/ links it (the HTTP server gets the table injected, so tests can pass their own).
std::span<const http::StaticAsset> EmbeddedAssets();

}  // namespace nimbus::web
