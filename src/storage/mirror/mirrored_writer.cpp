// MirroredWriter: parallel appends and commits to the two sides of a pair.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/mirror/mirrored_writer.h"

#include <spdlog/spdlog.h>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "util/log_throttle.h"

namespace nimbus::storage {

using namespace boost::asio::experimental::awaitable_operators;  // NOLINT: operator&&.

MirroredWriter::MirroredWriter(BlobId id, std::shared_ptr<PairState> state,
                               std::array<std::shared_ptr<Volume>, 2> volumes,
                               std::array<std::unique_ptr<BlobWriter>, 2> writers,
                               std::array<std::optional<Error>, 2> errors)
    : id_(std::move(id)),
      state_(std::move(state)),
      volumes_(std::move(volumes)),
      writers_(std::move(writers)),
      errors_(std::move(errors)) {}

Error MirroredWriter::DeadError() const {
  const auto& p = errors_[0];
  const auto& m = errors_[1];
  // Full only when every side that failed is full: one full and one broken is out of service.
  Errc code = p ? PairFailureCode(*p) : (m ? PairFailureCode(*m) : Errc::kStorageUnavailable);
  if (p && m && PairFailureCode(*p) != PairFailureCode(*m)) code = Errc::kStorageUnavailable;
  return Error{code, fmt::format("blob {}: both sides failed: {}: {}; {}: {}", id_.str(),
                                 state_->disk_id(Side::kPrimary), p ? p->message : "?",
                                 state_->disk_id(Side::kMirror), m ? m->message : "?")};
}

net::awaitable<void> MirroredWriter::DropSide(Side s, Error error) {
  state_->RecordError(s, error.message);
  auto writer = std::move(writers_[Index(s)]);
  co_await writer->Abort();
  errors_[Index(s)] = std::move(error);
}

net::awaitable<Result<void>> MirroredWriter::Append(std::span<const char> data) {
  return AppendBoth(data, std::nullopt);
}

net::awaitable<Result<void>> MirroredWriter::AppendBlock(std::span<const char> block,
                                                         std::uint64_t checksum) {
  return AppendBoth(block, checksum);
}

net::awaitable<Result<void>> MirroredWriter::AppendBoth(std::span<const char> data,
                                                        std::optional<std::uint64_t> checksum) {
  if (done_) co_return Fail(Errc::kInternal, "blob {}: Append after Commit/Abort", id_.str());
  auto append = [&](BlobWriter& w) {
    return checksum ? w.AppendBlock(data, *checksum) : w.Append(data);
  };
  Result<void> r[2];
  if (Alive(Side::kPrimary) && Alive(Side::kMirror)) {
    auto [a, b] = co_await (append(*writers_[0]) && append(*writers_[1]));
    r[0] = std::move(a);
    r[1] = std::move(b);
  } else if (Alive(Side::kPrimary)) {
    r[0] = co_await append(*writers_[0]);
  } else if (Alive(Side::kMirror)) {
    r[1] = co_await append(*writers_[1]);
  } else {
    co_return Fail(DeadError());
  }
  for (Side s : {Side::kPrimary, Side::kMirror}) {
    if (Alive(s) && !r[Index(s)]) co_await DropSide(s, r[Index(s)].error());
  }
  if (!Alive(Side::kPrimary) && !Alive(Side::kMirror)) co_return Fail(DeadError());
  co_return Result<void>{};
}

net::awaitable<Result<std::uint64_t>> MirroredWriter::Commit() {
  if (done_) co_return Fail(Errc::kInternal, "blob {}: Commit after Commit/Abort", id_.str());
  done_ = true;
  Result<std::uint64_t> r[2] = {Fail(Errc::kIoError, "not written"),
                                Fail(Errc::kIoError, "not written")};
  if (Alive(Side::kPrimary) && Alive(Side::kMirror)) {
    auto [a, b] = co_await (writers_[0]->Commit() && writers_[1]->Commit());
    r[0] = std::move(a);
    r[1] = std::move(b);
  } else if (Alive(Side::kPrimary)) {
    r[0] = co_await writers_[0]->Commit();
  } else if (Alive(Side::kMirror)) {
    r[1] = co_await writers_[1]->Commit();
  } else {
    co_return Fail(DeadError());
  }
  bool committed[2] = {false, false};
  bool name_taken = false;
  for (Side s : {Side::kPrimary, Side::kMirror}) {
    if (!Alive(s)) continue;
    const auto& res = r[Index(s)];
    if (res) {
      committed[Index(s)] = true;
      state_->RecordSuccess(s);
    } else if (res.error().code == Errc::kNameTaken) {
      name_taken = true;
      errors_[Index(s)] = res.error();
    } else {
      state_->RecordError(s, res.error().message);
      errors_[Index(s)] = res.error();
    }
  }
  writers_[0].reset();
  writers_[1].reset();
  if (name_taken) {
    // The id existed on one side: undo what this writer made visible on the other.
    for (Side s : {Side::kPrimary, Side::kMirror}) {
      if (committed[Index(s)]) (void)co_await volumes_[Index(s)]->Remove(id_);
    }
    co_return Fail(Errc::kNameTaken, "blob {} already exists", id_.str());
  }
  if (!committed[0] && !committed[1]) co_return Fail(DeadError());
  for (Side s : {Side::kPrimary, Side::kMirror}) {
    if (committed[Index(s)]) continue;
    const std::string why = errors_[Index(s)] ? errors_[Index(s)]->message : "side not written";
    static LogThrottle throttle;
    const std::string missed = state_->disk_id(s);
    const LogThrottle::Verdict said = throttle.Take(missed);
    if (said.held > 0) {
      spdlog::warn("{} more blobs were written without their copy on {} (not logged one by one)",
                   said.held, missed);
    }
    if (said.log) {
      spdlog::warn("blob {} written to {} only ({}: {}); queued for re-replication", id_.str(),
                   state_->disk_id(Other(s)), missed, why);
    }
    state_->QueueRepair(id_, s, fmt::format("write failed: {}", why));
  }
  if (committed[0] && committed[1] && *r[0] != *r[1]) {
    spdlog::error("blob {}: sizes differ after commit: {} {} vs {} {}", id_.str(),
                  state_->disk_id(Side::kPrimary), *r[0], state_->disk_id(Side::kMirror), *r[1]);
  }
  co_return committed[0] ? *r[0] : *r[1];
}

net::awaitable<void> MirroredWriter::Abort() {
  done_ = true;
  for (auto& w : writers_) {
    if (w != nullptr) {
      co_await w->Abort();
      w.reset();
    }
  }
}

}  // namespace nimbus::storage
