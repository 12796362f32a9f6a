// SPDX-License-Identifier: AGPL-3.0-or-later
#include <xxhash.h>

#include "storage/volume.h"

namespace nimbus::storage {

std::uint64_t BlockChecksum(std::span<const char> block) { return XXH3_64bits(block.data(), block.size()); }

}  // namespace nimbus::storage
