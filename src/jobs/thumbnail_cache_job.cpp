// SPDX-License-Identifier: AGPL-3.0-or-later
#include "jobs/thumbnail_cache_job.h"

#include <fmt/core.h>

namespace nimbus::jobs {

Result<JobSpec> ThumbnailCacheJob(core::files::Thumbnails& thumbnails, const std::string& at) {
  auto schedule = Schedule::Parse("daily " + at);
  if (!schedule) return std::unexpected(schedule.error());
  return JobSpec{.name = std::string(kThumbnailCacheJobName),
                 .schedule = *schedule,
                 .run = [&thumbnails]() -> Result<std::string> {
                   auto swept = thumbnails.SweepCache();
                   if (!swept) return std::unexpected(swept.error());
                   return fmt::format(
                       "{} thumbnail(s) of deleted files and {} least recently used removed; "
                       "{} bytes kept",
                       swept->gone, swept->trimmed, swept->kept_bytes);
                 }};
}

}  // namespace nimbus::jobs
