// SPDX-License-Identifier: AGPL-3.0-or-later
// One coroutine per connection, after the Beast 1.81 flex-awaitable example: read the header
// alone, hand a streaming body to the pipeline, write the response (string, file, generator,
// push body).
#include "http/session.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <vector>

#include "http/errors.h"
#include "http/middleware/middleware.h"
#include "http/transport.h"

namespace nimbus::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto kToken = net::as_tuple(net::use_awaitable);
constexpr std::size_t kChunk = 64 * 1024;      // Body buffers, in and out.
constexpr std::size_t kMaxDrain = 256 * 1024;  // Unread body we discard to keep the connection.
// After a final answer, what the client still sends is read and dropped, until it pauses for
// kLingerPause (nginx's lingering_timeout) and for kLingerTime at most (lingering_time); for a
// request whose body was read whole, only a moment (kShortLinger).
constexpr auto kLingerTime = std::chrono::seconds(30);
constexpr auto kLingerPause = std::chrono::seconds(2);
constexpr auto kShortLinger = std::chrono::seconds(1);

using Parser = bhttp::request_parser<bhttp::buffer_body>;
using Message = bhttp::response<bhttp::buffer_body>;

bool IsHttpError(const boost::system::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

std::chrono::seconds Secs(int s) { return std::chrono::seconds(std::max(s, 1)); }

beast::tcp_stream& Tcp(Transport& t) { return t.tcp(); }

// The per-request state the body reader and the response writer share.
class Exchange final : public BodySource {
 public:
  Exchange(Transport& stream, beast::flat_buffer& buffer, Parser& parser, const ServerOptions& opts)
      : stream_(stream), buffer_(buffer), parser_(parser), opts_(opts) {}

  bool continue_pending = false;  // Client sent Expect: 100-continue and got no 100 yet.
  bool broken = false;            // The body failed (timeout, bad chunk): close afterwards.
  std::uint64_t drained = 0;

  // The whole body has been read: by the parser, or directly (see ReadSome).
  bool BodyDone() const { return parser_.is_done() || (length_ && body_seen_ == *length_); }
  // The declared body bytes not read yet; nullopt for a chunked body.
  std::optional<std::uint64_t> Unread() const {
    if (BodyDone()) return 0;
    if (!length_) return std::nullopt;
    return *length_ - body_seen_;
  }

  net::awaitable<Result<std::size_t>> ReadSome(std::span<char> buf) override {
    if (BodyDone() || buf.empty()) co_return std::size_t{0};
    if (broken) co_return Fail(Errc::kIoError, "request body already failed");
    if (continue_pending) {
      continue_pending = false;
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
      Tcp(stream_).expires_after(Secs(opts_.body_timeout_s));
      auto [ec, n] = co_await bhttp::async_write(stream_, cont, kToken);
      if (ec) {
        broken = true;
        co_return Fail(Errc::kIoError, "writing 100 Continue: {}", ec.message());
      }
    }
    // A body of known length whose bytes are not in `buffer_` yet is read straight from the
    // socket into `buf`, never past its end (the next request stays in the socket). Through the
    // parser every byte was copied once more (socket → buffer_ → buf) in reads of at most 64 KiB;
    // on a large upload that was a good part of the io thread's time. The parser is not used
    // for this request again: BodyDone() counts the bytes.
    if (length_ && buffer_.size() == 0) {
      const std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), *length_ - body_seen_));
      Tcp(stream_).expires_after(Secs(opts_.body_timeout_s));
      auto [ec, n] = co_await stream_.async_read_some(net::buffer(buf.data(), want), kToken);
      if (ec == net::error::eof) ec = bhttp::error::partial_message;  // As the parser says it.
      if (ec) co_return Fail(BodyError(ec));
      body_seen_ += n;
      co_return n;
    }
    // A read may only parse chunk framing; loop until body bytes arrive or the body ends.
    while (true) {
      parser_.get().body().data = buf.data();
      parser_.get().body().size = buf.size();
      Tcp(stream_).expires_after(Secs(opts_.body_timeout_s));
      auto [ec, n] = co_await bhttp::async_read_some(stream_, buffer_, parser_, kToken);
      if (ec == bhttp::error::need_buffer) ec = {};
      std::size_t got = buf.size() - parser_.get().body().size;
      if (ec) co_return Fail(BodyError(ec));
      body_seen_ += got;
      if (got > 0 || parser_.is_done()) co_return got;
    }
  }

  // Reads and discards up to `limit` unread body bytes; true when the body is then complete.
  net::awaitable<bool> Drain(std::size_t limit) {
    std::array<char, 16 * 1024> scratch;
    while (!BodyDone() && !broken && drained <= limit) {
      auto n = co_await ReadSome(scratch);
      if (!n) co_return false;
      drained += *n;
    }
    co_return BodyDone() && !broken;
  }

 private:
  // A failed body read, for the handler; the body is broken from then on.
  Error BodyError(const beast::error_code& ec) {
    broken = true;
    if (ec == beast::error::timeout) {
      return Error{Errc::kRequestTimeout,
                   fmt::format("request body: no progress for {} s", opts_.body_timeout_s)};
    }
    // The client went away before the end of its body (a cut connection, a closed tab): its
    // doing, not the server's (499, not a 5xx that counts as an outage).
    if (ec == bhttp::error::partial_message || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::broken_pipe ||
        ec == bhttp::error::end_of_stream) {
      return Error{Errc::kClientGone,
                   fmt::format("the client closed the connection mid-body: {}", ec.message())};
    }
    if (IsHttpError(ec)) {
      return Error{Errc::kInvalidArgument, fmt::format("malformed request body: {}", ec.message())};
    }
    return Error{Errc::kIoError, fmt::format("reading the request body: {}", ec.message())};
  }

  Transport& stream_;
  beast::flat_buffer& buffer_;
  Parser& parser_;
  // The body's length when the request has a Content-Length (not chunked), and the body bytes
  // read so far by either path.
  std::optional<std::uint64_t> length_ =
      parser_.content_length() && !parser_.chunked()
          ? std::optional<std::uint64_t>(*parser_.content_length())
          : std::nullopt;
  std::uint64_t body_seen_ = 0;
  const ServerOptions& opts_;
};

