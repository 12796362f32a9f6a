// MirroredVolume: writes to both sides, reads with mid-stream failover, and the simple per-side
// operations (stat, remove, list, probe, space). Repairs are in mirror_repair.cpp.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/mirror/mirrored_volume.h"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <limits>
#include <optional>
#include <unordered_set>

#include "storage/counting_sink.h"
#include "storage/mirror/mirrored_writer.h"
#include "util/log_throttle.h"

namespace nimbus::storage {

using namespace boost::asio::experimental::awaitable_operators;  // NOLINT: operator&&.

namespace {

bool IsFailoverReason(Errc code) {
  return code == Errc::kIoError || code == Errc::kNotFound || code == Errc::kChecksumMismatch;
}

}  // namespace

MirroredVolume::MirroredVolume(std::shared_ptr<Volume> primary, std::shared_ptr<Volume> mirror,
                               MirrorOptions options)
    : sides_{std::move(primary), std::move(mirror)},
      names_{sides_[0]->id()},
      id_(&names_.front()),
      state_(options.state),
      options_(std::move(options)) {
  if (state_ == nullptr) {
    auto alerts = options_.alerts != nullptr ? options_.alerts
                                             : std::make_shared<LoggingAlertSink>(options_.metrics);
    state_ = std::make_shared<PairState>(sides_[0]->id(), sides_[1]->id(), std::move(alerts),
                                         options_.fail_after_errors);
  }
  if (options_.metrics != nullptr) {
    failover_counter_ = &options_.metrics->AddCounter(
        "nimbus_storage_read_failovers_total",
        "Reads that continued on the other side of a mirrored pair.", {"disk"});
    repair_counter_ = &options_.metrics->AddCounter("nimbus_storage_repairs_total",
                                                    "Blob repairs of mirrored pairs by result.",
                                                    {"disk", "result"});
  }
  InitWaker();
}

const std::string& MirroredVolume::id() const { return *id_.load(); }

std::shared_ptr<Volume> MirroredVolume::side(Side s) const {
  std::lock_guard lock(sides_mutex_);
  return sides_[Index(s)];
}

void MirroredVolume::ReplaceSide(Side s, std::shared_ptr<Volume> volume) {
  std::lock_guard lock(sides_mutex_);
  if (s == Side::kPrimary && volume->id() != *id_.load()) {
    names_.push_back(volume->id());
    id_ = &names_.back();
  }
  sides_[Index(s)] = std::move(volume);
}

net::awaitable<Result<std::unique_ptr<BlobWriter>>> MirroredVolume::Create(const BlobId& id,
                                                                           WriteCaching caching) {
  std::array<std::shared_ptr<Volume>, 2> vols = {side(Side::kPrimary), side(Side::kMirror)};
  // Only the side that Get reads first keeps the blocks in the page cache.
  const Side reads_from = state_->Readable(Side::kPrimary) ? Side::kPrimary : Side::kMirror;
  std::array<std::unique_ptr<BlobWriter>, 2> writers;
  std::array<std::optional<Error>, 2> errors;
  for (Side s : {Side::kPrimary, Side::kMirror}) {
    if (!state_->Usable(s)) {
      errors[Index(s)] =
          Error{Errc::kIoError, fmt::format("disk {} is failed", vols[Index(s)]->id())};
      continue;
    }
    const WriteCaching side_caching = s == reads_from ? caching : WriteCaching::kBypass;
    auto w = co_await vols[Index(s)]->Create(id, side_caching);
    if (w) {
      writers[Index(s)] = std::move(*w);
    } else if (w.error().code == Errc::kNameTaken) {
      for (auto& started : writers) {
        if (started != nullptr) co_await started->Abort();
      }
      co_return Fail(w.error());
    } else {
      state_->RecordError(s, w.error().message);
      errors[Index(s)] = w.error();
    }
  }
  if (writers[0] == nullptr && writers[1] == nullptr) {
    co_return Fail(PairFailureCode(*errors[0]), "blob {}: no side of {}/{} takes writes: {}; {}",
                   id.str(), vols[0]->id(), vols[1]->id(), errors[0]->message, errors[1]->message);
  }
  // A side being resilvered alone must not take a blob: nothing could read it back yet.
  const bool readable_writer = (writers[0] != nullptr && state_->Readable(Side::kPrimary)) ||
                               (writers[1] != nullptr && state_->Readable(Side::kMirror));
  if (!readable_writer) {
    for (auto& started : writers) {
      if (started != nullptr) co_await started->Abort();
    }
    co_return Fail(Errc::kStorageUnavailable,
                   "blob {}: pair {} has no readable disk (one is failed, the other resilvering)",
                   id.str(), this->id());
  }
  std::unique_ptr<BlobWriter> out = std::make_unique<MirroredWriter>(
      id, state_, std::move(vols), std::move(writers), std::move(errors));
  co_return out;
}

net::awaitable<Result<void>> MirroredVolume::Get(const BlobId& id, ByteRange range,
                                                 ByteSink& sink) {
  constexpr auto kNever = std::numeric_limits<std::uint64_t>::max();
  std::array<std::shared_ptr<Volume>, 2> vols = {side(Side::kPrimary), side(Side::kMirror)};
  Side cur = state_->Readable(Side::kPrimary) ? Side::kPrimary : Side::kMirror;
  if (!state_->Readable(cur)) {
    co_return Fail(Errc::kStorageUnavailable,
                   "blob {}: no readable disk in {}/{} (failed or resilvering)", id.str(),
                   vols[0]->id(), vols[1]->id());
  }
  CountingSink counted(sink);
  std::array<std::optional<std::uint64_t>, 2> failed_at;  // Bytes delivered when a side failed.
  std::array<std::optional<Error>, 2> errors;
  for (int attempt = 0; attempt < 4; ++attempt) {
    const std::uint64_t done = counted.count();
    ByteRange rest{range.offset + done, std::nullopt};
    if (range.length) rest.length = *range.length - done;
    auto r = co_await vols[Index(cur)]->Get(id, rest, counted);
    if (r) {
      state_->RecordSuccess(cur);
      for (Side s : {Side::kPrimary, Side::kMirror}) {
        if (failed_at[Index(s)]) state_->QueueRepair(id, s, "read: " + errors[Index(s)]->message);
      }
      co_return r;
    }
    if (counted.sink_failed() || !IsFailoverReason(r.error().code)) co_return r;
    const bool missing = r.error().code == Errc::kNotFound;
    failed_at[Index(cur)] = missing ? kNever : counted.count();
    errors[Index(cur)] = r.error();
    if (!missing) state_->RecordError(cur, r.error().message);
    const Side other = Other(cur);
    const auto& other_failed = failed_at[Index(other)];
    if (!state_->Readable(other) || (other_failed && *other_failed >= counted.count())) break;
    static LogThrottle throttle;
    const LogThrottle::Verdict said = throttle.Take(vols[Index(cur)]->id());
    if (said.held > 0) {
      spdlog::warn("{} more reads from {} failed over to {} (not logged one by one)", said.held,
                   vols[Index(cur)]->id(), vols[Index(other)]->id());
    }
    if (said.log) {
      spdlog::warn("blob {}: read from {} failed at byte {} ({}); continuing from {}", id.str(),
                   vols[Index(cur)]->id(), range.offset + counted.count(), r.error().message,
                   vols[Index(other)]->id());
    }
    ++failovers_;
    if (failover_counter_ != nullptr) failover_counter_->WithLabels({this->id()}).Inc();
    cur = other;
  }
  // The side out of service, as a last resort: a failed disk often still reads (it filled up,
  // or was failed by hand while its partner still lacked blobs only it holds), and every block
  // it gives is checked against its checksum (QA pass 17b: such files answered 404).
  for (Side s : {Side::kPrimary, Side::kMirror}) {
    if (errors[Index(s)] || state_->Readable(s)) continue;
    const std::uint64_t done = counted.count();
    ByteRange rest{range.offset + done, std::nullopt};
    if (range.length) rest.length = *range.length - done;
    auto r = co_await vols[Index(s)]->Get(id, rest, counted);
    if (r) {
      spdlog::warn("blob {}: read from {}, which is out of service: {} could not serve it ({})",
                   id.str(), vols[Index(s)]->id(), vols[Index(Other(s))]->id(),
                   errors[Index(Other(s))]->message);
      co_return r;
    }
    if (counted.sink_failed()) co_return r;
    errors[Index(s)] = r.error();
  }
  co_return Fail(NoSideServes(id, errors));
}

// The error of a read that no side could finish: the most telling one (a real failure over a
// missing copy). A copy missing on the side in service while the other is out of service is
// kStorageUnavailable, not kNotFound: the file exists, its disk is out of reach.
Error MirroredVolume::NoSideServes(const BlobId& id,
                                   const std::array<std::optional<Error>, 2>& errors) const {
  const auto& e0 = errors[0];
  const auto& e1 = errors[1];
  Error e = e0 && e1 ? (e1->code != Errc::kNotFound ? *e1 : *e0) : (e0 ? *e0 : *e1);
  e.code = PairFailureCode(e);
  if (e.code == Errc::kNotFound &&
      !(state_->Readable(Side::kPrimary) && state_->Readable(Side::kMirror))) {
    const Side out = state_->Readable(Side::kPrimary) ? Side::kMirror : Side::kPrimary;
    return Error{Errc::kStorageUnavailable,
                 fmt::format("blob {}: not on {}, and {}, which may hold it, is out of service",
                             id.str(), state_->disk_id(Other(out)), state_->disk_id(out))};
  }
  return e;
}

net::awaitable<Result<BlobStat>> MirroredVolume::Stat(const BlobId& id) {
  std::array<std::optional<Error>, 2> errors;
  for (Side s : {Side::kPrimary, Side::kMirror}) {
    if (!state_->Readable(s)) continue;
    auto r = co_await side(s)->Stat(id);
    if (r || !IsFailoverReason(r.error().code)) co_return r;
    if (r.error().code != Errc::kNotFound) state_->RecordError(s, r.error().message);
    errors[Index(s)] = r.error();
  }
  if (!errors[0] && !errors[1])
    co_return Fail(Errc::kStorageUnavailable, "blob {}: no readable disk in {}", id.str(),
                   this->id());
  // As Get: the side out of service as a last resort.
  for (Side s : {Side::kPrimary, Side::kMirror}) {
    if (errors[Index(s)]) continue;
    auto r = co_await side(s)->Stat(id);
    if (r) co_return r;
    errors[Index(s)] = r.error();
  }
  co_return Fail(NoSideServes(id, errors));
}

net::awaitable<Result<void>> MirroredVolume::Remove(const BlobId& id) {
  state_->ForgetBlob(id);
  bool removed = false;
  std::optional<Error> error;
  std::vector<std::string> out_of_service;  // Sides that may still hold it.
  // Both sides at once when both are in service.
  const bool usable[2] = {state_->Usable(Side::kPrimary), state_->Usable(Side::kMirror)};
  Result<void> results[2];
  if (usable[0] && usable[1]) {
    auto [p, m] = co_await (side(Side::kPrimary)->Remove(id) && side(Side::kMirror)->Remove(id));
    results[0] = std::move(p);
    results[1] = std::move(m);
  } else {
    for (Side s : {Side::kPrimary, Side::kMirror}) {
      if (usable[Index(s)]) results[Index(s)] = co_await side(s)->Remove(id);
    }
  }
  for (Side s : {Side::kPrimary, Side::kMirror}) {
    if (!usable[Index(s)]) {
      out_of_service.push_back(state_->disk_id(s));
      continue;
    }
    const Result<void>& r = results[Index(s)];
    if (r) {
      removed = true;
    } else if (r.error().code != Errc::kNotFound) {
      state_->RecordError(s, r.error().message);
      spdlog::warn("blob {}: remove on {} failed: {}", id.str(), state_->disk_id(s),
                   r.error().message);
      error = r.error();
    }
  }
  if (error) co_return Fail(*error);
  // A failed disk keeps its copy: the caller keeps the removal queued (blob_erasures) and does
  // it again once the disk is back, rather than leave orphans that fill it (QA pass 14, finding 4).
  if (!out_of_service.empty()) {
    co_return Fail(Errc::kStorageUnavailable,
                   "blob {}: not removed from {} (out of service); to be removed when it is back",
                   id.str(), fmt::format("{}", fmt::join(out_of_service, " and ")));
  }
  if (removed) co_return Result<void>{};
  co_return Fail(Errc::kNotFound, "blob {} not found on {}", id.str(), this->id());
}

net::awaitable<Result<void>> MirroredVolume::ForEachSide(Side s, const BlobVisitor& visit,
                                                         bool& visitor_failed) {
  BlobVisitor wrapped = [&visit, &visitor_failed](const BlobId& id, std::uint64_t size) {
    auto r = visit(id, size);
    if (!r) visitor_failed = true;
    return r;
  };
  co_return co_await side(s)->ForEach(std::move(wrapped));
}

net::awaitable<Result<void>> MirroredVolume::ForEach(BlobVisitor visit) {
  std::unordered_set<std::string> seen;
  BlobVisitor first = [&seen, &visit](const BlobId& id, std::uint64_t size) -> Result<void> {
    seen.insert(id.str());
    return visit(id, size);
  };
  BlobVisitor second = [&seen, &visit](const BlobId& id, std::uint64_t size) -> Result<void> {
    if (seen.contains(id.str())) return {};
    return visit(id, size);
  };
  std::optional<Error> error;
  int listed = 0;
  for (Side s : {Side::kPrimary, Side::kMirror}) {
    if (!state_->Readable(s)) continue;
    bool visitor_failed = false;
    auto r = co_await ForEachSide(s, s == Side::kPrimary ? first : second, visitor_failed);
    if (!r && visitor_failed) co_return r;
    if (r) {
      ++listed;
    } else {
      state_->RecordError(s, r.error().message);
      error = r.error();
    }
  }
  if (listed > 0) co_return Result<void>{};
  if (error) co_return Fail(*error);
  co_return Fail(Errc::kIoError, "both disks of {} are failed", this->id());
}

net::awaitable<SideProbes> MirroredVolume::ProbeSides() {
  auto p = side(Side::kPrimary);
  auto m = side(Side::kMirror);
  auto [a, b] = co_await (p->Probe() && m->Probe());
  co_return SideProbes{std::move(a), std::move(b)};
}

net::awaitable<Result<void>> MirroredVolume::Probe() {
  SideProbes probes = co_await ProbeSides();
  if (probes.primary && probes.mirror) co_return Result<void>{};
  std::string what;
  if (!probes.primary) {
    what += fmt::format("primary {}: {}", state_->disk_id(Side::kPrimary),
                        probes.primary.error().message);
  }
  if (!probes.mirror) {
    if (!what.empty()) what += "; ";
    what +=
        fmt::format("mirror {}: {}", state_->disk_id(Side::kMirror), probes.mirror.error().message);
  }
  co_return Fail(Errc::kIoError, "probe failed: {}", what);
}

net::awaitable<Result<VolumeSpace>> MirroredVolume::Space() {
  std::optional<VolumeSpace> out;
  std::optional<Error> error;
  for (Side s : {Side::kPrimary, Side::kMirror}) {
    if (!state_->Usable(s)) continue;
    auto r = co_await side(s)->Space();
    if (!r) {
      error = r.error();
      continue;
    }
    if (!out) {
      out = *r;
    } else {
      out->total_bytes = std::min(out->total_bytes, r->total_bytes);
      out->free_bytes = std::min(out->free_bytes, r->free_bytes);
    }
  }
  if (out) co_return *out;
  if (error) co_return Fail(*error);
  co_return Fail(Errc::kIoError, "both disks of {} are failed", this->id());
}

}  // namespace nimbus::storage
