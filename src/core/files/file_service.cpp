// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/files/file_service.h"

#include <fmt/core.h>

namespace nimbus::core::files {

std::string Node::etag() const {
  return fmt::format("\"{}-{}\"", sha256.empty() ? id : sha256.substr(0, 32), version);
}

std::string ZipName(const Node& folder, std::size_t count) {
  std::string base = folder.is_root() || folder.name.empty() ? std::string("files") : folder.name;
  if (count > 0) base += " (" + std::to_string(count) + (count == 1 ? " item)" : " items)");
  return base + ".zip";
}

}  // namespace nimbus::core::files
