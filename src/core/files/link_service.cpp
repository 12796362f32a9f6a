// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/files/link_service.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "core/files/page_cursor.h"
#include "core/password_policy.h"
#include "core/secrets.h"
#include "db/stores/account_store.h"
#include "db/stores/activity_store.h"
#include "db/stores/link_store.h"
#include "util/run_blocking.h"
#include "util/sha256.h"

namespace nimbus::core::files {
namespace {

// Wrong passwords live in auth_events (as failed logins do) under this kind, one key per link
// and client address, so a guesser elsewhere does not lock out the link's real visitors.
constexpr std::string_view kWrongPassword = "link_password";
constexpr std::int64_t kHourMs = 3'600'000;

std::string AttemptKey(std::string_view link_id, std::string_view ip) {
  return fmt::format("link:{}|ip:{}", link_id, ip);
}

Error LinkGone() {
  return Error{Errc::kNotFound,
               "This link does not exist: it may have expired or been deleted by its owner."};
}

Error NotYourLink() { return Error{Errc::kNotFound, "This link does not exist."}; }

Link ToLink(db::LinkRow row, Node node, std::string_view public_url) {
  Link l;
  l.id = std::move(row.id);
  l.url = fmt::format("{}/s/{}", public_url, row.token);
  l.token = std::move(row.token);
  l.node = std::move(node);
  l.node.shared = true;  // It has this link.
  l.expires_at = row.expires_at;
  l.has_password = row.password_hash.has_value();
  l.download_count = row.download_count;
  l.created_at = row.created_at;
  return l;
}

// The MAC of an access key: HMAC-SHA256 keyed by the link's password hash (which only the server
// holds, and which a new password would change) over the link id and the key's expiry, as hex.
std::string AccessKeyMac(std::string_view password_hash, std::string_view link_id,
                         std::int64_t expires_ms) {
  return HexOf(
      HmacSha256(password_hash, fmt::format("nimbus link access\n{}\n{}", link_id, expires_ms)));
}

// "<expiry ms>.<mac>".
std::string MakeAccessKey(std::string_view password_hash, std::string_view link_id,
                          std::int64_t expires_ms) {
  return fmt::format("{}.{}", expires_ms, AccessKeyMac(password_hash, link_id, expires_ms));
}

// Whether `key` is a key of this link (and password) that has not expired at `now`.
bool AccessKeyOpens(std::string_view key, std::string_view password_hash, std::string_view link_id,
                    std::int64_t now) {
  const auto dot = key.find('.');
  if (dot == std::string_view::npos) return false;
  std::int64_t expires = 0;
  const std::string_view digits = key.substr(0, dot);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), expires);
  if (ec != std::errc() || end != digits.data() + digits.size() || expires <= now) return false;
  return SecretEquals(key.substr(dot + 1), AccessKeyMac(password_hash, link_id, expires));
}

// The owner's row of `link_id`; kNotFound for anyone else's.
Result<db::LinkRow> OwnedLink(db::Transaction& tx, std::int64_t owner_id,
                              std::string_view link_id) {
  auto row = db::LinkStore::Find(tx, link_id);
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row || (*row)->owner_id != owner_id) return std::unexpected(NotYourLink());
  return std::move(**row);
}

Result<Link> CreateTx(db::Transaction& tx, db::LinkRow row, std::string_view public_url) {
  auto node = Authorize(tx, row.owner_id, row.node_id, Permission::kOwner);
  if (!node) return std::unexpected(std::move(node.error()));
  if (node->is_root()) {
    return Fail(Errc::kInvalidArgument,
                "Your whole drive cannot be shared by link: share a file or a folder in it.");
  }
  row.node_id = node->id;
  if (auto r = db::LinkStore::Insert(tx, row); !r) return std::unexpected(std::move(r.error()));
  return ToLink(std::move(row), std::move(*node), public_url);
}

Result<LinkPage> ListTx(db::Transaction& tx, std::int64_t owner_id, std::string_view node_id,
                        int limit, std::string_view cursor, std::string_view public_url) {
  auto after = ParseTimeIdCursor(cursor);  // "<created_at>\n<id>" of the last link.
  if (!after) return std::unexpected(std::move(after.error()));
  std::string only;
  if (!node_id.empty()) {
    auto node = Authorize(tx, owner_id, node_id, Permission::kOwner);
    if (!node) return std::unexpected(std::move(node.error()));
    only = node->id;
  }
  const int want = std::max(1, limit);
  auto rows = db::LinkStore::ListByOwner(tx, owner_id, only, *after, want + 1);
  if (!rows) return std::unexpected(std::move(rows.error()));
  LinkPage page;
  if (static_cast<int>(rows->size()) > want) {
    rows->resize(static_cast<std::size_t>(want));
    page.next_cursor = EncodeTimeIdCursor(rows->back().created_at, rows->back().id);
  }
  for (db::LinkRow& row : *rows) {
    auto node = Authorize(tx, owner_id, row.node_id, Permission::kOwner);
    if (!node) return std::unexpected(std::move(node.error()));
    page.items.push_back(ToLink(std::move(row), std::move(*node), public_url));
  }
  return page;
}

