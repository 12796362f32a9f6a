// SPDX-License-Identifier: AGPL-3.0-or-later
#include "support/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace nimbus::test {
namespace {

using Clock = std::chrono::steady_clock;

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

// Waits for `events` on fd until `deadline`: 1 ready, 0 timed out, -1 error (errno set).
int PollUntil(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, RemainingMs(deadline));
    if (rc < 0 && errno == EINTR) continue;
    return rc;
  }
}

bool IsCloseErrno(int e) { return e == ECONNRESET || e == EPIPE || e == ENOTCONN; }

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char x, char y) { return Lower(x) == Lower(y); });
  return it != haystack.end() || needle.empty();
}

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return std::nullopt;
}

std::string HttpResponse::HeaderOr(std::string_view name, std::string_view fallback) const {
  auto v = Header(name);
  return v ? *v : std::string(fallback);
}

std::vector<std::string> HttpResponse::HeaderValues(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) out.push_back(v);
  }
  return out;
}

Result<HttpClient> HttpClient::Connect(std::uint16_t port, std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Fail(Errc::kIoError, "socket: {}", std::strerror(errno));
  HttpClient client(fd, port);  // Owns fd from here on.
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) {
      return Fail(Errc::kIoError, "connect 127.0.0.1:{}: {}", port, std::strerror(errno));
    }
    int rc = PollUntil(fd, POLLOUT, Clock::now() + timeout);
    if (rc == 0) return Fail(Errc::kTimeout, "connect 127.0.0.1:{}: timed out", port);
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (rc < 0 || err != 0) {
      return Fail(Errc::kIoError, "connect 127.0.0.1:{}: {}", port,
                  std::strerror(rc < 0 ? errno : err));
    }
  }
  return client;
}

HttpClient::HttpClient(HttpClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      port_(other.port_),
      peer_closed_(other.peer_closed_),
      buffer_(std::move(other.buffer_)) {}

HttpClient& HttpClient::operator=(HttpClient&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    port_ = other.port_;
    peer_closed_ = other.peer_closed_;
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

HttpClient::~HttpClient() { Close(); }

void HttpClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<void> HttpClient::SendRaw(std::string_view bytes) {
  if (fd_ < 0) return Fail(Errc::kIoError, "send on a closed client");
  auto deadline = Clock::now() + kDefaultTimeout;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (PollUntil(fd_, POLLOUT, deadline) <= 0) {
        return Fail(Errc::kTimeout, "send: peer does not read ({} bytes left)", bytes.size());
      }
      continue;
    }
    if (IsCloseErrno(errno)) {
      peer_closed_ = true;
      return Fail(Errc::kUnavailable, "send: connection closed by peer ({})", std::strerror(errno));
    }
    return Fail(Errc::kIoError, "send: {}", std::strerror(errno));
  }
  return {};
}

Result<void> HttpClient::Fill(Clock::time_point deadline) {
  if (fd_ < 0) return Fail(Errc::kIoError, "read on a closed client");
  if (peer_closed_) return Fail(Errc::kUnavailable, "connection closed by peer");
  while (true) {
    char buf[16384];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      buffer_.append(buf, static_cast<std::size_t>(n));
      return {};
    }
    if (n == 0) {
      peer_closed_ = true;
      return Fail(Errc::kUnavailable, "connection closed by peer");
    }
    if (errno == EINTR) continue;
    if (IsCloseErrno(errno)) {
      peer_closed_ = true;
      return Fail(Errc::kUnavailable, "connection reset by peer");
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return Fail(Errc::kIoError, "recv: {}", std::strerror(errno));
    }
    int rc = PollUntil(fd_, POLLIN, deadline);
    if (rc == 0) return Fail(Errc::kTimeout, "timed out waiting for the server");
    if (rc < 0) return Fail(Errc::kIoError, "poll: {}", std::strerror(errno));
  }
}

Result<void> HttpClient::FillTo(std::size_t n, Clock::time_point deadline) {
  while (buffer_.size() < n) {
    auto r = Fill(deadline);
    if (!r) return r;
  }
  return {};
}

Result<std::string> HttpClient::ReadLine(Clock::time_point deadline) {
  std::size_t pos;
  while ((pos = buffer_.find("\r\n")) == std::string::npos) {
    auto r = Fill(deadline);
    if (!r) return std::unexpected(r.error());
  }
  std::string line = buffer_.substr(0, pos);
  buffer_.erase(0, pos + 2);
  return line;
}

Result<std::string> HttpClient::ReadChunkedBody(Clock::time_point deadline) {
  std::string body;
  while (true) {
    auto line = ReadLine(deadline);
    if (!line) return line;
    std::string_view size_text = Trim(std::string_view(*line).substr(0, line->find(';')));
    std::size_t size = 0;
    auto [end, ec] =
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (ec != std::errc() || end != size_text.data() + size_text.size() || size_text.empty()) {
      return Fail(Errc::kInvalidArgument, "bad chunk size line '{}'", *line);
    }
    if (size == 0) break;
    if (auto r = FillTo(size + 2, deadline); !r) return std::unexpected(r.error());
    if (buffer_.compare(size, 2, "\r\n") != 0) {
      return Fail(Errc::kInvalidArgument, "chunk of {} bytes not followed by CRLF", size);
    }
    body.append(buffer_, 0, size);
    buffer_.erase(0, size + 2);
  }
  while (true) {  // Trailer fields, up to the empty line.
    auto line = ReadLine(deadline);
    if (!line) return line;
    if (line->empty()) break;
  }
  return body;
}

