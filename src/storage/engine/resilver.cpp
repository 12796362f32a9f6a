// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/engine/resilver.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <unordered_set>
#include <utility>

#include "db/stores/blob_store.h"
#include "db/stores/disk_task_store.h"
#include "storage/put_blob.h"
#include "util/process_gone.h"
#include "util/run_blocking.h"
#include "util/sha256.h"

namespace nimbus::storage {
namespace {

constexpr int kMaxPasses = 3;
constexpr std::size_t kMaxErrors = 5;
constexpr std::size_t kMaxLostListed = 1000;

struct Listed {
  BlobId id;
  std::uint64_t size = 0;
};

// Hashes what it receives (reading a new copy back).
class HashingSink final : public ByteSink {
 public:
  net::awaitable<Result<void>> Write(std::span<const char> data) override {
    hash.Update(data);
    co_return Result<void>{};
  }
  Sha256 hash;
};

enum class CopyOutcome { kCopied, kPresent, kGone, kFailed, kLost };

// Copies one blob unless the target has it already; `error` says why it failed.
net::awaitable<CopyOutcome> CopyOne(Volume& source, Volume& target, const Listed& blob,
                                    std::optional<std::string> sha256, std::string& error) {
  auto have = co_await target.Stat(blob.id);
  if (have && have->size == blob.size) co_return CopyOutcome::kPresent;
  if (have) {
    // A copy of another size (a damaged earlier copy): replace it.
    auto removed = co_await target.Remove(blob.id);
    if (!removed && removed.error().code != Errc::kNotFound) {
      error = fmt::format("blob {}: removing the bad copy on {}: {}", blob.id.str(), target.id(),
                          removed.error().message);
      co_return CopyOutcome::kFailed;
    }
  }
  auto copied = co_await CopyBlob(source, target, blob.id, std::move(sha256));
  if (!copied) {
    if (copied.error().code == Errc::kNameTaken) co_return CopyOutcome::kPresent;  // A new write.
    if (copied.error().code == Errc::kNotFound) {
      auto still = co_await source.Stat(blob.id);
      if (!still && still.error().code == Errc::kNotFound) co_return CopyOutcome::kGone;
    }
    error = copied.error().message;
    // A block or the whole blob failed its checksum on the source: its only copy is damaged
    // (the target is the side being rebuilt). Trying again cannot help.
    co_return copied.error().code == Errc::kChecksumMismatch ? CopyOutcome::kLost
                                                             : CopyOutcome::kFailed;
  }
  HashingSink back;
  auto reread = co_await target.Get(blob.id, ByteRange{}, back);
  std::string hex = back.hash.FinishHex();
  if (!reread || hex != copied->sha256_hex) {
    error = fmt::format("blob {}: the new copy on {} does not read back right{}", blob.id.str(),
                        target.id(), reread ? "" : ": " + reread.error().message);
    (void)co_await target.Remove(blob.id);
    co_return CopyOutcome::kFailed;
  }
  co_return CopyOutcome::kCopied;
}

std::string ResultJson(const ResilverProgress& p, int passes, const ResilverReport& report) {
  boost::json::array errs;
  for (const auto& e : report.errors) errs.emplace_back(e);
  boost::json::array lost;
  for (const auto& id : report.lost_blobs) lost.emplace_back(id);
  boost::json::object o{{"source", p.source_id}, {"copied", p.copied},    {"present", p.present},
                        {"gone", p.gone},        {"failed", p.failed},    {"lost", p.lost},
                        {"blobs", p.done_blobs}, {"bytes", p.done_bytes}, {"passes", passes},
                        {"errors", errs},        {"lost_blobs", lost}};
  return boost::json::serialize(o);
}

// The task's state as RunResilver drives it.
class Run {
 public:
  Run(db::Database& db, WorkerPool& workers, const Clock& clock, std::int64_t task_id,
      const ResilverOptions& options)
      : db_(db), workers_(workers), clock_(clock), task_id_(task_id), options_(options) {}

  ResilverReport report;

  std::int64_t NowMs() const { return ToUnixMs(clock_.Now()); }

