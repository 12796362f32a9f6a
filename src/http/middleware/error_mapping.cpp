// SPDX-License-Identifier: AGPL-3.0-or-later
#include <exception>
#include <optional>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>
#include <spdlog/spdlog.h>

#include "http/middleware/middleware.h"

namespace nimbus::http {

net::awaitable<Response> ErrorMiddleware(Request& req, const Handler& next) {
  std::optional<Response> res;
  std::string what;
  bool cancelled = false;
  try {
    res.emplace(co_await next(req));
  } catch (const boost::system::system_error& e) {
    what = e.what();
    // Terminal cancellation after the shutdown grace period: expected, not a bug.
    cancelled = e.code() == boost::asio::error::operation_aborted;
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown exception";
  }
  if (!res) {
    // An exception out of a handler is a bug: log it once, answer 500 and close. A request cut
    // off at the end of the shutdown grace period is not: said as such, at info.
    if (cancelled) {
      spdlog::info("http {} {} id={}: stopped by the shutdown (the grace period ended)",
                   req.method_string(), req.route(), req.request_id());
    } else {
      spdlog::error("http {} {} id={}: handler threw: {}", req.method_string(), req.route(),
                    req.request_id(), what);
    }
    Response r = ErrorResponse(Error{Errc::kInternal, what}, req.request_id());
    r.error.reset();
    r.close = true;
    co_return r;
  }
  // quota_exceeded (507) is the user's own limit, not the server's fault: the access log line
  // is enough.
  if (res->error && res->status >= 500 && res->error->code != Errc::kQuotaExceeded) {
    spdlog::error("http {} {} id={}: {} ({})", req.method_string(), req.route(), req.request_id(),
                  res->error->message, ErrcName(res->error->code));
    // Rebuild so the client message names the request id.
    Response r = ErrorResponse(*res->error, req.request_id());
    r.headers = std::move(res->headers);
    r.close = res->close;
    co_return r;
  }
  co_return std::move(*res);
}

}  // namespace nimbus::http
