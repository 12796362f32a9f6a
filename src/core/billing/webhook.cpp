// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/billing/webhook.h"

#include <fmt/core.h>
#include <openssl/crypto.h>

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <optional>

#include "db/stores/billing_store.h"
#include "util/sha256.h"

namespace nimbus::core::billing {
namespace {

namespace json = boost::json;

constexpr std::size_t kMacBytes = 32;       // SHA-256.
constexpr std::size_t kMaxTimeDigits = 12;  // Seconds up to the year 33658: no overflow.
constexpr std::size_t kMaxEventIdChars = 255;

using Mac = std::array<unsigned char, kMacBytes>;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::unexpected<Error> Malformed(std::string_view what) {
  return Fail(Errc::kBadSignature,
              "The Nimbus-Signature header is malformed: {}. It must be "
              "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">.",
              what);
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 64 hex digits (either case) as 32 bytes; nullopt for anything else.
std::optional<Mac> DecodeMac(std::string_view hex) {
  if (hex.size() != 2 * kMacBytes) return std::nullopt;
  Mac out{};
  for (std::size_t i = 0; i < kMacBytes; ++i) {
    const int hi = HexDigit(hex[2 * i]);
    const int lo = HexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return out;
}

Result<std::int64_t> ParseSeconds(std::string_view text) {
  std::int64_t t = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, t);
  if (text.empty() || text.size() > kMaxTimeDigits || text.front() == '-' || ec != std::errc() ||
      ptr != end) {
    return Malformed(fmt::format("t='{}' is not a whole number of seconds", text));
  }
  return t;
}

// HMAC-SHA256 of "<t>.<body>" keyed with the secret's bytes.
Mac Sign(std::string_view secret, std::string_view t, std::string_view body) {
  std::string message;
  message.reserve(t.size() + 1 + body.size());
  message.append(t).append(1, '.').append(body);
  return HmacSha256(secret, message);
}

// MarkPaidIn's and RecordPaymentFailedIn's kNotFound is the provider's mistake, not a missing
// page: 400 invalid_request, and the transaction (with the event's record) rolls back so a
// corrected retry of the same event id is applied.
Error UnknownInvoice(Error e, const WebhookEvent& event) {
  if (e.code != Errc::kNotFound) return e;
  return Error{Errc::kInvalidArgument,
               fmt::format("Event '{}' names invoice '{}', which does not exist on this server; "
                           "nothing was recorded.",
                           event.id, event.invoice_id)};
}

}  // namespace

Result<SignatureHeader> ParseSignatureHeader(std::string_view header) {
  header = Trim(header);
  if (header.empty()) {
    return Fail(Errc::kBadSignature,
                "The request has no Nimbus-Signature header; payment events must be signed.");
  }
  SignatureHeader out;
  bool have_t = false;
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view entry = Trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (entry.empty()) continue;
    const std::size_t eq = entry.find('=');
    if (eq == std::string_view::npos) {
      return Malformed(fmt::format("the entry '{}' has no '='", entry));
    }
    const std::string_view key = Trim(entry.substr(0, eq));
    const std::string_view value = Trim(entry.substr(eq + 1));
    if (key == "t") {
      if (have_t) return Malformed("it has two t= entries");
      auto t = ParseSeconds(value);
      if (!t) return std::unexpected(std::move(t.error()));
      out.timestamp = *t;
      out.timestamp_text = std::string(value);
      have_t = true;
    } else if (key == "v1") {
      if (!DecodeMac(value)) return Malformed("a v1= entry is not 64 hex digits");
      out.v1.emplace_back(value);
    }
  }
  if (!have_t) return Malformed("it has no t= timestamp");
  if (out.v1.empty()) return Malformed("it has no v1= signature");
  return out;
}

Result<void> VerifySignature(std::string_view header, std::string_view body,
                             std::string_view secret, std::int64_t tolerance_s,
                             std::int64_t now_s) {
  auto parsed = ParseSignatureHeader(header);
  if (!parsed) return std::unexpected(std::move(parsed.error()));
  const Mac expected = Sign(secret, parsed->timestamp_text, body);
  bool matched = false;
  for (const std::string& hex : parsed->v1) {
    const Mac given = *DecodeMac(hex);  // ParseSignatureHeader checked every entry.
    if (CRYPTO_memcmp(given.data(), expected.data(), kMacBytes) == 0) matched = true;
  }
  if (!matched) {
    return Fail(Errc::kBadSignature,
                "The Nimbus-Signature does not match this body: no v1= entry is the HMAC-SHA256 "
                "of \"<t>.<body>\" with this server's webhook secret.");
  }
  const std::int64_t age = now_s - parsed->timestamp;
  if (age > tolerance_s) {
    return Fail(Errc::kBadSignature,
                "The Nimbus-Signature timestamp is {} seconds old; events signed more than {} "
                "seconds ago are refused (a replay, or a retry that was not signed again).",
                age, tolerance_s);
  }
  if (-age > tolerance_s) {
    return Fail(Errc::kBadSignature,
                "The Nimbus-Signature timestamp is {} seconds in the future; more than {} seconds "
                "ahead of this server's clock is refused (check the sender's clock).",
                -age, tolerance_s);
  }
  return {};
}

Result<WebhookEvent> ParseWebhookEvent(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    return Fail(Errc::kInvalidArgument,
                "The event must be a JSON object {{\"id\", \"type\", \"invoice_id\", …}}.");
  }
  const json::object& o = v.as_object();
  WebhookEvent e;
  const json::value* id = o.if_contains("id");
  if (id == nullptr || !id->is_string() || id->as_string().empty() ||
      id->as_string().size() > kMaxEventIdChars) {
    return Fail(Errc::kInvalidArgument,
                "The event's \"id\" must be a string of 1 to {} characters.", kMaxEventIdChars);
  }
  e.id = std::string(id->as_string());
  const json::value* type = o.if_contains("type");
  if (type == nullptr || !type->is_string() || type->as_string().empty() ||
      type->as_string().size() > kMaxEventIdChars) {
    return Fail(Errc::kInvalidArgument, "The event's \"type\" must be a string such as \"{}\".",
                kEventInvoicePaid);
  }
  e.type = std::string(type->as_string());
  const json::value* invoice = o.if_contains("invoice_id");
  if (invoice != nullptr && invoice->is_string()) e.invoice_id = std::string(invoice->as_string());
  if ((e.type == kEventInvoicePaid || e.type == kEventPaymentFailed) && e.invoice_id.empty()) {
    return Fail(Errc::kInvalidArgument,
                "A \"{}\" event needs \"invoice_id\", the id of the invoice it is about.", e.type);
  }
  return e;
}

