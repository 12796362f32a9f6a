// SPDX-License-Identifier: AGPL-3.0-or-later
// STUB: being written (issue 6).
#include "core/files/link_service.h"

namespace nimbus::core::files {
namespace {
Error NotYet() { return Error{Errc::kUnavailable, "not built yet"}; }
}  // namespace
net::awaitable<Result<Link>> LinkService::Create(std::int64_t, std::string, std::optional<std::int64_t>, std::optional<std::string>) { co_return std::unexpected(NotYet()); }
net::awaitable<Result<LinkPage>> LinkService::List(std::int64_t, std::string, int, std::string) { co_return std::unexpected(NotYet()); }
net::awaitable<Result<void>> LinkService::Delete(std::int64_t, std::string) { co_return std::unexpected(NotYet()); }
net::awaitable<Result<std::vector<ActivityEntry>>> LinkService::Activity(std::int64_t, std::string, int) { co_return std::unexpected(NotYet()); }
net::awaitable<Result<Caller>> LinkService::Open(std::string, std::string, std::string, int*) { co_return std::unexpected(NotYet()); }
net::awaitable<Result<Link>> LinkService::Describe(const Caller&) { co_return std::unexpected(NotYet()); }
void LinkService::CountDownload(const Caller&) {}
}  // namespace nimbus::core::files
