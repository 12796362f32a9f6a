// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/sha256.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <utility>

namespace nimbus {
namespace {

EVP_MD_CTX* Ctx(void* p) { return static_cast<EVP_MD_CTX*>(p); }

// OpenSSL failing to initialise or update a SHA-256 context is a bug or an OOM, not an error
// a caller could handle.
void Check(int ok) {
  if (ok != 1) std::abort();
}

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) std::abort();
  Check(EVP_DigestInit_ex(Ctx(ctx_), EVP_sha256(), nullptr));
}

Sha256::~Sha256() {
  if (ctx_ != nullptr) EVP_MD_CTX_free(Ctx(ctx_));
}

Sha256::Sha256(Sha256&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

Sha256& Sha256::operator=(Sha256&& other) noexcept {
  if (this != &other) {
    if (ctx_ != nullptr) EVP_MD_CTX_free(Ctx(ctx_));
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

void Sha256::Update(std::span<const char> data) {
  if (data.empty()) return;
  Check(EVP_DigestUpdate(Ctx(ctx_), data.data(), data.size()));
}

std::array<std::uint8_t, 32> Sha256::Finish() {
  std::array<std::uint8_t, 32> out{};
  unsigned int len = 0;
  Check(EVP_DigestFinal_ex(Ctx(ctx_), out.data(), &len));
  return out;
}

std::string Sha256::FinishHex() {
  auto digest = Finish();
  return nimbus::HexOf(digest);
}

TransferDigest::TransferDigest(Kind kind) : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) std::abort();
  Check(EVP_DigestInit_ex(Ctx(ctx_), kind == Kind::kSha1 ? EVP_sha1() : EVP_sha256(), nullptr));
}

TransferDigest::~TransferDigest() { EVP_MD_CTX_free(Ctx(ctx_)); }

void TransferDigest::Update(std::span<const char> data) {
  if (data.empty()) return;
  Check(EVP_DigestUpdate(Ctx(ctx_), data.data(), data.size()));
}

std::vector<std::uint8_t> TransferDigest::Finish() {
  std::vector<std::uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  Check(EVP_DigestFinal_ex(Ctx(ctx_), out.data(), &len));
  out.resize(len);
  return out;
}

void Sha256::Reset() { Check(EVP_DigestInit_ex(Ctx(ctx_), EVP_sha256(), nullptr)); }

std::string Sha256::HexOf(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.FinishHex();
}

std::string HexOf(std::span<const std::uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(2 * bytes.size(), '0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    hex[2 * i] = kHex[bytes[i] >> 4];
    hex[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
  return hex;
}

std::array<std::uint8_t, 32> HmacSha256(std::string_view key, std::string_view message) {
  std::array<std::uint8_t, 32> out{};
  unsigned int len = 0;
  // One-shot HMAC cannot fail for SHA-256 short of memory exhaustion.
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(),
           &len) == nullptr ||
      len != out.size()) {
    std::abort();
  }
  return out;
}

}  // namespace nimbus
