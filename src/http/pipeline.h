// Pipeline: what the transport calls for every request: route matching, then the middleware
// chain (composed here, in one place), then the handler, the static assets or the SPA fallback.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <span>

#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "http/static_assets.h"
#include "http/static_files.h"

namespace nimbus::util {
class Metrics;
}

namespace nimbus::http {

class Pipeline {
 public:
  // Keeps references to router, metrics and assets.
  Pipeline(const Router& router, util::Metrics& metrics, std::span<const StaticAsset> assets);
  // Answers `req`. Never throws (handler exceptions become 500 in ErrorMiddleware).
  net::awaitable<Response> Handle(Request& req) const;

 private:
  net::awaitable<Response> Endpoint(Request& req) const;

  const Router& router_;
  StaticFiles static_files_;
  Handler chain_;
};

}  // namespace nimbus::http
