// SPDX-License-Identifier: AGPL-3.0-or-later
// /api/v1/links (create, list), /links/{id} (delete) and /links/{id}/activity: the owner's public
// links. Every route is authenticated (the auth middleware answered 401 otherwise), so
// CurrentPrincipal() is set. What a visitor of a link reads is in public_handlers.cpp.
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>

#include "api/auth_middleware.h"
#include "api/file_handlers.h"
#include "api/handler_util.h"
#include "api/json_codec.h"
#include "api/share_handlers.h"

namespace nimbus::api {

namespace json = boost::json;
using core::files::Link;
using http::Request;
using http::Response;

namespace {

// {id, token, url, node, expires_at (null: never), has_password, download_count, created_at}.
json::object LinkJson(const Link& l, const core::User& owner) {
  json::object o{{"id", l.id},
                 {"token", l.token},
                 {"url", l.url},
                 {"node", NodeJson(l.node, owner)},
                 {"has_password", l.has_password},
                 {"download_count", l.download_count},
                 {"created_at", Timestamp(l.created_at)}};
  if (l.expires_at) {
    o["expires_at"] = Timestamp(*l.expires_at);
  } else {
    o["expires_at"] = nullptr;
  }
  return o;
}

// `len` decimal digits of `s` at `pos`.
bool Digits(std::string_view s, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// An RFC 3339 date-time ("2026-12-01T18:00:00Z", "…:00.250+01:00") as ms since the epoch.
std::optional<std::int64_t> ParseRfc3339(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!Digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !Digits(s, 5, 2, mo) || s[7] != '-' ||
      !Digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !Digits(s, 11, 2, h) ||
      s[13] != ':' || !Digits(s, 14, 2, mi) || s[16] != ':' || !Digits(s, 17, 2, sec)) {
    return std::nullopt;
  }
  std::size_t i = 19;
  int ms = 0;
  if (s[i] == '.') {
    int digits = 0;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
      if (digits < 3) ms = ms * 10 + (s[i] - '0');
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) ms *= 10;
  }
  int offset_min = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh = 0, om = 0;
    if (!Digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !Digits(s, i + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_min = (s[i] == '-' ? -1 : 1) * (oh * 60 + om);
    i += 6;
  } else {
    return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day date{year(y), month(static_cast<unsigned>(mo)),
                            day(static_cast<unsigned>(d))};
  if (i != s.size() || !date.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  const std::int64_t days = sys_days(date).time_since_epoch().count();
  const std::int64_t secs = days * 86400 + (h * 60 + mi) * 60 + std::min(sec, 59);  // 60: leap.
  return (secs - offset_min * 60) * 1000 + ms;
}

}  // namespace

net::awaitable<Response> CreateLink(const ShareApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto node_id = RequiredString(*body, "node_id");
  if (!node_id) co_return Err(node_id.error(), req);
  auto expiry_text = StringField(*body, "expires_at", true);
  if (!expiry_text) co_return Err(expiry_text.error(), req);
  auto password = StringField(*body, "password", true);
  if (!password) co_return Err(password.error(), req);
  std::optional<std::int64_t> expires_at;
  if (*expiry_text) {
    expires_at = ParseRfc3339(**expiry_text);
    if (!expires_at) {
      co_return Err(Error{Errc::kInvalidArgument,
                          "'expires_at' must be an RFC 3339 time such as "
                          "\"2026-12-01T18:00:00Z\", or null for a link that never expires."},
                    req);
    }
  }
  auto link =
      co_await api.links.Create(p.user.id, std::move(*node_id), expires_at, std::move(*password));
  if (!link) co_return Err(link.error(), req);
  co_return http::JsonResponse(201, LinkJson(*link, p.user));
}

net::awaitable<Response> ListLinks(const ShareApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto limit = LimitParam(req, api.files.config);
  if (!limit) co_return Err(limit.error(), req);
  auto page = co_await api.links.List(p.user.id, req.query("node_id").value_or(""), *limit,
                                      req.query("cursor").value_or(""));
  if (!page) co_return Err(page.error(), req);
  json::array items;
  for (const Link& l : page->items) items.push_back(LinkJson(l, p.user));
  co_return http::JsonResponse(200, PageJson(std::move(items), page->next_cursor));
}

net::awaitable<Response> DeleteLink(const ShareApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto done = co_await api.links.Delete(p.user.id, std::string(req.path_param("id")));
  if (!done) co_return Err(done.error(), req);
  co_return http::EmptyResponse(204);
}

net::awaitable<Response> LinkActivity(const ShareApi& api, Request& req) {
  const core::Principal& p = *CurrentPrincipal(req);
  auto limit = LimitParam(req, api.files.config);
  if (!limit) co_return Err(limit.error(), req);
  auto entries = co_await api.links.Activity(p.user.id, std::string(req.path_param("id")), *limit);
  if (!entries) co_return Err(entries.error(), req);
  json::array items;
  for (const core::files::ActivityEntry& e : *entries) items.push_back(ActivityJson(e));
  co_return http::JsonResponse(200, json::object{{"items", std::move(items)}});
}

}  // namespace nimbus::api
