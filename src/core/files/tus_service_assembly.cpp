// SPDX-License-Identifier: AGPL-3.0-or-later
// TusService, assembly: once the last byte of an upload is durable, its staging file is streamed
// through FileService::Upload in a task of its own that every waiting request joins.
#include <spdlog/spdlog.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "core/files/tus_service.h"
#include "db/stores/tus_store.h"
#include "util/run_blocking.h"

namespace nimbus::core::files {

namespace {

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
                                                                net::any_io_executor executor,
                                                                bool left_over) {
  std::shared_ptr<Assembly> assembly;
  {
    std::lock_guard lock(mutex_);
    auto [it, fresh] = assembling_.try_emplace(upload.id);
    if (!fresh) return it->second;
    it->second = assembly = std::make_shared<Assembly>();
  }
  // Detached from the request: a dropped connection or a stopping server does not cut it short
  // (a stop leaves the row in state assembling for ResumePending).
  net::co_spawn(executor, RunAssembly(upload, assembly, left_over), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  return assembly;
}

net::awaitable<void> TusService::RunAssembly(TusUpload upload, std::shared_ptr<Assembly> assembly,
                                             bool left_over) {
  const std::string id = upload.id;
  const std::string path = upload.path;
  Result<TusUpload> result = co_await Assemble(std::move(upload));
  // What became of an upload the previous run left (an operator explaining a user's file).
  if (left_over && result && result->state == TusState::kDone) {
    spdlog::info("resumable upload {} ({}) of user {} saved as node {}", id, path, result->owner_id,
                 result->node_id);
  } else if (left_over) {
    spdlog::warn("resumable upload {} ({}) left by the previous run not saved: {}", id, path,
                 result ? result->error : result.error().message);
  }
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
    request.caller = upload.owner_id;
    request.parent_id = upload.parent_id;
    request.path = upload.path;
    request.on_conflict = upload.on_conflict;
    request.declared_size = static_cast<std::uint64_t>(upload.length);
    request.reservation_id = upload.id;
    request.modified_at = upload.modified_at;
    // Done in the same transaction as the file: never saved twice (QA pass 21b: a kill between
    // the two made the next start save it again, as "name (1)" or as a failed name_taken).
    request.on_recorded = [&upload, this](db::Transaction& tx, const Node& node) {
      return db::TusStore::SetDone(tx, upload.id, node.id, ToUnixMs(deps_.clock.Now()));
    };
    uploaded = co_await target_.Upload(std::move(request), source);
  } else {
    uploaded = std::unexpected(file.error());
  }
  // The folder it was going into was deleted (or moved to the trash, or its share revoked)
  // meanwhile: the upload fails saying so, answered as a failed upload (410, final for tus
  // clients) rather than a 409 they take for "ask the offset again" or a 404 for "this upload
  // is gone" (QA passes 17 and 20).
  const bool folder_gone = !uploaded && uploaded.error().code == Errc::kNotFound;
  if (folder_gone) uploaded = std::unexpected(UploadFolderGone());
  // A stopping server, a busy database, the user's disks out of service or full: keep everything
  // for the next attempt (ResumePending, or the client's next HEAD or PATCH), rather than throw
  // the received bytes away (QA pass 14, finding 6).
  if (!uploaded &&
      (uploaded.error().code == Errc::kCancelled || uploaded.error().code == Errc::kUnavailable ||
       uploaded.error().code == Errc::kStorageUnavailable ||
       uploaded.error().code == Errc::kNoCapacity)) {
    co_return std::unexpected(uploaded.error());
  }
  // Every byte is here but the name was taken meanwhile (another upload of the same name, from
  // another window or device, was saved first): the upload is kept, reservation and bytes, for
  // the client to finish it in place of that file or under a new name without sending it again
  // (Append's `decide`), or to delete it (QA bigfiles #1: 543 MB were thrown away and the person
  // told to upload again). It expires as any idle upload does.
  if (!uploaded && uploaded.error().code == Errc::kNameTaken) {
    const std::string why = fmt::format(
        "{} It was saved meanwhile, by another upload. This upload keeps its bytes: finish it in "
        "place of that file or under a new name (PATCH with Nimbus-On-Conflict: replace or "
        "rename), or delete it.",
        uploaded.error().message);
    auto wait = [this, &upload, &why] {
      return deps_.db.Write([&](db::Transaction& tx) {
        return db::TusStore::SetWaiting(tx, upload.id, why, ToUnixMs(deps_.clock.Now()));
      });
    };
    if (auto waiting = co_await RunBlocking(deps_.workers, std::move(wait)); !waiting) {
      co_return std::unexpected(waiting.error());
    }
    co_return std::unexpected(Error{Errc::kNameTaken, why});
  }
  const std::int64_t now = ToUnixMs(deps_.clock.Now());
  auto finish = [this, &upload, &uploaded, now] {
    // Done was recorded with the file.
    auto marked = uploaded ? Result<void>{} : deps_.db.Write([&](db::Transaction& tx) {
      return db::TusStore::SetFailed(tx, upload.id, uploaded.error().message, now);
    });
    if (marked) staging_.Remove(upload.id);
    return marked;
  };
  Result<void> marked = co_await RunBlocking(deps_.workers, std::move(finish));
  if (!uploaded) {
    (void)co_await target_.Release(upload.id);
    if (folder_gone && marked) {
      upload.state = TusState::kFailed;
      upload.error = uploaded.error().message;
      co_return upload;
    }
    co_return std::unexpected(uploaded.error());
  }
  if (!marked) co_return std::unexpected(marked.error());
  upload.state = TusState::kDone;
  upload.offset = upload.length;
  upload.node_id = uploaded->node.id;
  co_return upload;
}

}  // namespace nimbus::core::files
