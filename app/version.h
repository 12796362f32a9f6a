// Version (from CMake) and commit (written at build time by cmake/git_version.cmake).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

namespace nimbus::app {

inline constexpr const char* kVersion = NIMBUS_VERSION;
extern const char* const kCommit;  // "8a9decc1a2b3", "-dirty" appended for local changes.

}  // namespace nimbus::app
