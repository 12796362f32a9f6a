// Quota pieces that run inside the caller's transaction (internal to core/files; implemented in
// quota_tx.cpp): the owner's plan, used (live + trash) and reserved bytes, and reservations.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/files/file_types.h"
#include "db/database.h"
#include "util/result.h"

namespace nimbus::core::files {

struct QuotaState {
  std::int64_t quota_bytes = 0;     // The plan (allocations.bytes).
  std::int64_t used_bytes = 0;      // Every recorded blob: live files and the trash.
  std::int64_t reserved_bytes = 0;  // Reservations of uploads in flight.
  std::int64_t free_bytes() const;  // quota - used - reserved, never below 0.
};

// kNotFound when the owner has no allocation.
Result<QuotaState> LoadQuota(db::Transaction& tx, std::int64_t owner_id);
// Inserts a reservation of `bytes` when it fits: kQuotaExceeded with a message for a person
// ("This upload needs 12.0 MB but only 3.1 MB of your 1 GB is free.") otherwise.
// `kind`: "upload", "tus" or "copy". `pending_bytes`: the owner's bytes reserved in this process
// and not in the table (PendingReservations), counted as reserved too.
Result<void> InsertReservation(db::Transaction& tx, std::int64_t owner_id, std::string_view id,
                               std::uint64_t bytes, std::string_view kind, std::int64_t now_ms,
                               std::uint64_t pending_bytes = 0);
// The kQuotaExceeded error of a `kind` that needs `bytes` with `free` of `quota` free. `held`:
// bytes reserved by other uploads not finished yet; when they are what is in the way, the
// message says so (otherwise "your plan is full" with nothing stored puzzles people).
Error NoRoomFor(std::string_view kind, std::uint64_t bytes, std::int64_t free, std::int64_t quota,
                std::int64_t held = 0);
// `e` (a kQuotaExceeded of `owner_id`'s space) with, when their trash holds bytes, a sentence
// saying how much and that emptying it frees them: deleted files count until purged, which
// puzzles people whose files are gone (QA pass 19). Other errors as they are.
Error WithTrashHint(db::Transaction& tx, std::int64_t owner_id, Error e);
// Deletes it with the blobs named under it (reservation_blobs); returns its owner, or nullopt
// when it was gone already (that is fine).
Result<std::optional<std::int64_t>> DeleteReservation(db::Transaction& tx, std::string_view id);
// Deletes every reservation of kind upload or copy (they live only as long as a request);
// returns how many.
Result<std::int64_t> DeleteRequestReservations(db::Transaction& tx);
// How a message names the owner of a space shared with the caller: "Ann (ann@x)", or the email
// alone when they have no name.
std::string OwnerLabel(const NodeOwner& owner);
// Nothing new may appear in `folder` while its owner's account is past due: kPaymentRequired
// with a sentence (naming the owner when the caller is not: `folder.owner` set), else OK.
Result<void> RequireGoodStanding(db::Transaction& tx, const Node& folder);
// "1.5 GB", "12.0 MB", "512 bytes" (1 KB = 1024 bytes), for messages.
std::string HumanBytes(std::int64_t bytes);

}  // namespace nimbus::core::files
