// DiskPool: the category disks of disks.toml as recorded in the database: placement of owners on
// primary+mirror pairs, exact allocated/used bytes, spares attached when a category fills, and
// the disk states that failover and recovery change. SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/disks.h"
#include "db/database.h"
#include "storage/alerts.h"
#include "storage/volume.h"
#include "util/clock.h"
#include "util/result.h"

namespace nimbus::storage {

inline constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

enum class DiskRole { kPrimary, kMirror, kSpare };
enum class DiskState { kHealthy, kDegraded, kFailed, kResilvering, kSpare };

// "primary", "healthy", …: the words the database, the CLI and the JSON use.
std::string_view DiskRoleName(DiskRole role);
std::string_view DiskStateName(DiskState state);
// kInvalidArgument for an unknown word.
Result<DiskRole> ParseDiskRole(std::string_view text);
Result<DiskState> ParseDiskState(std::string_view text);

// The category whose [min_gb, max_gb] holds a plan of `bytes` (rounded up to whole GiB).
// kInvalidArgument when no category does (0 bytes, a gap such as 2–9 GB, beyond the last).
Result<std::string> CategoryForBytes(std::span<const config::Category> categories,
                                     std::uint64_t bytes);

// One disk as `nimbus admin disk list/show` and GET /api/v1/admin/disks report it.
struct DiskInfo {
  std::string id;
  std::string category;  // "" for an unattached spare.
  DiskRole role = DiskRole::kSpare;
  DiskState state = DiskState::kSpare;
  std::string mirror_id;  // The other disk of the pair; "" for a spare.
  std::string uri;
  std::uint64_t capacity_bytes = 0;
  std::uint64_t allocated_bytes = 0;  // Sum of its owners' plan sizes.
  std::uint64_t used_bytes = 0;       // What its owners' blobs take.
  std::int64_t owner_count = 0;       // Owners placed on its pair.
  // Blobs this disk lacks a good copy of, queued for repair from the other side (List, Show).
  // A healthy disk with some is shown as degraded (ShownStateName).
  std::int64_t repairs_pending = 0;
  std::int64_t created_at = 0;  // Milliseconds since the Unix epoch.
  std::int64_t updated_at = 0;
  // Its directory was opened as this disk before: missing or unmarked now, it is absent rather
  // than set up anew (OpenVolume).
  bool set_up = false;
};

// The state an admin sees: "degraded" for a healthy disk that lacks some blobs (a write or a
// repair failed on it and the other side holds the only good copy), else DiskStateName.
std::string_view ShownStateName(const DiskInfo& d);

// A primary and its mirror, with their states at the time of the call.
struct DiskPair {
  std::string category;
  std::string primary_id;
  std::string mirror_id;
  DiskState primary_state = DiskState::kHealthy;
  DiskState mirror_state = DiskState::kHealthy;
};

// Where an owner lives and what they reserve and use.
struct Placement {
  std::int64_t owner_id = 0;
  DiskPair pair;
  std::uint64_t bytes = 0;       // The plan size.
  std::uint64_t used_bytes = 0;  // On each disk of the pair.
};

// An owner on their way to a pair of another category (BeginMove .. CommitMove/AbortMove).
struct MovePlan {
  std::int64_t owner_id = 0;
  DiskPair from;                 // Where the owner lives and writes until the switch.
  DiskPair to;                   // Where the copies go; `to_bytes` is reserved there.
  std::uint64_t from_bytes = 0;  // The current plan size.
  std::uint64_t to_bytes = 0;    // The new plan size.
  std::int64_t started_at = 0;   // Milliseconds since the Unix epoch.
};

// Opens the Volume of a disk (the app passes OpenVolume; tests a MemoryVolume).
using VolumeFactory = std::function<Result<std::unique_ptr<Volume>>(const DiskInfo&)>;
// The capacity of a disk configured without one (capacity 0), e.g. a share of its free space.
using CapacityProbe = std::function<Result<std::uint64_t>(std::string_view uri)>;

struct DiskPoolDeps {
  db::Database& db;           // Migrated to at least 0002_disks.
  VolumeFactory open_volume;  // Called at most once per disk, on first use.
  AlertSink& alerts;
  const Clock& clock;
  CapacityProbe default_capacity = nullptr;  // Null: a disk without capacity is an error.
  // Open checks every category for near-full (attaching spares, alerting): the server. A
  // command-line run leaves it to the server, instead of printing the same capacity alert at
  // every command (QA pass 19); its own changes (attach, allocations) still check.
  bool check_capacity_at_open = true;
};

// How disks.toml differs from the disks recorded in the database (`nimbus config check`, and
// what DiskPool::Open refuses): `problems` stop the server from starting (a disk recorded at
// another place or in another category, a place recorded for another disk); `added` are
// configured disks the database does not have yet (set up at the next start); `unlisted` are
// recorded disks the file does not name (spares attached by an admin, disks removed from the
// file): the server keeps using them.
struct DiskConfigDiff {
  std::vector<std::string> problems;
  std::vector<std::string> added;
  std::vector<std::string> unlisted;
};
Result<DiskConfigDiff> CompareDiskConfig(db::Transaction& tx, const config::DisksConfig& config);

// All methods block on the database (call them through RunBlocking from a coroutine) and are
// thread-safe. The DB is the truth for disks it knows (state, role, counters); the config only
// adds new disks. References passed in must outlive the pool.
class DiskPool {
 public:
  // Records every configured disk and spare that the DB does not know yet and loads the rest.
  // kConflict, naming every mismatch, when a configured disk is recorded with another uri,
  // category, role or mirror (a disk mounted at the wrong place is refused, not guessed at).
  // kInvalidArgument when a disk has no capacity and no CapacityProbe is given.
  static Result<std::unique_ptr<DiskPool>> Open(const config::DisksConfig& config,
                                                DiskPoolDeps deps);

