// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/files/tus_service.h"

#include <fmt/core.h>

#include <algorithm>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>
#include <functional>
#include <utility>
#include <vector>

#include "core/secrets.h"
#include "db/stores/tus_store.h"
#include "util/run_blocking.h"
#include "util/sha256.h"

namespace nimbus::core::files {

namespace {

// The server's target: FileService itself.
class FileServiceTarget final : public TusTarget {
 public:
  explicit FileServiceTarget(FileService& files) : files_(files) {}
  net::awaitable<Result<std::string>> PrepareUpload(const UploadRequest& request) override {
    return files_.PrepareUpload(request);
  }
  net::awaitable<Result<std::string>> Reserve(std::int64_t owner_id, std::uint64_t bytes,
                                              std::string id) override {
    return files_.Reserve(owner_id, bytes, ReservationKind::kTus, std::move(id));
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
      r.id,     r.owner_id,      r.parent_id, r.path,           ConflictOf(r.on_conflict),
      r.length, r.upload_offset, r.metadata,  StateOf(r.state), r.node_id,
      r.error};
}

// Streams a staging file into FileService::Upload, each read on the WorkerPool.
class StagingSource final : public storage::ByteSource {
 public:
  StagingSource(WorkerPool& workers, StagingFile file, std::uint64_t length)
      : workers_(workers), file_(std::move(file)), length_(length) {}
  net::awaitable<Result<std::size_t>> Read(std::span<char> buf) override {
    std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), length_ - offset_));
    if (want == 0) co_return std::size_t{0};
    auto read = [this, buf, want] { return file_.ReadAt(offset_, buf.first(want)); };
    Result<std::size_t> n = co_await RunBlocking(workers_, std::move(read));
    if (!n) co_return n;
    if (*n == 0)
      co_return Fail(Errc::kIoError, "staging file ends at {} of {} bytes", offset_, length_);
    offset_ += *n;
    co_return n;
  }

 private:
  WorkerPool& workers_;
  StagingFile file_;
  std::uint64_t length_;
  std::uint64_t offset_ = 0;
};

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

// The result of one assembly, shared by the task that runs it and every request waiting for it
// (on any io thread: hence the mutex and a wake-up posted to each waiter's own executor).
struct TusService::Assembly {
  std::mutex mu;
  std::optional<Result<TusUpload>> result;               // Guarded by mu.
  std::vector<std::move_only_function<void()>> wakeups;  // Guarded by mu.

  void Finish(Result<TusUpload> r) {
    std::vector<std::move_only_function<void()>> wake;
    {
      std::lock_guard lock(mu);
      result = std::move(r);
      wake.swap(wakeups);
    }
    for (auto& w : wake) w();
  }
};

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

net::awaitable<Result<TusUpload>> TusService::Load(std::int64_t owner_id, const std::string& id) {
  auto find = [this, &id] {
    return deps_.db.Read([&](db::Transaction& tx) { return db::TusStore::Find(tx, id); });
  };
  auto found = co_await RunBlocking(deps_.workers, std::move(find));
  if (!found) co_return std::unexpected(found.error());
  if (!*found || (*found)->owner_id != owner_id) {
    co_return Fail(Errc::kNotFound, "There is no upload {} (it may have expired).", id);
  }
  co_return FromRecord(**found);
}

net::awaitable<Result<TusUpload>> TusService::Create(TusCreateRequest request) {
  UploadRequest check;
  check.owner_id = request.owner_id;
  check.parent_id = request.parent_id;
  check.path = request.path;
  check.on_conflict = request.on_conflict;
  Result<std::string> prepared = co_await target_.PrepareUpload(check);
  if (!prepared) co_return std::unexpected(prepared.error());
  const std::string id = RandomHex(16);
  Result<std::string> reserved = co_await target_.Reserve(request.owner_id, request.length, id);
  if (!reserved) co_return std::unexpected(reserved.error());

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
                          .updated_at = now};
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

