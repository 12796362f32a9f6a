// SPDX-License-Identifier: AGPL-3.0-or-later
#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "http/server.h"
#include "util/metrics.h"

namespace nimbus::http {

namespace {

net::awaitable<Response> Healthz(Request&) {
  co_return JsonResponse(200, boost::json::object{{"status", "ok"}});
}

net::awaitable<Response> Readyz(const ReadyCheck& check) {
  boost::json::object body{{"status", "ready"}};
  if (check) {
    Result<std::vector<std::string>> ready = co_await check();
    if (!ready) {
      // The reason is for operators and load balancers; it names a component, not a secret.
      Response res = ErrorResponse(503, "unavailable", ready.error().message);
      res.SetHeader("Cache-Control", "no-store");
      co_return res;
    }
    if (!ready->empty()) {
      boost::json::array warnings;
      for (std::string& w : *ready) warnings.emplace_back(std::move(w));
      body["warnings"] = std::move(warnings);
    }
  }
  Response res = JsonResponse(200, body);
  res.SetHeader("Cache-Control", "no-store");
  co_return res;
}

Response MetricsText(util::Metrics& metrics) {
  Response res = TextResponse(200, metrics.RenderPrometheus(), "text/plain; version=0.0.4; charset=utf-8");
  res.SetHeader("Cache-Control", "no-store");
  return res;
}

}  // namespace

void AddSystemRoutes(Router& router, util::Metrics& metrics, ReadyCheck ready_check) {
  RouteOptions pub;
  pub.public_access = true;
  router.Add(Method::kGet, "/healthz", &Healthz, pub);
  auto check = std::make_shared<ReadyCheck>(std::move(ready_check));
  router.Add(
      Method::kGet, "/readyz", [check](Request&) { return Readyz(*check); }, pub);
  router.Add(
      Method::kGet, "/metrics",
      [&metrics](Request&) -> net::awaitable<Response> { co_return MetricsText(metrics); }, pub);
}

}  // namespace nimbus::http