  // Places a new owner: among the healthy pairs (both disks healthy) of the plan's category,
  // the one with the most unallocated space, ties by primary id; records the allocation and
  // adds `bytes` to allocated_bytes of both disks in one transaction. When the category would
  // pass near_full_ratio, two spares are attached to it first as a new pair (alert
  // kSpareAttached). kNoCapacity "no capacity left in category C: …" (alert kNoCapacity, once)
  // when no spare pair is left then or no pair has room; kInvalidArgument for a plan size that
  // fits no category; kConflict if the owner already has an allocation.
  Result<DiskPair> Allocate(std::int64_t owner_id, std::uint64_t bytes);
  // Changes the owner's plan size within its category; only the pair's counters change.
  // kConflict when the new size is in another category (that is a move), below the owner's
  // used bytes, or while a move is in progress; kNoCapacity when the pair has no room;
  // kNotFound without an allocation.
  Result<DiskPair> Resize(std::int64_t owner_id, std::uint64_t new_bytes);
  // Frees the owner's allocation. kConflict while the owner still has used bytes (delete the
  // blobs first, through AddUsed) or is being moved; kNotFound without an allocation.
  Result<void> Release(std::int64_t owner_id);
  // Starts moving the owner to a pair of the category of `new_bytes` (a plan change across
  // categories): picks the target as Allocate does (spares attached likewise), reserves
  // `new_bytes` there and records the move, in one transaction. The owner keeps living on (and
  // writing to) the old pair until CommitMove; the caller copies the blobs meanwhile.
  // kInvalidArgument when `new_bytes` is in the owner's category (that is Resize); kConflict
  // while a move is in progress; kNoCapacity as Allocate; kNotFound without an allocation.
  Result<MovePlan> BeginMove(std::int64_t owner_id, std::uint64_t new_bytes);
  // Whether a plan of `new_bytes` for the owner would find room now, as Resize (same category)
  // or BeginMove (spares attached as it would) would: kNoCapacity with the pool's sentence when
  // not. Changes nothing (its transaction is rolled back); a category with no room left is told
  // to the admins as BeginMove would (kNoCapacity, once). For a quote.
  Result<void> CheckRoom(std::int64_t owner_id, std::uint64_t new_bytes);
  // The owner's move in progress. kNotFound when there is none.
  Result<MovePlan> MoveOf(std::int64_t owner_id);
  // Switches the owner to the target pair inside the caller's write transaction (so whatever
  // else must switch at the same instant does): the allocation names the target with the new
  // size, the owner's used bytes leave the old pair's counters for the target's, the old
  // reservation is freed. The caller deletes the old copies after committing. kNotFound when no
  // move is in progress.
  Result<DiskPair> CommitMove(db::Transaction& tx, std::int64_t owner_id);
  // Gives the move up: frees the target reservation; the owner stays where they are. Copies
  // already made on the target are the caller's to delete. kNotFound when there is none.
  Result<void> AbortMove(std::int64_t owner_id);

  // Where the owner lives. kNotFound without an allocation.
  Result<Placement> Locate(std::int64_t owner_id);
  // Adds `delta` bytes (negative when blobs are deleted) to the owner's used bytes and to both
  // disks of their pair, inside the caller's write transaction: it commits or rolls back with
  // the caller's node change. kNotFound without an allocation; kConflict below zero.
  Result<void> AddUsed(db::Transaction& tx, std::int64_t owner_id, std::int64_t delta);

  // Attaches spares to every category past near_full_ratio (allocated or used bytes), raising
  // kSpareAttached, or kNoCapacity once when none is left. For the periodic health job.
  Result<void> CheckNearFull();
  // Records a new spare at run time (admin): opens its volume first (a file: disk gets its
  // directory and marker; a directory holding another disk is refused with the volume's error),
  // then records it. kConflict if the id or uri is known. Then gives waiting full categories
  // their pair.
  Result<DiskInfo> Attach(const config::Spare& spare);

