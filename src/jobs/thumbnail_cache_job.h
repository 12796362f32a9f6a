// The thumbnail-cache job: removes the thumbnails of files deleted for good (and of closed
// accounts) and keeps the cache under files.thumbnail_cache_bytes (Thumbnails::SweepCache).
// Daily at files.thumbnail_sweep_at; `nimbus job run thumbnail-cache` too.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>

#include "core/files/thumbnails.h"
#include "jobs/scheduler.h"
#include "util/result.h"

namespace nimbus::jobs {

inline constexpr std::string_view kThumbnailCacheJobName = "thumbnail-cache";

// The job spec (daily at `at`, "HH:MM" UTC). `thumbnails` must outlive it. kInvalidArgument for
// a bad time.
Result<JobSpec> ThumbnailCacheJob(core::files::Thumbnails& thumbnails, const std::string& at);

}  // namespace nimbus::jobs
