// SPDX-License-Identifier: AGPL-3.0-or-later
#include "jobs/mail_outbox_job.h"

#include <fmt/core.h>

namespace nimbus::jobs {

JobSpec MailOutboxJob(std::shared_ptr<mail::OutboxSender> sender, int poll_interval_s) {
  auto run = [sender = std::move(sender)]() -> Result<std::string> {
    auto r = sender->Drain();
    if (!r) return std::unexpected(std::move(r.error()));
    auto counts = sender->Counts();
    if (!counts) return std::unexpected(std::move(counts.error()));
    std::string summary =
        fmt::format("sent {}, retry {}, failed {}, deferred {}; queued {}", r->sent, r->retried,
                    r->failed, r->deferred, counts->queued + counts->sending);
    if (!r->last_error.empty()) summary += fmt::format(" (last error: {})", r->last_error);
    if (r->pruned > 0) summary += fmt::format("; {} old sent rows removed", r->pruned);
    return summary;
  };
  // The lease is renewed every third of it while a run lasts, so it only matters when a process
  // died mid-run: then mail waits at most this long (a killed `nimbus job run` must not hold up
  // the server's deliveries for long).
  return JobSpec{.name = std::string(kMailOutboxJobName),
                 .schedule = Schedule::Every(std::chrono::seconds(poll_interval_s)),
                 .run = std::move(run),
                 .lease = std::chrono::minutes(5)};
}

}  // namespace nimbus::jobs