Result<HttpResponse> HttpClient::ReadResponse(std::chrono::milliseconds timeout,
                                              bool head_request) {
  auto deadline = Clock::now() + timeout;
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    auto r = Fill(deadline);
    if (!r) return std::unexpected(r.error());
  }
  std::string head = buffer_.substr(0, end + 2);
  buffer_.erase(0, end + 4);

  HttpResponse resp;
  std::string_view rest(head);
  std::size_t eol = rest.find("\r\n");
  std::string_view status_line = rest.substr(0, eol);
  rest.remove_prefix(eol + 2);
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ') {
    return Fail(Errc::kInvalidArgument, "not an HTTP/1.x status line: '{}'", status_line);
  }
  resp.version = std::string(status_line.substr(0, 8));
  std::string_view code = status_line.substr(9, 3);
  auto [p, ec] = std::from_chars(code.data(), code.data() + code.size(), resp.status);
  if (ec != std::errc() || p != code.data() + 3) {
    return Fail(Errc::kInvalidArgument, "bad status code in '{}'", status_line);
  }
  resp.reason = std::string(Trim(status_line.substr(12)));
  while (!rest.empty()) {
    eol = rest.find("\r\n");
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol + 2);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Fail(Errc::kInvalidArgument, "bad header line '{}'", line);
    }
    resp.headers.emplace_back(std::string(line.substr(0, colon)),
                              std::string(Trim(line.substr(colon + 1))));
  }

  bool no_body = head_request || resp.status < 200 || resp.status == 204 || resp.status == 304;
  if (no_body) return resp;
  auto te = resp.Header("Transfer-Encoding");
  if (te && ContainsIgnoreCase(*te, "chunked")) {
    auto body = ReadChunkedBody(deadline);
    if (!body) return std::unexpected(body.error());
    resp.body = std::move(*body);
    resp.chunked = true;
    return resp;
  }
  if (auto cl = resp.Header("Content-Length")) {
    std::size_t n = 0;
    auto [q, ec2] = std::from_chars(cl->data(), cl->data() + cl->size(), n);
    if (ec2 != std::errc() || q != cl->data() + cl->size()) {
      return Fail(Errc::kInvalidArgument, "bad Content-Length '{}'", *cl);
    }
    if (auto r = FillTo(n, deadline); !r) return std::unexpected(r.error());
    resp.body = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return resp;
  }
  // No framing: the body runs to the end of the connection.
  while (true) {
    auto r = Fill(deadline);
    if (!r && r.error().code == Errc::kUnavailable) break;
    if (!r) return std::unexpected(r.error());
  }
  resp.body = std::move(buffer_);
  buffer_.clear();
  return resp;
}

Result<HttpResponse> HttpClient::Request(std::string_view method, std::string_view target,
                                         const Headers& headers, std::string_view body,
                                         std::chrono::milliseconds timeout) {
  auto has = [&headers](std::string_view name) {
    return std::any_of(headers.begin(), headers.end(),
                       [name](const auto& h) { return EqualsIgnoreCase(h.first, name); });
  };
  std::string req;
  req.reserve(256 + body.size());
  req.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  if (!has("Host")) req.append("Host: 127.0.0.1:").append(std::to_string(port_)).append("\r\n");
  for (const auto& [k, v] : headers) req.append(k).append(": ").append(v).append("\r\n");
  bool wants_length = !body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
  if (wants_length && !has("Content-Length") && !has("Transfer-Encoding")) {
    req.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  req.append("\r\n").append(body);
  if (auto r = SendRaw(req); !r) {
    // A server that answers before the whole body (413, 507) and closes makes the rest of the
    // send fail; its answer may be waiting, as a browser or curl would read it.
    if (r.error().code != Errc::kUnavailable) return std::unexpected(r.error());
    peer_closed_ = false;
    auto early = ReadResponse(timeout, method == "HEAD");
    if (early) return early;
    return std::unexpected(r.error());
  }
  return ReadResponse(timeout, method == "HEAD");
}

Result<HttpResponse> HttpClient::Get(std::string_view target, const Headers& headers,
                                     std::chrono::milliseconds timeout) {
  return Request("GET", target, headers, {}, timeout);
}

bool HttpClient::WaitForPeerClose(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!peer_closed_) {
    auto r = Fill(deadline);
    if (!r && r.error().code != Errc::kUnavailable) return false;  // Timeout or socket error.
  }
  return true;
}

std::string HttpClient::TakeBuffered() { return std::exchange(buffer_, std::string()); }

Result<HttpResponse> HttpGet(std::uint16_t port, std::string_view target, const Headers& headers) {
  auto client = HttpClient::Connect(port);
  if (!client) return std::unexpected(client.error());
  return client->Get(target, headers);
}

}  // namespace nimbus::test
