// FileService: the Files and Trash parts of api.md on the storage engine: the tree (get, list,
// resolve, folders, rename/move, copy), uploads with the quota reserved before a byte is written,
// downloads (ranges, a folder as a streamed zip), the trash (delete, list, restore, delete for
// good, the daily purge) and usage. Every id a method is given is resolved for its Caller by
// Authorize (access.h): the owner, a share's grantee within its permission, or a public link's
// visitor (read only). A node the caller cannot see is kNotFound; one it sees without the
// permission needed is kForbidden. The trash, usage and reservations are the owner's own.
//
// Implementation files: file_service.cpp (construction, shared helpers), file_service_tree.cpp,
// file_service_trash.cpp, file_service_usage.cpp (tree/trash/usage), file_service_upload.cpp,
// file_service_copy.cpp, file_service_download.cpp, zip_writer.cpp (content). tx-level pieces
// shared by them are in tree_tx.h and quota_tx.h.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "config/files.h"
#include "core/files/access.h"
#include "core/files/activity_log.h"
#include "core/files/file_types.h"
#include "core/files/pending_reservations.h"
#include "db/database.h"
#include "db/group_commit.h"
#include "storage/byte_stream.h"
#include "storage/engine/owner_blobs.h"
#include "storage/volume.h"
#include "util/clock.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::core::files {

namespace net = boost::asio;

// An owner's used bytes before and after one change, and their quota then.
struct UsageMove {
  std::int64_t used_before = 0;
  std::int64_t used_after = 0;
  std::int64_t quota = 0;
};

struct FileDeps {
  db::Database& db;  // Migrated to 0007_files.
  storage::OwnerBlobs& blobs;
  WorkerPool& workers;
  const Clock& clock;
  const config::FilesConfig& config;
  // Called (on any thread) after an owner's used, trash or reserved bytes changed, e.g. to drop
  // a cached profile and check the usage warnings. With `move` when the caller saw the used
  // bytes before and after the change (an upload's record): a check whose level cannot have
  // moved may then be skipped. May be empty.
  std::function<void(std::int64_t owner_id, std::optional<UsageMove> move)> usage_changed;
};

enum class ReservationKind { kUpload, kTus, kCopy };

struct UploadRequest {
  // Who uploads: the owner of the folder, or a grantee with edit permission on it. The bytes
  // are stored on, and reserved against, the folder owner's space either way.
  Caller caller;
  std::string parent_id;  // A folder id or "root"; with an empty path, a file to replace.
  // "file.txt" or "a/b/file.txt" (folders are created). Empty: parent_id is a file, replaced in
  // place (on_conflict kReplace), which a grantee of that one file may do with edit.
  std::string path;
  OnConflict on_conflict = OnConflict::kFail;
  // The size the client declared (Content-Length, Upload-Length); reserved before any byte is
  // read. nullopt (chunked body): nothing reserved up front, the body is refused with
  // kQuotaExceeded as soon as it passes the free bytes.
  std::optional<std::uint64_t> declared_size;
  // Set when the bytes were reserved already (a tus upload reserves at creation): that
  // reservation is used and deleted when the node is recorded, or left for the caller on failure.
  std::string reservation_id;
  // The reservation PrepareUpload makes: its kind and id ("" → a new random id). A tus upload
  // reserves its whole length at creation under its own id.
  ReservationKind reservation_kind = ReservationKind::kUpload;
  std::string new_reservation_id;
  // Optional: a SHA-256 (hex) the content must have; kChecksumMismatch otherwise (nothing kept).
  std::string expected_sha256;
  // Optional If-Match: only that version of the file is replaced (checked before the bytes and
  // again in the transaction that records them); kPreconditionFailed when the file is gone or
  // changed, nothing kept. Implies on_conflict kReplace.
  std::string if_match;
  // Optional: when the file last changed where it comes from (a sync client's or the browser's
  // File.lastModified), ms since the epoch; the node's modified_at. Now when not given.
  std::optional<std::int64_t> modified_at;
  // Optional: written in the transaction that records the file, with the node as recorded (a
  // resumable upload marks itself done there, so that a process killed right after the file was
  // recorded cannot save it a second time at its next start: QA pass 21b).
  std::function<Result<void>(db::Transaction&, const Node&)> on_recorded;
};

// The name rule of an upload that is on its way (a resumable one, between two PATCHes): whether
// `request` (caller, parent_id, path, on_conflict, if_match) could still be recorded, as
// PrepareUpload checked before the first byte. kNameTaken or kPreconditionFailed when the name was
// taken (or the file changed) meanwhile; a folder that is gone or no longer writable is OK here
// (the upload's own checks say so).
Result<void> CheckUploadName(db::Transaction& tx, const UploadRequest& request);

