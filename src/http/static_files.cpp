// SPDX-License-Identifier: AGPL-3.0-or-later
#include "http/static_files.h"

namespace nimbus::http {

namespace {

// If-None-Match is a list of entity tags or "*"; weak comparison (W/ ignored), RFC 9110 13.1.2.
bool EtagMatches(std::string_view header, std::string_view etag) {
  if (header.empty() || etag.empty()) return false;
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view tag = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    std::string_view mine = etag.starts_with("W/") ? etag.substr(2) : etag;
    if (tag == mine) return true;
  }
  return false;
}

}  // namespace

StaticFiles::StaticFiles(std::span<const StaticAsset> assets) {
  for (const StaticAsset& a : assets) by_path_.emplace(a.path, &a);
}

const StaticAsset* StaticFiles::Find(std::string_view path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : it->second;
}

Response StaticFiles::Serve(const StaticAsset& asset, const Request& req) {
  Response res;
  if (EtagMatches(req.header("If-None-Match"), asset.etag)) {
    res.status = 304;
  } else {
    res.status = 200;
    res.body = StaticBody{asset.body};
    res.SetHeader("Content-Type", asset.content_type);
  }
  if (!asset.etag.empty()) res.SetHeader("ETag", asset.etag);
  res.SetHeader("Cache-Control",
                asset.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  return res;
}

}  // namespace nimbus::http
