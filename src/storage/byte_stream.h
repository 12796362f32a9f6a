// ByteSource and ByteSink: the streaming ends a blob is written from and read into (an upload
// body, a download response, another volume). Fixed-size buffers, never a whole file in memory.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstddef>
#include <span>

#include <boost/asio/awaitable.hpp>

#include "util/result.h"

namespace nimbus::storage {

namespace net = boost::asio;

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to buf.size() bytes into buf; returns how many, 0 at the end of the stream.
  virtual net::awaitable<Result<std::size_t>> Read(std::span<char> buf) = 0;
};

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Takes all of `data` (already verified). An error stops the transfer and is passed back.
  virtual net::awaitable<Result<void>> Write(std::span<const char> data) = 0;
};

}  // namespace nimbus::storage
