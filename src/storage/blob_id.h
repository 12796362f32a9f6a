// BlobId: the random name of one immutable blob, 32 lowercase hex characters (128 bits from
// libsodium). On a local disk it lives at blobs/<id[0:2]>/<id[2:4]>/<id>.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "util/result.h"

namespace nimbus::storage {

class BlobId {
 public:
  static BlobId Random();
  // The id of a new blob: like Random(), but ids made one after another in this process share
  // their first four hex digits (their directory on a local disk) in runs of kRun, from a random
  // start. A fresh or small disk then creates one directory per kRun blobs instead of one per
  // blob (with 65,536 directories, nearly every early blob would make its own); creating a
  // directory costs as much as creating the blob's file. The other 112 bits stay random.
  static BlobId Next();
  static constexpr unsigned kRun = 256;
  // kInvalidArgument unless `text` is exactly 32 lowercase hex characters.
  static Result<BlobId> Parse(std::string_view text);

  const std::string& str() const { return text_; }
  auto operator<=>(const BlobId&) const = default;

 private:
  explicit BlobId(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

}  // namespace nimbus::storage
