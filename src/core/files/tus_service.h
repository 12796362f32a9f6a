// TusService: resumable uploads (tus 1.0.0: core, creation, termination, checksum sha256) on
// FileService. PLACEHOLDER skeleton: the tus helper fills in the interface.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "core/files/file_service.h"

namespace nimbus::core::files {

class TusService {
 public:
  explicit TusService(FileService& files) : files_(files) {}

 private:
  FileService& files_;
};

}  // namespace nimbus::core::files
