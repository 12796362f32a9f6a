// SPDX-License-Identifier: AGPL-3.0-or-later
// Copies: the subtree's bytes are reserved first (a copy counts against the quota), every file's
// bytes are copied into new blobs on the owner's pair, then all nodes appear in one transaction.
// A failure erases the new blobs and releases the reservation.
#include <algorithm>
#include <boost/asio/this_coro.hpp>
#include <unordered_map>

#include "core/files/file_service.h"
#include "core/files/quota_tx.h"
#include "core/files/stored_blob_row.h"
#include "core/files/tree_tx.h"
#include "util/clock.h"
#include "util/concurrently.h"
#include "util/run_blocking.h"

namespace nimbus::core::files {

namespace {

// Takes a blob's bytes into a caller's buffer (the copy's read side).
class SpanSink final : public storage::ByteSink {
 public:
  explicit SpanSink(std::span<char> dst) : dst_(dst) {}
  net::awaitable<Result<void>> Write(std::span<const char> data) override {
    if (data.size() > dst_.size() - filled_) co_return Fail(Errc::kInternal, "copy: read overrun");
    std::copy(data.begin(), data.end(), dst_.begin() + static_cast<std::ptrdiff_t>(filled_));
    filled_ += data.size();
    co_return Result<void>{};
  }
  std::size_t filled() const { return filled_; }

 private:
  std::span<char> dst_;
  std::size_t filled_ = 0;
};

// A blob read range by range as a ByteSource: what OwnerBlobs::Write copies from.
class BlobSource final : public storage::ByteSource {
 public:
  BlobSource(storage::OwnerBlobs& blobs, std::string blob_id, std::uint64_t size)
      : blobs_(blobs), blob_id_(std::move(blob_id)), size_(size) {}
  net::awaitable<Result<std::size_t>> Read(std::span<char> buf) override {
    if (pos_ >= size_ || buf.empty()) co_return std::size_t{0};
    auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size_ - pos_));
    SpanSink sink(buf.first(n));
    if (auto r = co_await blobs_.Read(blob_id_, storage::ByteRange{pos_, n}, sink); !r) {
      co_return std::unexpected(r.error());
    }
    if (sink.filled() == 0) co_return Fail(Errc::kIoError, "copy: blob {} ended early", blob_id_);
    pos_ += sink.filled();
    co_return sink.filled();
  }

 private:
  storage::OwnerBlobs& blobs_;
  std::string blob_id_;
  std::uint64_t size_;
  std::uint64_t pos_ = 0;
};

struct CopyPlan {
  std::vector<Node> nodes;        // The source and its live descendants, parents first.
  std::uint64_t bytes = 0;        // Of every file in it.
  std::int64_t target_owner = 0;  // Whose space the copy goes into (and is charged to).
};

Result<CopyPlan> PlanCopy(db::Transaction& tx, const Caller& caller, std::string_view id,
                          std::string_view parent_id, const std::optional<std::string>& name) {
  auto src = Authorize(tx, caller, id, Permission::kRead);
  if (!src) return std::unexpected(src.error());
  if (src->is_root()) return Fail(Errc::kInvalidMove, "The root folder cannot be copied.");
  auto dst = Authorize(tx, caller, parent_id, Permission::kEdit);
  if (!dst) return std::unexpected(dst.error());
  if (!dst->is_folder()) {
    return Fail(Errc::kInvalidMove, "'{}' is a file: items can only be copied into a folder.",
                dst->name);
  }
  // A past-due target space is read-only (402): checked before anything is reserved or copied.
  if (auto standing = RequireGoodStanding(tx, *dst); !standing) {
    return std::unexpected(std::move(standing.error()));
  }
  if (src->is_folder() && dst->owner_id == src->owner_id) {
    auto below = db::NodeStore::IsSelfOrBelow(tx, src->id, dst->id);
    if (!below) return std::unexpected(below.error());
    if (*below) {
      return Fail(Errc::kInvalidMove,
                  "A folder cannot be copied into itself or into a folder inside it.");
    }
  }
  if (name) {
    auto taken = LiveChild(tx, dst->id, *name);
    if (!taken) return std::unexpected(taken.error());
    if (*taken) return Fail(Errc::kNameTaken, "'{}' already exists in this folder.", *name);
  }
  CopyPlan plan;
  plan.target_owner = dst->owner_id;
  if (src->is_file()) {
    plan.bytes = static_cast<std::uint64_t>(src->size);
    plan.nodes.push_back(std::move(*src));
    return plan;
  }
  auto all = Subtree(tx, src->id);
  if (!all) return std::unexpected(all.error());
  std::unordered_map<std::string, bool> live_folders{{src->id, true}};
  for (Node& n : *all) {
    if (n.id != src->id && (!n.trash_id.empty() || !live_folders.contains(n.parent_id))) continue;
    if (n.is_folder()) live_folders[n.id] = true;
    plan.bytes += static_cast<std::uint64_t>(n.size);
    plan.nodes.push_back(std::move(n));
  }
  return plan;
}

}  // namespace

