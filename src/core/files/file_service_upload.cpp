// SPDX-License-Identifier: AGPL-3.0-or-later
// PLACEHOLDER: not built yet (owned by a helper; replaced before this issue is called done).
#include "core/files/file_service.h"

namespace nimbus::core::files {

net::awaitable<Result<std::string>> FileService::Reserve(std::int64_t, std::uint64_t, ReservationKind, std::string) {
  co_return Fail(Errc::kInternal, "not built yet");
}

net::awaitable<Result<void>> FileService::Release(std::string) {
  co_return Fail(Errc::kInternal, "not built yet");
}

net::awaitable<Result<std::string>> FileService::PrepareUpload(const UploadRequest&) {
  co_return Fail(Errc::kInternal, "not built yet");
}

net::awaitable<Result<UploadResult>> FileService::Upload(UploadRequest, storage::ByteSource&) {
  co_return Fail(Errc::kInternal, "not built yet");
}

net::awaitable<Result<Node>> FileService::Copy(std::int64_t, std::string, std::string, std::optional<std::string>) {
  co_return Fail(Errc::kInternal, "not built yet");
}

}  // namespace nimbus::core::files