// What Open needs to decide after the read: the visitor's Caller, the password hash (if any)
// and, when this IP is at the limit of wrong passwords for the link, how long it must wait.
struct OpenState {
  Caller caller;
  std::optional<std::string> password_hash;
  std::optional<int> retry_after_s;
};

Result<std::optional<int>> WrongPasswordWait(db::Transaction& tx, std::string_view key,
                                             std::int64_t now) {
  auto n = db::AccountStore::CountEvents(tx, kWrongPassword, key, now - kHourMs);
  if (!n) return std::unexpected(std::move(n.error()));
  if (n->count < LinkService::kWrongPasswordsPerHour || !n->oldest_at) return std::nullopt;
  // When the oldest counted failure leaves the hour, the key is under the limit again.
  const std::int64_t wait_ms = std::max<std::int64_t>(*n->oldest_at + kHourMs - now, 1000);
  return static_cast<int>((wait_ms + 999) / 1000);
}

Result<OpenState> OpenTx(db::Transaction& tx, std::string_view token, std::string_view ip,
                         std::int64_t now) {
  auto row = db::LinkStore::FindByToken(tx, token);
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row || ((*row)->expires_at && *(*row)->expires_at <= now)) {
    return std::unexpected(LinkGone());
  }
  OpenState s;
  s.caller = Caller::ForLink((*row)->id, (*row)->node_id, std::string(ip));
  // The node must be live (not in the trash); its owner's trash hides the link until restored.
  auto node = Authorize(tx, s.caller, "root", Permission::kRead);
  if (!node) {
    if (node.error().code == Errc::kNotFound) return std::unexpected(LinkGone());
    return std::unexpected(std::move(node.error()));
  }
  s.password_hash = std::move((*row)->password_hash);
  if (s.password_hash) {
    auto wait = WrongPasswordWait(tx, AttemptKey((*row)->id, ip), now);
    if (!wait) return std::unexpected(std::move(wait.error()));
    s.retry_after_s = *wait;
  }
  return s;
}

}  // namespace

net::awaitable<Result<Link>> LinkService::Create(std::int64_t owner_id, std::string node_id,
                                                 std::optional<std::int64_t> expires_at,
                                                 std::optional<std::string> password) {
  const std::int64_t now = ToUnixMs(deps_.clock.Now());
  if (expires_at && *expires_at <= now) {
    co_return Fail(Errc::kInvalidArgument,
                   "The expiry time is in the past: choose a time in the future, or none.");
  }
  // Times are formatted through Clock::TimePoint (nanoseconds, up to the year 2262).
  constexpr std::int64_t kMaxAheadMs = 100LL * 366 * 24 * kHourMs;
  if (expires_at && *expires_at - now > kMaxAheadMs) {
    co_return Fail(Errc::kInvalidArgument,
                   "The expiry time is more than 100 years ahead: choose an earlier one, or none "
                   "for a link that never expires.");
  }
  std::optional<std::string> hash;
  if (password) {
    if (password->empty()) {
      co_return Fail(Errc::kInvalidArgument,
                     "The password is empty: enter one, or leave it out for a link anyone with "
                     "the address can open.");
    }
    // Anyone with the address can try passwords (slowed per address, see Open): a very short
    // one would fall to a patient guesser.
    constexpr std::size_t kMinLinkPassword = 6;
    if (CharCount(*password) < kMinLinkPassword) {
      co_return Fail(Errc::kWeakPassword,
                     "A link password needs at least {} characters: anyone with the address can "
                     "try to guess it.",
                     kMinLinkPassword);
    }
    auto hashed = co_await deps_.hasher.Hash(std::move(*password));
    if (!hashed) co_return std::unexpected(std::move(hashed.error()));
    hash = std::move(*hashed);
  }
  // 24 random bytes: 192 bits, 32 URL-safe characters.
  db::LinkRow row{RandomHex(12),
                  RandomToken(24),
                  std::move(node_id),
                  owner_id,
                  std::move(hash),
                  expires_at,
                  0,
                  now};
  const std::string url = deps_.public_url;
  auto write = [&] {
    return deps_.db.Write([&](db::Transaction& tx) { return CreateTx(tx, row, url); });
  };
  co_return co_await RunBlocking(deps_.workers, write);
}

net::awaitable<Result<LinkPage>> LinkService::List(std::int64_t owner_id, std::string node_id,
                                                   int limit, std::string cursor) {
  const std::string url = deps_.public_url;
  auto read = [&] {
    return deps_.db.Read(
        [&](db::Transaction& tx) { return ListTx(tx, owner_id, node_id, limit, cursor, url); });
  };
  co_return co_await RunBlocking(deps_.workers, read);
}

