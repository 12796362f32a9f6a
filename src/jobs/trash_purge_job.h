// The trash-purge job: deletes for good every trash item older than files.trash_retention_days
// (0: every item), bytes on both disk copies included. Daily at files.trash_purge_at; registered
// by the runtime when the files service exists, so `nimbus job run trash-purge` runs it too.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>

#include "core/files/file_service.h"
#include "jobs/scheduler.h"
#include "util/result.h"

namespace nimbus::jobs {

inline constexpr std::string_view kTrashPurgeJobName = "trash-purge";

// Runs FileService::PurgeExpiredTrash to the end on a private io_context, blocking (a worker or
// the `job run` thread, never an io thread). Returns "N trash item(s) purged (retention D days)";
// the service's errors as they are.
Result<std::string> PurgeTrashNow(core::files::FileService& files);

// The job spec ("trash-purge", daily at `daily_at`, "HH:MM" UTC). `files` must outlive it.
// kInvalidArgument for a bad time.
Result<JobSpec> TrashPurgeJob(core::files::FileService& files, std::string_view daily_at);

}  // namespace nimbus::jobs
