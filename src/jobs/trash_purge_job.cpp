// SPDX-License-Identifier: AGPL-3.0-or-later
#include "jobs/trash_purge_job.h"

#include <fmt/core.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>

namespace nimbus::jobs {

Result<std::string> PurgeTrashNow(core::files::FileService& files) {
  boost::asio::io_context ioc;
  std::optional<Result<std::int64_t>> out;
  std::exception_ptr thrown;
  auto done = [&out, &thrown](std::exception_ptr e, Result<std::int64_t> r) {
    if (e) {
      thrown = e;
    } else {
      out = std::move(r);
    }
  };
  boost::asio::co_spawn(ioc, files.PurgeExpiredTrash(), done);
  ioc.run();
  if (thrown) std::rethrow_exception(thrown);  // A bug, not an error value.
  if (!*out) return std::unexpected(std::move(out->error()));
  return fmt::format("{} trash item(s) purged (retention {} days)", **out,
                     files.deps().config.trash_retention_days);
}

Result<JobSpec> TrashPurgeJob(core::files::FileService& files, std::string_view daily_at) {
  auto schedule = Schedule::Parse(fmt::format("daily {}", daily_at));
  if (!schedule) return std::unexpected(std::move(schedule.error()));
  return JobSpec{.name = std::string(kTrashPurgeJobName), .schedule = *schedule, .run = [&files] {
                   return PurgeTrashNow(files);
                 }};
}

}  // namespace nimbus::jobs
