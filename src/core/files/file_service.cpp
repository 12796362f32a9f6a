// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/files/file_service.h"

#include <fmt/core.h>

namespace nimbus::core::files {

std::string Node::etag() const {
  return fmt::format("\"{}-{}\"", sha256.empty() ? id : sha256.substr(0, 32), version);
}

bool Node::MatchesIfMatch(std::string_view header) const {
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  header = trim(header);
  if (header == "*") return true;
  const std::string mine = etag();
  while (!header.empty()) {
    const auto comma = header.find(',');
    if (trim(header.substr(0, comma)) == mine) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

std::string ZipName(const Node& folder, std::size_t count) {
  std::string base = folder.is_root() || folder.name.empty() ? std::string("files") : folder.name;
  if (count > 0) base += " (" + std::to_string(count) + (count == 1 ? " item)" : " items)");
  return base + ".zip";
}

}  // namespace nimbus::core::files
