// DiskAdmin: the admin disk and job operations of the HTTP API (api.md "Admin") over the running
// server's storage engine: list/show with task progress and last scrub, attach, fail, replace
// (resilver in the background) and scrub (in the background), and the jobs' last/next runs.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <memory>
#include <string>

#include "config/disks.h"
#include "db/database.h"
#include "storage/engine/storage_engine.h"
#include "util/clock.h"
#include "util/metrics.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::core {

namespace net = boost::asio;

// Every job as `nimbus admin job list --json` prints it. Blocking (run on the worker pool).
using JobsLister = std::function<Result<boost::json::array>()>;

struct DiskAdminDeps {
  storage::StorageEngine& engine;  // Opened with its volumes, repair loops started.
  db::Database& db;
  WorkerPool& workers;
  const Clock& clock;
  util::Metrics* metrics = nullptr;
  net::any_io_executor executor;  // Where background resilvers and scrubs run.
  JobsLister jobs;
};

// Thread-safe. The caller checks that the user is an admin. Every method returns the JSON api.md
// gives (the same fields as the CLI's --json); errors are Results with a sentence for a person.
class DiskAdmin {
 public:
  explicit DiskAdmin(DiskAdminDeps deps);
  ~DiskAdmin();

  // Every disk (DiskJson) ordered by id, each with "task" (its newest resilver/scrub task or
  // null) and "last_scrub" (the last scrub of its pair, or null).
  net::awaitable<Result<boost::json::array>> List();
  // One disk like List. kNotFound for an unknown id.
  net::awaitable<Result<boost::json::object>> Show(std::string id);
  // Records a new spare (DiskPool::Attach) and opens it in the engine; the disk's JSON.
  // kInvalidArgument for an empty id/uri; kConflict when the id or uri is known; volume errors.
  net::awaitable<Result<boost::json::object>> Attach(config::Spare spare);
  // Marks the disk failed at once (reads and writes go to its mirror); the disk's JSON.
  // kNotFound for an unknown id.
  // kConflict when it holds the last working copy of its users' files, unless `force` (a drill).
  net::awaitable<Result<boost::json::object>> Fail(std::string id, bool force = false);
  // Puts spare `with` in the place of failed disk `id` and starts its resilver in the background;
  // answers at once with {disk: the spare, replaced: id, task}. kNotFound for an unknown id;
  // kConflict when `id` is not failed or `with` is not an unused spare; kNoCapacity when the
  // spare is smaller than what the disk holds.
  net::awaitable<Result<boost::json::object>> Replace(std::string id, std::string with);
  // Gives the empty pair of disk `id` back to the spares (DiskPool::Retire) and lets the
  // engine forget it; answers {disks: [both disks' JSON], category}. kConflict, saying what
  // uses it, for a pair that is not empty or a spare; kNotFound for an unknown id.
  net::awaitable<Result<boost::json::object>> Retire(std::string id);
  // Starts a scrub of the pair of disk `id` in the background; answers with {pair, task} once
  // its task row exists (or task null after 5 s). kNotFound for an unknown disk;
  // kInvalidArgument for a spare; kConflict while a scrub of the pair runs.
  net::awaitable<Result<boost::json::object>> Scrub(std::string id);
  // Every job with its last and next run (JobsLister).
  net::awaitable<Result<boost::json::array>> Jobs();

  struct State;  // Shared with background scrubs (they may outlive a request).

 private:
  DiskAdminDeps deps_;
  std::shared_ptr<State> state_;
};

}  // namespace nimbus::core
