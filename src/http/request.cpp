// SPDX-License-Identifier: AGPL-3.0-or-later
#include "http/request.h"

#include <array>

#include "http/url.h"

namespace nimbus::http {

namespace {

constexpr std::array<std::pair<Method, std::string_view>, 14> kMethods = {{
    {Method::kGet, "GET"},
    {Method::kHead, "HEAD"},
    {Method::kPost, "POST"},
    {Method::kPut, "PUT"},
    {Method::kPatch, "PATCH"},
    {Method::kDelete, "DELETE"},
    {Method::kOptions, "OPTIONS"},
    {Method::kPropfind, "PROPFIND"},
    {Method::kProppatch, "PROPPATCH"},
    {Method::kMkcol, "MKCOL"},
    {Method::kCopy, "COPY"},
    {Method::kMove, "MOVE"},
    {Method::kLock, "LOCK"},
    {Method::kUnlock, "UNLOCK"},
}};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::size_t kReadAllChunk = 64 * 1024;

}  // namespace

std::string_view MethodName(Method m) {
  for (const auto& [method, name] : kMethods) {
    if (method == m) return name;
  }
  return "";
}

Method ParseMethod(std::string_view name) {
  for (const auto& [method, n] : kMethods) {
    if (n == name) return method;
  }
  return Method::kOther;
}

std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

const std::string* FindHeader(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return &v;
  }
  return nullptr;
}

Result<void> Request::SetTarget(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return Fail(Errc::kInvalidArgument, "request target must start with '/'");
  }
  target_ = std::string(target);
  auto q = target.find('?');
  std::string_view encoded_path = target.substr(0, q);
  auto path = PercentDecode(encoded_path, false);
  if (!path)
    return Fail(Errc::kInvalidArgument,
                "The address has a '%' that is not followed by two hex digits in its "
                "path: write '%' itself as %25.");
  path_ = std::move(*path);
  raw_query_.clear();
  query_.clear();
  if (q == std::string_view::npos) return {};
  raw_query_ = std::string(target.substr(q + 1));
  std::string_view rest = raw_query_;
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view part = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    auto key = PercentDecode(part.substr(0, eq), true);
    auto value = PercentDecode(eq == std::string_view::npos ? "" : part.substr(eq + 1), true);
    if (!key || !value)
      return Fail(Errc::kInvalidArgument,
                  "The address has a '%' that is not followed by two hex "
                  "digits in its query: write '%' itself as %25.");
    query_.emplace_back(std::move(*key), std::move(*value));
  }
  return {};
}

void Request::AddHeader(std::string_view name, std::string_view value) {
  headers_.emplace_back(std::string(name), std::string(value));
}

std::optional<std::string> Request::query(std::string_view name) const {
  for (const auto& [k, v] : query_) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::string_view Request::header(std::string_view name) const {
  const std::string* v = FindHeader(headers_, name);
  return v ? std::string_view(*v) : std::string_view();
}

bool Request::has_header(std::string_view name) const {
  return FindHeader(headers_, name) != nullptr;
}

std::string_view Request::path_param(std::string_view name) const {
  for (const auto& [k, v] : path_params_) {
    if (k == name) return v;
  }
  return {};
}

net::awaitable<Result<std::size_t>> Request::ReadSome(std::span<char> buf) {
  if (body_done_ || !has_body() || body_ == nullptr || buf.empty()) co_return std::size_t{0};
  auto n = co_await body_->ReadSome(buf);
  if (!n) co_return n;
  if (*n == 0) body_done_ = true;
  body_bytes_read_ += *n;
  co_return n;
}

net::awaitable<Result<std::string>> Request::ReadAll(std::size_t limit) {
  if (content_length_ && *content_length_ > limit) {
    co_return Fail(Errc::kTooLarge,
                   "The request's body has {} bytes, more than the {} this request takes.",
                   *content_length_, limit);
  }
  std::string out;
  while (true) {
    std::size_t old = out.size();
    out.resize(old + kReadAllChunk);
    auto n = co_await ReadSome(std::span<char>(out.data() + old, kReadAllChunk));
    if (!n) co_return std::unexpected(n.error());
    out.resize(old + *n);
    if (*n == 0) break;
    if (out.size() > limit) {
      co_return Fail(Errc::kTooLarge,
                     "The request's body is longer than the {} bytes this request takes.", limit);
    }
  }
  co_return out;
}

void Request::Complete(const Completion& c) {
  if (completed_) return;
  completed_ = true;
  for (auto& fn : on_complete_) fn(*this, c);
}

}  // namespace nimbus::http