// Thread-safe. Deps must outlive it.
class FileService {
 public:
  explicit FileService(FileDeps deps)
      : deps_(std::move(deps)),
        activity_(std::make_shared<ActivityLog>(deps_.db, deps_.workers, deps_.clock)),
        committer_(std::make_unique<db::GroupCommitter>(deps_.workers, deps_.db)) {}
  ~FileService() { activity_->Flush(); }
  FileService(const FileService&) = delete;
  FileService& operator=(const FileService&) = delete;

  // ---- Tree --------------------------------------------------------------------------------
  // `id` may be "root". kNotFound for unknown, other users' and trashed nodes.
  net::awaitable<Result<Node>> Get(Caller caller, std::string id);
  // A folder's live children. kInvalidArgument for a bad cursor or a file id.
  net::awaitable<Result<ChildPage>> Children(Caller caller, std::string id, ListOptions options);
  // "/a/b" from the caller's root ("/" is the root; a link visitor's root is the link's node).
  net::awaitable<Result<Node>> Resolve(Caller caller, std::string path);
  // Creates "a" or "a/b/c" under `parent_id`, with missing parents; returns the last folder.
  // kNameTaken when the last one exists already (or a file is in the way); kInvalidName.
  net::awaitable<Result<Node>> MakeFolders(Caller caller, std::string parent_id, std::string path);
  // Rename and/or move. kNameTaken, kInvalidName, kInvalidMove (a folder into itself or below
  // itself, the root, or to another owner's files), kNotFound (also for a target that is a file),
  // kForbidden (a grantee renaming or moving the shared node itself, or without edit).
  // `modified_at` (ms since the epoch) sets the node's own time, with them or alone.
  net::awaitable<Result<Node>> Update(Caller caller, std::string id,
                                      std::optional<std::string> name,
                                      std::optional<std::string> parent_id,
                                      std::optional<std::int64_t> modified_at = std::nullopt);
  // Copies a file or a folder tree into `parent_id` (new blobs: a copy counts against the quota,
  // reserved up front against the target folder's owner). The caller reads the source and
  // edits the target. kQuotaExceeded, kNameTaken, kInvalidMove (a folder into itself).
  net::awaitable<Result<Node>> Copy(Caller caller, std::string id, std::string parent_id,
                                    std::optional<std::string> name);

  // ---- Trash -------------------------------------------------------------------------------
  // Moves the node and everything under it to the trash of its owner as one item (a grantee
  // with edit deletes into the owner's trash). kInvalidMove for the root.
  net::awaitable<Result<TrashItem>> Delete(Caller caller, std::string id);
  // Newest first. With `original_parent_id`, only items deleted from that folder (the web app's
  // "show deleted items").
  net::awaitable<Result<TrashPage>> ListTrash(std::int64_t owner_id, int limit, std::string cursor,
                                              std::string original_parent_id = {});
  // Back to the original path (missing parents recreated; a taken name becomes "name
  // (restored)", "name (restored 2)"…).
  net::awaitable<Result<Restored>> Restore(std::int64_t owner_id, std::string trash_id);
  // Deletes for good: rows in one transaction, then the bytes on both disk copies.
  net::awaitable<Result<void>> DeleteForever(std::int64_t owner_id, std::string trash_id);
  net::awaitable<Result<void>> EmptyTrash(std::int64_t owner_id);
  // Deletes every file and folder of `owner_id` for good (live, root and trash), their shares
  // and links, and the shares granted to them: their account is being deleted. The blobs are
  // removed from the disks after the commit (or by the next purge when a disk is away).
  net::awaitable<Result<void>> DeleteEverythingOf(std::int64_t owner_id);
  // The daily job: deletes for good every item deleted more than trash_retention_days ago
  // (retention 0: every item). Returns how many items.
  net::awaitable<Result<std::int64_t>> PurgeExpiredTrash();

  // ---- Usage -------------------------------------------------------------------------------
  net::awaitable<Result<Usage>> GetUsage(std::int64_t owner_id);
  // The space uploads into folder `id` count against (its owner's), for a client that checks a
  // dropped folder's size before sending a byte, also in a folder shared with the caller.
  // kForbidden for a folder shared to view only; kNotFound as Get.
  net::awaitable<Result<FolderSpace>> SpaceOf(Caller caller, std::string id);
  // The owner's live files and folders whose name contains `text` (trimmed; letters in
  // any case), then those shared with the owner (as AsSeenBy shows them), at most `limit`
  // (1–200) in all. kInvalidArgument for an empty or over-long text.
  net::awaitable<Result<SearchResult>> Search(std::int64_t owner_id, std::string text, int limit);
  static constexpr int kSearchMaxLimit = 200;