  // The catalog's SHA-256 of the blob, when it is recorded there.
  net::awaitable<Result<std::optional<std::string>>> CatalogSha(const BlobId& id) {
    auto get = [this, &id]() -> Result<std::optional<std::string>> {
      return db_.Read([&](db::Transaction& tx) -> Result<std::optional<std::string>> {
        auto row = db::BlobStore(tx).Get(id.str());
        if (!row) return std::unexpected(std::move(row.error()));
        if (!*row) return std::optional<std::string>();
        return std::optional<std::string>((*row)->sha256);
      });
    };
    co_return co_await RunBlocking(workers_, std::move(get));
  }

  // Writes the progress (renewing the lease) when due or when `force`; kConflict if lost.
  net::awaitable<Result<void>> Progress(bool force) {
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_progress_ < options_.progress_every) co_return Result<void>{};
    last_progress_ = now;
    const ResilverProgress& p = report.progress;
    db::DiskTaskProgress row{
        static_cast<std::int64_t>(p.total_blobs), static_cast<std::int64_t>(p.done_blobs),
        static_cast<std::int64_t>(p.total_bytes), static_cast<std::int64_t>(p.done_bytes)};
    const std::int64_t ms = NowMs();
    const std::int64_t until = ms + options_.lease.count();
    auto write = [this, row, ms, until]() -> Result<void> {
      return db_.Write([&](db::Transaction& tx) {
        return db::DiskTaskStore(tx).UpdateProgress(task_id_, options_.owner, row, ms, until);
      });
    };
    auto written = co_await RunBlocking(workers_, std::move(write));
    if (!written) co_return written;
    if (options_.on_progress) options_.on_progress(p);
    co_return Result<void>{};
  }

  net::awaitable<Result<void>> Finish(bool done, const std::string& result, std::string error) {
    const std::int64_t ms = NowMs();
    auto finish = [this, done, &result, &error, ms]() -> Result<void> {
      return db_.Write([&](db::Transaction& tx) {
        return db::DiskTaskStore(tx).Finish(task_id_, options_.owner, done ? "done" : "failed",
                                            result, error, ms);
      });
    };
    co_return co_await RunBlocking(workers_, std::move(finish));
  }

  bool StopRequested() const { return options_.stop != nullptr && options_.stop->load(); }

  // Waits `d` (in steps that keep renewing the lease), or until a stop is requested.
  net::awaitable<Result<void>> Settle(std::chrono::milliseconds d) {
    net::steady_timer timer(co_await net::this_coro::executor);
    const auto end = std::chrono::steady_clock::now() + d;
    while (!StopRequested() && std::chrono::steady_clock::now() < end) {
      timer.expires_after(std::min<std::chrono::steady_clock::duration>(
          std::chrono::milliseconds(200), end - std::chrono::steady_clock::now()));
      auto [ec] = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
      (void)ec;
      if (auto r = co_await Progress(false); !r) co_return r;
    }
    co_return Result<void>{};
  }

 private:
  db::Database& db_;
  WorkerPool& workers_;
  const Clock& clock_;
  const std::int64_t task_id_;
  const ResilverOptions& options_;
  std::chrono::steady_clock::time_point last_progress_{};
};

// Lists the source's blobs that are not in `seen` (and adds them there).
net::awaitable<Result<std::vector<Listed>>> ListNew(Volume& source,
                                                    std::unordered_set<std::string>& seen) {
  std::vector<Listed> out;
  BlobVisitor visit = [&out, &seen](const BlobId& id, std::uint64_t size) -> Result<void> {
    if (seen.insert(id.str()).second) out.push_back(Listed{id, size});
    return {};
  };
  auto walked = co_await source.ForEach(std::move(visit));
  if (!walked) co_return Fail(walked.error());
  co_return out;
}

}  // namespace

std::string ResilverOwnerName(std::string_view what) {
  const std::string host = ThisHostName();
  return fmt::format("{} pid {} on {}", what, static_cast<long>(getpid()),
                     host.empty() ? "?" : host);
}