struct WriteResult {
  std::uint64_t bytes_out = 0;
  bool ok = false;
};

// Waits until the socket is writable, at most `timeout`; false on timeout or error.
net::awaitable<bool> WaitWritable(tcp::socket& sock, std::chrono::seconds timeout) {
  net::steady_timer timer(sock.get_executor());
  timer.expires_after(timeout);
  // Named, and not in a statement with co_await (GCC 12 coroutine bug, toolchain-notes §2).
  auto on_timeout = [&sock](const boost::system::error_code& ec) {
    if (!ec) sock.cancel();
  };
  timer.async_wait(on_timeout);
  auto [ec] = co_await sock.async_wait(tcp::socket::wait_write, kToken);
  timer.cancel();
  co_return !ec;
}

// Sends [offset, offset+length) of `fd` with sendfile(2): plain TCP only.
net::awaitable<WriteResult> SendFileZeroCopy(tcp::socket& sock, int fd, std::uint64_t offset,
                                             std::uint64_t length, std::chrono::seconds timeout) {
  WriteResult r;
  boost::system::error_code ec;
  sock.native_non_blocking(true, ec);
  if (ec) co_return r;
  off_t off = static_cast<off_t>(offset);
  std::uint64_t remaining = length;
  while (remaining > 0) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, 1 << 20));
    ssize_t n = ::sendfile(sock.native_handle(), fd, &off, want);
    if (n > 0) {
      remaining -= static_cast<std::uint64_t>(n);
      r.bytes_out += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n == 0) co_return r;  // The file is shorter than announced: abort the response.
    if (errno == EINTR) continue;
    if (errno != EAGAIN) co_return r;
    if (!co_await WaitWritable(sock, timeout)) co_return r;
  }
  r.ok = true;
  co_return r;
}

