// IpRanges: a set of IP addresses and CIDR ranges ("127.0.0.1, 10.0.0.0/8, fd00::/8"), for the
// reverse proxies whose X-Forwarded-For the server believes (server.trusted_proxies).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace nimbus {

class IpRanges {
 public:
  IpRanges() = default;
  // A comma- or space-separated list of addresses (IPv4 or IPv6) and CIDR ranges; "" is empty.
  // kInvalidArgument naming the first entry that is neither.
  static Result<IpRanges> Parse(std::string_view list);

  bool empty() const { return ranges_.empty(); }
  // Whether `address` (text, as a socket or X-Forwarded-For gives it; an IPv4-mapped IPv6
  // address counts as its IPv4 address) lies in one of the ranges. False for a malformed one.
  bool Contains(std::string_view address) const;

  // The client's address for a request that came from `peer` (the socket's address): `peer`
  // unless it is a trusted proxy; then, walking `forwarded_for` (X-Forwarded-For, proxies append
  // to its right) from the right, the first address that is not a trusted proxy. A malformed
  // entry stops the walk there (what a client wrote itself is not believed further), and so does
  // the leftmost one.
  std::string ClientAddress(std::string_view peer, std::string_view forwarded_for) const;

 private:
  struct Range {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d).
    int prefix = 128;                      // Bits that must match.
  };
  std::vector<Range> ranges_;
};

}  // namespace nimbus
