// SPDX-License-Identifier: AGPL-3.0-or-later
#include "http/router.h"

#include <algorithm>
#include <cassert>

#include "http/url.h"

namespace nimbus::http {

namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) return out;
  while (true) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool IsParam(std::string_view seg) {
  return seg.size() >= 2 && seg.front() == '{' && seg.back() == '}';
}
bool IsWildcard(std::string_view seg) { return IsParam(seg) && seg.size() >= 3 && seg[1] == '*'; }

// Per-segment specificity (2 literal, 1 parameter, 0 wildcard), compared lexicographically;
// nullopt when the route does not match the path.
std::optional<std::vector<int>> MatchRoute(
    const Route& route, const std::vector<std::string>& segs,
    std::vector<std::pair<std::string, std::string>>* params) {
  std::vector<int> score;
  std::size_t i = 0;
  for (; i < route.segments.size(); ++i) {
    const std::string& t = route.segments[i];
    if (IsWildcard(t)) {
      std::string rest;
      for (std::size_t j = i; j < segs.size(); ++j) {
        if (j > i) rest += '/';
        rest += segs[j];
      }
      if (params) params->emplace_back(t.substr(2, t.size() - 3), std::move(rest));
      score.push_back(0);
      return score;
    }
    if (i >= segs.size()) return std::nullopt;
    if (IsParam(t)) {
      if (segs[i].empty()) return std::nullopt;
      if (params) params->emplace_back(t.substr(1, t.size() - 2), segs[i]);
      score.push_back(1);
    } else {
      if (t != segs[i]) return std::nullopt;
      score.push_back(2);
    }
  }
  if (i != segs.size()) return std::nullopt;
  return score;
}

}  // namespace

void Router::Add(Method method, std::string_view pattern, Handler handler, RouteOptions options) {
  Route r{method, std::string(pattern), std::move(handler), std::move(options), {}};
  for (auto seg : Split(pattern)) r.segments.emplace_back(seg);
  for ([[maybe_unused]] const Route& existing : routes_) {
    assert(!(existing.method == method && existing.pattern == r.pattern) && "duplicate route");
  }
  routes_.push_back(std::move(r));
}

RouteMatch Router::Match(Method method, std::string_view encoded_path) const {
  RouteMatch result;
  std::vector<std::string> segs;
  for (auto seg : Split(encoded_path)) {
    auto decoded = PercentDecode(seg, false);
    if (!decoded) return result;
    segs.push_back(std::move(*decoded));
  }
  Method wanted = method == Method::kHead ? Method::kGet : method;
  const Route* best = nullptr;
  std::vector<int> best_score;
  std::vector<Method> allowed;
  std::vector<int> best_any_score;
  for (const Route& route : routes_) {
    auto score = MatchRoute(route, segs, nullptr);
    if (!score) continue;
    if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end()) {
      allowed.push_back(route.method);
    }
    if (result.pattern.empty() || *score > best_any_score) {
      best_any_score = *score;
      result.pattern = route.pattern;
    }
    bool method_ok = route.method == wanted ||
                     (method == Method::kHead && route.method == Method::kHead);
    if (method_ok && (best == nullptr || *score > best_score)) {
      best = &route;
      best_score = *score;
    }
  }
  if (allowed.empty()) return result;
  // Allow: GET, HEAD (served by GET), the others in registration order, OPTIONS.
  bool has_get = std::find(allowed.begin(), allowed.end(), Method::kGet) != allowed.end();
  if (has_get) result.allow = "GET, HEAD";
  for (Method m : allowed) {
    if (m == Method::kGet || (m == Method::kHead && has_get) || m == Method::kOptions) continue;
    if (!result.allow.empty()) result.allow += ", ";
    result.allow += MethodName(m);
  }
  result.allow += result.allow.empty() ? "OPTIONS" : ", OPTIONS";
  if (best == nullptr) {
    result.kind = RouteMatch::Kind::kMethodNotAllowed;
    return result;
  }
  result.kind = RouteMatch::Kind::kMatched;
  result.route = best;
  result.pattern = best->pattern;
  MatchRoute(*best, segs, &result.params);
  return result;
}

}  // namespace nimbus::http
