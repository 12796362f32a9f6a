// Alerts: what the storage layer tells the admins (a disk failed, a pair is degraded, a repair
// failed, a category is full). AlertSink is the interface; LoggingAlertSink logs and counts them
// until the mailer is wired in. SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>

#include "util/metrics.h"

namespace nimbus::storage {

enum class AlertKind {
  kDiskFailed,     // A disk is no longer used; its mirror serves everything.
  kDiskDegraded,   // A disk misses blobs (a write or read failed there); repairs are queued.
  kDiskRecovered,  // A degraded or failed disk is healthy again.
  kRepairFailed,   // A blob could not be repaired (for example: both copies are bad).
  kNearFull,       // A category passed near_full_ratio.
  kNoCapacity,     // A category has no space and no spare left.
  kSpareAttached,  // A spare was attached to a category.
  kScrubFindings,  // Scrub found missing, corrupt or orphan blobs.
};

// "disk_failed", "disk_degraded", …: the label used in logs and metrics.
std::string_view AlertKindName(AlertKind kind);

struct Alert {
  AlertKind kind = AlertKind::kDiskDegraded;
  std::string disk_id;  // The disk concerned ("a1m"); "" when it is about a category.
  std::string message;  // One sentence for a person.
  // False: logged and counted, not mailed (another process made the change and mailed it: the
  // server applying a disk state the CLI recorded).
  bool mailed = true;
  // Users cannot reach their files (both disks of their pair out of service): mailed with its
  // own subject, never held back by the quiet period of its kind and disk.
  bool users_cut_off = false;
  // kDiskRecovered of a disk that is in no pair: an unused spare again (a replaced disk healed),
  // not a disk back in service for anyone.
  bool to_spare = false;
};

// Receives alerts. Implementations are thread-safe and must not block (queue a mail, log).
class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual void Raise(const Alert& alert) = 0;
};

// Logs every alert with spdlog (warn; error for kDiskFailed, kRepairFailed, kNoCapacity) and
// counts it in nimbus_storage_alerts_total{kind,disk} when given a registry.
class LoggingAlertSink : public AlertSink {
 public:
  explicit LoggingAlertSink(util::Metrics* metrics = nullptr);
  void Raise(const Alert& alert) override;

 private:
  util::CounterFamily* counter_ = nullptr;
};

}  // namespace nimbus::storage
