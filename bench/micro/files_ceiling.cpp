// SPDX-License-Identifier: AGPL-3.0-or-later
// files_ceiling: the local ceiling of the upload path for bench/files.sh — the bytes of SOURCE
// read in 1 MiB chunks, hashed with SHA-256 (OpenSSL EVP) and written to two files by two writer
// threads, both fdatasync'ed at the end; no network, no database. Prints "key value" lines.
// With --direct, whole 1 MiB chunks are written with O_DIRECT (as nimbus's local disks write
// them), the last, shorter one through the page cache.
// With --small COUNT DIR: the floor of one durable 4 KiB write on DIR's disk, in µs per write,
// two ways: COUNT new files each written and fdatasync'ed (a file per upload), and COUNT
// O_DIRECT|O_DSYNC writes into a preallocated file (the cheapest durable write there is). Any
// server that answers an upload only once its bytes are durable waits at least this long.
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kChunk = 1 << 20;  // 1 MiB per read, hash and write.
constexpr std::size_t kSlots = 8;        // Chunks in flight between the reader and the writers.

// A ring of kSlots buffers: the reader fills slot i (i = chunk number % kSlots) once both
// writers have written the chunk that was there before; each writer takes the chunks in order.
class Ring {
 public:
  Ring() : sizes_(kSlots, 0) {
    for (std::size_t i = 0; i < kSlots; ++i) {  // Page-aligned, so O_DIRECT can write them.
      buffers_.emplace_back(static_cast<char*>(std::aligned_alloc(4096, kChunk)));
    }
  }

  // The reader: waits until slot `n % kSlots` is free (both writers past chunk n - kSlots).
  char* AcquireForFill(std::uint64_t n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return n < kSlots + std::min(written_[0], written_[1]); });
    return buffers_[n % kSlots].get();
  }
  // The reader: chunk n holds `size` bytes (0 = the end of the stream).
  void Publish(std::uint64_t n, std::size_t size) {
    {
      std::lock_guard lock(mu_);
      sizes_[n % kSlots] = size;
      filled_ = n + 1;
    }
    cv_.notify_all();
  }
  // A writer: waits for chunk n; returns its bytes and size.
  std::pair<const char*, std::size_t> Take(std::uint64_t n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return filled_ > n; });
    return {buffers_[n % kSlots].get(), sizes_[n % kSlots]};
  }
  // Writer w: done with chunk n.
  void Release(int w, std::uint64_t n) {
    {
      std::lock_guard lock(mu_);
      written_[w] = n + 1;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  std::vector<std::unique_ptr<char[], Free>> buffers_;
  std::vector<std::size_t> sizes_;
  std::uint64_t filled_ = 0;           // Chunks published so far.
  std::uint64_t written_[2] = {0, 0};  // Chunks each writer has finished.
};

// Writes every chunk to `fd` until the empty one, then fdatasync. Whole chunks go to
// `direct_fd` (the same file opened with O_DIRECT) when it is >= 0. Returns "" or the error.
std::string WriteAll(Ring& ring, int w, int fd, int direct_fd) {
  std::string error;
  std::uint64_t offset = 0;
  for (std::uint64_t n = 0;; ++n) {
    auto [data, size] = ring.Take(n);
    if (size == 0) {
      ring.Release(w, n);
      break;
    }
    const int to = direct_fd >= 0 && size == kChunk ? direct_fd : fd;
    for (std::size_t done = 0; error.empty() && done < size;) {
      ssize_t k = ::pwrite(to, data + done, size - done, static_cast<off_t>(offset + done));
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0)
        error = std::string("write: ") + std::strerror(errno);
      else
        done += static_cast<std::size_t>(k);
    }
    offset += size;
    ring.Release(w, n);  // Even after an error, so the reader never waits forever.
  }
  if (error.empty() && ::fdatasync(fd) != 0)
    error = std::string("fdatasync: ") + std::strerror(errno);
  return error;
}

std::string Hex(const unsigned char* p, unsigned n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < n; ++i) {
    s += kDigits[p[i] >> 4];
    s += kDigits[p[i] & 15];
  }
  return s;
}

