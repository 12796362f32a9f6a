// HttpClient: a raw-socket HTTP/1.1 client for tests. It sends arbitrary bytes (so malformed
// requests are possible), parses one response at a time and reports a peer close as a value.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"

namespace nimbus::test {

using Headers = std::vector<std::pair<std::string, std::string>>;

// One parsed HTTP response. The body is already de-chunked.
struct HttpResponse {
  std::string version;  // "HTTP/1.1"
  int status = 0;
  std::string reason;
  Headers headers;  // In the order received, names as sent by the server.
  std::string body;
  bool chunked = false;  // The body came with Transfer-Encoding: chunked.

  // The first header named `name` (case-insensitive), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
  // The value of `name`, or "" when absent.
  std::string HeaderOr(std::string_view name, std::string_view fallback = "") const;
  bool HasHeader(std::string_view name) const { return Header(name).has_value(); }
  // Every value of `name` (case-insensitive), e.g. for repeated Set-Cookie.
  std::vector<std::string> HeaderValues(std::string_view name) const;
};

// Case-insensitive ASCII comparison, for header names and tokens.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// True when `haystack` contains `needle`, ignoring ASCII case.
bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle);

// A single TCP connection to 127.0.0.1:port. Not thread-safe; one test thread drives it.
// Errors: kIoError (socket errors, connect refused), kTimeout (nothing within the timeout),
// kUnavailable (the peer closed or reset the connection; then peer_closed() is true),
// kInvalidArgument (the server sent something that is not HTTP/1.x).
class HttpClient {
 public:
  static constexpr std::chrono::milliseconds kDefaultTimeout{5000};

  // Connects to 127.0.0.1:port (blocking connect, bounded by `timeout`).
  static Result<HttpClient> Connect(std::uint16_t port,
                                    std::chrono::milliseconds timeout = kDefaultTimeout);

  HttpClient(HttpClient&& other) noexcept;
  HttpClient& operator=(HttpClient&& other) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient();

  // Sends `bytes` exactly as given. kUnavailable if the peer has closed (EPIPE/ECONNRESET).
  Result<void> SendRaw(std::string_view bytes);

  // Reads and parses one response (status line, headers, body by Content-Length, chunked
  // encoding or read-to-close). `head_request` means the response has no body. A 1xx interim
  // response is returned as is; call again for the final one. Bytes past the response stay
  // buffered for the next call (pipelining, keep-alive).
  Result<HttpResponse> ReadResponse(std::chrono::milliseconds timeout = kDefaultTimeout,
                                    bool head_request = false);

  // Sends a request and reads its response. Adds `Host` unless given, and `Content-Length` when
  // `body` is non-empty or the method is POST/PUT/PATCH (unless the caller set Content-Length or
  // Transfer-Encoding). The connection stays open for reuse (HTTP/1.1 keep-alive).
  Result<HttpResponse> Request(std::string_view method, std::string_view target,
                               const Headers& headers = {}, std::string_view body = {},
                               std::chrono::milliseconds timeout = kDefaultTimeout);
  Result<HttpResponse> Get(std::string_view target, const Headers& headers = {},
                           std::chrono::milliseconds timeout = kDefaultTimeout);

  // Waits up to `timeout` for the peer to close the connection (EOF or reset). Any bytes that
  // arrive meanwhile are appended to the internal buffer (see TakeBuffered()). Returns true
  // when the peer closed within the timeout.
  bool WaitForPeerClose(std::chrono::milliseconds timeout);

  // Returns and clears bytes received but not yet consumed by ReadResponse().
  std::string TakeBuffered();

  // True once a read saw EOF or a reset, or a send saw EPIPE/ECONNRESET.
  bool peer_closed() const { return peer_closed_; }
  std::uint16_t port() const { return port_; }
  // Closes our side now (also done by the destructor).
  void Close();

 private:
  HttpClient(int fd, std::uint16_t port) : fd_(fd), port_(port) {}

  // Receives more bytes into buffer_ before `deadline`; kTimeout or kUnavailable otherwise.
  Result<void> Fill(std::chrono::steady_clock::time_point deadline);
  // Ensures buffer_ holds at least `n` bytes.
  Result<void> FillTo(std::size_t n, std::chrono::steady_clock::time_point deadline);
  // Returns the next CRLF-terminated line (without CRLF), consuming it.
  Result<std::string> ReadLine(std::chrono::steady_clock::time_point deadline);
  Result<std::string> ReadChunkedBody(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::uint16_t port_ = 0;
  bool peer_closed_ = false;
  std::string buffer_;  // Received bytes not yet consumed by a parsed response.
};

// Connects, sends one GET and returns the response: a one-liner for simple checks.
Result<HttpResponse> HttpGet(std::uint16_t port, std::string_view target,
                             const Headers& headers = {});

}  // namespace nimbus::test
