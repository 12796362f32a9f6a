// Internal to session.cpp: a byte stream over plain TCP or TLS behind one type, so the Beast
// HTTP code (parser, serializer, composed operations) is instantiated once, not per stream.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <span>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace nimbus::http {

namespace net = boost::asio;

// Satisfies Beast's AsyncStream. One read and one write may be outstanding at a time (HTTP/1).
class Transport {
 public:
  using executor_type = net::any_io_executor;
  // Type-erased completion. Deliberately without associated executor, allocator or
  // cancellation slot (Asio 1.81's any_completion_handler does not compile with Beast's
  // tcp_stream): the lower layer then completes on the stream's executor, the connection's
  // strand, which is where the upper layer runs anyway. Cancellation is by closing the socket.
  using IoHandler = std::move_only_function<void(boost::system::error_code, std::size_t)>;

  virtual ~Transport() = default;
  virtual executor_type get_executor() = 0;
  // The TCP layer: timeouts (expires_after), close, the socket for sendfile and shutdown.
  virtual boost::beast::tcp_stream& tcp() = 0;
  virtual bool tls() const = 0;

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    net::mutable_buffer first;
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
         ++it) {
      first = net::mutable_buffer(*it);
      if (first.size() > 0) break;
    }
    return net::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, net::mutable_buffer b) { DoRead(b, IoHandler(std::move(handler))); },
        token, first);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    // Gathered here (the serializer hands out header, chunk framing and body as several
    // buffers); kept in the object until the write completes.
    std::size_t n = 0;
    for (auto it = net::buffer_sequence_begin(buffers);
         it != net::buffer_sequence_end(buffers) && n < gather_.size(); ++it) {
      net::const_buffer b(*it);
      if (b.size() > 0) gather_[n++] = b;
    }
    return net::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, std::size_t count) {
          DoWrite(std::span<const net::const_buffer>(gather_.data(), count),
                  IoHandler(std::move(handler)));
        },
        token, n);
  }

 protected:
  virtual void DoRead(net::mutable_buffer b, IoHandler h) = 0;
  virtual void DoWrite(std::span<const net::const_buffer> b, IoHandler h) = 0;

 private:
  std::array<net::const_buffer, 16> gather_;
};

class PlainTransport final : public Transport {
 public:
  explicit PlainTransport(net::ip::tcp::socket s) : stream_(std::move(s)) {}
  executor_type get_executor() override { return stream_.get_executor(); }
  boost::beast::tcp_stream& tcp() override { return stream_; }
  bool tls() const override { return false; }

 protected:
  void DoRead(net::mutable_buffer b, IoHandler h) override {
    stream_.async_read_some(b, std::move(h));
  }
  void DoWrite(std::span<const net::const_buffer> b, IoHandler h) override {
    stream_.async_write_some(b, std::move(h));
  }

 private:
  boost::beast::tcp_stream stream_;
};

class TlsTransport final : public Transport {
 public:
  TlsTransport(net::ip::tcp::socket s, net::ssl::context& ctx) : stream_(std::move(s), ctx) {}
  executor_type get_executor() override { return stream_.get_executor(); }
  boost::beast::tcp_stream& tcp() override { return stream_.next_layer(); }
  bool tls() const override { return true; }
  boost::beast::ssl_stream<boost::beast::tcp_stream>& ssl() { return stream_; }

 protected:
  void DoRead(net::mutable_buffer b, IoHandler h) override {
    stream_.async_read_some(b, std::move(h));
  }
  void DoWrite(std::span<const net::const_buffer> b, IoHandler h) override {
    stream_.async_write_some(b, std::move(h));
  }

 private:
  boost::beast::ssl_stream<boost::beast::tcp_stream> stream_;
};

}  // namespace nimbus::http