// --small: prints small_new_file_us and small_dsync_us (see the top of the file).
int SmallFloor(int count, const std::string& dir) {
  void* raw = std::aligned_alloc(4096, 4096);
  std::unique_ptr<char, decltype(&std::free)> block(static_cast<char*>(raw), &std::free);
  std::memset(block.get(), 'x', 4096);
  auto per_write_us = [count](Clock::time_point start) {
    return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / count;
  };
  auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    const std::string path = dir + "/small-" + std::to_string(i);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || ::write(fd, block.get(), 4096) != 4096 || ::fdatasync(fd) != 0) {
      std::fprintf(stderr, "files_ceiling: %s: %s\n", path.c_str(), std::strerror(errno));
      return 1;
    }
    ::close(fd);
  }
  const double new_file_us = per_write_us(start);
  for (int i = 0; i < count; ++i) ::unlink((dir + "/small-" + std::to_string(i)).c_str());

  const std::string log = dir + "/small-log";
  int fd = ::open(log.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const off_t length = static_cast<off_t>(count) * 4096;
  if (fd < 0 || ::posix_fallocate(fd, 0, length) != 0) {
    std::fprintf(stderr, "files_ceiling: %s: cannot preallocate\n", log.c_str());
    return 1;
  }
  for (off_t at = 0; at < length; at += 4096) (void)::pwrite(fd, block.get(), 4096, at);
  ::fsync(fd);
  ::close(fd);
  fd = ::open(log.c_str(), O_WRONLY | O_DIRECT | O_DSYNC | O_CLOEXEC);
  start = Clock::now();
  for (int i = 0; fd >= 0 && i < count; ++i) {
    if (::pwrite(fd, block.get(), 4096, static_cast<off_t>(i) * 4096) != 4096) {
      std::fprintf(stderr, "files_ceiling: %s: %s\n", log.c_str(), std::strerror(errno));
      return 1;
    }
  }
  const double dsync_us = per_write_us(start);
  if (fd >= 0) ::close(fd);
  ::unlink(log.c_str());
  std::printf("small_new_file_us %.1f\n", new_file_us);
  std::printf("small_dsync_us %.1f\n", dsync_us);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--small")
    return SmallFloor(std::atoi(argv[2]), argv[3]);
  const bool direct = argc == 5 && std::string(argv[1]) == "--direct";
  if (direct) ++argv;
  if (argc != (direct ? 5 : 4)) {
    std::fprintf(stderr,
                 "usage: files_ceiling [--direct] SOURCE COPY_A COPY_B\n"
                 "       files_ceiling --small COUNT DIR\n");
    return 2;
  }
  int in = ::open(argv[1], O_RDONLY | O_CLOEXEC);
  int out[2] = {::open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644),
                ::open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
  int direct_out[2] = {-1, -1};
  if (direct) {
    for (int w = 0; w < 2; ++w)
      direct_out[w] = ::open(argv[2 + w], O_WRONLY | O_DIRECT | O_CLOEXEC);
  }
  if (in < 0 || out[0] < 0 || out[1] < 0 || (direct && (direct_out[0] < 0 || direct_out[1] < 0))) {
    std::fprintf(stderr, "files_ceiling: cannot open the files: %s\n", std::strerror(errno));
    return 1;
  }
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  if (md == nullptr || EVP_DigestInit_ex(md, EVP_sha256(), nullptr) != 1) {
    std::fprintf(stderr, "files_ceiling: SHA-256 init failed\n");
    return 1;
  }
  Ring ring;
  std::string errors[2];
  auto start = Clock::now();
  std::thread writers[2];
  for (int w = 0; w < 2; ++w) {
    auto write_copy = [&ring, &errors, &out, &direct_out, w] {
      errors[w] = WriteAll(ring, w, out[w], direct_out[w]);
    };
    writers[w] = std::thread(write_copy);
  }
  std::uint64_t total = 0;
  std::string read_error;
  for (std::uint64_t n = 0;; ++n) {
    char* buf = ring.AcquireForFill(n);
    std::size_t size = 0;
    while (size < kChunk) {
      ssize_t k = ::read(in, buf + size, kChunk - size);
      if (k < 0 && errno == EINTR) continue;
      if (k < 0) read_error = std::string("read: ") + std::strerror(errno);
      if (k <= 0) break;
      size += static_cast<std::size_t>(k);
    }
    if (size > 0) EVP_DigestUpdate(md, buf, size);
    total += size;
    ring.Publish(n, size);
    if (size == 0) break;
  }
  for (auto& t : writers) t.join();
  // Both copies durable: also their directory entries (as the storage engine does on rename).
  for (const char* path : {argv[2], argv[3]}) {
    std::string dir(path);
    auto slash = dir.rfind('/');
    dir = slash == std::string::npos ? "." : dir.substr(0, slash + 1);
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned digest_len = 0;
  EVP_DigestFinal_ex(md, digest, &digest_len);
  EVP_MD_CTX_free(md);
  ::close(in);
  for (int fd : {out[0], out[1], direct_out[0], direct_out[1]}) {
    if (fd >= 0) ::close(fd);
  }
  for (const std::string& e : {read_error, errors[0], errors[1]}) {
    if (!e.empty()) {
      std::fprintf(stderr, "files_ceiling: %s\n", e.c_str());
      return 1;
    }
  }
  std::printf("bytes %llu\n", static_cast<unsigned long long>(total));
  std::printf("seconds %.3f\n", seconds);
  std::printf("gb_s %.3f\n", static_cast<double>(total) / seconds / 1e9);
  std::printf("sha256 %s\n", Hex(digest, digest_len).c_str());
  return 0;
}
