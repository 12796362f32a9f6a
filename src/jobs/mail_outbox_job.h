// The mail-outbox job: delivers the queued mail (mail::OutboxSender) every poll_interval_s, on a
// worker thread since sending blocks. Registered by every runtime; `nimbus job run mail-outbox`.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <memory>
#include <string_view>

#include "jobs/scheduler.h"
#include "mail/outbox.h"

namespace nimbus::jobs {

inline constexpr std::string_view kMailOutboxJobName = "mail-outbox";

// The job spec: every `poll_interval_s` seconds, OutboxSender::Drain(). The run succeeds with a
// summary ("sent 2, retry 1 (last error: …), failed 0, deferred 0, queued 1") even when
// deliveries failed (each failure is recorded on its message and retried); it fails only when
// the database does. The sender is shared so it outlives every run.
JobSpec MailOutboxJob(std::shared_ptr<mail::OutboxSender> sender, int poll_interval_s);

}  // namespace nimbus::jobs
