// LoggingAlertSink: alerts go to the log and to a counter until the mailer takes them.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/alerts.h"

#include <spdlog/spdlog.h>

namespace nimbus::storage {

std::string_view AlertKindName(AlertKind kind) {
  switch (kind) {
    case AlertKind::kDiskFailed:
      return "disk_failed";
    case AlertKind::kDiskDegraded:
      return "disk_degraded";
    case AlertKind::kDiskRecovered:
      return "disk_recovered";
    case AlertKind::kRepairFailed:
      return "repair_failed";
    case AlertKind::kNearFull:
      return "near_full";
    case AlertKind::kNoCapacity:
      return "no_capacity";
    case AlertKind::kSpareAttached:
      return "spare_attached";
    case AlertKind::kScrubFindings:
      return "scrub_findings";
  }
  return "unknown";
}

LoggingAlertSink::LoggingAlertSink(util::Metrics* metrics) {
  if (metrics != nullptr) {
    counter_ = &metrics->AddCounter("nimbus_storage_alerts_total",
                                    "Admin alerts raised by the storage layer.", {"kind", "disk"});
  }
}

void LoggingAlertSink::Raise(const Alert& alert) {
  const bool severe = alert.kind == AlertKind::kDiskFailed ||
                      alert.kind == AlertKind::kRepairFailed ||
                      alert.kind == AlertKind::kNoCapacity;
  spdlog::log(severe ? spdlog::level::err : spdlog::level::warn, "storage alert {} disk={}: {}",
              AlertKindName(alert.kind), alert.disk_id.empty() ? "-" : alert.disk_id,
              alert.message);
  if (counter_ != nullptr) counter_->WithLabels({AlertKindName(alert.kind), alert.disk_id}).Inc();
}

}  // namespace nimbus::storage
