// SPDX-License-Identifier: AGPL-3.0-or-later
// Uploads: the quota is reserved before a byte is written, the bytes go to both disk
// copies (OwnerBlobs::Write), and the node appears or changes in one transaction that also
// records the blob and drops the reservation. A failure leaves nothing visible: the written blob
// is erased and the reservation released.
#include <fmt/core.h>

#include <algorithm>
#include <boost/asio/this_coro.hpp>

#include "core/files/file_service.h"
#include "core/files/names.h"
#include "core/files/quota_tx.h"
#include "core/files/stored_blob_row.h"
#include "core/files/tree_tx.h"
#include "util/await_callback.h"
#include "util/clock.h"
#include "util/run_blocking.h"

namespace nimbus::core::files {

namespace {

std::string_view KindName(ReservationKind k) {
  switch (k) {
    case ReservationKind::kTus:
      return "tus";
    case ReservationKind::kCopy:
      return "copy";
    case ReservationKind::kUpload:
      break;
  }
  return "upload";
}

Error TooLarge(std::uint64_t size, std::uint64_t max) {
  std::string is = HumanBytes(static_cast<std::int64_t>(size));
  std::string most = HumanBytes(static_cast<std::int64_t>(max));
  // Just over the limit reads as the same size once rounded ("100.0 GB" over "100 GB"): say the
  // bytes.
  if (size > max && size - max < std::max<std::uint64_t>(max / 100, 1)) {
    is = fmt::format("{} bytes", size);
    most = fmt::format("{} bytes", max);
  }
  return Error{Errc::kTooLarge,
               fmt::format("This file is {}; the largest upload allowed is {}.", is, most)};
}

// Counts what the body yields: refuses it past `limit` (a chunked body has no reservation:
// the free bytes at its start are its limit) or past the largest upload.
class LimitedSource final : public storage::ByteSource {
 public:
  LimitedSource(storage::ByteSource& body, std::uint64_t free, std::uint64_t max_upload,
                bool check_free)
      : body_(body), free_(free), max_(max_upload), check_free_(check_free) {}

  net::awaitable<Result<std::size_t>> Read(std::span<char> buf) override {
    auto n = co_await body_.Read(buf);
    if (!n) co_return n;
    count_ += *n;
    if (count_ > max_) co_return std::unexpected(TooLarge(count_, max_));
    if (check_free_ && count_ > free_) {
      co_return Fail(Errc::kQuotaExceeded,
                     "This upload needs more than the {} that is free in your space.",
                     HumanBytes(static_cast<std::int64_t>(free_)));
    }
    co_return n;
  }

