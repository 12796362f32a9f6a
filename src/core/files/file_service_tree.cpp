// SPDX-License-Identifier: AGPL-3.0-or-later
// PLACEHOLDER: not built yet (owned by a helper; replaced before this issue is called done).
#include "core/files/file_service.h"

namespace nimbus::core::files {

net::awaitable<Result<Node>> FileService::Get(std::int64_t, std::string) {
  co_return Fail(Errc::kInternal, "not built yet");
}

net::awaitable<Result<ChildPage>> FileService::Children(std::int64_t, std::string, ListOptions) {
  co_return Fail(Errc::kInternal, "not built yet");
}

net::awaitable<Result<Node>> FileService::Resolve(std::int64_t, std::string) {
  co_return Fail(Errc::kInternal, "not built yet");
}

net::awaitable<Result<Node>> FileService::MakeFolders(std::int64_t, std::string, std::string) {
  co_return Fail(Errc::kInternal, "not built yet");
}

net::awaitable<Result<Node>> FileService::Update(std::int64_t, std::string, std::optional<std::string>, std::optional<std::string>) {
  co_return Fail(Errc::kInternal, "not built yet");
}

}  // namespace nimbus::core::files
