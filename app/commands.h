// The subcommands of the nimbus binary. Each returns the process exit code:
// 0 success, 1 the operation failed, 2 bad configuration or usage.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/json/array.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "config/config.h"
#include "jobs/scheduler.h"
#include "util/result.h"

namespace nimbus::app {

int RunServe(const config::Config& config);
// True while a `nimbus serve` holds `data_dir` (its serve.lock).
bool ServerHoldsDataDir(const std::string& data_dir);
int RunConfigCheck(const config::Config& config);
int RunJob(const config::Config& config, const std::string& name);
int ListJobs(const config::Config& config, bool json);
// Every job with its last and next run, as `admin job list --json` and GET /api/v1/admin/jobs
// show it. Blocks on the database.
Result<boost::json::array> JobsJson(jobs::Scheduler& scheduler);
// admin_disk.cpp. An unknown disk id exits 2 with a message naming it.
int ListDisks(const config::Config& config, bool json);
int ShowDisk(const config::Config& config, const std::string& id, bool json);
int FailDisk(const config::Config& config, const std::string& id, bool force);
int HealDisk(const config::Config& config, const std::string& id);
// `nimbus admin disk retire ID`: gives the empty pair of disk ID back to the spares.
int RetireDisk(const config::Config& config, const std::string& id);
// Puts spare `spare` in the place of failed disk `id` and resilvers it (progress printed as it
// goes); run again after an interruption, it resumes. 0 when the disk is healthy.
int ReplaceDisk(const config::Config& config, const std::string& id, const std::string& spare,
                bool json);
// Records a new spare (a file: disk gets its directory and marker).
int AttachDisk(const config::Config& config, const std::string& id, const std::string& uri,
               std::uint64_t capacity_bytes, bool json);

// admin_user.cpp. Bad input (unknown email, invalid email, weak password) exits 2.
int CreateUser(const config::Config& config, const std::string& email, const std::string& name,
               bool admin, const std::string& password_file);
int PromoteUser(const config::Config& config, const std::string& email, bool demote);
int DisableUser(const config::Config& config, const std::string& email, bool enable);
// `admin user delete EMAIL --yes`: the account and its files for good (core::CloseAccount).
int DeleteUser(const config::Config& config, const std::string& email, bool yes);
// `admin user list [--sort used|plan|email]`: each user with their plan, usage and standing.
int ListUsers(const config::Config& config, bool json, const std::string& sort);
// `admin user plan EMAIL GB [--complimentary|--charged]`: sets the plan as an admin does in the
// API (no charge), and runs a move to another disk category to its end.
int SetUserPlan(const config::Config& config, const std::string& email, std::int64_t size_gb,
                std::optional<bool> complimentary);

// admin_backup.cpp: `admin backup DEST` (a file, or a directory for nimbus-<UTC time>.db): a
// checked copy of the SQLite catalog while the server runs; PostgreSQL: says to use pg_dump (2).
int BackupCatalog(const config::Config& config, const std::string& dest);

// admin_billing.cpp. `invoice` is an id or a number (INV-000003); unknown → exit 2. Already paid
// says so and exits 0. `email`/`status` empty: every user's, every status.
int MarkInvoicePaid(const config::Config& config, const std::string& invoice,
                    const std::string& ref);
int ListInvoices(const config::Config& config, const std::string& email, const std::string& status,
                 bool json);

}  // namespace nimbus::app
