// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/files/tus_service.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "core/billing/standing_check.h"
#include "core/files/access.h"
#include "core/files/quota_tx.h"
#include "core/secrets.h"
#include "db/stores/account_store.h"
#include "db/stores/tus_store.h"
#include "util/run_blocking.h"
#include "util/sha256.h"

namespace nimbus::core::files {

// A PATCH records its durable offset at least this often (without a checksum).
constexpr std::uint64_t kTusCheckpointBytes = 64ull << 20;
// On a slow link (a home upload at 1–5 MB/s takes minutes per 64 MiB), also every few seconds
// once at least kTusCheckpointMinBytes arrived since the last one.
constexpr std::uint64_t kTusCheckpointMinBytes = 1ull << 20;
constexpr auto kTusCheckpointEvery = std::chrono::seconds(2);

namespace {

// The server's target: FileService itself.
class FileServiceTarget final : public TusTarget {
 public:
  explicit FileServiceTarget(FileService& files) : files_(files) {}
  net::awaitable<Result<std::string>> PrepareUpload(const UploadRequest& request) override {
    return files_.PrepareUpload(request);
  }
  net::awaitable<Result<void>> Release(std::string reservation_id) override {
    return files_.Release(std::move(reservation_id));
  }
  net::awaitable<Result<UploadResult>> Upload(UploadRequest request,
                                              storage::ByteSource& body) override {
    return files_.Upload(std::move(request), body);
  }

 private:
  FileService& files_;
};

std::string_view ConflictName(OnConflict c) {
  switch (c) {
    case OnConflict::kReplace:
      return "replace";
    case OnConflict::kRename:
      return "rename";
    case OnConflict::kFail:
      break;
  }
  return "fail";
}

OnConflict ConflictOf(std::string_view s) {
  if (s == "replace") return OnConflict::kReplace;
  if (s == "rename") return OnConflict::kRename;
  return OnConflict::kFail;
}

TusState StateOf(std::string_view s) {
  if (s == "assembling") return TusState::kAssembling;
  if (s == "done") return TusState::kDone;
  if (s == "failed") return TusState::kFailed;
  return TusState::kReceiving;
}

TusUpload FromRecord(const db::TusUploadRecord& r) {
  return TusUpload{
      r.id,     r.owner_id,      r.parent_id,  r.path,           ConflictOf(r.on_conflict),
      r.length, r.upload_offset, r.metadata,   StateOf(r.state), r.node_id,
      r.error,  r.created_at,    r.updated_at, r.modified_at};
}

// Fills `buf` from `body` as far as it goes; returns the bytes read (short only at the end or
// when the body broke: then `*broke` says why, and the bytes before the break are still valid).
net::awaitable<std::size_t> ReadFull(storage::ByteSource& body, std::span<char> buf,
                                     std::optional<Error>* broke) {
  std::size_t got = 0;
  while (got < buf.size()) {
    Result<std::size_t> n = co_await body.Read(buf.subspan(got));
    if (!n) {
      *broke = n.error();
      break;
    }
    if (*n == 0) break;
    got += *n;
  }
  co_return got;
}

}  // namespace

class TusService::BusyGuard {
 public:
  BusyGuard(TusService& s, std::string id) : s_(s), id_(std::move(id)) {}
  ~BusyGuard() { s_.ClearBusy(id_); }
  BusyGuard(const BusyGuard&) = delete;
  BusyGuard& operator=(const BusyGuard&) = delete;

