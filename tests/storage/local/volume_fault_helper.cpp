// SPDX-License-Identifier: AGPL-3.0-or-later
// A small program the fault tests run under fiu-run (or kill -9): it opens a LocalVolume and
// writes blobs, reporting each on stdout (fprintf, which fiu's write hooks do not touch):
//   OK <id> <size> <sha256>      committed
//   ERR <id> <errc> <message>    failed (the blob must then be invisible)
// Usage: volume_fault_helper <root> <disk id> write <count> <size> <seed>
//        volume_fault_helper <root> <disk id> big <max bytes>   (prints STARTED, then writes)
//        volume_fault_helper <root> <disk id> read x   (reads every blob: READ-OK <id> <sha256>
//                                                       or READ-ERR <id> <errc> <message>)
// Faults: the fiu commands in NIMBUS_FIU_ENABLE (one per line) are enabled once the volume is open
// (and, for `read`, its blobs listed), so that the disk's small.sqlite opens as a healthy disk's
// would; run under `fiu-run -x` for the POSIX fail points.
// Exit status: 0 all committed, 2 some blob failed, 3 the volume did not open, 64 bad usage.
#include <dlfcn.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "storage/conformance/test_streams.h"
#include "storage/local/local_volume.h"
#include "storage/put_blob.h"
#include "storage/run_co.h"
#include "util/sha256.h"

namespace {

using namespace nimbus;
using namespace nimbus::storage;

// An endless-ish source of pseudo-random bytes, `max` bytes in total.
class BigSource final : public ByteSource {
 public:
  explicit BigSource(std::uint64_t max) : max_(max), chunk_(storage::testing::TestBytes(kBlockSize, 99)) {}
  net::awaitable<Result<std::size_t>> Read(std::span<char> buf) override {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>({buf.size(), chunk_.size(), max_ - done_}));
    std::memcpy(buf.data(), chunk_.data(), n);
    done_ += n;
    if (!started_ && done_ >= 4 * kBlockSize) {
      started_ = true;
      std::printf("STARTED\n");
      std::fflush(stdout);
    }
    co_return n;
  }

 private:
  std::uint64_t max_;
  std::uint64_t done_ = 0;
  std::string chunk_;
  bool started_ = false;
};

class HashSink final : public ByteSink {
 public:
  net::awaitable<Result<void>> Write(std::span<const char> data) override {
    hash.Update(data);
    co_return Result<void>{};
  }
  Sha256 hash;
};

// Enables the fail points of NIMBUS_FIU_ENABLE through libfiu (loaded by fiu-run). False if that
// is impossible (then the test would pass without faults).
bool EnableFaults() {
  const char* commands = std::getenv("NIMBUS_FIU_ENABLE");
  if (commands == nullptr || *commands == '\0') return true;
  using RcString = int (*)(const char*, char**);
  auto rc_string = reinterpret_cast<RcString>(::dlsym(RTLD_DEFAULT, "fiu_rc_string"));
  if (rc_string == nullptr) {
    std::printf("FIU-ERR libfiu is not loaded: run under fiu-run\n");
    return false;
  }
  std::string all = commands;
  for (std::size_t start = 0; start < all.size();) {
    std::size_t end = all.find('\n', start);
    if (end == std::string::npos) end = all.size();
    std::string one = all.substr(start, end - start);
    char* error = nullptr;
    if (!one.empty() && rc_string(one.c_str(), &error) != 0) {
      std::printf("FIU-ERR %s: %s\n", one.c_str(), error != nullptr ? error : "?");
      return false;
    }
    start = end + 1;
  }
  return true;
}

int ReadAll(net::io_context& ioc, Volume& volume) {
  std::vector<BlobId> ids;
  BlobVisitor visit = [&ids](const BlobId& id, std::uint64_t) -> Result<void> {
    ids.push_back(id);
    return {};
  };
  auto listed = nimbus::testing::RunCo(ioc, volume.ForEach(visit));
  if (!listed) return 3;
  if (!EnableFaults()) return 64;
  int status = 0;
  for (const auto& id : ids) {
    HashSink sink;
    auto r = nimbus::testing::RunCo(ioc, volume.Get(id, {}, sink));
    if (r) {
      std::printf("READ-OK %s %s\n", id.str().c_str(), sink.hash.FinishHex().c_str());
    } else {
      std::printf("READ-ERR %s %s %s\n", id.str().c_str(), std::string(ErrcName(r.error().code)).c_str(),
                  r.error().message.c_str());
      status = 2;
    }
  }
  std::fflush(stdout);
  return status;
}

int Report(const BlobId& id, const Result<BlobInfo>& r) {
  if (r) {
    std::printf("OK %s %llu %s\n", id.str().c_str(), static_cast<unsigned long long>(r->size), r->sha256_hex.c_str());
  } else {
    std::printf("ERR %s %s %s\n", id.str().c_str(), std::string(ErrcName(r.error().code)).c_str(),
                r.error().message.c_str());
  }
  std::fflush(stdout);
  return r ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) return 64;
  std::string root = argv[1], disk = argv[2], mode = argv[3];
  WorkerPool pool(2);
  auto volume = LocalVolume::Open({disk, root, 0, false}, pool);
  if (!volume) {
    std::printf("OPEN-ERR %s %s\n", std::string(ErrcName(volume.error().code)).c_str(), volume.error().message.c_str());
    return 3;
  }
  net::io_context ioc;
  int status = 0;
  if (mode != "read" && !EnableFaults()) return 64;
  if (mode == "write" && argc == 7) {
    int count = std::atoi(argv[4]);
    std::size_t size = std::strtoull(argv[5], nullptr, 10);
    auto seed = static_cast<std::uint32_t>(std::atoi(argv[6]));
    for (int i = 0; i < count && i < 1000; ++i) {
      auto id = BlobId::Random();
      storage::testing::StringSource source(storage::testing::TestBytes(size, seed + i), 100000);
      auto r = nimbus::testing::RunCo(ioc, PutBlob(**volume, id, source, size));
      if (Report(id, r) != 0) status = 2;
    }
  } else if (mode == "big") {
    std::uint64_t max = std::strtoull(argv[4], nullptr, 10);
    auto id = BlobId::Random();
    BigSource source(max);
    auto r = nimbus::testing::RunCo(ioc, PutBlob(**volume, id, source));
    status = Report(id, r);
  } else if (mode == "read") {
    status = ReadAll(ioc, **volume);
  } else {
    return 64;
  }
  return status;
}
