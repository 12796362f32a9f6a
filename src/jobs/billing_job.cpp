// SPDX-License-Identifier: AGPL-3.0-or-later
#include "jobs/billing_job.h"

namespace nimbus::jobs {

Result<JobSpec> BillingJob(core::billing::Ledger& ledger, std::string_view schedule) {
  auto parsed = Schedule::Parse(schedule);
  if (!parsed) {
    return Fail(Errc::kInvalidArgument, "billing.job_schedule: {}", parsed.error().message);
  }
  return JobSpec{.name = std::string(kBillingJobName), .schedule = *parsed, .run = [&ledger] {
                   auto run = ledger.RunBilling();
                   if (!run) return Result<std::string>(std::unexpect, std::move(run.error()));
                   return Result<std::string>(run->Summary());
                 }};
}

}  // namespace nimbus::jobs
