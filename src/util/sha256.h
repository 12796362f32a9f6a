// Sha256: incremental SHA-256 (OpenSSL EVP) for whole-blob hashes recorded in the DB; and
// HMAC-SHA256.
//   Sha256 h; h.Update(chunk); ...; std::string hex = h.FinishHex();
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nimbus {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&& other) noexcept;

  // Feeds bytes into the hash. Must not be called after Finish*().
  void Update(std::span<const char> data);
  void Update(std::string_view data) { Update(std::span<const char>(data.data(), data.size())); }
  void Update(const std::string& data) { Update(std::string_view(data)); }
  void Update(const char* text) { Update(std::string_view(text)); }
  // Ends the hash and returns the 32-byte digest. The object can then only be destroyed or
  // Reset().
  std::array<std::uint8_t, 32> Finish();
  // Finish() as 64 lowercase hex characters.
  std::string FinishHex();
  // Starts a new hash.
  void Reset();

  // One-shot helper: the lowercase hex SHA-256 of `data`.
  static std::string HexOf(std::string_view data);

 private:
  void* ctx_ = nullptr;  // EVP_MD_CTX*, kept opaque so OpenSSL headers stay out of this header.
};

// An incremental SHA-1 or SHA-256 picked at run time: the per-request checksums of tus (whose
// checksum extension requires sha1; Nimbus also takes sha256). SHA-1 only checks transfers here,
// never identifies content.
class TransferDigest {
 public:
  enum class Kind { kSha1, kSha256 };
  explicit TransferDigest(Kind kind);
  ~TransferDigest();
  TransferDigest(const TransferDigest&) = delete;
  TransferDigest& operator=(const TransferDigest&) = delete;
  void Update(std::span<const char> data);
  // The digest (20 bytes for sha1, 32 for sha256); the object can then only be destroyed.
  std::vector<std::uint8_t> Finish();
  static std::size_t SizeOf(Kind kind) { return kind == Kind::kSha1 ? 20 : 32; }

 private:
  void* ctx_ = nullptr;  // EVP_MD_CTX*.
};

// HMAC-SHA256 of `message` keyed with the bytes of `key` (webhook signatures, link access keys).
std::array<std::uint8_t, 32> HmacSha256(std::string_view key, std::string_view message);
// `bytes` as lowercase hex.
std::string HexOf(std::span<const std::uint8_t> bytes);

}  // namespace nimbus
