// Pieces the account services share inside one write transaction: issuing an emailed one-time
// token, queueing a templated mail in the outbox, and the per-address/per-IP counters of the
// rate limits. Internal to core.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/account_types.h"
#include "db/database.h"
#include "mail/templates.h"
#include "util/result.h"

namespace nimbus::core {

inline constexpr std::string_view kVerifyPurpose = "verify";
inline constexpr std::string_view kResetPurpose = "reset";
inline constexpr std::string_view kLoginFailure = "login_failure";
inline constexpr std::string_view kEmailRequest = "email_request";

// Stores the hash of a new random token for `user_id`; returns the token (for the link).
Result<std::string> IssueEmailToken(db::Transaction& tx, std::int64_t user_id,
                                    std::string_view purpose, std::int64_t now_ms,
                                    std::int64_t ttl_ms);
// The user of an unused, unexpired token of `purpose`, marked used now (single use).
// kInvalidToken otherwise, with a sentence that offers a new link.
Result<std::int64_t> ConsumeEmailToken(db::Transaction& tx, std::string_view token,
                                       std::string_view purpose, std::int64_t now_ms);
// Renders `t` for `to` and queues it in the outbox in `tx`.
Result<void> QueueMail(db::Transaction& tx, mail::Template t, std::string_view to,
                       const mail::Vars& vars, std::int64_t now_ms);

// The rate-limit keys of an address and of a client IP.
std::string AccountKey(std::string_view email);
std::string IpKey(std::string_view ip);
// An IP address's limits are this many times an account's (a household or office behind one
// router shares its address).
inline constexpr int kPeoplePerAddress = 5;
// Seconds until `kind` events of `email` fall back under `max`, and those of `ip` under
// `max` × kPeoplePerAddress, in the window ending at `now_ms`; nullopt when neither key is at its
// limit.
Result<std::optional<int>> RetryAfter(db::Transaction& tx, std::string_view kind,
                                      std::string_view email, std::string_view ip, int max,
                                      std::int64_t window_ms, std::int64_t now_ms);
// Charges one forgot-password / resend-verification request to `email` (skipped when empty) and
// `ip` against `per_hour`: kTooManyAttempts ("Try again in N minutes", `*retry_after_s` set when
// given) when either is at the limit, else records the request.
Result<void> ChargeEmailRequest(db::Transaction& tx, std::string_view email, std::string_view ip,
                                int per_hour, std::int64_t now_ms, int* retry_after_s);

}  // namespace nimbus::core
