// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/local/blob_format.h"

#include <cstring>

#include <xxhash.h>

namespace nimbus::storage::local {
namespace {

void Put32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void Put64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint64_t Get(std::span<const char> in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  }
  return v;
}
std::uint64_t BlockCount(std::uint64_t logical_size, std::uint32_t block_size) {
  return (logical_size + block_size - 1) / block_size;
}

}  // namespace

std::string EncodeFooter(std::span<const std::uint64_t> sums, std::uint64_t logical_size,
                         std::uint32_t block_size) {
  std::string out;
  out.reserve(sums.size() * 8 + kTrailerSize);
  for (std::uint64_t s : sums) Put64(out, s);
  std::uint64_t sums_checksum = XXH3_64bits(out.data(), out.size());
  std::size_t trailer_at = out.size();
  out.append(kBlobMagic, sizeof kBlobMagic);
  Put32(out, kBlobFormatVersion);
  Put32(out, block_size);
  Put64(out, logical_size);
  Put64(out, sums.size());
  Put64(out, sums_checksum);
  Put64(out, XXH3_64bits(out.data() + trailer_at, out.size() - trailer_at));
  return out;
}

std::uint64_t BlobFileSize(std::uint64_t logical_size, std::uint32_t block_size) {
  return logical_size + 8 * BlockCount(logical_size, block_size) + kTrailerSize;
}

Result<BlobTrailer> DecodeTrailer(std::span<const char> t, std::uint64_t file_size,
                                  std::uint32_t expected_block_size) {
  if (t.size() != kTrailerSize || file_size < kTrailerSize) {
    return Fail(Errc::kChecksumMismatch, "file of {} bytes is too short to be a blob (truncated)", file_size);
  }
  if (std::memcmp(t.data(), kBlobMagic, sizeof kBlobMagic) != 0) {
    return Fail(Errc::kChecksumMismatch, "no blob trailer at the end of the file (truncated or damaged)");
  }
  if (XXH3_64bits(t.data(), kTrailerSize - 8) != Get(t, kTrailerSize - 8, 8)) {
    return Fail(Errc::kChecksumMismatch, "the blob trailer does not match its checksum (damaged footer)");
  }
  std::uint32_t version = static_cast<std::uint32_t>(Get(t, 8, 4));
  if (version != kBlobFormatVersion) {
    return Fail(Errc::kChecksumMismatch, "unknown blob format version {}", version);
  }
  BlobTrailer out;
  out.block_size = static_cast<std::uint32_t>(Get(t, 12, 4));
  out.logical_size = Get(t, 16, 8);
  out.block_count = Get(t, 24, 8);
  out.sums_checksum = Get(t, 32, 8);
  if (out.block_size != expected_block_size) {
    return Fail(Errc::kChecksumMismatch, "blob block size {} is not {}", out.block_size, expected_block_size);
  }
  if (out.block_count != BlockCount(out.logical_size, out.block_size) ||
      BlobFileSize(out.logical_size, out.block_size) != file_size) {
    return Fail(Errc::kChecksumMismatch,
                "file has {} bytes, a blob of {} bytes needs {} (truncated or damaged)", file_size,
                out.logical_size, BlobFileSize(out.logical_size, out.block_size));
  }
  return out;
}

Result<std::vector<std::uint64_t>> DecodeSums(std::span<const char> encoded, const BlobTrailer& trailer) {
  if (encoded.size() != trailer.block_count * 8 ||
      XXH3_64bits(encoded.data(), encoded.size()) != trailer.sums_checksum) {
    return Fail(Errc::kChecksumMismatch, "the block checksums do not match the trailer (damaged footer)");
  }
  std::vector<std::uint64_t> sums(trailer.block_count);
  for (std::size_t i = 0; i < sums.size(); ++i) sums[i] = Get(encoded, 8 * i, 8);
  return sums;
}

}  // namespace nimbus::storage::local
