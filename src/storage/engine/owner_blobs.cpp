// SPDX-License-Identifier: AGPL-3.0-or-later
// OwnerBlobs: write/record/read/forget/erase of an owner's blobs, and plan changes.
#include "storage/engine/owner_blobs.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <boost/asio/this_coro.hpp>

#include "db/stores/disk_store.h"
#include "storage/counting_sink.h"
#include "storage/engine/storage_engine.h"
#include "util/concurrently.h"
#include "util/run_blocking.h"

namespace nimbus::storage {
namespace {

// Reads of a blob follow it across at most this many moves in one call.
constexpr int kMaxReadHops = 3;

}  // namespace

OwnerBlobs::OwnerBlobs(StorageEngine& engine, db::Database& db, WorkerPool& workers,
                       const Clock& clock, MoverOptions mover_options)
    : engine_(engine),
      db_(db),
      workers_(workers),
      clock_(clock),
      mover_(std::make_shared<Mover>(engine, db, workers, clock, std::move(mover_options))) {}

OwnerBlobs::~OwnerBlobs() { mover_->Stop(); }

net::awaitable<Result<StoredBlob>> OwnerBlobs::Write(std::int64_t owner_id, ByteSource& source,
                                                     std::optional<std::uint64_t> expected_size) {
  const net::any_io_executor executor = co_await net::this_coro::executor;
  auto target_fn = [this, owner_id, &executor] {
    return db_.Read([&](db::Transaction& tx) { return Target(tx, owner_id, executor); });
  };
  auto target = co_await RunBlocking(workers_, target_fn);
  if (!target) co_return Fail(target.error());
  co_return co_await Write(std::move(*target), source, expected_size);
}

Result<WriteTarget> OwnerBlobs::Target(db::Transaction& tx, std::int64_t owner_id,
                                       const net::any_io_executor& executor) {
  // Counted before the pair is read, so a switch after the read waits for this write.
  WriteTarget target{owner_id, {}, mover_->BeginWrite(owner_id, executor), {}};
  auto a = db::DiskStore(tx).GetAllocation(owner_id);
  if (!a) return Fail(a.error());
  if (!*a) return Fail(Errc::kNotFound, "owner {} has no allocation", owner_id);
  target.primary_id = (*a)->primary_id;
  return target;
}

Result<std::vector<WriteTarget>> OwnerBlobs::ReserveWrites(db::Transaction& tx,
                                                           std::int64_t owner_id,
                                                           std::string_view reservation_id,
                                                           std::size_t count,
                                                           const net::any_io_executor& executor) {
  auto first = Target(tx, owner_id, executor);  // One write in flight until the last ends.
  if (!first) return Fail(first.error());
  std::vector<WriteTarget> targets(count, *first);
  db::BlobStore blobs(tx);
  const std::int64_t now = ToUnixMs(clock_.Now());
  for (WriteTarget& target : targets) {
    target.id = BlobId::Next();
    if (auto r = blobs.AddReservationBlob(reservation_id, target.id->str(), owner_id,
                                          target.primary_id, now);
        !r) {
      return Fail(r.error());
    }
  }
  return targets;
}

net::awaitable<Result<StoredBlob>> OwnerBlobs::Write(WriteTarget target, ByteSource& source,
                                                     std::optional<std::uint64_t> expected_size) {
  const std::string& primary_id = target.primary_id;
  auto volume = engine_.VolumeForPair(primary_id);
  if (!volume) {
    co_return Fail(Errc::kStorageUnavailable, "the disk pair {} of owner {} is not open",
                   primary_id, target.owner_id);
  }
  auto state = volume->state();
  if (state && !state->Usable(Side::kPrimary) && !state->Usable(Side::kMirror)) {
    co_return Fail(Errc::kStorageUnavailable,
                   "both disks of pair {} ({} and {}) are failed: the owner's files cannot be "
                   "written until one is back",
                   primary_id, state->disk_id(Side::kPrimary), state->disk_id(Side::kMirror));
  }
  // Named, not a ?: temporary in the co_await (GCC 12 destroys such a temporary twice).
  const BlobId id = target.id ? *target.id : BlobId::Next();
  auto info = co_await PutBlob(*volume, id, source, expected_size, &workers_);
  if (!info) co_return Fail(info.error());
  co_return StoredBlob{std::move(*info), primary_id, std::move(target.in_flight)};
}

Result<void> OwnerBlobs::Record(db::Transaction& tx, std::int64_t owner_id,
                                const StoredBlob& blob) {
  db::BlobRow row{blob.info.id.str(),   owner_id,
                  blob.primary_id,      static_cast<std::int64_t>(blob.info.size),
                  blob.info.sha256_hex, ToUnixMs(clock_.Now())};
  if (auto r = db::BlobStore(tx).Insert(row); !r) return r;
  if (auto r = engine_.pool().AddUsed(tx, owner_id, row.size); !r) return r;
  auto a = db::DiskStore(tx).GetAllocation(owner_id);
  if (!a) return Fail(a.error());
  // Written to a pair the owner has left (the write started before a move's switch): the
  // bytes are there, so the row says so, and a sweep re-homes it once the write has ended.
  if (*a && (*a)->primary_id != blob.primary_id) mover_->MarkStray(owner_id);
  return {};
}

net::awaitable<Result<db::BlobRow>> OwnerBlobs::Lookup(std::string_view blob_id) {
  const std::string id(blob_id);
  auto get = [this, &id] {
    return db_.Read([&id](db::Transaction& tx) { return db::BlobStore(tx).Get(id); });
  };
  auto row = co_await RunBlocking(workers_, get);
  if (!row) co_return Fail(row.error());
  if (!*row) co_return Fail(Errc::kNotFound, "blob {} not found", id);
  co_return std::move(**row);
}

net::awaitable<Result<db::BlobRow>> OwnerBlobs::Stat(std::string_view blob_id) {
  co_return co_await Lookup(blob_id);
}

net::awaitable<Result<void>> OwnerBlobs::CheckReadable(std::string_view blob_id) {
  auto row = co_await Lookup(blob_id);
  if (!row) co_return Fail(row.error());
  auto volume = engine_.VolumeForPair(row->primary_id);
  if (!volume) {
    co_return Fail(Errc::kStorageUnavailable, "blob {}: the disk pair {} holding it is not open",
                   blob_id, row->primary_id);
  }
  auto state = volume->state();
  if (state && !state->Readable(Side::kPrimary) && !state->Readable(Side::kMirror)) {
    co_return Fail(Errc::kStorageUnavailable, "blob {}: no readable disk in pair {}", blob_id,
                   row->primary_id);
  }
  co_return Result<void>{};
}

net::awaitable<Result<void>> OwnerBlobs::Read(std::string_view blob_id, ByteRange range,
                                              ByteSink& sink) {
  auto id = BlobId::Parse(blob_id);
  if (!id) co_return Fail(Errc::kInvalidArgument, "'{}' is not a blob id", blob_id);
  auto row = co_await Lookup(blob_id);
  if (!row) co_return Fail(row.error());
  CountingSink counting(sink);
  for (int hop = 0;; ++hop) {
    auto volume = engine_.VolumeForPair(row->primary_id);
    if (!volume) {
      co_return Fail(Errc::kStorageUnavailable, "blob {}: the disk pair {} holding it is not open",
                     blob_id, row->primary_id);
    }
    ByteRange rest{range.offset + counting.count(), range.length};
    if (range.length) rest.length = *range.length - counting.count();
    if (range.length && counting.count() > 0 && *rest.length == 0) co_return Result<void>{};
    auto got = co_await volume->Get(*id, rest, counting);
    if (got || counting.sink_failed() || hop + 1 >= kMaxReadHops) co_return got;
    // The pair may have lost it because a move just switched it: follow the row.
    auto again = co_await Lookup(blob_id);
    if (!again) {
      if (again.error().code == Errc::kNotFound) co_return Fail(again.error());  // Deleted.
      co_return got;
    }
    if (again->primary_id == row->primary_id) co_return got;
    spdlog::debug("blob {} moved from pair {} to {} during a read; continuing at byte {}", blob_id,
                  row->primary_id, again->primary_id, rest.offset + counting.count());
    row = std::move(again);
  }
}

Result<db::BlobRow> OwnerBlobs::Forget(db::Transaction& tx, std::string_view blob_id) {
  db::BlobStore blobs(tx);
  auto row = blobs.Get(blob_id);
  if (!row) return Fail(row.error());
  if (!*row) return Fail(Errc::kNotFound, "blob {} not found", blob_id);
  if (auto r = blobs.Delete(blob_id); !r) return Fail(r.error());
  if (auto r = blobs.QueueErasure(**row); !r) return Fail(r.error());
  if (auto r = engine_.pool().AddUsed(tx, (*row)->owner_id, -(*row)->size); !r) {
    return Fail(r.error());
  }
  return std::move(**row);
}

net::awaitable<std::size_t> OwnerBlobs::EraseForgotten(std::vector<db::BlobRow> rows) {
  std::vector<std::string> erased;
  // Several at a time: the removals of small blobs then share their disk commits (a trash of
  // 2,000 small files took 6 s one by one).
  auto erase_one = [&](std::size_t i) -> net::awaitable<void> {
    const db::BlobRow& row = rows[i];
    auto removed = co_await Erase(row);
    if (removed) {
      erased.push_back(row.id);
    } else {
      spdlog::warn("blob {} of a deleted file stays queued for removal: {}", row.id,
                   removed.error().message);
    }
  };
  co_await ForEachConcurrently(rows.size(), kConcurrentBlobs, erase_one);
  if (erased.empty()) co_return 0;
  auto dequeue = [this, &erased] {
    return db_.Write([&](db::Transaction& tx) -> Result<void> {
      db::BlobStore blobs(tx);
      for (const std::string& id : erased) {
        if (auto r = blobs.DeleteErasure(id); !r) return r;
      }
      return {};
    });
  };
  // The bytes are gone: a failed dequeue only means EraseLeftovers removes nothing later.
  if (auto done = co_await RunBlocking(workers_, dequeue); !done) {
    spdlog::warn("the removal of {} deleted blob(s) is done but still queued: {}", erased.size(),
                 done.error().message);
  }
  co_return erased.size();
}

net::awaitable<Result<std::size_t>> OwnerBlobs::EraseLeftovers() {
  constexpr std::int64_t kBatch = 500;
  std::size_t total = 0;
  for (;;) {
    auto list = [this] {
      return db_.Read([](db::Transaction& tx) { return db::BlobStore(tx).ListErasures(kBatch); });
    };
    auto queued = co_await RunBlocking(workers_, list);
    if (!queued) co_return Fail(queued.error());
    const std::size_t listed = queued->size();
    const std::size_t removed = co_await EraseForgotten(std::move(*queued));
    total += removed;
    // A short page was the last; a page none of which could be removed waits for next time.
    if (listed < static_cast<std::size_t>(kBatch) || removed == 0) break;
  }
  co_return total;
}

net::awaitable<Result<void>> OwnerBlobs::Erase(const db::BlobRow& row) {
  auto id = BlobId::Parse(row.id);
  if (!id) co_return Fail(Errc::kInvalidArgument, "'{}' is not a blob id", row.id);
  auto volume = engine_.VolumeForPair(row.primary_id);
  if (!volume) {
    co_return Fail(Errc::kStorageUnavailable, "blob {}: the disk pair {} holding it is not open",
                   row.id, row.primary_id);
  }
  auto removed = co_await volume->Remove(*id);
  if (!removed && removed.error().code != Errc::kNotFound) co_return removed;
  co_return Result<void>{};
}

net::awaitable<Result<PlanChange>> OwnerBlobs::ChangePlan(std::int64_t owner_id,
                                                          std::uint64_t new_bytes) {
  DiskPool& pool = engine_.pool();
  auto category = CategoryForBytes(pool.categories(), new_bytes);
  if (!category) co_return Fail(category.error());
  auto locate = [&pool, owner_id] { return pool.Locate(owner_id); };
  auto placement = co_await RunBlocking(workers_, locate);
  if (!placement) co_return Fail(placement.error());
  if (placement->pair.category == *category) {
    auto resize = [&pool, owner_id, new_bytes] { return pool.Resize(owner_id, new_bytes); };
    auto pair = co_await RunBlocking(workers_, resize);
    if (!pair) co_return Fail(pair.error());
    co_return PlanChange{false, std::move(*pair), std::nullopt};
  }
  auto begin = [&pool, owner_id, new_bytes] { return pool.BeginMove(owner_id, new_bytes); };
  auto plan = co_await RunBlocking(workers_, begin);
  if (!plan) co_return Fail(plan.error());
  mover_->Start(owner_id, co_await net::this_coro::executor);
  DiskPair to = plan->to;
  co_return PlanChange{true, std::move(to), std::move(*plan)};
}

Result<std::size_t> OwnerBlobs::ResumeMoves(const net::any_io_executor& executor) {
  return mover_->ResumeMoves(executor);
}

std::optional<MoveProgress> OwnerBlobs::MoveProgressOf(std::int64_t owner_id) const {
  return mover_->Progress(owner_id);
}

std::vector<MoveProgress> OwnerBlobs::Moves() const { return mover_->AllProgress(); }

void OwnerBlobs::StopMoves() { mover_->Stop(); }

}  // namespace nimbus::storage
