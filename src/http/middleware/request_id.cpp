// SPDX-License-Identifier: AGPL-3.0-or-later
#include <random>

#include <fmt/core.h>

#include "http/middleware/middleware.h"

namespace nimbus::http {

namespace {

bool SaneId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string NewRequestId() {
  // Not a secret, only unique enough to find one request in the logs.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}", rng());
}

net::awaitable<Response> RequestIdMiddleware(Request& req, const Handler& next) {
  std::string_view incoming = req.header("X-Request-Id");
  req.set_request_id(SaneId(incoming) ? std::string(incoming) : NewRequestId());
  Response res = co_await next(req);
  res.SetHeader("X-Request-Id", req.request_id());
  co_return res;
}

}  // namespace nimbus::http
