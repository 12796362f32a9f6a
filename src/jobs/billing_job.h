// The billing job: Ledger::RunBilling on billing.job_schedule (every hour by default). It issues
// the invoice of every period that ended and refreshes every standing (past_due after the grace
// period, active again once paid). Needs no disks, so `nimbus job run billing` works next to a
// running server and without one.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>

#include "core/billing/ledger.h"
#include "jobs/scheduler.h"
#include "util/result.h"

namespace nimbus::jobs {

inline constexpr std::string_view kBillingJobName = "billing";

// The job spec ("billing", on `schedule`, e.g. "every 1h"). Its summary is BillingRun::Summary.
// `ledger` must outlive it. kInvalidArgument naming billing.job_schedule for a bad schedule.
Result<JobSpec> BillingJob(core::billing::Ledger& ledger, std::string_view schedule);

}  // namespace nimbus::jobs