net::awaitable<Result<void>> LinkService::Delete(std::int64_t owner_id, std::string link_id) {
  auto write = [&] {
    return deps_.db.Write([&](db::Transaction& tx) -> Result<void> {
      auto row = OwnedLink(tx, owner_id, link_id);
      if (!row) return std::unexpected(std::move(row.error()));
      auto gone = db::LinkStore::Delete(tx, link_id);
      if (!gone) return std::unexpected(std::move(gone.error()));
      return {};
    });
  };
  co_return co_await RunBlocking(deps_.workers, write);
}

net::awaitable<Result<std::vector<ActivityEntry>>> LinkService::Activity(std::int64_t owner_id,
                                                                         std::string link_id,
                                                                         int limit) {
  auto read = [&] {
    return deps_.db.Read([&](db::Transaction& tx) -> Result<std::vector<ActivityEntry>> {
      auto row = OwnedLink(tx, owner_id, link_id);
      if (!row) return std::unexpected(std::move(row.error()));
      auto rows = db::ActivityStore::List(tx, "", link_id, std::max(1, limit));
      if (!rows) return std::unexpected(std::move(rows.error()));
      std::vector<ActivityEntry> out;
      out.reserve(rows->size());
      for (db::ActivityRow& r : *rows) {
        out.push_back(ActivityEntry{r.at, std::nullopt, std::move(r.ip), std::move(r.action),
                                    std::move(r.node_id), std::move(r.path)});
      }
      return out;
    });
  };
  co_return co_await RunBlocking(deps_.workers, read);
}

net::awaitable<Result<Caller>> LinkService::Open(std::string token, std::string password,
                                                 std::string ip, int* retry_after_s,
                                                 std::string access_key) {
  const std::int64_t now = ToUnixMs(deps_.clock.Now());
  auto read = [&] {
    return deps_.db.Read([&](db::Transaction& tx) { return OpenTx(tx, token, ip, now); });
  };
  auto opened = co_await RunBlocking(deps_.workers, read);
  if (!opened) co_return std::unexpected(std::move(opened.error()));
  if (!opened->password_hash) co_return std::move(opened->caller);
  if (password.empty() && !access_key.empty()) {
    // A MAC cannot be guessed: no attempt limit here.
    if (AccessKeyOpens(access_key, *opened->password_hash, opened->caller.link_id, now)) {
      co_return std::move(opened->caller);
    }
    co_return Fail(Errc::kPasswordRequired,
                   "This download address has expired (it lasts {} hours): open the link again "
                   "and enter its password.",
                   kAccessKeyLifetime.count());
  }
  if (password.empty()) {
    co_return Fail(Errc::kPasswordRequired,
                   "This link is protected by a password: enter it to open the link.");
  }
  // While limited, even the right password is refused: otherwise the limit would only slow a
  // guesser down by the answers it no longer gets, not stop it.
  if (opened->retry_after_s) {
    if (retry_after_s != nullptr) *retry_after_s = *opened->retry_after_s;
    co_return Fail(Errc::kTooManyAttempts,
                   "Too many wrong passwords for this link from your address. Try again in {} "
                   "minutes.",
                   (*opened->retry_after_s + 59) / 60);
  }
  const bool right = co_await deps_.hasher.Verify(*opened->password_hash, std::move(password));
  if (right) co_return std::move(opened->caller);
  const std::string key = AttemptKey(opened->caller.link_id, ip);
  auto record = [&] {
    return deps_.db.Write([&](db::Transaction& tx) {
      return db::AccountStore::AddEvent(tx, kWrongPassword, key, now);
    });
  };
  auto recorded = co_await RunBlocking(deps_.workers, record);
  if (!recorded) co_return std::unexpected(std::move(recorded.error()));
  co_return Fail(Errc::kInvalidCredentials, "The password is wrong. Check it and try again.");
}

net::awaitable<Result<Link>> LinkService::Describe(const Caller& visitor) {
  const std::string url = deps_.public_url;
  const std::int64_t expires = ToUnixMs(deps_.clock.Now() + kAccessKeyLifetime);
  auto read = [&] {
    return deps_.db.Read([&](db::Transaction& tx) -> Result<Link> {
      auto row = db::LinkStore::Find(tx, visitor.link_id);
      if (!row) return std::unexpected(std::move(row.error()));
      if (!*row) return std::unexpected(LinkGone());
      auto node = Authorize(tx, visitor, "root", Permission::kRead);
      if (!node) return std::unexpected(std::move(node.error()));
      std::optional<std::string> hash = (*row)->password_hash;
      Link link = ToLink(std::move(**row), std::move(*node), url);
      if (hash) link.access_key = MakeAccessKey(*hash, link.id, expires);
      return link;
    });
  };
  co_return co_await RunBlocking(deps_.workers, read);
}

void LinkService::CountDownload(const Caller& visitor) {
  if (!visitor.is_link()) return;
  // Counted off the request path (as ActivityLog writes): a download never waits for it.
  db::Database* db = &deps_.db;
  deps_.workers.Post([db, id = visitor.link_id] {
    auto counted =
        db->Write([&](db::Transaction& tx) { return db::LinkStore::CountDownload(tx, id); });
    if (!counted) spdlog::warn("link {}: download not counted: {}", id, counted.error().message);
  });
}

}  // namespace nimbus::core::files