// Writes the header of `msg` and then the body produced by `next` through the serializer
// (chunked framing when msg.chunked()).
// One instantiation per stream type: every body kind comes through a BodyGenerator.
net::awaitable<WriteResult> WriteStreamed(Transport& stream, Message& msg, bool head,
                                          std::chrono::seconds timeout, const BodyGenerator& next) {
  WriteResult r;
  bhttp::response_serializer<bhttp::buffer_body> sr{msg};
  if (head) {
    msg.body().data = nullptr;
    msg.body().more = true;
    Tcp(stream).expires_after(timeout);
    auto [hec, hn] = co_await bhttp::async_write_header(stream, sr, kToken);
    r.ok = !hec;
    co_return r;
  }
  // The header goes out together with the first body bytes (one write, no Nagle delay).
  std::vector<char> buf(kChunk);
  while (true) {
    Result<std::size_t> n = co_await next(std::span<char>(buf));
    if (!n) co_return r;
    msg.body().data = *n > 0 ? buf.data() : nullptr;
    msg.body().size = *n;
    msg.body().more = *n > 0;
    Tcp(stream).expires_after(timeout);
    auto [ec, wn] = co_await bhttp::async_write(stream, sr, kToken);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) co_return r;
    r.bytes_out += *n;
    if (*n == 0) break;
  }
  r.ok = true;
  co_return r;
}

// The BodyWriter of a PushBody: every Write goes through the serializer (header first, with the
// first bytes), completes when the bytes are handed to the socket.
class SerializerWriter final : public BodyWriter {
 public:
  SerializerWriter(Transport& stream, Message& msg, std::chrono::seconds timeout)
      : stream_(stream), msg_(msg), sr_(msg), timeout_(timeout) {}

  net::awaitable<Result<void>> Write(std::span<const char> data) override {
    if (failed_) co_return Fail(Errc::kIoError, "the response was aborted");
    if (data.empty()) co_return Result<void>{};
    msg_.body().data = const_cast<char*>(data.data());
    msg_.body().size = data.size();
    msg_.body().more = true;
    Tcp(stream_).expires_after(timeout_);
    auto [ec, n] = co_await bhttp::async_write(stream_, sr_, kToken);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) {
      failed_ = true;
      co_return Fail(Errc::kIoError, "writing the response body: {}", ec.message());
    }
    written_ += data.size();
    co_return Result<void>{};
  }

  // Ends the body (the last chunk when chunked).
  net::awaitable<bool> Finish() {
    if (failed_) co_return false;
    msg_.body().data = nullptr;
    msg_.body().size = 0;
    msg_.body().more = false;
    Tcp(stream_).expires_after(timeout_);
    auto [ec, n] = co_await bhttp::async_write(stream_, sr_, kToken);
    if (ec == bhttp::error::need_buffer) ec = {};
    co_return !ec;
  }

  std::uint64_t written() const { return written_; }
  bool failed() const { return failed_; }  // The socket broke (not the producer).

 private:
  Transport& stream_;
  Message& msg_;
  bhttp::response_serializer<bhttp::buffer_body> sr_;
  std::chrono::seconds timeout_;
  std::uint64_t written_ = 0;
  bool failed_ = false;
};

