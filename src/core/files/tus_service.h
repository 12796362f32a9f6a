// TusService: resumable uploads (tus 1.0.0: core, creation, termination, checksum sha256) on
// FileService. Bytes go to a local staging file per upload; once the last byte is durable the
// file is streamed through FileService::Upload in a task of its own (a dropped request does not
// stop it), and uploads interrupted by a restart are assembled again by ResumePending().
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/files/file_service.h"
#include "core/files/tus_staging.h"
#include "util/sha256.h"

namespace nimbus::core::files {

// What TusService needs of FileService: the seam its unit tests fill with a fake.
class TusTarget {
 public:
  virtual ~TusTarget() = default;
  // As FileService::PrepareUpload / Release / Upload.
  virtual net::awaitable<Result<std::string>> PrepareUpload(const UploadRequest& request) = 0;
  virtual net::awaitable<Result<void>> Release(std::string reservation_id) = 0;
  virtual net::awaitable<Result<UploadResult>> Upload(UploadRequest request,
                                                      storage::ByteSource& body) = 0;
};

enum class TusState { kReceiving, kAssembling, kDone, kFailed };

// The Upload-Checksum of one PATCH (tus checksum extension): sha1, which the protocol requires
// of servers, or sha256.
struct TusChecksum {
  TransferDigest::Kind kind = TransferDigest::Kind::kSha256;
  std::vector<std::uint8_t> digest;  // TransferDigest::SizeOf(kind) bytes.
};

struct TusUpload {
  std::string id;
  std::int64_t owner_id = 0;
  std::string parent_id;
  std::string path;
  OnConflict on_conflict = OnConflict::kFail;
  std::int64_t length = 0;
  std::int64_t offset = 0;  // Bytes durable in the staging file.
  std::string metadata;     // Upload-Metadata as sent.
  TusState state = TusState::kReceiving;
  std::string node_id;  // kDone: the file node it became.
  // kFailed: why, for a person. kAssembling: why it waits for the client's decision (its name
  // was taken meanwhile); "" otherwise.
  std::string error;
  std::int64_t created_at = 0;              // Milliseconds since the Unix epoch.
  std::int64_t updated_at = 0;              // The last byte received (or the creation).
  std::optional<std::int64_t> modified_at;  // The file's own time (ms), given to the node.
  // ListUnfinished only: who is sending it, when not the caller (an upload into a folder of the
  // caller's shared with edit, which holds the caller's space).
  std::string sender_name{};
  std::string sender_email{};
};

struct TusCreateRequest {
  std::int64_t owner_id = 0;
  std::string parent_id = "root";
  std::string path;  // "file.txt" or "a/b/file.txt".
  OnConflict on_conflict = OnConflict::kFail;
  std::uint64_t length = 0;
  std::string metadata;  // Kept as sent.
  // The file's own modified time (Upload-Metadata modified_at), ms since the epoch: the node's
  // modified_at once assembled. nullopt: the time it is assembled.
  std::optional<std::int64_t> modified_at;
};

struct TusDeps {
  db::Database& db;  // Migrated to 0007_files.
  WorkerPool& workers;
  const Clock& clock;
  const config::FilesConfig& config;
  std::filesystem::path staging_dir;  // Local disk: <data dir>/uploads.
};

// Thread-safe. Deps (and the target) must outlive it, and so must the executor of any assembly
// it started.
class TusService {
 public:
  // The server's: uploads land through `files`.
  TusService(FileService& files, std::filesystem::path staging_dir);
  // Unit tests: any target.
  TusService(TusTarget& target, TusDeps deps);
  ~TusService();
  TusService(const TusService&) = delete;
  TusService& operator=(const TusService&) = delete;

