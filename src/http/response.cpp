// SPDX-License-Identifier: AGPL-3.0-or-later
#include "http/response.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <unicode/utf8.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "http/errors.h"
#include "http/url.h"

namespace nimbus::http {

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

FileDescriptor::~FileDescriptor() {
  if (fd_ >= 0) ::close(fd_);
}

void Response::SetHeader(std::string_view name, std::string_view value) {
  for (auto& [k, v] : headers) {
    if (IEquals(k, name)) {
      v = std::string(value);
      return;
    }
  }
  AddHeader(name, value);
}

void Response::AddHeader(std::string_view name, std::string_view value) {
  headers.emplace_back(std::string(name), std::string(value));
}

std::string_view Response::header(std::string_view name) const {
  const std::string* v = FindHeader(headers, name);
  return v ? std::string_view(*v) : std::string_view();
}

bool Response::has_header(std::string_view name) const {
  return FindHeader(headers, name) != nullptr;
}

std::optional<std::uint64_t> Response::known_length() const {
  if (const auto* s = std::get_if<std::string>(&body)) return s->size();
  if (const auto* v = std::get_if<StaticBody>(&body)) return v->data.size();
  if (const auto* f = std::get_if<FileBody>(&body)) return f->length;
  if (const auto* p = std::get_if<PushBody>(&body)) return p->content_length;
  return std::get<GeneratorBody>(body).content_length;
}

Response JsonResponse(int status, const boost::json::value& value) {
  Response r;
  r.status = status;
  r.body = boost::json::serialize(value);
  r.SetHeader("Content-Type", "application/json; charset=utf-8");
  return r;
}

namespace {

// `s` with each ill-formed UTF-8 sequence replaced by U+FFFD: a message may echo bytes of the
// request (a path, a header) that are not UTF-8, and the body must stay valid JSON text (QA pass
// 17: Python, Go and Rust clients could not read such a 400).
std::string WellFormedUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  const auto n = static_cast<std::int32_t>(s.size());
  for (std::int32_t i = 0; i < n;) {
    const std::int32_t start = i;
    UChar32 c = 0;
    U8_NEXT(p, i, n, c);
    if (c < 0) {
      out += "\xEF\xBF\xBD";
    } else {
      out.append(s.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(i - start)));
    }
  }
  return out;
}

}  // namespace

Response ErrorResponse(int status, std::string_view code, std::string_view message) {
  boost::json::object inner;
  inner["code"] = code;
  inner["message"] = WellFormedUtf8(message);
  boost::json::object outer;
  outer["error"] = std::move(inner);
  return JsonResponse(status, outer);
}

Response ErrorResponse(const Error& error, std::string_view request_id) {
  // A full file system wherever it was met (a disk pair, the database, the upload staging area)
  // is the server's storage being full, and is said so.
  if (error.code == Errc::kIoError && error.message.find("(ENOSPC)") != std::string::npos) {
    return ErrorResponse(Error{Errc::kNoCapacity, error.message}, request_id);
  }
  const ErrorMapping& m = MapError(error.code);
  // quota_exceeded (507) is the user's own limit, and its message is written for them ("needs
  // 12.0 MB but only 3.1 MB of your 1 GB is free"): it is passed on like a 4xx message.
  if (m.status >= 500 && error.code != Errc::kQuotaExceeded) {
    // The real message may name disks, paths or SQL: it goes to the log, not to the client.
    std::string msg = request_id.empty()
                          ? std::string("internal error")
                          : fmt::format("internal error (request id {})", request_id);
    if (error.code == Errc::kIoError &&
        error.message.find(kEveryCopyDamaged) != std::string::npos) {
      // Nothing the user can do but know it: the file is damaged for good, and the admins see
      // it in the scrub report (QA pass 19: "internal error").
      constexpr std::string_view kSentence =
          "This file is damaged on the server and cannot be read: every copy of it failed its "
          "checksum. Your administrator can see it in the disk check (scrub) report";
      msg = request_id.empty() ? fmt::format("{}.", kSentence)
                               : fmt::format("{} (request id {}).", kSentence, request_id);
    } else if (error.code == Errc::kStorageUnavailable) {
      // The storage message names disks; the user needs to know it is not their doing, that
      // nothing changed and that it is worth coming back.
      constexpr std::string_view kSentence =
          "Your files are out of reach right now: the disks that hold them are out of service. "
          "Nothing was changed. Please try again later";
      msg = request_id.empty() ? fmt::format("{}.", kSentence)
                               : fmt::format("{} (request id {}).", kSentence, request_id);
    } else if (error.code == Errc::kNoCapacity &&
               error.message.find("(ENOSPC)") != std::string::npos) {
      constexpr std::string_view kSentence =
          "The server's storage is full, so nothing was saved; your files are safe. The "
          "administrator must make room: please tell them, and try again later";
      msg = request_id.empty() ? fmt::format("{}.", kSentence)
                               : fmt::format("{} (request id {}).", kSentence, request_id);
    } else if (m.status == 503 || m.status == 504) {
      msg = request_id.empty()
                ? "service unavailable, try again later"
                : fmt::format("service unavailable, try again later (request id {})", request_id);
    }
    Response r = ErrorResponse(m.status, m.code, msg);
    r.error = error;
    return r;
  }
  if (error.message.starts_with("sqlite:")) {
    // A constraint of the database (typically: what the request refers to was deleted a moment
    // ago, e.g. by another session or an admin) reached the client as SQL. Say it plainly; the
    // SQL goes to the log.
    spdlog::warn("http: request id {}: {}", request_id, error.message);
    Response r = ErrorResponse(
        m.status, m.code,
        "This could not be done: something it refers to was changed or deleted meanwhile. "
        "Reload the page and try again.");
    r.error = error;
    return r;
  }
  Response r = ErrorResponse(m.status, m.code, error.message);
  r.error = error;
  return r;
}

Response TextResponse(int status, std::string body, std::string_view content_type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.SetHeader("Content-Type", content_type);
  return r;
}

Response EmptyResponse(int status) {
  Response r;
  r.status = status;
  return r;
}

}  // namespace nimbus::http