// Runs a PushBody's producer into the serializer. A producer error before the first byte gives
// the client that error's response (ErrorResponse; the connection closes); after it, a truncated
// body.
net::awaitable<WriteResult> WritePushed(Transport& stream, Message& msg,
                                        std::chrono::seconds timeout, const PushBody& body) {
  SerializerWriter writer(stream, msg, timeout);
  // Not a ternary around co_await: GCC 12 destroys its result twice (seen here).
  Result<void> produced = Fail(Errc::kInternal, "no body producer");
  if (body.produce) produced = co_await body.produce(writer);
  if (produced && body.content_length && writer.written() != *body.content_length) {
    produced = Fail(Errc::kInternal, "push body wrote {} of {} bytes", writer.written(),
                    *body.content_length);
  }
  if (!produced) {
    const std::string request_id(msg["X-Request-Id"]);
    if (writer.failed()) {
      // The client went away (a player seeking, a download cancelled): not a server fault.
      spdlog::info("http: response body (request id {}) not finished: {}", request_id,
                   produced.error().message);
    } else {
      spdlog::error("http: response body (request id {}): {}", request_id,
                    produced.error().message);
    }
    if (writer.written() == 0 && !writer.failed()) {
      // The producer's own code (a 503 for disks out of service, not a 500), and the request
      // id of the log line above, which the header already carries.
      Response err = ErrorResponse(produced.error(), request_id);
      ApplySecurityHeaders(err);
      if (!request_id.empty()) err.SetHeader("X-Request-Id", request_id);
      Message emsg;
      emsg.version(11);
      emsg.result(static_cast<unsigned>(err.status));
      for (const auto& [k, v] : err.headers) emsg.insert(k, v);
      emsg.keep_alive(false);
      auto& text = std::get<std::string>(err.body);
      emsg.content_length(text.size());
      bhttp::response_serializer<bhttp::buffer_body> sr{emsg};
      emsg.body().data = text.data();
      emsg.body().size = text.size();
      emsg.body().more = false;
      Tcp(stream).expires_after(timeout);
      auto [ec, n] = co_await bhttp::async_write(stream, sr, kToken);
      (void)ec;  // Either way the connection closes now.
    }
    co_return WriteResult{writer.written(), false};
  }
  bool ok = co_await writer.Finish();
  co_return WriteResult{writer.written(), ok};
}

// Reads a file range chunk by chunk (the TLS path): a generator over pread(2).
BodyGenerator FileChunks(int fd, std::uint64_t offset, std::uint64_t length) {
  auto pos = std::make_shared<std::pair<std::uint64_t, std::uint64_t>>(offset, length);
  return [fd, pos](std::span<char> buf) -> net::awaitable<Result<std::size_t>> {
    auto& [off, remaining] = *pos;
    if (remaining == 0) co_return std::size_t{0};
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, buf.size()));
    ssize_t n;
    do {
      n = ::pread(fd, buf.data(), want, static_cast<off_t>(off));
    } while (n < 0 && errno == EINTR);
    if (n <= 0) co_return Fail(Errc::kIoError, "reading the response file: {}", n < 0 ? errno : 0);
    off += static_cast<std::uint64_t>(n);
    remaining -= static_cast<std::uint64_t>(n);
    co_return static_cast<std::size_t>(n);
  };
}

bool NoBodyStatus(int status) { return status < 200 || status == 204 || status == 304; }

// Opens a FileBody given by path and resolves its length; an error becomes the response.
Result<void> PrepareFile(FileBody& f) {
  if (!f.fd.valid()) {
    int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return Fail(Errc::kNotFound, "no such file");
      return Fail(Errc::kIoError, "open {}: {}", f.path, std::strerror(errno));
    }
    f.fd = FileDescriptor(fd);
  }
  if (!f.length) {
    struct stat st {};
    if (::fstat(f.fd.get(), &st) != 0)
      return Fail(Errc::kIoError, "fstat: {}", std::strerror(errno));
    auto size = static_cast<std::uint64_t>(st.st_size);
    f.length = size > f.offset ? size - f.offset : 0;
  }
  return {};
}

