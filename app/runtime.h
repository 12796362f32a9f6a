// Runtime: what every subcommand opens from the configuration: the worker pool, the database
// (migrated), and the job scheduler with every job registered. Built once in main.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "config/config.h"
#include "db/database.h"
#include "jobs/scheduler.h"
#include "util/clock.h"
#include "util/metrics.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::app {

struct Runtime {
  config::Config config;
  util::Metrics metrics;
  SystemClock clock;
  std::unique_ptr<WorkerPool> workers;
  std::unique_ptr<db::Database> db;
  std::unique_ptr<jobs::Scheduler> scheduler;
};

// Creates the data directory, opens and migrates the database, registers the jobs on a
// scheduler bound to `io` (its timers only run once the scheduler is started).
// kIoError / kUnavailable with a message for a person when any of it fails.
Result<std::unique_ptr<Runtime>> OpenRuntime(const config::Config& config,
                                             boost::asio::any_io_executor io);

}  // namespace nimbus::app