net::awaitable<Result<TusUpload>> TusService::Append(
    std::int64_t owner_id, std::string id, std::uint64_t offset, storage::ByteSource& body,
    std::optional<std::array<std::uint8_t, 32>> sha256) {
  Result<TusUpload> loaded = co_await Load(owner_id, id);
  if (!loaded) co_return loaded;
  TusUpload upload = std::move(*loaded);
  const auto start = static_cast<std::uint64_t>(upload.offset);
  if (offset != start) {
    co_return Fail(Errc::kConflict,
                   "Upload-Offset {} does not match the {} bytes received so far; ask for the "
                   "offset again (HEAD) and resume from there.",
                   offset, start);
  }
  if (upload.state == TusState::kAssembling) co_return co_await AwaitAssembly(std::move(upload));
  if (upload.state == TusState::kDone) co_return upload;
  if (upload.state == TusState::kFailed) {
    co_return Fail(Errc::kConflict, "This upload failed: {}", upload.error);
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
  Sha256 hash;
  std::uint64_t written = 0;
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
    if (sha256) hash.Update(chunk);
    auto write = [&file, &chunk, at = start + written] { return file->WriteAt(at, chunk); };
    Result<void> put = co_await RunBlocking(deps_.workers, std::move(write));
    if (!put) co_return std::unexpected(put.error());
    written += n;
    if (n < buf.size()) break;
  }
  // A checksum covers the whole PATCH: bytes that cannot be verified are dropped.
  bool drop = failed && (sha256 || failed->code == Errc::kTooLarge);
  if (!failed && sha256) {
    auto digest = hash.Finish();
    if (std::memcmp(digest.data(), sha256->data(), digest.size()) != 0) {
      drop = true;
      failed = Error{Errc::kChecksumMismatch,
                     "The Upload-Checksum does not match the bytes received; they were dropped."};
    }
  }
  if (drop) written = 0;
  const std::uint64_t now_offset = start + written;
  const bool complete = now_offset == static_cast<std::uint64_t>(upload.length);
  auto record = [this, &file, &id, now_offset, complete, drop]() -> Result<bool> {
    if (drop) {
      if (auto cut = file->Truncate(now_offset); !cut) return std::unexpected(cut.error());
      return true;
    }
    if (auto synced = file->Sync(); !synced) return std::unexpected(synced.error());
    return deps_.db.Write([&](db::Transaction& tx) {
      return db::TusStore::SetOffset(tx, id, static_cast<std::int64_t>(now_offset),
                                     complete ? "assembling" : "receiving",
                                     ToUnixMs(deps_.clock.Now()));
    });
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

net::awaitable<Result<TusUpload>> TusService::AwaitAssembly(TusUpload upload) {
  auto executor = co_await net::this_coro::executor;
  std::shared_ptr<Assembly> assembly = StartAssembly(upload, executor);
  auto initiate = [assembly](auto handler) {
    auto wake = [h = std::move(handler)]() mutable {
      auto ex = net::get_associated_executor(h);
      net::post(ex, std::move(h));
    };
    std::unique_lock lock(assembly->mu);
    if (!assembly->result) {
      assembly->wakeups.emplace_back(std::move(wake));
      return;
    }
    lock.unlock();
    wake();
  };
  co_await net::async_initiate<const net::use_awaitable_t<>, void()>(std::move(initiate),
                                                                     net::use_awaitable);
  std::lock_guard lock(assembly->mu);
  co_return *assembly->result;
}

std::shared_ptr<TusService::Assembly> TusService::StartAssembly(const TusUpload& upload,
                                                                net::any_io_executor executor) {
  std::shared_ptr<Assembly> assembly;
  {
    std::lock_guard lock(mutex_);
    auto [it, fresh] = assembling_.try_emplace(upload.id);
    if (!fresh) return it->second;
    it->second = assembly = std::make_shared<Assembly>();
  }
  // Detached from the request: a dropped connection or a stopping server does not cut it short
  // (a stop leaves the row in state assembling for ResumePending).
  net::co_spawn(executor, RunAssembly(upload, assembly), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  return assembly;
}

net::awaitable<void> TusService::RunAssembly(TusUpload upload, std::shared_ptr<Assembly> assembly) {
  const std::string id = upload.id;
  Result<TusUpload> result = co_await Assemble(std::move(upload));
  {
    std::lock_guard lock(mutex_);
    assembling_.erase(id);
  }
  assembly->Finish(std::move(result));
}

net::awaitable<Result<TusUpload>> TusService::Assemble(TusUpload upload) {
  // Only once: another start (ResumePending racing a request) may have finished it already.
  Result<TusUpload> current = co_await Load(upload.owner_id, upload.id);
  if (!current) co_return current;
  if (current->state == TusState::kDone) co_return current;
  if (current->state == TusState::kFailed) {
    co_return Fail(Errc::kConflict, "This upload failed: {}", current->error);
  }
  if (current->offset != current->length) {
    co_return Fail(Errc::kInternal, "upload {} has {} of {} bytes; nothing to assemble", upload.id,
                   current->offset, current->length);
  }
  auto open = [this, &upload] { return staging_.OpenForRead(upload.id); };
  Result<StagingFile> file = co_await RunBlocking(deps_.workers, std::move(open));
  Result<UploadResult> uploaded = std::unexpected(Error{Errc::kInternal, ""});
  if (file) {
    StagingSource source(deps_.workers, std::move(*file),
                         static_cast<std::uint64_t>(upload.length));
    UploadRequest request;
    request.owner_id = upload.owner_id;
    request.parent_id = upload.parent_id;
    request.path = upload.path;
    request.on_conflict = upload.on_conflict;
    request.declared_size = static_cast<std::uint64_t>(upload.length);
    request.reservation_id = upload.id;
    uploaded = co_await target_.Upload(std::move(request), source);
  } else {
    uploaded = std::unexpected(file.error());
  }
  // A stopping server or a busy database: keep everything for the next attempt (ResumePending).
  if (!uploaded &&
      (uploaded.error().code == Errc::kCancelled || uploaded.error().code == Errc::kUnavailable)) {
    co_return std::unexpected(uploaded.error());
  }
  const std::int64_t now = ToUnixMs(deps_.clock.Now());
  auto finish = [this, &upload, &uploaded, now] {
    auto marked = deps_.db.Write([&](db::Transaction& tx) {
      return uploaded ? db::TusStore::SetDone(tx, upload.id, uploaded->node.id, now)
                      : db::TusStore::SetFailed(tx, upload.id, uploaded.error().message, now);
    });
    if (marked) staging_.Remove(upload.id);
    return marked;
  };
  Result<void> marked = co_await RunBlocking(deps_.workers, std::move(finish));
  if (!uploaded) {
    (void)co_await target_.Release(upload.id);
    co_return std::unexpected(uploaded.error());
  }
  if (!marked) co_return std::unexpected(marked.error());
  upload.state = TusState::kDone;
  upload.offset = upload.length;
  upload.node_id = uploaded->node.id;
  co_return upload;
}

net::awaitable<Result<void>> TusService::Terminate(std::int64_t owner_id, std::string id) {
  Result<TusUpload> upload = co_await Load(owner_id, id);
  if (!upload) co_return std::unexpected(upload.error());
  if (upload->state == TusState::kAssembling) {
    co_return Fail(Errc::kConflict,
                   "This upload is complete and being saved; it cannot be "
                   "cancelled any more.");
  }
  if (!TryMarkBusy(id)) {
    co_return Fail(Errc::kConflict, "A request is writing to this upload; cancel after it.");
  }
  BusyGuard guard(*this, id);
  auto remove = [this, &id] {
    auto deleted =
        deps_.db.Write([&](db::Transaction& tx) { return db::TusStore::Delete(tx, id); });
    staging_.Remove(id);
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
    StartAssembly(upload, executor);
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
