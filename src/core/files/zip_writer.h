// ZipWriter: a zip archive built with libarchive while it streams into a ByteSink (a folder
// download): zip64 where needed (entries over 4 GiB, archives over 4 GiB, over 65,535 entries),
// UTF-8 names, stored or deflated. Internal to core/files (FileService::WriteZip).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "storage/byte_stream.h"
#include "util/result.h"

struct archive;

namespace nimbus::core::files {

namespace net = boost::asio;

// Use from one coroutine at a time. Call order: any number of AddFolder / (BeginFile,
// WriteData…) and then Finish; after an error the archive is unusable (drop it). Every
// libarchive call is synchronous and only appends to a buffer; the buffer goes to the sink
// before each method returns, so memory stays at about one chunk.
class ZipWriter final : public storage::ByteSink {
 public:
  // `compression_level` 0: stored; 1-9: deflate at that level. kInternal if libarchive refuses.
  static Result<std::unique_ptr<ZipWriter>> Open(storage::ByteSink& sink, int compression_level);
  ~ZipWriter() override;
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  // A directory entry "a/b/" (`path` without the trailing slash; UTF-8).
  net::awaitable<Result<void>> AddFolder(std::string_view path, std::int64_t mtime_ms);
  // Starts a file entry of exactly `size` bytes; its content follows with Write().
  net::awaitable<Result<void>> BeginFile(std::string_view path, std::uint64_t size,
                                         std::int64_t mtime_ms);
  // Content of the current file entry (ByteSink, so a blob read can stream straight in).
  net::awaitable<Result<void>> Write(std::span<const char> data) override;
  // Ends the last entry and writes the central directory. kInternal when a file entry got
  // fewer or more bytes than BeginFile said.
  net::awaitable<Result<void>> Finish();

  std::uint64_t bytes_out() const { return bytes_out_; }

 private:
  explicit ZipWriter(storage::ByteSink& sink) : sink_(sink) {}
  Result<void> EndEntry();
  net::awaitable<Result<void>> Flush();
  Result<void> Check(int rc, std::string_view what);
  static long OnWrite(struct archive*, void* self, const void* buf, std::size_t n);  // NOLINT

  storage::ByteSink& sink_;
  struct archive* archive_ = nullptr;
  std::string pending_;  // Bytes libarchive produced, not yet in the sink.
  std::uint64_t bytes_out_ = 0;
  std::uint64_t entry_left_ = 0;  // Bytes the current file entry still expects.
  bool in_file_ = false;
  bool closed_ = false;
};

}  // namespace nimbus::core::files
