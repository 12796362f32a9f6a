// SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/memory/memory_volume.h"

#include <algorithm>
#include <atomic>

namespace nimbus::storage {

namespace {

std::string_view OpName(MemoryVolume::Op op) {
  using Op = MemoryVolume::Op;
  switch (op) {
    case Op::kCreate: return "create";
    case Op::kAppend: return "append";
    case Op::kCommit: return "commit";
    case Op::kGet: return "get";
    case Op::kStat: return "stat";
    case Op::kRemove: return "remove";
    case Op::kForEach: return "list";
    case Op::kProbe: return "probe";
    case Op::kSpace: return "space";
  }
  return "?";
}

}  // namespace

struct MemoryVolume::State {
  std::string id;
  std::uint64_t capacity = 0;
  mutable std::mutex mu;
  std::map<BlobId, std::shared_ptr<const Blob>> blobs;
  std::uint64_t used = 0;     // Committed bytes.
  std::uint64_t pending = 0;  // Bytes held by open writers.
  std::size_t open_writers = 0;
  bool offline = false;
  std::optional<std::uint64_t> fail_reads_at;
  std::map<Op, std::pair<Errc, int>> fail_next;

  // Under mu: the injected or offline failure for `op`, if any.
  std::optional<Error> InjectedLocked(Op op) {
    if (offline) return Error{Errc::kIoError, fmt::format("disk {}: offline", id)};
    auto it = fail_next.find(op);
    if (it == fail_next.end()) return std::nullopt;
    Errc code = it->second.first;
    if (--it->second.second <= 0) fail_next.erase(it);
    return Error{code, fmt::format("disk {}: {} failed (injected {})", id, OpName(op), ErrcName(code))};
  }
  std::optional<Error> Injected(Op op) {
    std::lock_guard lock(mu);
    return InjectedLocked(op);
  }
};

namespace {

class MemoryBlobWriter final : public BlobWriter {
 public:
  MemoryBlobWriter(std::shared_ptr<MemoryVolume::State> state, BlobId id)
      : state_(std::move(state)), id_(std::move(id)) {}
  ~MemoryBlobWriter() override { Release(); }

  net::awaitable<Result<void>> Append(std::span<const char> data) override {
    co_return AppendNow(data);
  }

  net::awaitable<Result<std::uint64_t>> Commit() override { co_return CommitNow(); }

  net::awaitable<void> Abort() override {
    Release();
    co_return;
  }

 private:
  Result<void> AppendNow(std::span<const char> data) {
    if (done_) return Fail(Errc::kInternal, "disk {}: blob {} writer already finished", state_->id, id_.str());
    std::lock_guard lock(state_->mu);
    if (auto e = state_->InjectedLocked(MemoryVolume::Op::kAppend)) return Fail(*e);
    if (state_->used + state_->pending + data.size() > state_->capacity) {
      return Fail(Errc::kIoError, "disk {}: writing blob {}: No space left on device (ENOSPC)",
                  state_->id, id_.str());
    }
    state_->pending += data.size();
    data_.append(data.data(), data.size());
    return {};
  }

  Result<std::uint64_t> CommitNow() {
    if (done_) return Fail(Errc::kInternal, "disk {}: blob {} writer already finished", state_->id, id_.str());
    auto blob = std::make_shared<MemoryVolume::Blob>();
    for (std::size_t pos = 0; pos < data_.size(); pos += kBlockSize) {
      blob->block_sums.push_back(BlockChecksum(std::string_view(data_).substr(pos, kBlockSize)));
    }
    std::uint64_t size = data_.size();
    std::lock_guard lock(state_->mu);
    if (auto e = state_->InjectedLocked(MemoryVolume::Op::kCommit)) return Fail(*e);
    if (state_->blobs.contains(id_)) {
      return Fail(Errc::kNameTaken, "disk {}: blob {} already exists", state_->id, id_.str());
    }
    blob->data = std::move(data_);
    state_->blobs.emplace(id_, std::move(blob));
    state_->pending -= size;
    state_->used += size;
    --state_->open_writers;
    done_ = true;
    return size;
  }

