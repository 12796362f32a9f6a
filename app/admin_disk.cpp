// SPDX-License-Identifier: AGPL-3.0-or-later
// `nimbus admin disk list|show|fail|heal`: the disks as the database records them. Works with the
// server stopped or running (the volumes are not opened; a running server applies a state change
// on its next disk-health round).
#include <cstdio>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <fmt/core.h>

#include "commands.h"
#include "runtime.h"

namespace nimbus::app {
namespace {

using storage::DiskInfo;

void PrintError(const Error& e) { fmt::print(stderr, "nimbus: {}\n", e.message); }

int ExitCodeOf(const Error& e) { return e.code == Errc::kNotFound ? 2 : 1; }

boost::json::object DiskJson(const DiskInfo& d) {
  return {{"id", d.id},
          {"category", d.category},
          {"role", storage::DiskRoleName(d.role)},
          {"state", storage::DiskStateName(d.state)},
          {"mirror_id", d.mirror_id},
          {"uri", d.uri},
          {"capacity_bytes", d.capacity_bytes},
          {"allocated_bytes", d.allocated_bytes},
          {"used_bytes", d.used_bytes},
          {"users", d.owner_count}};
}

std::string Or(const std::string& s) { return s.empty() ? "-" : s; }

// Opens the runtime without the volumes and runs fn(pool) -> exit code.
template <class F>
int WithPool(const config::Config& config, F fn) {
  boost::asio::io_context ioc;
  auto rt = OpenRuntime(config, ioc.get_executor());
  if (!rt) {
    PrintError(rt.error());
    return 1;
  }
  return fn((*rt)->storage->pool());
}

}  // namespace

int ListDisks(const config::Config& config, bool json) {
  return WithPool(config, [json](storage::DiskPool& pool) {
    auto disks = pool.List();
    if (!disks) {
      PrintError(disks.error());
      return 1;
    }
    if (json) {
      boost::json::array out;
      for (const auto& d : *disks) out.push_back(DiskJson(d));
      fmt::print("{}\n", boost::json::serialize(out));
      return 0;
    }
    fmt::print("{:<8} {:<4} {:<8} {:<12} {:<8} {:>16} {:>16} {:>16} {:>6}  {}\n", "DISK", "CAT",
               "ROLE", "STATE", "MIRROR", "CAPACITY", "ALLOCATED", "USED", "USERS", "URI");
    for (const auto& d : *disks) {
      fmt::print("{:<8} {:<4} {:<8} {:<12} {:<8} {:>16} {:>16} {:>16} {:>6}  {}\n", d.id,
                 Or(d.category), storage::DiskRoleName(d.role), storage::DiskStateName(d.state),
                 Or(d.mirror_id), d.capacity_bytes, d.allocated_bytes, d.used_bytes,
                 d.owner_count, d.uri);
    }
    return 0;
  });
}

int ShowDisk(const config::Config& config, const std::string& id, bool json) {
  return WithPool(config, [&id, json](storage::DiskPool& pool) {
    auto d = pool.Show(id);
    if (!d) {
      PrintError(d.error());
      return ExitCodeOf(d.error());
    }
    if (json) {
      fmt::print("{}\n", boost::json::serialize(DiskJson(*d)));
      return 0;
    }
    fmt::print("id:              {}\ncategory:        {}\nrole:            {}\nstate:           {}\n"
               "mirror:          {}\nuri:             {}\ncapacity_bytes:  {}\n"
               "allocated_bytes: {}\nused_bytes:      {}\nusers:           {}\n",
               d->id, Or(d->category), storage::DiskRoleName(d->role),
               storage::DiskStateName(d->state), Or(d->mirror_id), d->uri, d->capacity_bytes,
               d->allocated_bytes, d->used_bytes, d->owner_count);
    return 0;
  });
}

int FailDisk(const config::Config& config, const std::string& id) {
  return WithPool(config, [&id](storage::DiskPool& pool) {
    auto failed = pool.MarkFailed(id);
    if (!failed) {
      PrintError(failed.error());
      return ExitCodeOf(failed.error());
    }
    fmt::print("disk {} marked failed; a running server stops using it on its next health round\n",
               id);
    return 0;
  });
}

int HealDisk(const config::Config& config, const std::string& id) {
  return WithPool(config, [&id](storage::DiskPool& pool) {
    auto healed = pool.MarkHealthy(id);
    if (!healed) {
      PrintError(healed.error());
      return ExitCodeOf(healed.error());
    }
    fmt::print("disk {} marked healthy; a running server uses it again on its next health round\n",
               id);
    return 0;
  });
}

}  // namespace nimbus::app
