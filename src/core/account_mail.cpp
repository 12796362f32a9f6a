// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/account_mail.h"

#include <algorithm>

#include "core/secrets.h"
#include "db/stores/account_store.h"
#include "mail/outbox.h"

namespace nimbus::core {

using db::AccountStore;

Result<std::string> IssueEmailToken(db::Transaction& tx, std::int64_t user_id,
                                    std::string_view purpose, std::int64_t now_ms,
                                    std::int64_t ttl_ms) {
  std::string token = RandomToken(32);
  db::EmailTokenRecord rec{HashToken(token), user_id,         std::string(purpose),
                           now_ms,           now_ms + ttl_ms, std::nullopt};
  if (auto r = AccountStore::InsertEmailToken(tx, rec); !r) return std::unexpected(r.error());
  return token;
}

Result<std::int64_t> ConsumeEmailToken(db::Transaction& tx, std::string_view token,
                                       std::string_view purpose, std::int64_t now_ms) {
  const bool reset = purpose == kResetPurpose;
  auto invalid = [reset] {
    return Fail(Errc::kInvalidToken,
                "This {} link is invalid, already used or expired. Ask for a "
                "new one.",
                reset ? "password reset" : "verification");
  };
  if (token.empty()) return invalid();
  const std::string hash = HashToken(token);
  auto rec = AccountStore::FindEmailToken(tx, hash);
  if (!rec) return std::unexpected(rec.error());
  if (!*rec || (*rec)->purpose != purpose || (*rec)->used_at || now_ms >= (*rec)->expires_at) {
    return invalid();
  }
  auto used = AccountStore::UseEmailToken(tx, hash, now_ms);
  if (!used) return std::unexpected(used.error());
  if (!*used) return invalid();
  return (*rec)->user_id;
}

Result<void> QueueMail(db::Transaction& tx, mail::Template t, std::string_view to,
                       const mail::Vars& vars, std::int64_t now_ms) {
  auto msg = mail::Render(t, to, vars);
  if (!msg) return Fail(Errc::kInternal, "mail template: {}", msg.error().message);
  auto queued = mail::Enqueue(tx, *msg, now_ms);
  if (!queued) return std::unexpected(queued.error());
  return {};
}

std::string AccountKey(std::string_view email) { return "account:" + std::string(email); }
std::string IpKey(std::string_view ip) { return "ip:" + std::string(ip); }

Result<std::optional<int>> RetryAfter(db::Transaction& tx, std::string_view kind,
                                      std::string_view email, std::string_view ip, int max,
                                      std::int64_t window_ms, std::int64_t now_ms) {
  std::optional<int> out;
  for (const std::string& key : {AccountKey(email), IpKey(ip)}) {
    if (key == "ip:" || key == "account:") continue;
    // One address is often a whole family or office behind one router: its limit is that of
    // several accounts, so one person's mistakes do not lock the others out.
    const int limit = key.starts_with("ip:") ? max * kPeoplePerAddress : max;
    auto n = AccountStore::CountEvents(tx, kind, key, now_ms - window_ms);
    if (!n) return std::unexpected(n.error());
    if (n->count < limit || !n->oldest_at) continue;
    // When the oldest counted event leaves the window, the key is under the limit again.
    const std::int64_t wait_ms = std::max<std::int64_t>(*n->oldest_at + window_ms - now_ms, 1000);
    const int secs = static_cast<int>((wait_ms + 999) / 1000);
    out = std::max(out.value_or(0), secs);
  }
  return out;
}

Result<void> ChargeEmailRequest(db::Transaction& tx, std::string_view email, std::string_view ip,
                                int per_hour, std::int64_t now_ms, int* retry_after_s) {
  constexpr std::int64_t kHourMs = 3'600'000;
  auto wait = RetryAfter(tx, kEmailRequest, email, ip, per_hour, kHourMs, now_ms);
  if (!wait) return std::unexpected(wait.error());
  if (*wait) {
    if (retry_after_s != nullptr) *retry_after_s = **wait;
    return Fail(
        Errc::kTooManyAttempts,
        "Too many emails were asked for in the last hour, for this account or from your network. "
        "Try again in {} minutes.",
        (**wait + 59) / 60);
  }
  if (!email.empty()) {
    if (auto r = AccountStore::AddEvent(tx, kEmailRequest, AccountKey(email), now_ms); !r) return r;
  }
  return AccountStore::AddEvent(tx, kEmailRequest, IpKey(ip), now_ms);
}

}  // namespace nimbus::core