net::awaitable<Result<Node>> FileService::Copy(Caller caller, std::string id, std::string parent_id,
                                               std::optional<std::string> name) {
  if (name) {
    auto parts = SplitRelativePath(*name);
    if (!parts) co_return std::unexpected(parts.error());
    if (parts->size() != 1) co_return Fail(Errc::kInvalidName, "A name cannot contain '/'.");
    name = parts->front();
  }
  auto plan_fn = [&] {
    return deps_.db.Read(
        [&](db::Transaction& tx) { return PlanCopy(tx, caller, id, parent_id, name); });
  };
  auto plan = co_await RunBlocking(deps_.workers, plan_fn);
  if (!plan) co_return std::unexpected(plan.error());
  const std::int64_t owner_id = plan->target_owner;
  const auto files = static_cast<std::size_t>(std::count_if(
      plan->nodes.begin(), plan->nodes.end(), [](const Node& n) { return n.is_file(); }));
  std::string reservation;
  std::vector<storage::WriteTarget> targets;  // One per file, named under the reservation.
  if (files > 0) {
    auto r = co_await Reserve(owner_id, plan->bytes, ReservationKind::kCopy);
    if (!r) co_return std::unexpected(r.error());
    reservation = *r;
    const net::any_io_executor executor = co_await net::this_coro::executor;
    auto name_fn = [&] {
      return deps_.db.Write([&](db::Transaction& tx) {
        return deps_.blobs.ReserveWrites(tx, owner_id, reservation, files, executor);
      });
    };
    auto named = co_await RunBlocking(deps_.workers, name_fn);
    if (!named) {
      (void)co_await Release(reservation);
      co_return std::unexpected(named.error());
    }
    targets = std::move(*named);
  }
  // The bytes first (new blobs on the owner's pair), then every node in one transaction.
  std::unordered_map<std::string, storage::StoredBlob> blobs;  // Source node id → its copy.
  auto undo = [&]() -> net::awaitable<void> {
    for (auto& [node_id, blob] : blobs)
      (void)co_await deps_.blobs.Erase(UnrecordedRow(owner_id, blob));
    (void)co_await Release(reservation);
  };
  // Several files at a time (small ones then share disk commits: a folder of 2,000 small files
  // took 3.5 s one by one). The first failure stops the rest; everything written is erased.
  std::vector<const Node*> file_nodes;
  for (const Node& n : plan->nodes) {
    if (n.is_file()) file_nodes.push_back(&n);
  }
  std::optional<Error> failed;
  auto copy_one = [&](std::size_t i) -> net::awaitable<void> {
    if (failed) co_return;
    const Node& n = *file_nodes[i];
    BlobSource source(deps_.blobs, n.blob_id, static_cast<std::uint64_t>(n.size));
    auto written = co_await deps_.blobs.Write(std::move(targets[i]), source,
                                              static_cast<std::uint64_t>(n.size));
    if (!written) {
      if (!failed) failed = written.error();
      co_return;
    }
    blobs.emplace(n.id, std::move(*written));
  };
  co_await ForEachConcurrently(file_nodes.size(), storage::kConcurrentBlobs, copy_one);
  if (failed) {
    co_await undo();
    co_return std::unexpected(*failed);
  }
  std::int64_t now = ToUnixMs(deps_.clock.Now());
  auto commit = [&] {
    return deps_.db.Write([&](db::Transaction& tx) -> Result<Node> {
      auto dst = Authorize(tx, caller, parent_id, Permission::kEdit);
      if (!dst) return std::unexpected(dst.error());
      if (dst->owner_id != owner_id)
        return Fail(Errc::kConflict, "the target folder changed hands");
      const Node& top = plan->nodes.front();
      std::string top_name = name.value_or(top.name);
      if (!name) {  // A copy into the same folder (or a clash) becomes "name (1)", as Dropbox.
        auto free_name = FreeName(tx, dst->id, top.name, top.type, FreeNameStyle::kNumbered);
        if (!free_name) return std::unexpected(free_name.error());
        top_name = *free_name;
      }
      std::unordered_map<std::string, std::string> new_ids;  // Source id → copy id.
      Node result;
      for (const Node& old : plan->nodes) {
        Node n = old;
        const bool is_top = old.id == top.id;
        n.id.clear();
        n.trash_id.clear();
        n.path.clear();
        n.version = 1;
        n.owner_id = owner_id;
        n.owner.reset();
        n.permission = Permission::kOwner;
        n.share_id.clear();
        n.share_node_id.clear();
        n.shared = false;
        n.parent_id = is_top ? dst->id : new_ids.at(old.parent_id);
        if (is_top) n.name = top_name;
        n.created_at = now;
        // The content is the same: a copy keeps when it last changed, as file managers and
        // Dropbox show it (QA pass 15: copies looked freshly edited).
        n.modified_at = old.modified_at;
        if (old.is_file()) {
          const storage::StoredBlob& blob = blobs.at(old.id);
          if (auto r = deps_.blobs.Record(tx, owner_id, blob); !r)
            return std::unexpected(r.error());
          n.blob_id = blob.info.id.str();
          n.sha256 = blob.info.sha256_hex;
          n.size = static_cast<std::int64_t>(blob.info.size);
        }
        auto inserted = InsertNode(tx, std::move(n));
        if (!inserted) return std::unexpected(inserted.error());
        new_ids[old.id] = inserted->id;
        if (is_top) result = std::move(*inserted);
      }
      if (!reservation.empty()) {
        if (auto r = DeleteReservation(tx, reservation); !r) return std::unexpected(r.error());
      }
      return AsSeenBy(tx, caller, std::move(result));
    });
  };
  auto copied = co_await RunBlocking(deps_.workers, commit);
  if (!copied) {
    co_await undo();
    co_return std::unexpected(copied.error());
  }
  UsageChanged(owner_id);
  activity_->Note(caller, *copied, "copy");
  co_return std::move(*copied);
}

}  // namespace nimbus::core::files