  // Checks the target (parent, name, conflict rule) and reserves `length` bytes under the new
  // upload's id before anything is stored: kNotFound (parent), kInvalidName, kNameTaken,
  // kQuotaExceeded, kTooLarge. A zero-length upload becomes its node at once (state kDone).
  net::awaitable<Result<TusUpload>> Create(TusCreateRequest request);
  // The upload as recorded. kNotFound for an unknown id or another owner's. While this process
  // assembles it, waits for the assembly to end first.
  net::awaitable<Result<TusUpload>> Get(std::int64_t owner_id, std::string id);
  // Appends `body` at `offset`, which must equal the durable offset (kConflict otherwise, or when
  // another request is writing to the upload). With `checksum`, the bytes of this call must have
  // that digest: kChecksumMismatch otherwise, and they are dropped. The bytes are fdatasync'ed,
  // then the new offset is recorded; a broken body keeps (syncs and records) what arrived when
  // no checksum was asked for. kTooLarge past the declared length. When the last byte is durable
  // the upload is assembled into its node before this returns (kDone), or kFailed with the
  // reason (the reservation is then released). Errors of the assembly are returned as well.
  // An upload that failed before is returned as it is (kFailed); one that has every byte takes
  // no more (kTooLarge for a non-empty body).
  // `decide`: the client's conflict rule for the rest of the upload (Nimbus-On-Conflict), stored
  // before anything else: how an upload kept after its name was taken at the end is finished
  // without sending its bytes again (an empty PATCH at the full offset).
  net::awaitable<Result<TusUpload>> Append(std::int64_t owner_id, std::string id,
                                           std::uint64_t offset, storage::ByteSource& body,
                                           std::optional<TusChecksum> checksum,
                                           std::optional<OnConflict> decide = std::nullopt);
  // Termination: removes the staging file, the reservation and the row. `user_id` is the one who
  // sent it, or the owner of the space it holds (a colleague's upload into a shared folder that
  // was abandoned: the owner discards it). kNotFound; kConflict while it is being assembled.
  net::awaitable<Result<void>> Terminate(std::int64_t user_id, std::string id);
  // Terminates the unfinished uploads of `sender_id` into others' space that can no longer land
  // (a share revoked, left or lowered to read): their space is freed at once rather than after
  // tus_expiry_h. Returns how many went.
  net::awaitable<Result<int>> DropUnreachable(std::int64_t sender_id);
  // The uploads that have not become files yet (receiving or being saved) that hold `owner_id`'s
  // space: started by `owner_id`, or by others into `owner_id`'s shared folders (sender_* set),
  // oldest first (GET /api/v1/uploads).
  net::awaitable<Result<std::vector<TusUpload>>> ListUnfinished(std::int64_t owner_id);
  // Start-up: assembles, in the background on `executor`, every upload whose bytes were all
  // durable when the server stopped. Returns how many were started.
  net::awaitable<Result<int>> ResumePending(net::any_io_executor executor);
  // The cleanup job (blocking; call it on a worker): removes uploads idle longer than
  // files.tus_expiry_h (not being assembled or written to), their staging files and
  // reservations, and staging files without an upload. Returns how many uploads went.
  Result<std::int64_t> RemoveExpired();

 private:
  struct Assembly;
  class BusyGuard;

  // The upload `id` of `owner_id` (its sender); with `or_space_owner`, also of the owner of the
  // space it holds. kNotFound for anyone else.
  net::awaitable<Result<TusUpload>> Load(std::int64_t owner_id, const std::string& id,
                                         bool or_space_owner = false);
  net::awaitable<Result<TusUpload>> AwaitAssembly(TusUpload upload);
  // Ends `upload` as failed for `why` (its bytes and its reservation go; HEAD and PATCH say why
  // from then on).
  net::awaitable<Result<void>> FailUpload(const TusUpload& upload, const Error& why);
  // Starts (or joins) the assembly of `upload` on `executor`.
  // `left_over`: left by a previous run (ResumePending): its outcome is logged, one line each.
  std::shared_ptr<Assembly> StartAssembly(const TusUpload& upload, net::any_io_executor executor,
                                          bool left_over = false);
  net::awaitable<void> RunAssembly(TusUpload upload, std::shared_ptr<Assembly> assembly,
                                   bool left_over);
  net::awaitable<Result<TusUpload>> Assemble(TusUpload upload);
  bool TryMarkBusy(const std::string& id);
  void ClearBusy(const std::string& id);

  std::unique_ptr<TusTarget> own_target_;  // The FileService adapter (server constructor).
  TusTarget& target_;
  TusDeps deps_;
  TusStaging staging_;
  std::mutex mutex_;
  std::set<std::string> busy_;                                   // Guarded by mutex_.
  std::map<std::string, std::shared_ptr<Assembly>> assembling_;  // Guarded by mutex_.
};

}  // namespace nimbus::core::files