net::awaitable<WriteResult> WriteResponse(Transport& stream, Response& res, bool head,
                                          bool keep_alive, const ServerOptions& opts) {
  if (auto* f = std::get_if<FileBody>(&res.body)) {
    if (auto ok = PrepareFile(*f); !ok) {
      spdlog::error("http: response file: {}", ok.error().message);
      Response err = ErrorResponse(ok.error());
      err.headers = std::move(res.headers);
      err.SetHeader("Content-Type", "application/json; charset=utf-8");
      res = std::move(err);
    }
  }
  auto timeout = Secs(opts.body_timeout_s);
  Message msg;
  msg.version(11);
  msg.result(static_cast<unsigned>(res.status));
  // Beast knows the registered statuses only; say something readable for the others (tus's 460
  // went out as "460 <unknown-status>").
  if (bhttp::int_to_status(static_cast<unsigned>(res.status)) == bhttp::status::unknown) {
    msg.reason(res.status == 460 ? "Checksum Mismatch" : "Error");
  }
  for (const auto& [k, v] : res.headers) msg.insert(k, v);
  msg.keep_alive(keep_alive);
  std::optional<std::uint64_t> length = res.known_length();
  if (NoBodyStatus(res.status)) {
    length = 0;
  } else if (length) {
    msg.content_length(*length);
  } else {
    msg.chunked(true);
  }
  head = head || NoBodyStatus(res.status);
  std::optional<std::string_view> bytes;
  if (auto* s = std::get_if<std::string>(&res.body)) bytes = *s;
  if (auto* v = std::get_if<StaticBody>(&res.body)) bytes = v->data;
  if (bytes) {
    if (head) {
      co_return co_await WriteStreamed(stream, msg, true, timeout, BodyGenerator{});
    }
    // Header and body in one write, without copying the body.
    bhttp::response_serializer<bhttp::buffer_body> sr{msg};
    msg.body().data = bytes->empty() ? nullptr : const_cast<char*>(bytes->data());
    msg.body().size = bytes->size();
    msg.body().more = false;
    Tcp(stream).expires_after(timeout);
    auto [ec, n] = co_await bhttp::async_write(stream, sr, kToken);
    co_return WriteResult{ec ? 0 : bytes->size(), !ec};
  }
  if (auto* g = std::get_if<GeneratorBody>(&res.body)) {
    co_return co_await WriteStreamed(stream, msg, head, timeout, g->next);
  }
  if (auto* p = std::get_if<PushBody>(&res.body)) {
    if (head) co_return co_await WriteStreamed(stream, msg, true, timeout, BodyGenerator{});
    co_return co_await WritePushed(stream, msg, timeout, *p);
  }
  auto& f = std::get<FileBody>(res.body);
  if (stream.tls() || head) {
    BodyGenerator chunks = FileChunks(f.fd.get(), f.offset, *f.length);
    co_return co_await WriteStreamed(stream, msg, head, timeout, chunks);
  }
  WriteResult hdr = co_await WriteStreamed(stream, msg, true, timeout, BodyGenerator{});
  if (!hdr.ok) co_return hdr;
  co_return co_await SendFileZeroCopy(Tcp(stream).socket(), f.fd.get(), f.offset, *f.length,
                                      timeout);
}

