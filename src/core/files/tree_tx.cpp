// SPDX-License-Identifier: AGPL-3.0-or-later
// PLACEHOLDER: not built yet (owned by a helper; replaced before this issue is called done).
#include "core/files/tree_tx.h"

namespace nimbus::core::files {

std::string NewNodeId() { return {}; }

Result<Node> LoadLive(db::Transaction&, std::int64_t, std::string_view) {
  return Fail(Errc::kInternal, "not built yet");
}

Result<std::optional<Node>> LiveChild(db::Transaction&, std::string_view, std::string_view) {
  return Fail(Errc::kInternal, "not built yet");
}

Result<std::vector<std::string>> SplitRelativePath(std::string_view) {
  return Fail(Errc::kInternal, "not built yet");
}

Result<Node> EnsureFolders(db::Transaction&, const Node&, std::span<const std::string>, std::int64_t) {
  return Fail(Errc::kInternal, "not built yet");
}

Result<std::string> FreeName(db::Transaction&, std::string_view, std::string_view, FreeNameStyle) {
  return Fail(Errc::kInternal, "not built yet");
}

Result<Node> InsertNode(db::Transaction&, Node) {
  return Fail(Errc::kInternal, "not built yet");
}

Result<void> SetFileContent(db::Transaction&, std::string_view, std::int64_t, std::string_view, std::string_view, std::int64_t) {
  return Fail(Errc::kInternal, "not built yet");
}

Result<std::vector<Node>> Subtree(db::Transaction&, std::string_view) {
  return Fail(Errc::kInternal, "not built yet");
}

}  // namespace nimbus::core::files