 private:
  TusService& s_;
  std::string id_;
};

TusService::TusService(FileService& files, std::filesystem::path staging_dir)
    : own_target_(std::make_unique<FileServiceTarget>(files)),
      target_(*own_target_),
      deps_{files.deps().db, files.deps().workers, files.deps().clock, files.deps().config,
            staging_dir},
      staging_(std::move(staging_dir)) {}

TusService::TusService(TusTarget& target, TusDeps deps)
    : target_(target), deps_(std::move(deps)), staging_(deps_.staging_dir) {}

TusService::~TusService() = default;

bool TusService::TryMarkBusy(const std::string& id) {
  std::lock_guard lock(mutex_);
  return busy_.insert(id).second;
}

void TusService::ClearBusy(const std::string& id) {
  std::lock_guard lock(mutex_);
  busy_.erase(id);
}

net::awaitable<Result<TusUpload>> TusService::Load(std::int64_t owner_id, const std::string& id,
                                                   bool or_space_owner) {
  auto find = [this, &id, owner_id, or_space_owner] {
    return deps_.db.Read([&](db::Transaction& tx) -> Result<std::optional<db::TusUploadRecord>> {
      auto row = db::TusStore::Find(tx, id);
      if (!row || !*row || (*row)->owner_id == owner_id) return row;
      if (!or_space_owner) return std::optional<db::TusUploadRecord>();
      auto space = db::TusStore::SpaceOwnerOf(tx, id);
      if (!space) return std::unexpected(space.error());
      if (*space != owner_id) return std::optional<db::TusUploadRecord>();
      return row;
    });
  };
  auto found = co_await RunBlocking(deps_.workers, std::move(find));
  if (!found) co_return std::unexpected(found.error());
  if (!*found) {
    co_return Fail(Errc::kNotFound, "There is no upload {} (it may have expired).", id);
  }
  co_return FromRecord(**found);
}

net::awaitable<Result<TusUpload>> TusService::Create(TusCreateRequest request) {
  // The checks and the reservation of the whole length (against the folder owner's space, under
  // the upload's id) in one call.
  const std::string id = RandomHex(16);
  UploadRequest check;
  check.caller = request.owner_id;
  check.parent_id = request.parent_id;
  check.path = request.path;
  check.on_conflict = request.on_conflict;
  check.declared_size = request.length;
  check.reservation_kind = ReservationKind::kTus;
  check.new_reservation_id = id;
  Result<std::string> prepared = co_await target_.PrepareUpload(check);
  if (!prepared) co_return std::unexpected(prepared.error());

  const std::int64_t now = ToUnixMs(deps_.clock.Now());
  db::TusUploadRecord rec{.id = id,
                          .owner_id = request.owner_id,
                          .parent_id = request.parent_id,
                          .path = request.path,
                          .on_conflict = std::string(ConflictName(request.on_conflict)),
                          .length = static_cast<std::int64_t>(request.length),
                          .metadata = request.metadata,
                          .state = request.length == 0 ? "assembling" : "receiving",
                          .created_at = now,
                          .updated_at = now,
                          .modified_at = request.modified_at};
  auto store = [this, &rec]() -> Result<void> {
    if (auto created = staging_.Create(rec.id); !created) return created;
    auto inserted =
        deps_.db.Write([&](db::Transaction& tx) { return db::TusStore::Insert(tx, rec); });
    if (!inserted) staging_.Remove(rec.id);
    return inserted;
  };
  Result<void> stored = co_await RunBlocking(deps_.workers, std::move(store));
  if (!stored) {
    (void)co_await target_.Release(id);
    co_return std::unexpected(stored.error());
  }
  TusUpload upload = FromRecord(rec);
  if (upload.state == TusState::kAssembling) co_return co_await AwaitAssembly(std::move(upload));
  co_return upload;
}

net::awaitable<Result<TusUpload>> TusService::Get(std::int64_t owner_id, std::string id) {
  Result<TusUpload> upload = co_await Load(owner_id, id);
  if (!upload || upload->state != TusState::kAssembling) co_return upload;
  // Joins the running assembly, or starts it (a HEAD right after a restart may come before
  // ResumePending): the answer then tells how it ended.
  (void)co_await AwaitAssembly(std::move(*upload));
  co_return co_await Load(owner_id, id);
}

net::awaitable<Result<TusUpload>> TusService::Append(std::int64_t owner_id, std::string id,
                                                     std::uint64_t offset,
                                                     storage::ByteSource& body,
                                                     std::optional<TusChecksum> checksum,
                                                     std::optional<OnConflict> decide) {
  Result<TusUpload> loaded = co_await Load(owner_id, id);
  if (!loaded) co_return loaded;
  TusUpload upload = std::move(*loaded);
  // Failed (its bytes are gone): whatever the offset asked, the caller says why (410).
  if (upload.state == TusState::kFailed) co_return upload;
  if (decide && upload.state != TusState::kDone) {
    auto store = [this, &id, rule = *decide] {
      return deps_.db.Write([&](db::Transaction& tx) {
        return db::TusStore::SetOnConflict(tx, id, ConflictName(rule), ToUnixMs(deps_.clock.Now()));
      });
    };
    if (auto stored = co_await RunBlocking(deps_.workers, std::move(store)); !stored) {
      co_return std::unexpected(stored.error());
    }
    upload.on_conflict = *decide;
    upload.error.clear();
  }
  const auto start = static_cast<std::uint64_t>(upload.offset);
  if (offset != start) {
    co_return Fail(Errc::kConflict,
                   "Upload-Offset {} does not match the {} bytes received so far; ask for the "
                   "offset again (HEAD) and resume from there.",
                   offset, start);
  }
  if (upload.state == TusState::kAssembling || upload.state == TusState::kDone) {
    // Every byte was received: a body now goes past the declared length (QA pass 15: an extra
    // byte was dropped without a word). An empty PATCH is a retry and learns how it ended.
    std::array<char, 1> probe{};
    std::optional<Error> unread;
    if (co_await ReadFull(body, probe, &unread) > 0) {
      co_return Fail(Errc::kTooLarge,
                     "This upload was declared as {} bytes and has all of them; the body goes "
                     "past that.",
                     upload.length);
    }
    if (upload.state == TusState::kDone) co_return upload;
    co_return co_await AwaitAssembly(std::move(upload));
  }
  // A past-due account is read-only (402): an upload started before the account of the folder's
  // owner fell past due does not continue (the bytes received stay; after paying it resumes).
  // A name taken meanwhile (on_conflict=fail) is the upload's end: it could never be recorded, so
  // it fails now rather than after the client sent every byte (QA pass 18: a resumed 60 MB
  // upload was refused at its last byte).
  // The folder gone (deleted, in the trash, its share revoked): the upload fails now, before
  // the client sends the rest of the file for nothing (QA pass 20).
  std::optional<Error> taken;
  bool folder_gone = false;
  auto standing = [this, &upload, &taken, &folder_gone] {
    return deps_.db.Read([&](db::Transaction& tx) -> Result<void> {
      taken.reset();
      folder_gone = false;
      auto folder = Authorize(tx, upload.owner_id, upload.parent_id, Permission::kEdit);
      if (!folder && folder.error().code == Errc::kNotFound) {
        folder_gone = true;
        return {};
      }
      if (!folder) return billing::RequireGoodStanding(tx, upload.owner_id);  // Assembly says why.
      if (auto good = RequireGoodStanding(tx, *folder); !good) return good;
      UploadRequest named;
      named.caller = upload.owner_id;
      named.parent_id = upload.parent_id;
      named.path = upload.path;
      named.on_conflict = upload.on_conflict;
      auto name = CheckUploadName(tx, named);
      if (!name && (name.error().code == Errc::kNameTaken ||
                    name.error().code == Errc::kPreconditionFailed)) {
        taken = name.error();
        return {};
      }
      return name;
    });
  };
  Result<void> writable = co_await RunBlocking(deps_.workers, std::move(standing));
  if (!writable) co_return std::unexpected(writable.error());
  if (folder_gone) {  // A failed upload: 410 with the reason, now and from then on.
    const Error why = UploadFolderGone();
    if (auto failed = co_await FailUpload(upload, why); !failed) {
      co_return std::unexpected(failed.error());
    }
    upload.state = TusState::kFailed;
    upload.error = why.message;
    co_return upload;
  }
  if (taken) {  // Said as the last PATCH would say it (409 name_taken); 410 from then on.
    (void)co_await FailUpload(upload, *taken);
    co_return std::unexpected(std::move(*taken));
  }
  if (!TryMarkBusy(id)) {
    co_return Fail(Errc::kConflict, "Another request is writing to this upload; resume after it.");
  }
  BusyGuard guard(*this, id);

  auto open = [this, &id, start] { return staging_.OpenForAppend(id, start); };
  Result<StagingFile> file = co_await RunBlocking(deps_.workers, std::move(open));
  if (!file) co_return std::unexpected(file.error());
  const std::uint64_t room = static_cast<std::uint64_t>(upload.length) - start;
  std::vector<char> buf(std::max<std::uint64_t>(deps_.config.io_buffer_bytes, 64 << 10));
  std::optional<TransferDigest> hash;
  if (checksum) hash.emplace(checksum->kind);
  std::uint64_t written = 0;
  // Of `written`, the bytes already durable and recorded as the offset: a long PATCH without a
  // checksum records its progress every kTusCheckpointBytes (or kTusCheckpointEvery), so that a
  // server killed mid-PATCH resumes from there rather than from where the PATCH began (QA pass
  // 14, finding 7; QA pass 15: 10 MB over a slow link were lost).
  std::uint64_t recorded_upto = 0;
  auto recorded_at = std::chrono::steady_clock::now();
  auto checkpoint_due = [&] {
    const std::uint64_t pending = written - recorded_upto;
    return pending >= kTusCheckpointBytes ||
           (pending >= kTusCheckpointMinBytes &&
            std::chrono::steady_clock::now() - recorded_at >= kTusCheckpointEvery);
  };
  std::optional<Error> failed;  // What stopped the body, after `written` good bytes.
  while (!failed) {
    const std::size_t n = co_await ReadFull(body, buf, &failed);
    if (n == 0) break;
    if (written + n > room) {
      failed = Error{Errc::kTooLarge, fmt::format("This upload was declared as {} bytes; the body "
                                                  "goes past that.",
                                                  upload.length)};
      break;
    }
    std::span<const char> chunk(buf.data(), n);
    if (hash) hash->Update(chunk);
    auto write = [&file, &chunk, at = start + written] { return file->WriteAt(at, chunk); };
    Result<void> put = co_await RunBlocking(deps_.workers, std::move(write));
    if (!put) co_return std::unexpected(put.error());
    written += n;
    if (!checksum && written < room && checkpoint_due()) {
      auto checkpoint = [this, &file, &id, at = start + written]() -> Result<bool> {
        if (auto synced = file->Sync(); !synced) return std::unexpected(synced.error());
        return deps_.db.Write([&](db::Transaction& tx) {
          return db::TusStore::SetOffset(tx, id, static_cast<std::int64_t>(at), "receiving",
                                         ToUnixMs(deps_.clock.Now()));
        });
      };
      Result<bool> saved = co_await RunBlocking(deps_.workers, std::move(checkpoint));
      if (!saved) co_return std::unexpected(saved.error());
      if (!*saved) {  // Terminated while this wrote: nothing stays.
        staging_.Remove(id);
        co_return Fail(Errc::kNotFound, "The upload {} was terminated.", id);
      }
      recorded_upto = written;
      recorded_at = std::chrono::steady_clock::now();
    }
    if (n < buf.size()) break;
  }
  // A checksum covers the whole PATCH: bytes that cannot be verified are dropped.
  bool drop = failed && (checksum || failed->code == Errc::kTooLarge);
  if (!failed && checksum) {
    if (hash->Finish() != checksum->digest) {
      drop = true;
      failed = Error{Errc::kChecksumMismatch,
                     "The Upload-Checksum does not match the bytes received; they were dropped."};
    }
  }
  if (drop) written = recorded_upto;  // Those were recorded (no checksum): they stay.
  const std::uint64_t now_offset = start + written;
  const bool complete = now_offset == static_cast<std::uint64_t>(upload.length);
  auto record = [this, &file, &id, now_offset, complete, drop]() -> Result<bool> {
    if (drop) {
      if (auto cut = file->Truncate(now_offset); !cut) return std::unexpected(cut.error());
      return true;
    }
    if (auto synced = file->Sync(); !synced) return std::unexpected(synced.error());
    auto set = deps_.db.Write([&](db::Transaction& tx) {
      return db::TusStore::SetOffset(tx, id, static_cast<std::int64_t>(now_offset),
                                     complete ? "assembling" : "receiving",
                                     ToUnixMs(deps_.clock.Now()));
    });
    if (set && !*set) staging_.Remove(id);  // Terminated while this wrote: nothing stays.
    return set;
  };
  Result<bool> recorded = co_await RunBlocking(deps_.workers, std::move(record));
  if (!recorded) co_return std::unexpected(recorded.error());
  if (!*recorded) co_return Fail(Errc::kNotFound, "The upload {} was terminated.", id);
  if (failed) co_return std::unexpected(std::move(*failed));
  upload.offset = static_cast<std::int64_t>(now_offset);
  if (!complete) co_return upload;
  upload.state = TusState::kAssembling;
  co_return co_await AwaitAssembly(std::move(upload));
}

net::awaitable<Result<std::vector<TusUpload>>> TusService::ListUnfinished(std::int64_t owner_id) {
  auto list = [this, owner_id] {
    return deps_.db.Read([&](db::Transaction& tx) -> Result<std::vector<TusUpload>> {
      auto rows = db::TusStore::ListUnfinishedFor(tx, owner_id);
      if (!rows) return std::unexpected(rows.error());
      std::vector<TusUpload> out;
      for (const db::TusUploadRecord& r : *rows) {
        TusUpload u = FromRecord(r);
        if (r.owner_id != owner_id) {
          auto sender = db::AccountStore::FindUser(tx, r.owner_id);
          if (!sender) return std::unexpected(sender.error());
          if (*sender) {
            u.sender_name = (*sender)->name;
            u.sender_email = (*sender)->email;
          }
        }
        out.push_back(std::move(u));
      }
      return out;
    });
  };
  co_return co_await RunBlocking(deps_.workers, std::move(list));
}

net::awaitable<Result<void>> TusService::FailUpload(const TusUpload& upload, const Error& why) {
  const std::int64_t now = ToUnixMs(deps_.clock.Now());
  auto mark = [this, &upload, &why, now] {
    auto marked = deps_.db.Write([&](db::Transaction& tx) {
      return db::TusStore::SetFailed(tx, upload.id, why.message, now);
    });
    if (marked) staging_.Remove(upload.id);
    return marked;
  };
  if (auto marked = co_await RunBlocking(deps_.workers, std::move(mark)); !marked) {
    co_return std::unexpected(marked.error());
  }
  co_return co_await target_.Release(upload.id);
}

net::awaitable<Result<int>> TusService::DropUnreachable(std::int64_t sender_id) {
  auto find = [this, sender_id] {
    return deps_.db.Read([&](db::Transaction& tx) -> Result<std::vector<std::string>> {
      auto rows = db::TusStore::ListByOwner(tx, sender_id);
      if (!rows) return std::unexpected(rows.error());
      std::vector<std::string> out;
      for (const db::TusUploadRecord& r : *rows) {
        if (r.state != "receiving") continue;
        auto space = db::TusStore::SpaceOwnerOf(tx, r.id);
        if (!space) return std::unexpected(space.error());
        if (!*space || **space == sender_id) continue;
        auto folder = Authorize(tx, sender_id, r.parent_id, Permission::kEdit);
        if (folder) continue;
        if (folder.error().code != Errc::kNotFound && folder.error().code != Errc::kForbidden) {
          return std::unexpected(folder.error());
        }
        out.push_back(r.id);
      }
      return out;
    });
  };
  auto ids = co_await RunBlocking(deps_.workers, std::move(find));
  if (!ids) co_return std::unexpected(ids.error());
  int dropped = 0;
  for (const std::string& id : *ids) {
    // Gone or being saved meanwhile: its own request says what became of it.
    if (auto done = co_await Terminate(sender_id, id); done) ++dropped;
  }
  co_return dropped;
}

net::awaitable<Result<void>> TusService::Terminate(std::int64_t user_id, std::string id) {
  static constexpr char kBeingSaved[] =
      "This upload is complete and being saved; it cannot be cancelled any more.";
  Result<TusUpload> upload = co_await Load(user_id, id, true);
  if (!upload) co_return std::unexpected(upload.error());
  // Assembling and not waiting for the client's decision (an upload kept after its name was
  // taken has its reason in `error`, and may be discarded).
  if (upload->state == TusState::kAssembling && upload->error.empty()) {
    co_return Fail(Errc::kConflict, kBeingSaved);
  }
  // A PATCH may be writing to it: typically the one the client just aborted to cancel, whose
  // request the server has not seen end yet. The upload goes anyway; that PATCH finds it gone
  // when it records its offset, and stops there (kNotFound), whatever it wrote unseen.
  std::optional<BusyGuard> guard;
  if (TryMarkBusy(id)) guard.emplace(*this, id);
  auto remove = [this, &id]() -> Result<bool> {
    auto deleted = deps_.db.Write([&](db::Transaction& tx) -> Result<bool> {
      // In the same transaction as the delete: a PATCH that completed the upload meanwhile
      // (now being saved) keeps it.
      auto now = db::TusStore::Find(tx, id);
      if (!now) return std::unexpected(now.error());
      if (!*now) return false;
      if ((*now)->state == "assembling" && (*now)->error.empty()) {
        return Fail(Errc::kConflict, kBeingSaved);
      }
      return db::TusStore::Delete(tx, id);
    });
    if (deleted) staging_.Remove(id);
    return deleted;
  };
  Result<bool> removed = co_await RunBlocking(deps_.workers, std::move(remove));
  if (!removed) co_return std::unexpected(removed.error());
  if (upload->state != TusState::kDone) co_return co_await target_.Release(id);
  co_return Result<void>{};
}

net::awaitable<Result<int>> TusService::ResumePending(net::any_io_executor executor) {
  auto list = [this] { return deps_.db.Read(&db::TusStore::ListPendingAssembly); };
  auto pending = co_await RunBlocking(deps_.workers, std::move(list));
  if (!pending) co_return std::unexpected(pending.error());
  for (const db::TusUploadRecord& rec : *pending) {
    TusUpload upload = FromRecord(rec);
    upload.state = TusState::kAssembling;
    StartAssembly(upload, executor, /*left_over=*/true);
  }
  co_return static_cast<int>(pending->size());
}

Result<std::int64_t> TusService::RemoveExpired() {
  const std::int64_t expiry_ms = std::int64_t{deps_.config.tus_expiry_h} * 3600 * 1000;
  const std::int64_t cutoff = ToUnixMs(deps_.clock.Now()) - expiry_ms;
  auto idle =
      deps_.db.Read([&](db::Transaction& tx) { return db::TusStore::ListIdleSince(tx, cutoff); });
  if (!idle) return std::unexpected(idle.error());
  std::int64_t removed = 0;
  for (const db::TusUploadRecord& rec : *idle) {
    if (!TryMarkBusy(rec.id)) continue;  // A request is writing to it right now.
    BusyGuard guard(*this, rec.id);
    auto gone = deps_.db.Write([&](db::Transaction& tx) -> Result<bool> {
      if (auto released = db::TusStore::DeleteReservation(tx, rec.id); !released) {
        return std::unexpected(released.error());
      }
      return db::TusStore::Delete(tx, rec.id);
    });
    if (!gone) return std::unexpected(gone.error());
    staging_.Remove(rec.id);
    if (*gone) ++removed;
  }
  // Staging files whose row is gone (a crash between the two steps of a removal).
  const std::int64_t expiry_s = expiry_ms / 1000;
  for (const auto& [name, age_s] : staging_.ListWithAge()) {
    if (age_s < expiry_s) continue;
    auto exists =
        deps_.db.Read([&](db::Transaction& tx) { return db::TusStore::Exists(tx, name); });
    if (exists && !*exists) staging_.Remove(name);
  }
  return removed;
}

}  // namespace nimbus::core::files
