// Response: what a handler returns: status, headers and a body that is a string, a file range
// (sendfile on plain TCP), a generator (pulled) or a producer (pushes; both streamed, chunked
// unless the length is known).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/fwd.hpp>

#include "util/result.h"

namespace nimbus::http {

namespace net = boost::asio;

// An owned file descriptor (move-only); closes it on destruction.
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& o) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// A byte range of a file. Either `fd` is valid (the response owns it) or `path` is opened by
// the server when sending (a failure to open then gives 404/500 before any byte is written).
struct FileBody {
  FileDescriptor fd;
  std::string path;
  std::uint64_t offset = 0;
  std::optional<std::uint64_t> length;  // nullopt: to the end of the file.
};

// Fills the buffer with the next bytes of the body; returns how many, 0 at the end. An error
// aborts the response (the connection is closed, the client sees a truncated body).
using BodyGenerator = std::function<net::awaitable<Result<std::size_t>>(std::span<char>)>;

struct GeneratorBody {
  BodyGenerator next;
  std::optional<std::uint64_t> content_length;  // Known: sent with Content-Length, else chunked.
};

// Where a PushBody's producer writes: each Write goes to the socket through the response
// serializer (chunk framing when the length is unknown) before it completes, without a copy.
class BodyWriter {
 public:
  virtual ~BodyWriter() = default;
  // Sends `data` (empty is a no-op). kIoError when the client went away or stopped reading
  // (timeout); the producer should then stop and return that error.
  virtual net::awaitable<Result<void>> Write(std::span<const char> data) = 0;
};

// A body the handler pushes (e.g. a blob read from the storage engine, a zip being built):
// `produce` is called once, on the connection's executor, after the response header is decided
// and writes the whole body. An error before any byte was written becomes its error response
// (ErrorResponse: a 503 for kStorageUnavailable, a 500 for kIoError); after
// that the connection is closed (the client sees a truncated body). With content_length, the
// producer must write exactly that many bytes (fewer or more is treated as an error). For HEAD
// and bodiless statuses `produce` is not called.
struct PushBody {
  std::function<net::awaitable<Result<void>>(BodyWriter&)> produce;
  std::optional<std::uint64_t> content_length;  // Known: sent with Content-Length, else chunked.
};

// Bytes that outlive every response (the embedded web assets): sent without a copy.
struct StaticBody {
  std::string_view data;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::variant<std::string, StaticBody, FileBody, GeneratorBody, PushBody> body;
  bool close = false;  // Close the connection after this response.
  // The error this response reports, set by ErrorResponse(const Error&). The error middleware
  // logs a 5xx one once (with the request id) and puts the request id into the client message.
  std::optional<Error> error;

  // Replaces header `name` (case-insensitive) or adds it.
  void SetHeader(std::string_view name, std::string_view value);
  // Appends a header (for repeated ones such as Set-Cookie).
  void AddHeader(std::string_view name, std::string_view value);
  // The first value of `name` (case-insensitive), "" when absent.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  // The body length when known (string, file with a length, generator or push body with
  // content_length).
  std::optional<std::uint64_t> known_length() const;
};

// 200/201/...: `value` serialised, Content-Type: application/json; charset=utf-8.
Response JsonResponse(int status, const boost::json::value& value);
// The status and code of `error` from the table in errors.cpp, body
// {"error":{"code":…,"message":…}}. For 5xx the message is generic and names `request_id`
// (the real message belongs in the log, which ErrorMiddleware writes).
Response ErrorResponse(const Error& error, std::string_view request_id = "");
Response ErrorResponse(int status, std::string_view code, std::string_view message);
// text/plain; charset=utf-8.
Response TextResponse(int status, std::string body,
                      std::string_view content_type = "text/plain; charset=utf-8");
// No body (204, 304, ...).
Response EmptyResponse(int status);

}  // namespace nimbus::http
