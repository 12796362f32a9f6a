// The built-in middleware. They are composed in one place, in this order, by http/pipeline.cpp:
// request id → access log → metrics → security headers → error mapping → Router::Use() ones.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "http/response.h"
#include "http/router.h"

namespace nimbus::util {
class Metrics;
}

namespace nimbus::http {

// Takes a sane incoming X-Request-Id (1-64 of [A-Za-z0-9._-]) or generates one; sets it on the
// request and echoes it on the response.
// A fresh request id (16 hex characters), also for answers the transport gives itself.
std::string NewRequestId();
net::awaitable<Response> RequestIdMiddleware(Request& req, const Handler& next);
// One spdlog line per request once it is written: method, route template, status, bytes in/out,
// duration in ms, request id.
Middleware AccessLogMiddleware();
// nimbus_http_requests_total{route,method,status}, nimbus_http_request_duration_seconds{route},
// nimbus_http_bytes_received_total, nimbus_http_bytes_sent_total.
Middleware MetricsMiddleware(util::Metrics& metrics);
// Adds the security headers (CSP, nosniff, Referrer-Policy, X-Frame-Options) to the response.
net::awaitable<Response> SecurityHeadersMiddleware(Request& req, const Handler& next);
// Turns a handler exception into a 500 JSON answer with the request id (logged once) and logs
// the real message of every 5xx error response (Response::error), also once.
net::awaitable<Response> ErrorMiddleware(Request& req, const Handler& next);

// The header set SecurityHeadersMiddleware adds; the transport uses it for the answers it makes
// itself (400, 431, 503), so every response carries them. Existing headers are kept.
void ApplySecurityHeaders(Response& res);

}  // namespace nimbus::http
