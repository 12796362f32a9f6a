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
  // kInvalidArgument unless `text` is exactly 32 lowercase hex characters.
  static Result<BlobId> Parse(std::string_view text);

  const std::string& str() const { return text_; }
  auto operator<=>(const BlobId&) const = default;

 private:
  explicit BlobId(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

}  // namespace nimbus::storage