  // Marks a disk failed; alert kDiskFailed. Its pair takes no new owners; its partner keeps its
  // state and serves alone. Failing a failed disk does nothing. kNotFound if unknown.
  Result<void> MarkFailed(std::string_view disk_id);
  // kConflict, with a sentence for the operator, when failing `disk_id` by hand would take away
  // the last working copy of its owners' files (its partner is failed or still resilvering and
  // the pair has owners): the admin commands ask for a force (a drill) before doing that; the
  // message ends with `how_to_force` ("pass --force"). A disk that is already failed, or a
  // spare, is fine. kNotFound if unknown.
  Result<void> RefuseFailingLastCopy(std::string_view disk_id, std::string_view how_to_force);
  // Marks a disk healthy again (a spare: back to spare); alert kDiskRecovered if it changed.
  Result<void> MarkHealthy(std::string_view disk_id);
  // Puts spare `spare_id` in the place of failed disk `disk_id` (`nimbus admin disk replace`):
  // the spare takes its role, category, partner, counters and owners, in state resilvering
  // (its pair takes no new owners); the old disk is retired (role spare, state failed). The
  // resilver copies the blobs from the partner, then calls MarkHealthy(spare_id). For a replaced
  // primary the allocations, the blob catalog and the persisted repair queue are re-pointed at
  // the spare. A queued "resilver" disk task for the spare is recorded in the same transaction
  // (so a crash right after still resumes it). kConflict when
  // the disk is not failed or the spare is not an unused spare; kNoCapacity when the spare is
  // smaller than what the disk holds; kNotFound for an unknown id. Alert kSpareAttached.
  Result<DiskPair> Replace(std::string_view disk_id, std::string_view spare_id);
  // Gives the pair of `disk_id` back to the spares (`nimbus admin disk retire`): both disks
  // become unused spares, for the pool to attach again where a category fills up or for
  // `replace`. A failed disk of it stays failed (role spare) until healed. Only an empty pair:
  // kConflict, saying what still uses it, while owners are placed on it or moving to it, blobs
  // or bytes are recorded on it, erasures or repairs are queued for it or a resilver of it is
  // unfinished, and for the only pair of its category (the pool would attach spares again).
  // kConflict for a spare; kNotFound for an unknown id. Returns the former pair.
  Result<DiskPair> Retire(std::string_view disk_id);
  // Sets any state (resilver and the mirror use degraded/resilvering). kNotFound if unknown.
  Result<void> SetState(std::string_view disk_id, DiskState state);

  // Every disk, ordered by id, with its owner count.
  Result<std::vector<DiskInfo>> List();
  // One disk. kNotFound if unknown.
  Result<DiskInfo> Show(std::string_view disk_id);
  // The disk's Volume, opened through the factory on first use and kept (shared, so it can be a
  // side of a MirroredVolume). kNotFound for an unknown disk; the factory's error otherwise
  // (tried again on the next call).
  Result<std::shared_ptr<Volume>> VolumeOf(std::string_view disk_id);

  const std::vector<config::Category>& categories() const { return categories_; }
  // The smallest plan of `category` (its min_gb, in GiB as plans are counted); 0 if unknown.
  std::uint64_t SmallestPlanBytes(const std::string& category) const;
  double near_full_ratio() const { return near_full_ratio_; }

 private:
  struct Alerts;  // Alerts to raise once the transaction is over.
  DiskPool(const config::DisksConfig& config, DiskPoolDeps deps);
  std::int64_t NowMs() const { return ToUnixMs(deps_.clock.Now()); }
  Result<void> Reconcile(const config::DisksConfig& config);
  Result<DiskPair> ReservePair(db::Transaction& tx, const std::string& category,
                               std::uint64_t bytes, Alerts& alerts);
  Result<DiskPair> PlaceIn(db::Transaction& tx, std::int64_t owner_id, const std::string& category,
                           std::uint64_t bytes, Alerts& alerts);
  Result<bool> AttachSparePair(db::Transaction& tx, const std::string& category, Alerts& out);
  // `placing`: a new owner needs a pair with both disks healthy, so only those count as room;
  // otherwise (periodic check, resize) every pair counts, in service or not: a pair that is out
  // for a while (a loose cable, an enclosure reset) comes back or is replaced onto a spare, and
  // the spares are kept for that. A new owner who needs a place while it is out attaches a pair
  // of spares then (QA pass 20: a 35 s outage of an empty category's pair took both spares).
  Result<void> FillCategory(db::Transaction& tx, const std::string& category, std::uint64_t extra,
                            Alerts& out, bool placing);
  Result<DiskInfo> ShowIn(db::Transaction& tx, std::string_view disk_id);
  void Deliver(Alerts& alerts);

  DiskPoolDeps deps_;
  std::vector<config::Category> categories_;
  double near_full_ratio_;
  // Serializes the pool's own read-decide-write sequences (Allocate's fill, then place).
  std::mutex op_mu_;
  std::mutex state_mu_;
  std::set<std::string> full_alerted_;  // Categories told kNoCapacity. Guarded by state_mu_.
  std::map<std::string, std::shared_ptr<Volume>, std::less<>> volumes_;  // Guarded by state_mu_.
};

}  // namespace nimbus::storage
