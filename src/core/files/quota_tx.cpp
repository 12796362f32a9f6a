// SPDX-License-Identifier: AGPL-3.0-or-later
// PLACEHOLDER: not built yet (owned by a helper; replaced before this issue is called done).
#include "core/files/quota_tx.h"

namespace nimbus::core::files {

std::int64_t QuotaState::free_bytes() const { return 0; }

Result<QuotaState> LoadQuota(db::Transaction&, std::int64_t) {
  return Fail(Errc::kInternal, "not built yet");
}

Result<void> InsertReservation(db::Transaction&, std::int64_t, std::string_view, std::uint64_t, std::string_view, std::int64_t) {
  return Fail(Errc::kInternal, "not built yet");
}

Result<void> DeleteReservation(db::Transaction&, std::string_view) {
  return Fail(Errc::kInternal, "not built yet");
}

std::string HumanBytes(std::int64_t) { return {}; }

}  // namespace nimbus::core::files