  // ---- Content -----------------------------------------------------------------------------
  // Reserves `bytes` against the owner's quota (used + trash + reserved + bytes ≤ plan).
  // kQuotaExceeded with "needs X, Y free" for a person; kTooLarge above max_upload_bytes.
  // Returns the reservation id ("" → a new random one).
  net::awaitable<Result<std::string>> Reserve(std::int64_t owner_id, std::uint64_t bytes,
                                              ReservationKind kind, std::string id = {});
  // Deletes it (gone already is fine).
  net::awaitable<Result<void>> Release(std::string reservation_id);
  // At start-up, before serving: deletes every upload and copy reservation (left by a process
  // that was killed mid-request; tus reservations live with their upload). Returns how many.
  // Assumes one server per database. Blocking (DB): call it before the server starts.
  Result<std::int64_t> SweepReservations();
  // Recomputes every node's listing key (SortName) when a migration asked for it (a change of
  // the key: 0013_natural_sort), in batches, then clears the request. Returns how many keys
  // changed (0 when nothing was asked). Blocking (DB): call it before the server starts.
  Result<std::int64_t> RekeySortNames();
  // Before reading a body: checks the parent, the names, the conflict rule (kNameTaken for
  // on_conflict=fail when the name exists) and reserves the declared size. Returns the
  // reservation id ("" when nothing was declared). Upload() does this itself when not done.
  net::awaitable<Result<std::string>> PrepareUpload(const UploadRequest& request);
  // Streams `body` to both disk copies of the owner's pair while hashing it, then creates or
  // replaces the node in one transaction (the reservation turns into used bytes; a replaced
  // file's old blob is freed). On any failure nothing is visible, the previous version is intact
  // and the reservation is released (except a caller-provided one).
  net::awaitable<Result<UploadResult>> Upload(UploadRequest request, storage::ByteSource& body);
  // Streams `range` of a file into `sink` (mirror failover inside the engine).
  // kRangeNotSatisfiable for a range starting past the end.
  net::awaitable<Result<void>> ReadContent(const Node& file, storage::ByteRange range,
                                           storage::ByteSink& sink);
  // Streams a zip (zip64 when needed, stored) of the folder and everything under it into `sink`
  // while building it. Paths inside are relative to the folder; empty folders are kept. With
  // `only` (ids of live items directly in the folder: a selection), just those and what is under
  // them; kNotFound when one is not there (deleted or moved meanwhile), before a byte is written.
  net::awaitable<Result<void>> WriteZip(const Node& folder, storage::ByteSink& sink,
                                        std::vector<std::string> only = {});

  // Records that `caller` did `action` ("download", "zip", …) on `node` when it came through a
  // share or a link (the tree methods record their own actions). See ActivityLog.
  void NoteActivity(const Caller& caller, const Node& node, std::string_view action) const {
    activity_->Note(caller, node, action);
  }

  const FileDeps& deps() const { return deps_; }

 private:
  FileDeps deps_;
  std::shared_ptr<ActivityLog> activity_;
  // Reservations of uploads with a declared size up to kPendingReservationMax (no row).
  std::shared_ptr<PendingReservations> pending_ = std::make_shared<PendingReservations>();
  // Group commit of the transactions that record uploads.
  std::unique_ptr<db::GroupCommitter> committer_;
  // The pair a small upload's PrepareUpload looked up with its checks, by reservation id, for
  // its Upload (or dropped by Release).
  std::optional<storage::WriteTarget> TakeTarget(const std::string& reservation_id);
  void UsageChanged(std::int64_t owner_id, std::optional<UsageMove> move = std::nullopt) const {
    if (deps_.usage_changed) deps_.usage_changed(owner_id, move);
  }
  std::mutex targets_mu_;
  std::unordered_map<std::string, storage::WriteTarget> targets_;  // Guarded by targets_mu_.
};

// The zip file name of a folder download ("Photos.zip"; the root gives "files.zip"); of a
// selection of `count` items in it, "Photos (3 items).zip".
std::string ZipName(const Node& folder, std::size_t count = 0);

// kNotFound for an upload whose folder went away (deleted, moved to the trash, its share
// revoked) while its bytes were being sent: said as such, not as a wrong folder id.
Error UploadFolderGone();

}  // namespace nimbus::core::files
