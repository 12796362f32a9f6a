// The on-disk blob file of LocalVolume: the blob's bytes, then a footer with one XXH3-64 per
// kBlockSize block, then a fixed 48-byte trailer (magic, version, block size, logical size, block
// count, checksum of the block checksums, checksum of the trailer). One file per blob, so the
// rename that publishes it is atomic. All integers are little-endian.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "util/result.h"

namespace nimbus::storage::local {

inline constexpr char kBlobMagic[8] = {'N', 'I', 'M', 'B', 'L', 'O', 'B', '1'};
inline constexpr std::uint32_t kBlobFormatVersion = 1;
inline constexpr std::size_t kTrailerSize = 48;

struct BlobTrailer {
  std::uint32_t block_size = 0;
  std::uint64_t logical_size = 0;
  std::uint64_t block_count = 0;
  std::uint64_t sums_checksum = 0;  // XXH3-64 of the encoded block checksums.
};

// The bytes that follow the data of a blob of `logical_size` bytes whose blocks have `sums`.
std::string EncodeFooter(std::span<const std::uint64_t> sums, std::uint64_t logical_size,
                         std::uint32_t block_size);

// The file size of a blob of `logical_size` bytes.
std::uint64_t BlobFileSize(std::uint64_t logical_size, std::uint32_t block_size);

// Decodes and checks the trailer (the last kTrailerSize bytes of a file of `file_size` bytes):
// magic, version, trailer checksum, block count and file size. kChecksumMismatch saying what is
// wrong (the caller adds disk and blob).
Result<BlobTrailer> DecodeTrailer(std::span<const char> trailer, std::uint64_t file_size,
                                  std::uint32_t expected_block_size);

// Decodes the block checksums that precede the trailer; kChecksumMismatch unless they match the
// trailer's sums_checksum.
Result<std::vector<std::uint64_t>> DecodeSums(std::span<const char> encoded, const BlobTrailer& trailer);

}  // namespace nimbus::storage::local
