// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/blob_id.h"

#include <array>

#include <sodium.h>

namespace nimbus::storage {

BlobId BlobId::Random() {
  std::array<unsigned char, 16> raw;
  randombytes_buf(raw.data(), raw.size());  // sodium_init() is not needed for randombytes.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(32, '0');
  for (std::size_t i = 0; i < raw.size(); ++i) {
    text[2 * i] = kHex[raw[i] >> 4];
    text[2 * i + 1] = kHex[raw[i] & 0xf];
  }
  return BlobId(std::move(text));
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
