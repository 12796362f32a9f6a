// The read-only rule of a past-due account (issue 7): nothing new may appear in its space —
// uploads, copies, restores and new folders answer kPaymentRequired (402) — while reading,
// downloading, deleting and sharing keep working. Checked inside the caller's transaction (the
// one that reserves the quota where there is one), from the standing the billing job and
// payments store (StandingOf), so paying lifts it at once.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/billing/ledger.h"
#include "db/database.h"
#include "util/result.h"

namespace nimbus::core::billing {

// OK while `owner_id`'s account is active (or has no billing account); kPaymentRequired with
// PastDueSentence otherwise. `shared_by` names the owner when the caller is someone else (a
// grantee in a folder shared with them: "Ann (ann@x)"); empty when the caller is the owner.
Result<void> RequireGoodStanding(db::Transaction& tx, std::int64_t owner_id,
                                 std::string_view shared_by = {});

// The sentence a person sees: "Your account is past due: 12.34 USD has been unpaid since
// 3 Dec 2026, so uploads, copies and restores are paused until it is paid. …", or for a grantee
// "The account of Ann (ann@x), who shared this folder with you, is past due: …".
std::string PastDueSentence(const Standing& standing, std::string_view shared_by = {});

}  // namespace nimbus::core::billing
