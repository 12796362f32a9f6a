// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace nimbus {
namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Sha256::HexOf(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256::HexOf("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256::HexOf("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, IncrementalEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data.push_back(static_cast<char>(i * 31 + 7));
  Sha256 h;
  for (std::size_t pos = 0; pos < data.size(); pos += 777) {
    h.Update(std::string_view(data).substr(pos, 777));
  }
  EXPECT_EQ(h.FinishHex(), Sha256::HexOf(data));
}

TEST(Sha256, MillionAsAndReset) {
  Sha256 h;
  h.Update("garbage");
  h.Reset();
  std::string a(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.Update(a);
  EXPECT_EQ(h.FinishHex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, MovedFromIsSafeToDestroy) {
  Sha256 a;
  a.Update("abc");
  Sha256 b(std::move(a));
  EXPECT_EQ(b.FinishHex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace nimbus
