// SPDX-License-Identifier: AGPL-3.0-or-later
#include <chrono>
#include <memory>
#include <string>

#include "http/middleware/middleware.h"
#include "util/metrics.h"

namespace nimbus::http {

namespace {

struct HttpFamilies {
  explicit HttpFamilies(util::Metrics& m)
      : requests(m.AddCounter("nimbus_http_requests_total", "HTTP requests by route template.",
                              {"route", "method", "status"})),
        duration(m.AddHistogram("nimbus_http_request_duration_seconds",
                                "HTTP request latency until the response is written.", {"route"})),
        bytes_in(m.AddCounter("nimbus_http_bytes_received_total", "Request body bytes read.")
                     .WithLabels({})),
        bytes_out(m.AddCounter("nimbus_http_bytes_sent_total", "Response body bytes written.")
                      .WithLabels({})) {}
  util::CounterFamily& requests;
  util::HistogramFamily& duration;
  util::Counter& bytes_in;
  util::Counter& bytes_out;
};

void Record(HttpFamilies& f, const Request& req, const Completion& c) {
  // Unmatched requests are labelled by the dispatcher ("static", "spa", "none"), never by the
  // raw path, so the label set stays bounded.
  const std::string& route = req.route().empty() ? std::string("none") : req.route();
  std::string status = std::to_string(c.status);
  std::string_view method = MethodName(req.method());
  f.requests.WithLabels({route, method.empty() ? "OTHER" : method, status}).Inc();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - req.start_time())
                 .count();
  f.duration.WithLabels({route}).Observe(s);
  f.bytes_in.Inc(static_cast<double>(c.bytes_in));
  f.bytes_out.Inc(static_cast<double>(c.bytes_out));
}

}  // namespace

Middleware MetricsMiddleware(util::Metrics& metrics) {
  auto families = std::make_shared<HttpFamilies>(metrics);
  return [families](Request& req, const Handler& next) {
    req.OnComplete([families](const Request& r, const Completion& c) { Record(*families, r, c); });
    return next(req);
  };
}

}  // namespace nimbus::http
