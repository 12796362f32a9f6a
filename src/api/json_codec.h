// JSON in and out for the account endpoints: reading a request's JSON object body and its
// fields (errors are 400 invalid_request with a sentence naming the field), and the JSON of
// users, profiles, sessions and tokens as api.md spells them.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/account_types.h"
#include "http/request.h"
#include "util/result.h"

namespace nimbus::api {

namespace net = boost::asio;

// The body as a JSON object. kInvalidArgument when it is not one; kTooLarge past the limit.
// An empty body is an empty object.
net::awaitable<Result<boost::json::object>> ReadJsonObject(http::Request& req);
// A string field. kInvalidArgument "… 'email' …" when missing (unless `optional`) or not a string.
Result<std::optional<std::string>> StringField(const boost::json::object& o, std::string_view key,
                                               bool optional = false);
Result<std::string> RequiredString(const boost::json::object& o, std::string_view key);
// A boolean field; nullopt when absent. kInvalidArgument when not a boolean.
Result<std::optional<bool>> BoolField(const boost::json::object& o, std::string_view key);

// "2026-11-25T15:16:59.123Z" from milliseconds since the epoch.
std::string Timestamp(std::int64_t ms);
boost::json::object UserJson(const core::User& u);
// A user with their plan, usage and billing standing (the admin users list; /me adds csrf_token).
boost::json::object AccountJson(const core::Profile& p);
boost::json::object ProfileJson(const core::Profile& p, const core::Principal& who);
boost::json::object SessionJson(const core::SessionInfo& s);
boost::json::object TokenJson(const core::ApiTokenInfo& t);

}  // namespace nimbus::api
