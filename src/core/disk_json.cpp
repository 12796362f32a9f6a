// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/disk_json.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>

#include "util/rfc3339.h"

namespace nimbus::core {
namespace {

double Ratio(std::int64_t done, std::int64_t total) {
  return total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0.0;
}

// `text` parsed when it is JSON, the text itself when not, null when empty.
boost::json::value ParsedOrNull(const std::string& text) {
  if (text.empty()) return nullptr;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) return boost::json::value(text);
  return v;
}

// RFC 3339 UTC, as every time of the API (api.md); null for none.
boost::json::value Time(std::int64_t ms) { return boost::json::value(FormatRfc3339(FromUnixMs(ms))); }
boost::json::value Time(const std::optional<std::int64_t>& ms) {
  return ms ? Time(*ms) : boost::json::value(nullptr);
}

}  // namespace

boost::json::object DiskJson(const storage::DiskInfo& d) {
  return {{"id", d.id},
          {"category", d.category},
          {"role", storage::DiskRoleName(d.role)},
          {"state", storage::ShownStateName(d)},
          {"repairs_pending", d.repairs_pending},
          {"mirror_id", d.mirror_id},
          {"uri", d.uri},
          {"capacity_bytes", d.capacity_bytes},
          {"allocated_bytes", d.allocated_bytes},
          {"used_bytes", d.used_bytes},
          {"users", d.owner_count}};
}

boost::json::object TaskJson(const db::DiskTaskRow& t) {
  const double progress = t.state == "done"   ? 1.0
                          : t.total_bytes > 0 ? Ratio(t.done_bytes, t.total_bytes)
                                              : Ratio(t.done_blobs, t.total_blobs);
  return {{"id", t.id},
          {"kind", t.kind},
          {"state", t.state},
          {"total_blobs", t.total_blobs},
          {"done_blobs", t.done_blobs},
          {"total_bytes", t.total_bytes},
          {"done_bytes", t.done_bytes},
          {"progress", progress},
          {"result", ParsedOrNull(t.result)},
          {"error", t.error},
          {"lease_owner", t.lease_owner},
          {"created_at", Time(t.created_at)},
          {"updated_at", Time(t.updated_at)},
          {"finished_at", Time(t.finished_at)}};
}

boost::json::object LastScrubJson(const storage::LastScrub& s) {
  return {{"task_id", s.task_id},
          {"state", s.state},
          {"started_at", Time(s.started_at)},
          {"finished_at", Time(s.finished_at)},
          {"result", ParsedOrNull(s.result_json)},
          {"error", s.error},
          {"summary", s.summary}};
}

Result<std::optional<db::DiskTaskRow>> LatestDiskTask(db::Database& db, std::string_view disk_id) {
  return db.Read([&](db::Transaction& tx) -> Result<std::optional<db::DiskTaskRow>> {
    std::optional<db::DiskTaskRow> best;
    for (const char* kind : {"resilver", "scrub"}) {
      auto t = db::DiskTaskStore(tx).LatestFor(disk_id, kind);
      if (!t) return std::unexpected(std::move(t.error()));
      if (*t && (!best || (*t)->id > best->id)) best = std::move(*t);
    }
    return best;
  });
}

}  // namespace nimbus::core