  void Release() {
    if (done_) return;
    done_ = true;
    std::lock_guard lock(state_->mu);
    state_->pending -= data_.size();
    --state_->open_writers;
    data_.clear();
  }

  std::shared_ptr<MemoryVolume::State> state_;
  BlobId id_;
  std::string data_;
  bool done_ = false;
};

}  // namespace

MemoryVolume::MemoryVolume(std::string id, std::uint64_t capacity_bytes)
    : id_(std::move(id)), state_(std::make_shared<State>()) {
  state_->id = id_;
  state_->capacity = capacity_bytes == 0 ? (std::uint64_t{1} << 40) : capacity_bytes;
}

MemoryVolume::~MemoryVolume() = default;

net::awaitable<Result<std::unique_ptr<BlobWriter>>> MemoryVolume::Create(const BlobId& id,
                                                                         WriteCaching caching) {
  (void)caching;  // No page cache here.
  std::unique_ptr<BlobWriter> writer;
  {
    std::lock_guard lock(state_->mu);
    if (auto e = state_->InjectedLocked(Op::kCreate)) co_return Fail(*e);
    if (state_->blobs.contains(id)) {
      co_return Fail(Errc::kNameTaken, "disk {}: blob {} already exists", id_, id.str());
    }
    ++state_->open_writers;
  }
  writer = std::make_unique<MemoryBlobWriter>(state_, id);
  co_return writer;
}

net::awaitable<Result<void>> MemoryVolume::Get(const BlobId& id, ByteRange range, ByteSink& sink) {
  std::shared_ptr<const Blob> blob;
  std::optional<std::uint64_t> fail_at;
  {
    std::lock_guard lock(state_->mu);
    if (auto e = state_->InjectedLocked(Op::kGet)) co_return Fail(*e);
    auto it = state_->blobs.find(id);
    if (it == state_->blobs.end()) co_return Fail(Errc::kNotFound, "disk {}: blob {} not found", id_, id.str());
    blob = it->second;
    fail_at = state_->fail_reads_at;
  }
  const std::uint64_t size = blob->data.size();
  if (range.offset > size) {
    co_return Fail(Errc::kInvalidArgument, "disk {}: blob {}: range starts at {}, past its end ({})",
                   id_, id.str(), range.offset, size);
  }
  std::uint64_t end = range.length ? std::min(size, range.offset + *range.length) : size;
  std::uint64_t pos = range.offset;
  while (pos < end) {
    std::uint64_t block = pos / kBlockSize;
    std::uint64_t block_start = block * kBlockSize;
    std::uint64_t block_end = std::min<std::uint64_t>(size, block_start + kBlockSize);
    std::string_view bytes = std::string_view(blob->data).substr(block_start, block_end - block_start);
    std::uint64_t stop = std::min(end, block_end);
    if (fail_at && *fail_at >= pos && *fail_at < stop) {
      // Deliver what precedes the bad byte, then fail as a read error would.
      if (*fail_at > pos) {
        auto ok = co_await sink.Write(std::span<const char>(blob->data.data() + pos, *fail_at - pos));
        if (!ok) co_return ok;
      }
      co_return Fail(Errc::kIoError, "disk {}: blob {}: read error at offset {} (EIO, injected)", id_,
                     id.str(), *fail_at);
    }
    if (BlockChecksum(bytes) != blob->block_sums[block]) {
      co_return Fail(Errc::kChecksumMismatch, "disk {}: blob {}: block {} does not match its checksum",
                     id_, id.str(), block);
    }
    {
      std::lock_guard lock(state_->mu);
      if (state_->offline) co_return Fail(Errc::kIoError, "disk {}: offline", id_);
    }
    auto ok = co_await sink.Write(std::span<const char>(blob->data.data() + pos, stop - pos));
    if (!ok) co_return ok;
    pos = stop;
  }
  co_return Result<void>{};
}

net::awaitable<Result<BlobStat>> MemoryVolume::Stat(const BlobId& id) {
  std::lock_guard lock(state_->mu);
  if (auto e = state_->InjectedLocked(Op::kStat)) co_return Fail(*e);
  auto it = state_->blobs.find(id);
  if (it == state_->blobs.end()) co_return Fail(Errc::kNotFound, "disk {}: blob {} not found", id_, id.str());
  co_return BlobStat{it->second->data.size()};
}

net::awaitable<Result<void>> MemoryVolume::Remove(const BlobId& id) {
  std::lock_guard lock(state_->mu);
  if (auto e = state_->InjectedLocked(Op::kRemove)) co_return Fail(*e);
  auto it = state_->blobs.find(id);
  if (it == state_->blobs.end()) co_return Fail(Errc::kNotFound, "disk {}: blob {} not found", id_, id.str());
  state_->used -= it->second->data.size();
  state_->blobs.erase(it);
  co_return Result<void>{};
}

net::awaitable<Result<void>> MemoryVolume::ForEach(BlobVisitor visit) {
  std::vector<std::pair<BlobId, std::uint64_t>> list;
  {
    std::lock_guard lock(state_->mu);
    if (auto e = state_->InjectedLocked(Op::kForEach)) co_return Fail(*e);
    for (const auto& [id, blob] : state_->blobs) list.emplace_back(id, blob->data.size());
  }
  for (const auto& [id, size] : list) {
    auto ok = visit(id, size);
    if (!ok) co_return ok;
  }
  co_return Result<void>{};
}

net::awaitable<Result<void>> MemoryVolume::Probe() {
  if (auto e = state_->Injected(Op::kProbe)) co_return Fail(*e);
  co_return Result<void>{};
}

net::awaitable<Result<VolumeSpace>> MemoryVolume::Space() {
  std::lock_guard lock(state_->mu);
  if (auto e = state_->InjectedLocked(Op::kSpace)) co_return Fail(*e);
  std::uint64_t taken = std::min(state_->capacity, state_->used + state_->pending);
  co_return VolumeSpace{state_->capacity, state_->capacity - taken};
}

void MemoryVolume::FailNext(Op op, Errc code, int times) {
  std::lock_guard lock(state_->mu);
  if (times <= 0) {
    state_->fail_next.erase(op);
  } else {
    state_->fail_next[op] = {code, times};
  }
}

void MemoryVolume::FailReadsAt(std::optional<std::uint64_t> offset) {
  std::lock_guard lock(state_->mu);
  state_->fail_reads_at = offset;
}

Result<void> MemoryVolume::Corrupt(const BlobId& id, std::uint64_t offset) {
  std::lock_guard lock(state_->mu);
  auto it = state_->blobs.find(id);
  if (it == state_->blobs.end()) return Fail(Errc::kNotFound, "disk {}: blob {} not found", id_, id.str());
  if (offset >= it->second->data.size()) {
    return Fail(Errc::kInvalidArgument, "disk {}: blob {} has no byte {}", id_, id.str(), offset);
  }
  auto copy = std::make_shared<Blob>(*it->second);  // Readers in flight keep the old bytes.
  copy->data[offset] = static_cast<char>(copy->data[offset] ^ 0x5a);
  it->second = std::move(copy);
  return {};
}

void MemoryVolume::SetOffline(bool offline) {
  std::lock_guard lock(state_->mu);
  state_->offline = offline;
}

std::size_t MemoryVolume::BlobCount() const {
  std::lock_guard lock(state_->mu);
  return state_->blobs.size();
}

bool MemoryVolume::Contains(const BlobId& id) const {
  std::lock_guard lock(state_->mu);
  return state_->blobs.contains(id);
}

std::uint64_t MemoryVolume::UsedBytes() const {
  std::lock_guard lock(state_->mu);
  return state_->used;
}

std::size_t MemoryVolume::OpenWriters() const {
  std::lock_guard lock(state_->mu);
  return state_->open_writers;
}

}  // namespace nimbus::storage
