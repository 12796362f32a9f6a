// Version and commit of this build (from CMake).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

namespace nimbus::app {

inline constexpr const char* kVersion = NIMBUS_VERSION;
inline constexpr const char* kCommit = NIMBUS_COMMIT;

}  // namespace nimbus::app
