// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/blob_id.h"

#include <array>
#include <atomic>
#include <cstdint>

#include <sodium.h>

namespace nimbus::storage {

namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string ToHex(const std::array<unsigned char, 16>& raw) {
  std::string text(32, '0');
  for (std::size_t i = 0; i < raw.size(); ++i) {
    text[2 * i] = kHex[raw[i] >> 4];
    text[2 * i + 1] = kHex[raw[i] & 0xf];
  }
  return text;
}

}  // namespace

BlobId BlobId::Random() {
  std::array<unsigned char, 16> raw;
  randombytes_buf(raw.data(), raw.size());  // sodium_init() is not needed for randombytes.
  return BlobId(ToHex(raw));
}

BlobId BlobId::Next() {
  static std::atomic<std::uint32_t> counter{randombytes_random()};
  std::uint32_t n = counter.fetch_add(1, std::memory_order_relaxed);
  std::uint32_t shard = (n / kRun) & 0xffff;
  std::array<unsigned char, 16> raw;
  randombytes_buf(raw.data(), raw.size());
  raw[0] = static_cast<unsigned char>(shard >> 8);
  raw[1] = static_cast<unsigned char>(shard & 0xff);
  return BlobId(ToHex(raw));
}

Result<BlobId> BlobId::Parse(std::string_view text) {
  if (text.size() != 32) return Fail(Errc::kInvalidArgument, "blob id '{}' is not 32 characters", text);
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return Fail(Errc::kInvalidArgument, "blob id '{}' is not lowercase hex", text);
    }
  }
  return BlobId(std::string(text));
}

}  // namespace nimbus::storage
