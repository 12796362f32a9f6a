// SPDX-License-Identifier: AGPL-3.0-or-later
// PLACEHOLDER: not built yet (owned by a helper; replaced before this issue is called done).
#include "core/files/file_service.h"

namespace nimbus::core::files {

net::awaitable<Result<TrashItem>> FileService::Delete(std::int64_t, std::string) {
  co_return Fail(Errc::kInternal, "not built yet");
}

net::awaitable<Result<TrashPage>> FileService::ListTrash(std::int64_t, int, std::string, std::string) {
  co_return Fail(Errc::kInternal, "not built yet");
}

net::awaitable<Result<Restored>> FileService::Restore(std::int64_t, std::string) {
  co_return Fail(Errc::kInternal, "not built yet");
}

net::awaitable<Result<void>> FileService::DeleteForever(std::int64_t, std::string) {
  co_return Fail(Errc::kInternal, "not built yet");
}

net::awaitable<Result<void>> FileService::EmptyTrash(std::int64_t) {
  co_return Fail(Errc::kInternal, "not built yet");
}

net::awaitable<Result<std::int64_t>> FileService::PurgeExpiredTrash() {
  co_return Fail(Errc::kInternal, "not built yet");
}

}  // namespace nimbus::core::files
