// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/ip_ranges.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <optional>

namespace nimbus {

namespace {

// `text` as 16 bytes (IPv4 mapped into IPv6), and whether it was IPv4.
struct Parsed {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = false;
};

std::optional<Parsed> ParseAddress(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  // "[::1]" as some proxies write IPv6; a port is not part of X-Forwarded-For.
  if (text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  Parsed p;
  in_addr v4{};
  if (inet_pton(AF_INET, buf, &v4) == 1) {
    p.bytes[10] = p.bytes[11] = 0xff;
    std::memcpy(p.bytes.data() + 12, &v4, 4);
    p.v4 = true;
    return p;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, buf, &v6) == 1) {
    std::memcpy(p.bytes.data(), &v6, 16);
    return p;
  }
  return std::nullopt;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<IpRanges> IpRanges::Parse(std::string_view list) {
  IpRanges out;
  std::size_t pos = 0;
  while (pos <= list.size()) {
    std::size_t end = list.find_first_of(", ", pos);
    if (end == std::string_view::npos) end = list.size();
    std::string_view entry = list.substr(pos, end - pos);
    pos = end + 1;
    if (entry.empty()) continue;
    std::string_view address = entry;
    std::optional<int> prefix;
    if (auto slash = entry.find('/'); slash != std::string_view::npos) {
      address = entry.substr(0, slash);
      std::string_view bits = entry.substr(slash + 1);
      int n = -1;
      auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
      if (ec != std::errc() || p != bits.data() + bits.size() || bits.empty()) n = -1;
      prefix = n;
    }
    auto parsed = ParseAddress(address);
    const int max_bits = parsed && parsed->v4 ? 32 : 128;
    if (!parsed || (prefix && (*prefix < 0 || *prefix > max_bits))) {
      return Fail(Errc::kInvalidArgument,
                  "'{}' is not an IP address or a CIDR range such as 10.0.0.0/8 or fd00::/8",
                  entry);
    }
    Range r;
    r.bytes = parsed->bytes;
    r.prefix = prefix ? (parsed->v4 ? *prefix + 96 : *prefix) : 128;
    out.ranges_.push_back(r);
  }
  return out;
}

bool IpRanges::Contains(std::string_view address) const {
  auto parsed = ParseAddress(Trim(address));
  if (!parsed) return false;
  for (const Range& r : ranges_) {
    int bits = r.prefix;
    bool match = true;
    for (std::size_t i = 0; i < 16 && bits > 0 && match; ++i, bits -= 8) {
      const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
      match = (parsed->bytes[i] & mask) == (r.bytes[i] & mask);
    }
    if (match) return true;
  }
  return false;
}

std::string IpRanges::ClientAddress(std::string_view peer, std::string_view forwarded_for) const {
  if (ranges_.empty() || forwarded_for.empty() || !Contains(peer)) return std::string(peer);
  std::string_view client = peer;
  std::string_view rest = forwarded_for;
  while (!rest.empty()) {
    std::size_t comma = rest.rfind(',');
    std::string_view entry = Trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    if (!ParseAddress(entry)) break;
    client = entry;
    if (!Contains(entry)) break;
  }
  if (client.size() > 2 && client.front() == '[' && client.back() == ']') {
    client = client.substr(1, client.size() - 2);
  }
  return std::string(client);
}

}  // namespace nimbus