bool ResilverOwnerIsGone(std::string_view owner) {
  const auto pid_at = owner.rfind(" pid ");
  if (pid_at == std::string_view::npos) return false;
  std::string_view rest = owner.substr(pid_at + 5);
  const auto on_at = rest.find(" on ");
  if (on_at == std::string_view::npos) return false;
  return ProcessIsGone(rest.substr(on_at + 4), rest.substr(0, on_at));
}

net::awaitable<Result<ResilverReport>> RunResilver(db::Database& db, WorkerPool& workers,
                                                   const Clock& clock, std::int64_t task_id,
                                                   Volume& source, Volume& target,
                                                   const ResilverOptions& options) {
  Run run(db, workers, clock, task_id, options);
  ResilverProgress& p = run.report.progress;
  p.task_id = task_id;
  p.disk_id = target.id();
  p.source_id = source.id();
  std::unordered_set<std::string> seen;
  int passes = 0;
  bool settled = options.settle.count() <= 0;
  bool quiet = false;  // The last walk found nothing new.
  for (;; ++passes) {
    if (passes >= kMaxPasses || quiet) {
      if (settled) break;
      settled = true;
      spdlog::info(
          "resilver of {}: waiting {} ms for a running server to write to it, then "
          "walking {} once more",
          target.id(), options.settle.count(), source.id());
      if (auto r = co_await run.Settle(options.settle); !r) co_return Fail(r.error());
    }
    auto listed = co_await ListNew(source, seen);
    if (!listed) {
      const std::string why =
          fmt::format("listing the blobs of {}: {}", source.id(), listed.error().message);
      auto finished = co_await run.Finish(false, ResultJson(p, passes, run.report), why);
      if (!finished) co_return Fail(finished.error());
      co_return Fail(Errc::kIoError, "resilver of {}: {}", target.id(), why);
    }
    quiet = listed->empty() && passes > 0;
    if (quiet) continue;
    for (const Listed& b : *listed) {
      ++p.total_blobs;
      p.total_bytes += b.size;
    }
    if (auto r = co_await run.Progress(true); !r) co_return Fail(r.error());
    for (const Listed& b : *listed) {
      if (run.StopRequested()) {
        run.report.stopped = true;
        co_return std::move(run.report);
      }
      auto sha = co_await run.CatalogSha(b.id);
      if (!sha) co_return Fail(sha.error());
      std::string error;
      const CopyOutcome outcome = co_await CopyOne(source, target, b, std::move(*sha), error);
      switch (outcome) {
        case CopyOutcome::kCopied:
          ++p.copied;
          break;
        case CopyOutcome::kPresent:
          ++p.present;
          break;
        case CopyOutcome::kGone:
          ++p.gone;
          break;
        case CopyOutcome::kFailed:
          ++p.failed;
          spdlog::warn("resilver of {}: {}", target.id(), error);
          if (run.report.errors.size() < kMaxErrors) run.report.errors.push_back(error);
          break;
        case CopyOutcome::kLost:
          ++p.lost;
          spdlog::error("resilver of {}: blob {} is lost, its only copy on {} is damaged: {}",
                        target.id(), b.id.str(), source.id(), error);
          if (run.report.lost_blobs.size() < kMaxLostListed) {
            run.report.lost_blobs.push_back(b.id.str());
          }
          break;
      }
      ++p.done_blobs;
      p.done_bytes += b.size;
      if (auto r = co_await run.Progress(false); !r) co_return Fail(r.error());
    }
  }
  if (auto r = co_await run.Progress(true); !r) co_return Fail(r.error());
  const bool ok = p.failed == 0;
  std::string error;
  if (!ok) {
    error = fmt::format("{} of {} blobs could not be copied to {}; first: {}", p.failed,
                        p.total_blobs, target.id(), run.report.errors.front());
  }
  auto finished = co_await run.Finish(ok, ResultJson(p, passes, run.report), error);
  if (!finished) co_return Fail(finished.error());
  run.report.complete = ok;
  co_return std::move(run.report);
}

}  // namespace nimbus::storage
