// SPDX-License-Identifier: AGPL-3.0-or-later
// STUB: being written (issue 6).
#include "core/files/share_service.h"

namespace nimbus::core::files {
namespace {
Error NotYet() { return Error{Errc::kUnavailable, "not built yet"}; }
}  // namespace
net::awaitable<Result<Share>> ShareService::Create(std::int64_t, std::string, std::string, Permission) { co_return std::unexpected(NotYet()); }
net::awaitable<Result<SharePage>> ShareService::List(std::int64_t, bool, int, std::string) { co_return std::unexpected(NotYet()); }
net::awaitable<Result<std::vector<Share>>> ShareService::ListForNode(std::int64_t, std::string) { co_return std::unexpected(NotYet()); }
net::awaitable<Result<Share>> ShareService::Update(std::int64_t, std::string, Permission) { co_return std::unexpected(NotYet()); }
net::awaitable<Result<void>> ShareService::Delete(std::int64_t, std::string) { co_return std::unexpected(NotYet()); }
net::awaitable<Result<std::vector<ActivityEntry>>> ShareService::Activity(std::int64_t, std::string, int) { co_return std::unexpected(NotYet()); }
net::awaitable<Result<std::vector<std::string>>> ShareService::Contacts(std::int64_t, std::string, int) { co_return std::unexpected(NotYet()); }
}  // namespace nimbus::core::files