// After our last answer: stop sending, read (and drop) what the client still sends, then
// close. Closing with unread data makes the kernel send RST, which can destroy the answer
// before the client reads it; and a client that sends its whole body before it reads (Python's
// urllib, without Expect: 100-continue) sees only "Broken pipe" instead of the answer, say a
// 507 or a 409 for a large upload (QA pass 19). So the rest of the body is read as nginx does:
// until the client stops sending (EOF or a pause of kLingerPause), kLingerTime at most.
net::awaitable<void> LingeringClose(Transport& stream, bool body_unread) {
  boost::system::error_code ec;
  Tcp(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
  std::vector<char> scratch(kChunk);
  const auto end = std::chrono::steady_clock::now() + (body_unread ? kLingerTime : kShortLinger);
  for (;;) {
    Tcp(stream).expires_at(std::min(end, std::chrono::steady_clock::now() + kLingerPause));
    auto [rec, n] = co_await Tcp(stream).async_read_some(net::buffer(scratch), kToken);
    if (rec) break;
  }
  Tcp(stream).close();
}

Response TransportError(int status, std::string_view code, std::string_view message) {
  Response res = ErrorResponse(status, code, message);
  ApplySecurityHeaders(res);
  res.SetHeader("X-Request-Id", NewRequestId());
  res.close = true;
  return res;
}

net::awaitable<void> ServeRequests(Transport& stream, const SessionEnv& env, ConnectionControl& ctl,
                                   std::string remote) {
  const ServerOptions& opts = env.options;
  beast::flat_buffer buffer;
  auto header_deadline = std::chrono::steady_clock::now() + Secs(opts.header_timeout_s);
  bool first = true;
  while (true) {
    ctl.idle = true;
    // Stopping: close, unless the next request already waits (sent before the client could see
    // a Connection: close); that one is served with Connection: close.
    if (ctl.stop_requested && buffer.size() == 0 && !(ctl.has_input && ctl.has_input())) break;
    if (buffer.size() == 0) {
      if (first) {
        Tcp(stream).expires_at(header_deadline);
      } else {
        Tcp(stream).expires_after(Secs(opts.idle_timeout_s));
      }
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(8192), kToken);
      if (ec) break;  // Closed, idle timeout, or closed by Shutdown().
      buffer.commit(n);
      if (!first) header_deadline = std::chrono::steady_clock::now() + Secs(opts.header_timeout_s);
    } else if (!first) {
      header_deadline = std::chrono::steady_clock::now() + Secs(opts.header_timeout_s);
    }
    ctl.idle = false;
    first = false;

    Parser parser;
    parser.header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
    parser.body_limit(boost::none);  // Handlers enforce their own limits while streaming.
    Tcp(stream).expires_at(header_deadline);
    auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, kToken);
    if (hec) {
      std::optional<Response> answer;
      if (hec == bhttp::error::header_limit) {
        // Mostly a very long address (a deep upload path in the query): say what to do (QA pass
        // 21b: "request header is too large" read like a client bug).
        answer = TransportError(
            431, "header_too_large",
            fmt::format("The request's address and headers are longer than this server takes "
                        "({} KiB); nothing was done. For a deep path, create its folders first "
                        "(POST /api/v1/nodes/{{id}}/folders) and upload into the last one by its "
                        "id with a short path.",
                        opts.max_header_bytes / 1024));
      } else if (IsHttpError(hec) && hec != bhttp::error::end_of_stream &&
                 hec != bhttp::error::partial_message) {
        // Say what was wrong ("bad Content-Length", "bad Transfer-Encoding"…: Beast's words), so
        // that a client's author can fix it (QA pass 18: both Content-Length and chunked).
        answer =
            TransportError(400, "bad_request",
                           fmt::format("The request is not valid HTTP/1.1 ({}); nothing was done.",
                                       hec.message()));
      }
      // A timeout (tcp_stream closed the socket) or the client going away: nothing to answer.
      if (answer) {
        spdlog::info("http {} from {}: {}", answer->status, remote, hec.message());
        env.transport_errors.WithLabels({std::to_string(answer->status)}).Inc();
        co_await WriteResponse(stream, *answer, false, false, opts);
        co_await LingeringClose(stream, false);
      }
      break;
    }

    auto& hdr = parser.get();
    Request req;
    req.set_method(std::string_view(hdr.method_string()));
    // Behind a trusted reverse proxy, the client is named by the X-Forwarded-For it appends
    // (every such header, in order, as one list).
    if (opts.trusted_proxies.empty()) {
      req.set_remote_address(remote);
    } else {
      std::string forwarded;
      auto [first, last] = hdr.equal_range("X-Forwarded-For");
      for (auto it = first; it != last; ++it) {
        if (!forwarded.empty()) forwarded += ',';
        forwarded.append(it->value());
      }
      req.set_remote_address(opts.trusted_proxies.ClientAddress(remote, forwarded));
    }
    req.set_tls(stream.tls());
    req.set_max_json_body_bytes(opts.max_json_body_bytes);
    for (const auto& field : hdr) req.AddHeader(field.name_string(), field.value());
    std::optional<std::uint64_t> content_length;
    if (parser.content_length()) content_length = *parser.content_length();
    Exchange exchange(stream, buffer, parser, opts);
    req.set_body(&exchange, content_length, parser.chunked());
    exchange.continue_pending = beast::iequals(hdr[bhttp::field::expect], "100-continue");
    bool head = req.method() == Method::kHead;

    Response res;
    if (auto t = req.SetTarget(std::string_view(hdr.target())); !t) {
      res = TransportError(400, "invalid_request", t.error().message);
    } else {
      res = co_await env.pipeline.Handle(req);
    }

    if (!exchange.BodyDone()) {
      // The handler answered without reading the whole body. A short rest is read and dropped
      // to keep the connection; otherwise the answer goes at once and the connection closes:
      // waiting for a large body (a 2 GB upload refused for its size, from a client that sent
      // no Expect) would hold the answer until the body timeout (QA pass 15).
      const std::optional<std::uint64_t> unread = exchange.Unread();
      if (exchange.continue_pending || exchange.broken || !unread || *unread > kMaxDrain) {
        res.close = true;  // The client waits for 100 Continue, or the rest is long or unknown.
      } else if (!co_await exchange.Drain(kMaxDrain)) {
        res.close = true;
      }
    }
    bool keep_alive = hdr.keep_alive() && !res.close && !ctl.stop_requested && !exchange.broken;
    WriteResult w = co_await WriteResponse(stream, res, head, keep_alive, opts);
    req.Complete(
        Completion{res.status, req.body_bytes_read() + exchange.drained, w.bytes_out, !w.ok});
    if (!w.ok) break;
    if (!keep_alive) {
      // Stopping: the grace period is for requests still being served, not for bodies.
      co_await LingeringClose(stream, !exchange.BodyDone() && !ctl.stop_requested);
      break;
    }
  }
}

