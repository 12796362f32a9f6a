// SPDX-License-Identifier: AGPL-3.0-or-later
#include "admin_disk_scrub.h"

#include <fmt/core.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <vector>

#include "core/blob_names.h"
#include "runtime.h"
#include "storage/engine/scrub.h"

namespace nimbus::app {
namespace {

void PrintError(const Error& e) { fmt::print(stderr, "nimbus: {}\n", e.message); }

void PrintProgress(const storage::ScrubProgress& p) {
  if (p.phase == "blobs") {
    const double pct = p.total_blobs == 0 ? 100.0
                                          : 100.0 * static_cast<double>(p.done_blobs) /
                                                static_cast<double>(p.total_blobs);
    fmt::print(stderr, "scrub {}: {}/{} blobs checked ({:.0f}%)\n", p.pair, p.done_blobs,
               p.total_blobs, pct);
  } else if (p.phase == "orphans") {
    fmt::print(stderr, "scrub {}: listing disk {} for orphans\n", p.pair, p.disk);
  } else {
    fmt::print(stderr, "scrub {}: done\n", p.pair);
  }
  std::fflush(stderr);
}

}  // namespace

int ScrubDisks(const config::Config& config, const ScrubCommand& command) {
  if (command.all == !command.disk_id.empty()) {
    fmt::print(stderr, "nimbus: give either a disk id or --all\n");
    return 2;
  }
  boost::asio::io_context ioc;
  auto rt = OpenRuntime(config, ioc.get_executor(), RuntimeOptions{.check_capacity_at_open = true});
  if (!rt) {
    PrintError(rt.error());
    return 1;
  }
  Runtime& r = **rt;
  std::vector<std::string> ids;
  if (command.all) {
    auto all = storage::ScrubPairIds(*r.storage);
    if (!all) {
      PrintError(all.error());
      return 1;
    }
    ids = std::move(*all);
  } else {
    ids.push_back(command.disk_id);
  }

  boost::json::array reports;
  bool attention = false;
  bool failed = false;
  for (const std::string& id : ids) {
    auto target = storage::ScrubTargetFor(*r.storage, id);
    if (!target) {
      PrintError(target.error());
      const Errc code = target.error().code;
      if (code == Errc::kNotFound || code == Errc::kInvalidArgument) return 2;
      failed = true;
      continue;
    }
    storage::ScrubOptions options;
    options.skip_disks = target->skip_disks;
    options.delete_orphans = command.delete_orphans;
    options.on_progress = PrintProgress;
    storage::ScrubDeps deps{.db = *r.db,
                            .workers = *r.workers,
                            .alerts = r.storage->alerts(),
                            .clock = r.clock,
                            .metrics = &r.metrics};
    auto report = storage::ScrubPairNow(*target->pair, deps, std::move(options));
    if (!report) {
      PrintError(report.error());
      failed = true;
      continue;
    }
    attention = attention || report->needs_attention();
    // Lost blobs by what their owners call them, so that the admin can tell them.
    std::vector<std::string> lost_files;
    if (!report->lost_blobs.empty()) {
      auto named = core::NameBlobs(*r.db, report->lost_blobs);
      if (named) lost_files = std::move(*named);
    }
    if (command.json) {
      boost::json::value one = boost::json::parse(storage::ScrubReportJson(*report));
      boost::json::array files;
      for (const std::string& f : lost_files) files.emplace_back(f);
      one.as_object()["lost_files"] = std::move(files);
      reports.push_back(std::move(one));
    } else {
      fmt::print("{}", storage::ScrubReportText(*report));
      for (const std::string& f : lost_files) fmt::print("  lost file: {}\n", f);
    }
  }
  if (command.json) {
    if (command.all) {
      fmt::print("{}\n", boost::json::serialize(reports));
    } else if (!reports.empty()) {
      fmt::print("{}\n", boost::json::serialize(reports.front()));
    }
  }
  std::fflush(stdout);
  return attention || failed ? 1 : 0;
}

}  // namespace nimbus::app
