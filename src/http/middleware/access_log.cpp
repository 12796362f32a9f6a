// SPDX-License-Identifier: AGPL-3.0-or-later
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "http/middleware/middleware.h"

namespace nimbus::http {

namespace {

void LogLine(const Request& req, const Completion& c) {
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                      req.start_time())
                .count();
  // The client's address (behind a trusted proxy, the one it forwarded) and the user: for abuse
  // checks and tools such as fail2ban. Never a password, token or email address.
  spdlog::info("http {} {} {} in={} out={} {:.1f}ms id={} ip={}{}{}", req.method_string(),
               req.route().empty() ? "-" : req.route(), c.status, c.bytes_in, c.bytes_out, ms,
               req.request_id(), req.remote_address().empty() ? "-" : req.remote_address(),
               req.log_user() != 0 ? fmt::format(" user={}", req.log_user()) : std::string(),
               c.aborted ? " aborted" : "");
}

}  // namespace

Middleware AccessLogMiddleware() {
  // Not a coroutine: it registers the completion hook and hands the request on, so the line is
  // written once the body has been sent (with the real byte count).
  return [](Request& req, const Handler& next) {
    req.OnComplete(&LogLine);
    return next(req);
  };
}

}  // namespace nimbus::http
