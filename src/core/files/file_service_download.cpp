// SPDX-License-Identifier: AGPL-3.0-or-later
// PLACEHOLDER: not built yet (owned by a helper; replaced before this issue is called done).
#include "core/files/file_service.h"

namespace nimbus::core::files {

net::awaitable<Result<void>> FileService::ReadContent(const Node&, storage::ByteRange, storage::ByteSink&) {
  co_return Fail(Errc::kInternal, "not built yet");
}

net::awaitable<Result<void>> FileService::WriteZip(const Node&, storage::ByteSink&) {
  co_return Fail(Errc::kInternal, "not built yet");
}

}  // namespace nimbus::core::files
