// SPDX-License-Identifier: AGPL-3.0-or-later
#include "api/json_codec.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "util/rfc3339.h"

namespace nimbus::api {

namespace json = boost::json;

net::awaitable<Result<json::object>> ReadJsonObject(http::Request& req) {
  auto body = co_await req.ReadAll();
  if (!body) co_return std::unexpected(body.error());
  if (body->find_first_not_of(" \t\r\n") == std::string::npos) co_return json::object();
  boost::system::error_code ec;
  json::value v = json::parse(*body, ec);
  if (ec) co_return Fail(Errc::kInvalidArgument, "The body is not valid JSON: {}.", ec.message());
  if (!v.is_object()) co_return Fail(Errc::kInvalidArgument, "The body must be a JSON object.");
  co_return std::move(v.as_object());
}

Result<std::optional<std::string>> StringField(const json::object& o, std::string_view key,
                                               bool optional) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    if (optional) return std::optional<std::string>();
    return Fail(Errc::kInvalidArgument, "The field '{}' is required.", key);
  }
  if (!v->is_string()) return Fail(Errc::kInvalidArgument, "The field '{}' must be a string.", key);
  return std::optional<std::string>(std::string(v->as_string()));
}

Result<std::string> RequiredString(const json::object& o, std::string_view key) {
  auto s = StringField(o, key);
  if (!s) return std::unexpected(s.error());
  return std::move(**s);
}

Result<std::optional<bool>> BoolField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<bool>();
  if (!v->is_bool())
    return Fail(Errc::kInvalidArgument, "The field '{}' must be true or false.", key);
  return std::optional<bool>(v->as_bool());
}

std::string Timestamp(std::int64_t ms) { return FormatRfc3339(FromUnixMs(ms)); }

json::object UserJson(const core::User& u) {
  return {{"id", std::to_string(u.id)},
          {"email", u.email},
          {"name", u.name},
          {"is_admin", u.is_admin},
          {"disabled", u.disabled},
          {"email_verified", u.email_verified},
          {"root_id", u.root_id},
          {"created_at", Timestamp(u.created_at)}};
}

json::object AccountJson(const core::Profile& p) {
  json::object o = UserJson(p.user);
  constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
  o["plan"] = json::object{{"size_gb", p.plan_bytes / kGiB}, {"category", p.category}};
  o["usage"] = json::object{
      {"used_bytes", p.used_bytes},
      {"trash_bytes", p.trash_bytes},
      {"reserved_bytes", p.reserved_bytes},
      {"quota_bytes", p.plan_bytes}};
  // The standing: past_due makes the account read-only (402 on uploads, copies, restores).
  const core::billing::Standing& s = p.billing;
  json::object billing{{"state", s.state}, {"amount_due", s.amount_due}};
  billing["past_due_since"] =
      s.past_due_since ? json::value(Timestamp(*s.past_due_since)) : json::value(nullptr);
  billing["currency"] = s.currency.empty() ? json::value(nullptr) : json::value(s.currency);
  o["billing"] = std::move(billing);
  return o;
}

json::object ProfileJson(const core::Profile& p, const core::Principal& who) {
  json::object o = AccountJson(p);
  if (who.via_cookie()) {
    o["csrf_token"] = who.csrf_token;
  } else {
    o["csrf_token"] = nullptr;  // Bearer requests need none.
  }
  return o;
}

json::object SessionJson(const core::SessionInfo& s) {
  return {{"id", s.id},
          {"user_agent", s.user_agent},
          {"ip", s.ip},
          {"created_at", Timestamp(s.created_at)},
          {"last_seen_at", Timestamp(s.last_seen_at)},
          {"expires_at", Timestamp(s.expires_at)},
          {"current", s.current}};
}

json::object TokenJson(const core::ApiTokenInfo& t) {
  json::object o{{"id", t.id}, {"name", t.name}, {"created_at", Timestamp(t.created_at)}};
  if (t.last_used_at) {
    o["last_used_at"] = Timestamp(*t.last_used_at);
  } else {
    o["last_used_at"] = nullptr;
  }
  if (!t.token.empty()) o["token"] = t.token;
  return o;
}

}  // namespace nimbus::api
