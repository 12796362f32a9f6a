// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/ip_ranges.h"

#include <gtest/gtest.h>

namespace nimbus {
namespace {

IpRanges Ranges(std::string_view list) {
  auto r = IpRanges::Parse(list);
  EXPECT_TRUE(r) << list << ": " << (r ? "" : r.error().message);
  return r ? *r : IpRanges{};
}

TEST(IpRanges, AddressesAndCidrRangesOfBothFamilies) {
  IpRanges r = Ranges("127.0.0.1, 10.0.0.0/8 192.168.1.0/24,fd00::/8, ::1");
  EXPECT_TRUE(r.Contains("127.0.0.1"));
  EXPECT_FALSE(r.Contains("127.0.0.2"));
  EXPECT_TRUE(r.Contains("10.200.3.4"));
  EXPECT_FALSE(r.Contains("11.0.0.1"));
  EXPECT_TRUE(r.Contains("192.168.1.77"));
  EXPECT_FALSE(r.Contains("192.168.2.77"));
  EXPECT_TRUE(r.Contains("fd12:3456::1"));
  EXPECT_FALSE(r.Contains("fe80::1"));
  EXPECT_TRUE(r.Contains("::1"));
  EXPECT_TRUE(r.Contains("[::1]"));
  EXPECT_TRUE(r.Contains("::ffff:10.1.2.3")) << "an IPv4-mapped address is its IPv4 address";
  EXPECT_FALSE(r.Contains("not an address"));
  EXPECT_FALSE(r.Contains(""));
  EXPECT_TRUE(Ranges("0.0.0.0/0").Contains("203.0.113.9"));
  EXPECT_FALSE(Ranges("0.0.0.0/0").Contains("2001:db8::1")) << "an IPv4 range holds no IPv6";
  EXPECT_TRUE(Ranges("").empty());
  EXPECT_TRUE(Ranges(" , ").empty());
}

TEST(IpRanges, ABadEntryIsNamed) {
  for (std::string_view bad : {"10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/x", "localhost",
                               "300.1.1.1", "10.0.0.1/8/8"}) {
    auto r = IpRanges::Parse(std::string("127.0.0.1, ") + std::string(bad));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    EXPECT_NE(r.error().message.find(std::string(bad)), std::string::npos) << r.error().message;
  }
}

TEST(IpRanges, TheClientIsTheRightmostAddressThatIsNotATrustedProxy) {
  IpRanges proxies = Ranges("127.0.0.1, 10.0.0.0/8");
  // Through one proxy.
  EXPECT_EQ(proxies.ClientAddress("127.0.0.1", "203.0.113.5"), "203.0.113.5");
  // Through two: the client's own entry is the rightmost untrusted one; what it wrote on the
  // left (a spoofed address) is not believed.
  EXPECT_EQ(proxies.ClientAddress("127.0.0.1", "6.6.6.6, 203.0.113.5, 10.1.1.1"), "203.0.113.5");
  EXPECT_EQ(proxies.ClientAddress("127.0.0.1", " 2001:db8::7 "), "2001:db8::7");
  EXPECT_EQ(proxies.ClientAddress("127.0.0.1", "[2001:db8::7]"), "2001:db8::7");
  // A malformed entry stops the walk at the last good one.
  EXPECT_EQ(proxies.ClientAddress("127.0.0.1", "203.0.113.5, garbage"), "127.0.0.1");
  EXPECT_EQ(proxies.ClientAddress("127.0.0.1", "garbage, 10.2.2.2"), "10.2.2.2");
  // No header: the proxy itself.
  EXPECT_EQ(proxies.ClientAddress("127.0.0.1", ""), "127.0.0.1");
  // A peer that is not a trusted proxy cannot choose its address.
  EXPECT_EQ(proxies.ClientAddress("198.51.100.1", "203.0.113.5"), "198.51.100.1");
  // No trusted proxies (the default): the header is ignored.
  EXPECT_EQ(IpRanges().ClientAddress("127.0.0.1", "203.0.113.5"), "127.0.0.1");
}

}  // namespace
}  // namespace nimbus