// Forgets the close callback when the session ends, also when it ends by an exception (a
// cancelled coroutine), so the Server never calls into a destroyed transport.
struct CloseGuard {
  ConnectionControl& control;
  ~CloseGuard() {
    control.close = nullptr;
    control.has_input = nullptr;
    control.interrupt = nullptr;
  }
};

std::string RemoteAddress(const tcp::socket& sock) {
  boost::system::error_code ec;
  auto ep = sock.remote_endpoint(ec);
  return ec ? std::string("?") : ep.address().to_string();
}

bool HasInput(beast::tcp_stream& tcp) {
  boost::system::error_code ec;
  return tcp.socket().available(ec) > 0 && !ec;
}

}  // namespace

net::awaitable<void> RunSession(tcp::socket socket, const SessionEnv& env,
                                std::shared_ptr<ConnectionControl> control) {
  std::string remote = RemoteAddress(socket);
  if (env.tls == nullptr) {
    PlainTransport plain(std::move(socket));
    control->close = [&plain] { plain.tcp().close(); };
    control->has_input = [&plain] { return HasInput(plain.tcp()); };
    control->interrupt = [&plain] { plain.tcp().cancel(); };
    CloseGuard guard{*control};
    co_await ServeRequests(plain, env, *control, remote);
    boost::system::error_code ec;
    plain.tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
    co_return;
  }
  TlsTransport tls(std::move(socket), *env.tls);
  control->close = [&tls] { tls.tcp().close(); };
  control->has_input = [&tls] { return HasInput(tls.tcp()); };
  control->interrupt = [&tls] { tls.tcp().cancel(); };
  CloseGuard guard{*control};
  tls.tcp().expires_after(Secs(env.options.header_timeout_s));
  auto [ec] = co_await tls.ssl().async_handshake(net::ssl::stream_base::server, kToken);
  if (!ec) {
    co_await ServeRequests(tls, env, *control, remote);
    tls.tcp().expires_after(std::chrono::seconds(1));
    auto [sec] = co_await tls.ssl().async_shutdown(kToken);
    (void)sec;  // The peer may just close; nothing to do either way.
  }
}

net::awaitable<void> RejectConnection(tcp::socket socket, const SessionEnv& env) {
  env.transport_errors.WithLabels({"503"}).Inc();
  Response res = TransportError(503, "unavailable", "too many connections, try again later");
  res.SetHeader("Retry-After", "1");
  ServerOptions opts = env.options;
  opts.body_timeout_s = 1;
  if (env.tls == nullptr) {
    PlainTransport plain(std::move(socket));
    WriteResult w = co_await WriteResponse(plain, res, false, false, opts);
    if (w.ok) co_await LingeringClose(plain, false);
    co_return;
  }
  TlsTransport tls(std::move(socket), *env.tls);
  tls.tcp().expires_after(std::chrono::seconds(1));
  auto [ec] = co_await tls.ssl().async_handshake(net::ssl::stream_base::server, kToken);
  if (ec) co_return;
  co_await WriteResponse(tls, res, false, false, opts);
}

}  // namespace nimbus::http
