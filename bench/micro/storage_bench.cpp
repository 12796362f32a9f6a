// SPDX-License-Identifier: AGPL-3.0-or-later
// storage_bench: writes one blob of --size-mib MiB through a MirroredVolume over two
// LocalVolumes (both copies fdatasync'ed, as in production), reads it back verified, and measures
// SHA-256 throughput; then writes kSmallCount blobs of 4 KiB (rows of each disk's small.sqlite)
// one at a time and kSmallWriters at once. Prints one "key value" line per figure for
// bench/storage.sh.
#include <fmt/core.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "storage/local/local_volume.h"
#include "storage/mirror/mirrored_volume.h"
#include "storage/put_blob.h"
#include "storage/run_co.h"  // tests/storage: run one coroutine to completion.
#include "util/sha256.h"
#include "util/worker_pool.h"

namespace {

namespace net = boost::asio;
using nimbus::Result;
using Clock = std::chrono::steady_clock;

// The same 8 MiB of random bytes over and over (random, so nothing compresses or dedups).
class PatternSource final : public nimbus::storage::ByteSource {
 public:
  PatternSource(const std::vector<char>& pattern, std::uint64_t total)
      : pattern_(pattern), left_(total) {}
  net::awaitable<Result<std::size_t>> Read(std::span<char> buf) override {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), left_));
    for (std::size_t done = 0; done < n;) {
      std::size_t at = offset_ % pattern_.size();
      std::size_t chunk = std::min(n - done, pattern_.size() - at);
      std::copy_n(pattern_.data() + at, chunk, buf.data() + done);
      done += chunk;
      offset_ += chunk;
    }
    left_ -= n;
    co_return n;
  }

 private:
  const std::vector<char>& pattern_;
  std::uint64_t left_;
  std::uint64_t offset_ = 0;
};

class CountingSink final : public nimbus::storage::ByteSink {
 public:
  net::awaitable<Result<void>> Write(std::span<const char> data) override {
    bytes += data.size();
    co_return Result<void>{};
  }
  std::uint64_t bytes = 0;
};

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

constexpr int kSmallCount = 2000;
constexpr int kSmallWriters = 16;
constexpr std::uint64_t kSmallSize = 4096;

// Writes `count` blobs of kSmallSize through `volume`, one after another; counts failures.
net::awaitable<void> WriteSmall(nimbus::storage::Volume& volume, const std::vector<char>& pattern,
                                int count, nimbus::WorkerPool& pool, int& failed) {
  for (int i = 0; i < count; ++i) {
    PatternSource source(pattern, kSmallSize);
    auto put = co_await nimbus::storage::PutBlob(volume, nimbus::storage::BlobId::Next(), source,
                                                 kSmallSize, &pool);
    if (!put) ++failed;
  }
}

// Small blobs per second with `writers` concurrent writers (kSmallCount in all).
double SmallPerSecond(nimbus::storage::Volume& volume, const std::vector<char>& pattern,
                      int writers, nimbus::WorkerPool& pool, int& failed) {
  net::io_context ioc;
  auto start = Clock::now();
  for (int w = 0; w < writers; ++w) {
    net::co_spawn(ioc, WriteSmall(volume, pattern, kSmallCount / writers, pool, failed),
                  net::detached);
  }
  ioc.run();
  return (kSmallCount / writers) * writers / Seconds(start);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: storage_bench DIR SIZE_MIB\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::uint64_t size = std::stoull(argv[2]) << 20;
  nimbus::WorkerPool pool(8);  // As the server's default worker_threads.
  net::io_context ioc;
  namespace st = nimbus::storage;
  auto primary = st::LocalVolume::Open({"p1", dir + "/p1", 0, true}, pool);
  auto mirror = st::LocalVolume::Open({"p1m", dir + "/p1m", 0, true}, pool);
  if (!primary || !mirror) {
    std::fprintf(stderr, "cannot open volumes: %s\n",
                 (!primary ? primary.error() : mirror.error()).message.c_str());
    return 1;
  }
  auto pair = std::make_shared<st::MirroredVolume>(std::shared_ptr<st::Volume>(std::move(*primary)),
                                                   std::shared_ptr<st::Volume>(std::move(*mirror)));

  std::vector<char> pattern(8 << 20);
  std::mt19937_64 rng(42);
  for (auto& c : pattern) c = static_cast<char>(rng());

  auto id = st::BlobId::Random();
  PatternSource source(pattern, size);
  auto start = Clock::now();
  // As uploads do: the SHA-256 and block checksums on the pool (PutBlob's hash_pool).
  auto put = nimbus::testing::RunCo(ioc, st::PutBlob(*pair, id, source, size, &pool));
  double write_s = Seconds(start);
  if (!put) {
    std::fprintf(stderr, "write failed: %s\n", put.error().message.c_str());
    return 1;
  }

  // Read twice: the first read comes from the disk (whole blocks are written with O_DIRECT, so
  // they are not in the page cache after the write), the second from the page cache.
  double first_read_s = 0;
  double read_s = 0;
  for (double* took : {&first_read_s, &read_s}) {
    CountingSink sink;
    start = Clock::now();
    auto got = nimbus::testing::RunCo(ioc, pair->Get(id, {}, sink));
    *took = Seconds(start);
    if (!got || sink.bytes != size) {
      std::fprintf(stderr, "read failed\n");
      return 1;
    }
  }

  nimbus::Sha256 sha;
  start = Clock::now();
  for (std::uint64_t done = 0; done < size; done += pattern.size()) {
    sha.Update(std::string_view(pattern.data(), std::min<std::uint64_t>(pattern.size(), size - done)));
  }
  std::string hex = sha.FinishHex();
  double sha_s = Seconds(start);

  int small_failed = 0;
  const double small_one = SmallPerSecond(*pair, pattern, 1, pool, small_failed);
  const double small_many = SmallPerSecond(*pair, pattern, kSmallWriters, pool, small_failed);
  if (small_failed > 0) {
    std::fprintf(stderr, "%d small writes failed\n", small_failed);
    return 1;
  }

  const double mib = static_cast<double>(size) / (1 << 20);
  fmt::print("size_mib {:.0f}\n", mib);
  fmt::print("mirrored_write_s {:.3f}\nmirrored_write_mib_s {:.1f}\n", write_s, mib / write_s);
  fmt::print("first_read_s {:.3f}\nfirst_read_mib_s {:.1f}\n", first_read_s, mib / first_read_s);
  fmt::print("verified_read_s {:.3f}\nverified_read_mib_s {:.1f}\n", read_s, mib / read_s);
  fmt::print("sha256_mib_s {:.1f}\n", mib / sha_s);
  fmt::print("small_4k_1_writer_per_s {:.0f}\nsmall_4k_{}_writers_per_s {:.0f}\n", small_one,
             kSmallWriters, small_many);
  fmt::print("sha256 {}\n", hex == put->sha256_hex ? "matches" : "DIFFERS");
  return hex == put->sha256_hex ? 0 : 1;
}
