// SPDX-License-Identifier: AGPL-3.0-or-later
#include "jobs/tus_cleanup_job.h"

#include <fmt/core.h>

namespace nimbus::jobs {

Result<JobSpec> TusCleanupJob(core::files::TusService& tus, const std::string& at) {
  auto schedule = Schedule::Parse("daily " + at);
  if (!schedule) return std::unexpected(schedule.error());
  return JobSpec{.name = std::string(kTusCleanupJobName),
                 .schedule = *schedule,
                 .run = [&tus]() -> Result<std::string> {
                   auto removed = tus.RemoveExpired();
                   if (!removed) return std::unexpected(removed.error());
                   return fmt::format("{} expired upload(s) removed", *removed);
                 }};
}

}  // namespace nimbus::jobs