Result<WebhookResult> ApplyWebhookEventIn(db::Transaction& tx, const config::BillingConfig& config,
                                          const WebhookEvent& event, std::int64_t now_ms,
                                          std::string_view public_url) {
  auto fresh = db::BillingStore::RecordEvent(tx, event.id, event.type, now_ms);
  if (!fresh) return std::unexpected(std::move(fresh.error()));
  if (!*fresh) {
    return Fail(Errc::kReplayed,
                "Event '{}' was received before; an event is applied once, so nothing changed.",
                event.id);
  }
  WebhookResult out{.event = event};
  if (event.type == kEventInvoicePaid) {
    auto paid =
        MarkPaidIn(tx, config, event.invoice_id, kPaidViaProvider, event.id, now_ms, public_url);
    if (!paid) return std::unexpected(UnknownInvoice(std::move(paid.error()), event));
    out.applied = true;
    out.user_id = paid->user_id;
    out.lifted = paid->lifted;
  } else if (event.type == kEventPaymentFailed) {
    auto failed = RecordPaymentFailedIn(tx, event.invoice_id, event.id, now_ms, public_url);
    if (!failed) return std::unexpected(UnknownInvoice(std::move(failed.error()), event));
    out.applied = true;
  }
  return out;
}

bool WebhookConfigured(const config::BillingConfig& config) {
  return !config.webhook_secret.empty();
}

Result<WebhookResult> HandleWebhook(Ledger& ledger, std::string_view signature_header,
                                    std::string_view body) {
  const config::BillingConfig& c = ledger.config();
  if (!WebhookConfigured(c)) return Fail(Errc::kUnavailable, "{}", kWebhookNotConfigured);
  const std::int64_t now_ms = ledger.NowMs();
  auto verified = VerifySignature(signature_header, body, c.webhook_secret, c.webhook_tolerance_s,
                                  now_ms / 1000);
  if (!verified) return std::unexpected(std::move(verified.error()));
  auto event = ParseWebhookEvent(body);
  if (!event) return std::unexpected(std::move(event.error()));
  return ledger.db().Write([&](db::Transaction& tx) {
    return ApplyWebhookEventIn(tx, c, *event, now_ms, ledger.public_url());
  });
}

}  // namespace nimbus::core::billing