 private:
  storage::ByteSource& body_;
  std::uint64_t free_;
  std::uint64_t max_;
  bool check_free_;
  std::uint64_t count_ = 0;
};

// Where an upload of a path starts: a folder the caller may edit, and the names below it.
struct UploadStartFolder {
  Node folder;
  std::vector<std::string> rest;  // The last one is the file's name.
};

// The folder an upload of `names` (a path below `parent_id`, the last name the file's) starts
// in, allowed for editing: the parent, or, when the caller may not edit it (a read-only share),
// the deepest existing folder of the path that they may edit. So an editable share inside a
// read-only one takes uploads by path, as by its id.
// With no names (no path), `parent_id` is a file to replace in place: the caller may edit that
// file (its owner, or a grantee of it or of a folder above it), and the upload starts in its
// folder with the file's name, whoever may see that folder.
Result<UploadStartFolder> UploadStart(db::Transaction& tx, const Caller& caller,
                                      std::string_view parent_id,
                                      const std::vector<std::string>& names) {
  if (names.empty()) {
    auto file = Authorize(tx, caller, parent_id, Permission::kEdit);
    if (!file) return std::unexpected(file.error());
    if (!file->is_file()) {
      return Fail(Errc::kInvalidArgument,
                  "The query parameter 'path' is required: it names the file to upload into "
                  "folder '{}'.",
                  file->name.empty() ? "/" : file->name);
    }
    auto folder = LoadLive(tx, file->owner_id, file->parent_id);
    if (!folder) return std::unexpected(folder.error());
    folder->owner = file->owner;  // Whose space it is, as the caller sees the file.
    return UploadStartFolder{std::move(*folder), {file->name}};
  }
  auto parent = Authorize(tx, caller, parent_id, Permission::kEdit);
  if (parent) return UploadStartFolder{std::move(*parent), names};
  if (parent.error().code != Errc::kForbidden) return std::unexpected(parent.error());
  auto readable = Authorize(tx, caller, parent_id, Permission::kRead);
  if (!readable) return std::unexpected(readable.error());
  std::string folder_id = readable->id;
  std::size_t depth = 0;
  for (std::size_t i = 0; i + 1 < names.size(); ++i) {
    auto child = LiveChild(tx, folder_id, names[i]);
    if (!child) return std::unexpected(child.error());
    if (!*child || !(*child)->is_folder()) break;
    folder_id = (*child)->id;
    depth = i + 1;
  }
  if (depth == 0) return std::unexpected(parent.error());
  auto start = Authorize(tx, caller, folder_id, Permission::kEdit);
  if (!start) return std::unexpected(parent.error());  // Say it of the folder asked for.
  return UploadStartFolder{std::move(*start),
                           {names.begin() + static_cast<std::ptrdiff_t>(depth), names.end()}};
}

// The names of an upload's path; none for a file replaced in place (no path: UploadStart).
Result<std::vector<std::string>> UploadNames(const UploadRequest& request) {
  if (request.path.empty()) {
    if (request.on_conflict != OnConflict::kReplace) {
      return Fail(Errc::kInvalidArgument,
                  "The query parameter 'path' is required, unless the upload replaces the file "
                  "it is sent to (on_conflict=replace, or leave on_conflict out).");
    }
    return std::vector<std::string>{};
  }
  return SplitRelativePath(request.path);
}

// Walks the existing part of `names` under `parent` without creating anything: the node that
// would be replaced or renamed around, nullopt when the last name is free. kNameTaken when a
// file is where a folder should be.
Result<std::optional<Node>> ExistingTarget(db::Transaction& tx, const Node& parent,
                                           const std::vector<std::string>& names) {
  std::string folder_id = parent.id;
  for (std::size_t i = 0; i + 1 < names.size(); ++i) {
    auto child = LiveChild(tx, folder_id, names[i]);
    if (!child) return std::unexpected(child.error());
    if (!*child) return std::optional<Node>();  // A missing folder: everything below is free.
    if ((*child)->is_file()) {
      return Fail(Errc::kNameTaken, "'{}' is a file, not a folder.", names[i]);
    }
    folder_id = (*child)->id;
  }
  return LiveChild(tx, folder_id, names.back());
}

// A full quota of someone else's space (an upload into a folder shared with the caller) names
// whose space it is: the grantee cannot make room there.
Error OwnersSpace(Error e, const Node& folder) {
  if (e.code != Errc::kQuotaExceeded || !folder.owner) return e;
  const std::string who = OwnerLabel(*folder.owner);
  std::string msg = e.message;
  // "…of your 1 GB is free." → "…of their 1 GB is free."
  if (auto at = msg.find(" your "); at != std::string::npos) msg.replace(at, 6, " their ");
  // "This upload needs…" continues the sentence after the colon: "this upload needs…".
  if (msg.starts_with("This ")) msg[0] = 't';
  e.message =
      fmt::format("The space of {}, who shared this folder with you, is full: {}", who, msg);
  return e;
}

// The conflict rule (and an If-Match) before any byte is read, and again when recording them.
Result<void> CheckConflict(const std::optional<Node>& existing, const UploadRequest& request) {
  const OnConflict rule = request.on_conflict;
  if (!request.if_match.empty()) {
    if (!existing) {
      return Fail(Errc::kPreconditionFailed,
                  "The file you meant to replace is no longer there (deleted, moved or "
                  "renamed); nothing was saved.");
    }
    if (existing->is_folder()) {
      return Fail(Errc::kPreconditionFailed,
                  "'{}' is a folder, not the file you meant to replace; nothing was saved.",
                  existing->name);
    }
    if (!existing->MatchesIfMatch(request.if_match)) {
      return Fail(Errc::kPreconditionFailed,
                  "'{}' changed since you read it (its ETag is now {}); nothing was saved.",
                  existing->name, existing->etag());
    }
    return {};
  }
  if (!existing) return {};
  if (rule == OnConflict::kFail) {
    return Fail(Errc::kNameTaken, "'{}' already exists in this folder.", existing->name);
  }
  if (rule == OnConflict::kReplace && existing->is_folder()) {
    return Fail(Errc::kNameTaken, "'{}' is a folder; only a file can be replaced.", existing->name);
  }
  return {};
}

}  // namespace

Result<void> CheckUploadName(db::Transaction& tx, const UploadRequest& request) {
  auto names = UploadNames(request);
  if (!names) return {};
  auto start = UploadStart(tx, request.caller, request.parent_id, *names);
  if (!start) {
    if (start.error().code == Errc::kNotFound || start.error().code == Errc::kForbidden) return {};
    return std::unexpected(start.error());
  }
  auto existing = ExistingTarget(tx, start->folder, start->rest);
  if (!existing) return std::unexpected(existing.error());
  return CheckConflict(*existing, request);
}

net::awaitable<Result<std::string>> FileService::Reserve(std::int64_t owner_id, std::uint64_t bytes,
                                                         ReservationKind kind, std::string id) {
  if (kind != ReservationKind::kCopy && bytes > deps_.config.max_upload_bytes) {
    co_return std::unexpected(TooLarge(bytes, deps_.config.max_upload_bytes));
  }
  if (id.empty()) id = NewNodeId();
  std::int64_t now = ToUnixMs(deps_.clock.Now());
  auto insert = [&] {
    return deps_.db.Write([&](db::Transaction& tx) {
      return InsertReservation(tx, owner_id, id, bytes, KindName(kind), now,
                               pending_->Sum(owner_id));
    });
  };
  auto r = co_await RunBlocking(deps_.workers, insert);
  if (!r) co_return std::unexpected(r.error());
  UsageChanged(owner_id);
  co_return id;
}

std::optional<storage::WriteTarget> FileService::TakeTarget(const std::string& reservation_id) {
  std::lock_guard lock(targets_mu_);
  auto node = targets_.extract(reservation_id);
  if (node.empty()) return std::nullopt;
  return std::move(node.mapped());
}

net::awaitable<Result<void>> FileService::Release(std::string reservation_id) {
  if (reservation_id.empty()) co_return Result<void>{};
  (void)TakeTarget(reservation_id);
  if (auto owner = pending_->Remove(reservation_id)) {  // A small upload's: no row.
    UsageChanged(*owner);
    co_return Result<void>{};
  }
  auto remove = [&] {
    return deps_.db.Write(
        [&](db::Transaction& tx) { return DeleteReservation(tx, reservation_id); });
  };
  auto owner = co_await RunBlocking(deps_.workers, remove);
  if (!owner) co_return std::unexpected(owner.error());
  if (*owner) UsageChanged(**owner);
  co_return Result<void>{};
}

Result<std::int64_t> FileService::SweepReservations() {
  // One server per database for now: every upload/copy reservation belongs to a request of a
  // previous run of this process (killed before it could release them). tus reservations live
  // as long as their upload and are kept. With several servers on one database this must only
  // sweep the reservations of dead servers.
  return deps_.db.Write([](db::Transaction& tx) { return DeleteRequestReservations(tx); });
}

// The version of `old` (a live file) before a replace, as an item of its owner's trash deleted by
// `by`: a node of its own (trashed, so its name stays free) holding the old blob, at the file's
// path. A restore brings it back beside the new version ("name (restored)").
Result<void> TrashReplacedVersion(db::Transaction& tx, const Node& old, std::int64_t by,
                                  std::int64_t now_ms) {
  auto path = db::NodeStore::PathOf(tx, old.id);
  if (!path) return std::unexpected(std::move(path.error()));
  db::TrashRow item;
  item.id = NewNodeId();
  item.owner_id = old.owner_id;
  item.node_id = NewNodeId();
  item.original_parent_id = old.parent_id;
  item.original_path = std::move(*path);
  item.size = old.size;
  item.deleted_at = now_ms;
  if (by != 0 && by != old.owner_id) item.deleted_by = by;
  item.name = old.name;
  item.type = "file";
  db::NodeRow version{item.node_id, old.owner_id,   old.parent_id,  old.name,   SortName(old.name),
                      "file",       old.size,       old.blob_id,    old.sha256, 1,
                      item.id,      old.created_at, old.modified_at};
  if (auto r = db::NodeStore::Insert(tx, version); !r) return std::unexpected(r.error());
  return db::NodeStore::InsertTrash(tx, item);
}

Error UploadFolderGone() {
  return Error{Errc::kNotFound,
               "The folder this upload was going into is no longer there (deleted, moved to the "
               "trash, or no longer shared with you); the file was not saved."};
}

net::awaitable<Result<std::string>> FileService::PrepareUpload(const UploadRequest& request) {
  if (request.path.ends_with('/')) {  // "docs/" made a file named "docs" (QA pass 15).
    co_return Fail(Errc::kInvalidName,
                   "The path '{}' ends with '/': a file needs a name after its last folder.",
                   request.path);
  }
  auto names = UploadNames(request);
  if (!names) co_return std::unexpected(names.error());
  if (request.declared_size && *request.declared_size > deps_.config.max_upload_bytes) {
    co_return std::unexpected(TooLarge(*request.declared_size, deps_.config.max_upload_bytes));
  }
  const bool reserve = request.declared_size && request.reservation_id.empty();
  // A small declared size is reserved in this process (PendingReservations): the checks run in
  // a read transaction and the upload's only write transaction is the one that records it
  // (where the quota is checked again against everything reserved).
  const bool small = reserve && request.reservation_kind == ReservationKind::kUpload &&
                     *request.declared_size <= kPendingReservationMax;
  std::string id = !reserve                             ? request.reservation_id
                   : request.new_reservation_id.empty() ? NewNodeId()
                                                        : request.new_reservation_id;
  std::int64_t now = ToUnixMs(deps_.clock.Now());
  std::uint64_t bytes = 0;
  QuotaState quota;
  std::string full;  // For a small upload that may not fit: WithTrashHint's sentence, or "".
  Node folder;       // The folder the path starts in: its owner's space takes the bytes.
  // The pair (and, for a reservation row, the named blob) looked up here is kept for Upload:
  // one trip less.
  std::optional<storage::WriteTarget> target;
  const net::any_io_executor executor = co_await net::this_coro::executor;
  // The checks and the reservation in one transaction (one round trip).
  auto checks = [&](db::Transaction& tx) -> Result<void> {
    auto start = UploadStart(tx, request.caller, request.parent_id, *names);
    if (!start) return std::unexpected(start.error());
    const Node* parent = &start->folder;
    const std::vector<std::string>& rest = start->rest;
    if (!parent->is_folder()) {
      return Fail(Errc::kInvalidArgument, "'{}' is a file, not a folder: files go into a folder.",
                  parent->name);
    }
    folder = *parent;
    // A past-due account is read-only (402): checked before anything is reserved.
    if (auto standing = RequireGoodStanding(tx, *parent); !standing) return standing;
    auto existing = ExistingTarget(tx, *parent, rest);
    if (!existing) return std::unexpected(existing.error());
    if (auto c = CheckConflict(*existing, request); !c) return c;
    if (!reserve) return {};
    bytes = *request.declared_size;
    // (Someone the folder is shared with: the owner's previous version goes to the trash and
    // keeps its bytes, so the whole size is reserved.)
    if (*existing && request.on_conflict == OnConflict::kReplace &&
        request.caller.user_id == parent->owner_id) {
      // The replaced bytes are freed by the transaction that records the new ones: only the
      // growth is reserved (and the quota checked again there), so a full account can still
      // replace a file with one of the same size.
      bytes -= std::min(bytes, static_cast<std::uint64_t>((*existing)->size));
    }
    if (small) {
      auto q = LoadQuota(tx, parent->owner_id);
      if (!q) return std::unexpected(q.error());
      quota = *q;
      // Likely full (the pending reservations are checked below): the trash, for the message.
      // (Not for more than the whole plan: emptying the trash would not make it fit.)
      if (static_cast<std::uint64_t>(quota.free_bytes()) <
              bytes + pending_->Sum(parent->owner_id) &&
          bytes <= static_cast<std::uint64_t>(std::max<std::int64_t>(quota.quota_bytes, 0))) {
        full = WithTrashHint(tx, parent->owner_id, Error{Errc::kQuotaExceeded, ""}).message;
      }
      // Without one (no allocation), Upload's own Write looks again and reports it.
      if (auto t = deps_.blobs.Target(tx, parent->owner_id, executor)) target = std::move(*t);
      return {};
    }
    if (auto r =
            InsertReservation(tx, parent->owner_id, id, bytes, KindName(request.reservation_kind),
                              now, pending_->Sum(parent->owner_id));
        !r) {
      return r;
    }
    if (request.reservation_kind != ReservationKind::kUpload) return {};
    // The blob is named under the reservation before a byte is written (reservation_blobs): a
    // process killed after the bytes and before the record leaves the name, and the sweep at
    // the next start removes the bytes. Without an allocation, Upload's Write reports it.
    auto named = deps_.blobs.ReserveWrites(tx, parent->owner_id, id, 1, executor);
    if (named) {
      target = std::move(named->front());
    } else if (named.error().code != Errc::kNotFound) {
      return std::unexpected(named.error());
    }
    return {};
  };
  auto check = [&] { return small ? deps_.db.Read(checks) : deps_.db.Write(checks); };
  auto ok = co_await RunBlocking(deps_.workers, check);
  if (!ok) co_return std::unexpected(OwnersSpace(ok.error(), folder));
  if (small) {
    std::int64_t free = 0;
    if (!pending_->TryAdd(id, folder.owner_id, bytes, quota.free_bytes(), &free)) {
      const std::int64_t held =
          std::max<std::int64_t>(0, quota.quota_bytes - quota.used_bytes - free);
      Error e = NoRoomFor("upload", bytes, free, quota.quota_bytes, held);
      e.message += full;
      co_return std::unexpected(OwnersSpace(std::move(e), folder));
    }
  } else if (reserve) {
    UsageChanged(folder.owner_id);
  }
  if (target) {
    std::lock_guard lock(targets_mu_);
    targets_.insert_or_assign(id, std::move(*target));
  }
  co_return id;
}

net::awaitable<Result<UploadResult>> FileService::Upload(UploadRequest request,
                                                         storage::ByteSource& body) {
  // Reserve here unless the caller did (then the reservation stays the caller's on failure).
  bool own_reservation = false;
  if (request.reservation_id.empty()) {
    auto prepared = co_await PrepareUpload(request);
    if (!prepared) co_return std::unexpected(prepared.error());
    request.reservation_id = *prepared;
    own_reservation = !prepared->empty();
  }
  auto names = UploadNames(request);
  if (!names) co_return std::unexpected(names.error());
  // Whose space takes the bytes: the folder's owner (known already for a small upload).
  std::int64_t owner = pending_->OwnerOf(request.reservation_id).value_or(0);
  Node folder;
  // A chunked body: no reservation; its limit is what is free now plus the file it replaces
  // (checked again at the end).
  const bool chunked = !request.declared_size;
  std::uint64_t free = 0;
  if (chunked || owner == 0) {
    auto load = [&] {
      return deps_.db.Read([&](db::Transaction& tx) -> Result<std::int64_t> {
        auto start = UploadStart(tx, request.caller, request.parent_id, *names);
        if (!start) return std::unexpected(start.error());
        const Node* parent = &start->folder;
        const std::vector<std::string>& rest = start->rest;
        folder = *parent;
        owner = parent->owner_id;
        if (!chunked) return 0;
        auto quota = LoadQuota(tx, owner);
        if (!quota) return std::unexpected(quota.error());
        std::int64_t limit = std::max<std::int64_t>(
            0, quota->free_bytes() - static_cast<std::int64_t>(pending_->Sum(owner)));
        if (request.on_conflict != OnConflict::kReplace) return limit;
        auto existing = ExistingTarget(tx, *parent, rest);
        if (!existing) return std::unexpected(existing.error());
        return limit + (*existing ? (*existing)->size : 0);
      });
    };
    auto limit = co_await RunBlocking(deps_.workers, load);
    if (!limit) {
      if (own_reservation) (void)co_await Release(request.reservation_id);
      co_return std::unexpected(limit.error());
    }
    free = static_cast<std::uint64_t>(*limit);
  }
  auto release = [&]() -> net::awaitable<void> {
    if (own_reservation) (void)co_await Release(request.reservation_id);
  };

  LimitedSource source(body, free, deps_.config.max_upload_bytes, chunked);
  Result<storage::StoredBlob> written = Fail(Errc::kInternal, "not written");
  if (std::optional<storage::WriteTarget> target = TakeTarget(request.reservation_id)) {
    written = co_await deps_.blobs.Write(std::move(*target), source, request.declared_size);
  } else {
    written = co_await deps_.blobs.Write(owner, source, request.declared_size);
  }
  if (!written) {
    co_await release();
    Error e = written.error();
    if (e.code == Errc::kInvalidArgument && request.declared_size) {
      e.message =
          fmt::format("the body did not have the declared {} bytes", *request.declared_size);
    }
    co_return std::unexpected(std::move(e));
  }
  const storage::StoredBlob& blob = *written;  // Kept alive until the transaction ended.
  if (!request.expected_sha256.empty() && request.expected_sha256 != blob.info.sha256_hex) {
    (void)co_await deps_.blobs.Erase(UnrecordedRow(owner, blob));
    co_await release();
    co_return Fail(Errc::kChecksumMismatch,
                   "The file that arrived has SHA-256 {}, but X-Checksum-Sha256 said {}: it "
                   "changed on the way. Nothing was saved.",
                   blob.info.sha256_hex, request.expected_sha256);
  }

  std::int64_t now = ToUnixMs(deps_.clock.Now());
  std::optional<db::BlobRow> old_blob;
  // Reserved in this process (a small upload): no row to delete, the quota checked here.
  const bool pending = pending_->Contains(request.reservation_id);
  // The record, batched with other uploads finishing at the same time (db::GroupCommitter).
  std::optional<UsageMove> move;  // Known when the record loads the quota.
  auto record = [&](db::Transaction& tx) -> Result<UploadResult> {
    old_blob.reset();
    move.reset();
    auto start = UploadStart(tx, request.caller, request.parent_id, *names);
    if (!start) return std::unexpected(start.error());
    const Node* parent = &start->folder;
    const std::vector<std::string>& rest = start->rest;
    if (parent->owner_id != owner) return Fail(Errc::kConflict, "the folder changed hands");
    folder = *parent;
    auto folder = EnsureFolders(tx, *parent, std::span(rest).first(rest.size() - 1), now);
    if (!folder) return std::unexpected(folder.error());
    std::string name = rest.back();
    auto existing = LiveChild(tx, folder->id, name);
    if (!existing) return std::unexpected(existing.error());
    if (auto c = CheckConflict(*existing, request); !c) return std::unexpected(c.error());
    if (auto r = deps_.blobs.Record(tx, owner, blob); !r) return std::unexpected(r.error());
    UploadResult result;
    if (*existing && request.on_conflict == OnConflict::kReplace) {
      const Node& old = **existing;
      if (auto r = SetFileContent(tx, old.id, static_cast<std::int64_t>(blob.info.size),
                                  blob.info.id.str(), blob.info.sha256_hex,
                                  request.modified_at.value_or(now));
          !r) {
        return std::unexpected(r.error());
      }
      if (!old.blob_id.empty() && request.caller.user_id != owner) {
        // Someone the folder is shared with replaced the owner's file: the owner's previous
        // version goes to the owner's trash, as that person's delete would (QA pass 21a: a
        // teenager's "Replace" destroyed Dad's photo for good). Its bytes stay counted there.
        if (auto kept = TrashReplacedVersion(tx, old, request.caller.user_id, now); !kept) {
          return std::unexpected(kept.error());
        }
      } else if (!old.blob_id.empty()) {
        auto row = deps_.blobs.Forget(tx, old.blob_id);
        if (!row) return std::unexpected(row.error());
        old_blob = *row;
      }
      auto node = LoadLive(tx, owner, old.id);
      if (!node) return std::unexpected(node.error());
      result.node = std::move(*node);
      result.replaced = true;
    } else {
      if (*existing) {  // kRename
        auto free_name = FreeName(tx, folder->id, name, NodeType::kFile, FreeNameStyle::kNumbered);
        if (!free_name) return std::unexpected(free_name.error());
        name = *free_name;
      }
      Node n;
      n.owner_id = owner;
      n.parent_id = folder->id;
      n.name = name;
      n.type = NodeType::kFile;
      n.size = static_cast<std::int64_t>(blob.info.size);
      n.blob_id = blob.info.id.str();
      n.sha256 = blob.info.sha256_hex;
      n.created_at = now;
      n.modified_at = request.modified_at.value_or(now);
      auto node = InsertNode(tx, std::move(n));
      if (!node) return std::unexpected(node.error());
      result.node = std::move(*node);
    }
    if (!request.reservation_id.empty() && !pending) {
      if (auto r = DeleteReservation(tx, request.reservation_id); !r) {
        return std::unexpected(r.error());
      }
    }
    // Not all reserved, the quota must hold: a chunked body, a small upload, and any upload
    // asked to replace (only its growth was reserved; if the file it was to replace was renamed
    // or deleted meanwhile, it is a whole new file now: QA pass 17, a way past the quota).
    if (chunked || pending || result.replaced || request.on_conflict == OnConflict::kReplace) {
      auto q = LoadQuota(tx, owner);
      if (!q) return std::unexpected(q.error());
      q->reserved_bytes += static_cast<std::int64_t>(pending_->Sum(owner, request.reservation_id));
      move = UsageMove{q->used_bytes - static_cast<std::int64_t>(blob.info.size) +
                           (old_blob ? old_blob->size : 0),
                       q->used_bytes, q->quota_bytes};
      if (q->used_bytes + q->reserved_bytes > q->quota_bytes) {
        const std::int64_t free_before =
            q->quota_bytes - (q->used_bytes - static_cast<std::int64_t>(blob.info.size)) -
            q->reserved_bytes;
        return std::unexpected(WithTrashHint(
            tx, owner, NoRoomFor("upload", blob.info.size, free_before, q->quota_bytes)));
      }
    }
    if (request.on_recorded) {
      if (auto r = request.on_recorded(tx, result.node); !r) return std::unexpected(r.error());
    }
    auto seen = AsSeenBy(tx, request.caller, std::move(result.node));
    if (!seen) return std::unexpected(seen.error());
    result.node = std::move(*seen);
    if (pending) pending_->Remove(request.reservation_id);  // Now in used_bytes.
    return result;
  };
  std::optional<UploadResult> recorded;
  db::GroupCommitter::Step step = [&](db::Transaction& tx) -> Result<void> {
    recorded.reset();
    auto r = record(tx);
    if (!r) return std::unexpected(r.error());
    recorded = std::move(*r);
    return {};
  };
  auto commit = [&](db::GroupCommitter::Done done) { committer_->Submit(step, std::move(done)); };
  auto result = co_await AwaitCallback<Result<void>>(std::move(commit));
  if (!result) {
    (void)co_await deps_.blobs.Erase(UnrecordedRow(owner, blob));
    co_await release();
    // The folder was there when the upload began: it went away while the body came (QA pass 20:
    // a bare "does not exist" looked like a wrong folder id to a sync script).
    if (result.error().code == Errc::kNotFound) co_return std::unexpected(UploadFolderGone());
    co_return std::unexpected(OwnersSpace(result.error(), folder));
  }
  if (old_blob) {  // Queued in the record's transaction: removed now, or at the next start.
    std::vector<db::BlobRow> replaced{std::move(*old_blob)};
    (void)co_await deps_.blobs.EraseForgotten(std::move(replaced));
  }
  UsageChanged(owner, move);
  activity_->Note(request.caller, recorded->node, "upload");
  co_return std::move(*recorded);
}

}  // namespace nimbus::core::files
