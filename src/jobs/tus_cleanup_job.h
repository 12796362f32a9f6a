// The tus-cleanup job: removes resumable uploads idle longer than files.tus_expiry_h, with their
// staging files and quota reservations. Daily at files.tus_cleanup_at; `nimbus job run` too.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string_view>

#include "core/files/tus_service.h"
#include "jobs/scheduler.h"
#include "util/result.h"

namespace nimbus::jobs {

inline constexpr std::string_view kTusCleanupJobName = "tus-cleanup";

// The job spec (name "tus-cleanup", daily at `at`, "HH:MM" UTC). `tus` must outlive it.
// kInvalidArgument for a bad time.
Result<JobSpec> TusCleanupJob(core::files::TusService& tus, const std::string& at);

}  // namespace nimbus::jobs
