// Request: one HTTP request as handlers see it: method, target, decoded path and query, headers,
// route parameters, and a body that streams (ReadSome) or is read whole for JSON (ReadAll).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <any>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <typeindex>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "util/result.h"

namespace nimbus::http {

namespace net = boost::asio;

enum class Method {
  kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions,
  // WebDAV (RFC 4918).
  kPropfind, kProppatch, kMkcol, kCopy, kMove, kLock, kUnlock,
  kOther,  // Any other token; Request::method_string() has it.
};

// "GET" for kGet; "" for kOther.
std::string_view MethodName(Method m);
// kOther when `name` is not one of the known methods (case-sensitive, as HTTP is).
Method ParseMethod(std::string_view name);

struct RouteOptions;

// Where the body bytes come from; implemented by the transport (session.cpp) and by tests.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Reads up to buf.size() body bytes; 0 at the end of the body. kTimeout when the client makes
  // no progress for body_timeout_s (the connection is then closed), kIoError on a broken body.
  virtual net::awaitable<Result<std::size_t>> ReadSome(std::span<char> buf) = 0;
};

// What the transport reports once the response is written (or the connection broke).
struct Completion {
  int status = 0;
  std::uint64_t bytes_in = 0;   // Body bytes read from the client.
  std::uint64_t bytes_out = 0;  // Body bytes written (headers not counted).
  bool aborted = false;         // The connection broke before the response was complete.
};

// One request. Owned by the connection's coroutine; handlers get it by reference and must not
// keep it past their return. Not thread-safe (a request lives on one connection's strand).
class Request {
 public:
  Request() = default;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  // --- Set by the transport (or by tests) -------------------------------------------------
  // Parses `target` (origin form, e.g. "/a%20b?x=1&y"). kInvalidArgument on a bad escape or a
  // target that does not start with '/'.
  Result<void> SetTarget(std::string_view target);
  void set_method(std::string_view name) { method_string_ = std::string(name); method_ = ParseMethod(name); }
  void AddHeader(std::string_view name, std::string_view value);
  void set_body(BodySource* body, std::optional<std::uint64_t> content_length, bool chunked) {
    body_ = body; content_length_ = content_length; chunked_ = chunked;
  }
  void set_remote_address(std::string addr) { remote_address_ = std::move(addr); }
  // Who the access log names ("user 42"), set by the auth middleware once it knows.
  void set_log_user(std::int64_t id) { log_user_ = id; }
  void set_request_id(std::string id) { request_id_ = std::move(id); }
  void set_tls(bool tls) { tls_ = tls; }
  void set_max_json_body_bytes(std::size_t n) { max_json_body_bytes_ = n; }

  // --- Set by the router ----------------------------------------------------------------
  void set_route(std::string_view route_template, const RouteOptions* options) {
    route_ = route_template; route_options_ = options;
  }
  void set_path_params(std::vector<std::pair<std::string, std::string>> params) {
    path_params_ = std::move(params);
  }

  // --- Read by handlers and middleware ----------------------------------------------------
  Method method() const { return method_; }
  const std::string& method_string() const { return method_string_; }  // As sent: "GET".
  const std::string& target() const { return target_; }                // Raw: "/a%20b?x=1".
  const std::string& path() const { return path_; }                    // Decoded: "/a b".
  const std::string& raw_query() const { return raw_query_; }          // "x=1" (no '?').
  // The first value of query parameter `name`, decoded ('+' is a space); nullopt if absent,
  // "" for "?name" or "?name=".
  std::optional<std::string> query(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& query_params() const { return query_; }
  // The first value of header `name` (case-insensitive); "" when absent.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  // The decoded value of `{name}` in the matched route ("" if the route has no such param).
  // For a `{*rest}` wildcard: the decoded rest of the path without the leading '/'.
  std::string_view path_param(std::string_view name) const;
  // Content-Length as sent; nullopt for a chunked body (or none at all: then has_body() is false).
  std::optional<std::uint64_t> content_length() const { return content_length_; }
  bool has_body() const { return chunked_ || content_length_.value_or(0) > 0; }
  // The matched route template ("/api/v1/nodes/{id}"), "" when no route matched.
  const std::string& route() const { return route_; }
  const RouteOptions* route_options() const { return route_options_; }
  const std::string& request_id() const { return request_id_; }
  const std::string& remote_address() const { return remote_address_; }
  std::int64_t log_user() const { return log_user_; }  // 0: nobody signed in.
  bool tls() const { return tls_; }
  std::chrono::steady_clock::time_point start_time() const { return start_; }

  // Streams the body: reads up to buf.size() bytes, 0 at the end of the body. Sends
  // `100 Continue` first if the client asked for it. Errors: see BodySource::ReadSome.
  net::awaitable<Result<std::size_t>> ReadSome(std::span<char> buf);
  // Reads the whole body (for JSON). kTooLarge as soon as it passes `limit` bytes (also when
  // Content-Length says so, before reading anything).
  net::awaitable<Result<std::string>> ReadAll(std::size_t limit);
  // ReadAll with the server's max_json_body_bytes (ServerOptions) as the limit.
  net::awaitable<Result<std::string>> ReadAll() { return ReadAll(max_json_body_bytes_); }
  std::uint64_t body_bytes_read() const { return body_bytes_read_; }
  bool body_complete() const { return body_done_ || !has_body(); }

  // Typed attribute slot for middleware (e.g. the authenticated user): Set<T>(v), Get<T>().
  template <class T>
  void Set(T value) { attributes_[std::type_index(typeid(T))] = std::move(value); }
  // The value stored with Set<T>, or nullptr.
  template <class T>
  const T* Get() const {
    auto it = attributes_.find(std::type_index(typeid(T)));
    return it == attributes_.end() ? nullptr : std::any_cast<T>(&it->second);
  }

  // Registers `fn` to run once the response is written (access log, metrics).
  void OnComplete(std::function<void(const Request&, const Completion&)> fn) {
    on_complete_.push_back(std::move(fn));
  }
  // Called by the transport exactly once per request.
  void Complete(const Completion& c);

 private:
  Method method_ = Method::kGet;
  std::string method_string_ = "GET";
  std::string target_ = "/";
  std::string path_ = "/";
  std::string raw_query_;
  std::vector<std::pair<std::string, std::string>> query_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::vector<std::pair<std::string, std::string>> path_params_;
  std::optional<std::uint64_t> content_length_;
  bool chunked_ = false;
  BodySource* body_ = nullptr;
  std::uint64_t body_bytes_read_ = 0;
  bool body_done_ = false;
  std::string route_;
  const RouteOptions* route_options_ = nullptr;
  std::string request_id_;
  std::string remote_address_;
  std::int64_t log_user_ = 0;
  bool tls_ = false;
  std::size_t max_json_body_bytes_ = 1 << 20;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::map<std::type_index, std::any> attributes_;
  std::vector<std::function<void(const Request&, const Completion&)>> on_complete_;
  bool completed_ = false;
};

}  // namespace nimbus::http
