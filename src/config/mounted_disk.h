// RequireMountedDiskDir: the check of a disk an admin attaches (CLI and API).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string_view>

#include "util/result.h"

namespace nimbus::config {

// A disk an admin attaches at an absolute path (`file:/mnt/disk3`) must be mounted there
// already: kInvalidArgument otherwise, so that a typo (/mnt/dsk3) is not created as a new
// directory on the root file system. Other uris (a relative path, made under the data
// directory) pass. Defined in disks.cpp.
Result<void> RequireMountedDiskDir(std::string_view uri);

}  // namespace nimbus::config
