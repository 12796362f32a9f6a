// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/billing/standing_check.h"

#include <fmt/core.h>

#include "core/billing/invoices.h"
#include "core/billing/plan_pricing.h"
#include "db/stores/billing_store.h"

namespace nimbus::core::billing {

std::string PastDueSentence(const Standing& s, std::string_view shared_by) {
  // What is due and since when (the day the grace period ended, as the past-due mail says).
  std::string what = "An invoice is unpaid";
  if (s.amount_due > 0 && !s.currency.empty()) {
    what = fmt::format("{} has been unpaid", FormatMoney(s.amount_due, s.currency));
  }
  const auto since = s.past_due_since ? s.past_due_since : s.oldest_due_at;
  if (since) what += fmt::format(" since {}", MailDate(*since));
  if (shared_by.empty()) {
    return fmt::format(
        "Your account is past due: {}, so uploads, copies and restores are paused until it is "
        "paid. Your files stay safe and you can still open, download, share and delete them. The "
        "invoices page says how to pay.",
        what);
  }
  return fmt::format(
      "The account of {}, who shared this folder with you, is past due: {}, so nothing new can "
      "be uploaded, copied or restored into it until they pay. Its files stay safe and you can "
      "still open and download them.",
      shared_by, what);
}

Result<void> RequireGoodStanding(db::Transaction& tx, std::int64_t owner_id,
                                 std::string_view shared_by) {
  // The common case in one primary-key read; the amounts only for a past-due account.
  auto account = db::BillingStore::FindAccount(tx, owner_id);
  if (!account) return std::unexpected(std::move(account.error()));
  if (!*account || (*account)->state != "past_due") return {};
  auto standing = StandingOf(tx, owner_id);
  if (!standing) return std::unexpected(std::move(standing.error()));
  return std::unexpected(Error{Errc::kPaymentRequired, PastDueSentence(*standing, shared_by)});
}

}  // namespace nimbus::core::billing
