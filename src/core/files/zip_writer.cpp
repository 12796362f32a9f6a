// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/files/zip_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace nimbus::core::files {

static_assert(std::is_same_v<la_ssize_t, long>, "ZipWriter::OnWrite must return la_ssize_t");

namespace {

// The entry object, freed on every path.
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using Entry = std::unique_ptr<archive_entry, EntryDeleter>;

Entry MakeEntry(std::string_view path, std::int64_t mtime_ms, bool folder, std::uint64_t size) {
  Entry e(archive_entry_new());
  std::string name(path);
  // The names are UTF-8 already (NFC from the tree); _utf8 keeps libarchive away from the
  // process locale, which may be "C".
  archive_entry_update_pathname_utf8(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), folder ? AE_IFDIR : AE_IFREG);
  archive_entry_set_perm(e.get(), folder ? 0755 : 0644);
  archive_entry_set_size(e.get(), folder ? 0 : static_cast<la_int64_t>(size));
  // The zip's extended timestamp is 32 bits, signed: a time outside it (a file dated 1900, as
  // X-Modified-At allows) would wrap to 2036, so it is clamped (to 1901-12-13 or 2038-01-19).
  std::int64_t secs = mtime_ms / 1000;
  std::int64_t ms = mtime_ms % 1000;
  if (ms < 0) {  // Before 1970: the second below, plus a positive part.
    --secs;
    ms += 1000;
  }
  constexpr std::int64_t kMin = std::numeric_limits<std::int32_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max();
  if (secs < kMin || secs > kMax) ms = 0;
  archive_entry_set_mtime(e.get(), static_cast<time_t>(std::clamp(secs, kMin, kMax)),
                          static_cast<long>(ms * 1000000));
  return e;
}

}  // namespace

long ZipWriter::OnWrite(struct archive*, void* self, const void* buf, std::size_t n) {
  auto* w = static_cast<ZipWriter*>(self);
  w->pending_.append(static_cast<const char*>(buf), n);
  return static_cast<long>(n);
}

Result<std::unique_ptr<ZipWriter>> ZipWriter::Open(storage::ByteSink& sink, int compression_level) {
  std::unique_ptr<ZipWriter> w(new ZipWriter(sink));
  w->archive_ = archive_write_new();
  if (w->archive_ == nullptr) return Fail(Errc::kInternal, "zip: archive_write_new failed");
  if (auto r = w->Check(archive_write_set_format_zip(w->archive_), "zip format"); !r) {
    return std::unexpected(r.error());
  }
  const bool store = compression_level <= 0;
  if (auto r = w->Check(
          archive_write_set_option(w->archive_, "zip", "compression", store ? "store" : "deflate"),
          "zip compression");
      !r) {
    return std::unexpected(r.error());
  }
  if (!store) {
    std::string level = std::to_string(std::min(compression_level, 9));
    // Older libarchive lacks compression-level (ARCHIVE_WARN): then deflate's default level.
    (void)archive_write_set_option(w->archive_, "zip", "compression-level", level.c_str());
  }
  // Mark names as UTF-8 (general purpose bit 11) so unzip tools decode them right.
  (void)archive_write_set_option(w->archive_, "zip", "hdrcharset", "UTF-8");
  // No blocking or padding: every write goes straight to the callback.
  archive_write_set_bytes_per_block(w->archive_, 0);
  archive_write_set_bytes_in_last_block(w->archive_, 1);
  if (auto r =
          w->Check(archive_write_open(w->archive_, w.get(), nullptr, &ZipWriter::OnWrite, nullptr),
                   "zip open");
      !r) {
    return std::unexpected(r.error());
  }
  return w;
}

ZipWriter::~ZipWriter() {
  if (archive_ != nullptr) archive_write_free(archive_);  // Closes it too (output is dropped).
}

Result<void> ZipWriter::Check(int rc, std::string_view what) {
  if (rc >= ARCHIVE_WARN) return {};
  const char* msg = archive_error_string(archive_);
  return Fail(Errc::kInternal, "{}: {}", what, msg ? msg : "libarchive error");
}

net::awaitable<Result<void>> ZipWriter::Flush() {
  if (pending_.empty()) co_return Result<void>{};
  std::string out;
  out.swap(pending_);
  bytes_out_ += out.size();
  co_return co_await sink_.Write(std::span<const char>(out.data(), out.size()));
}

Result<void> ZipWriter::EndEntry() {
  if (!in_file_) return {};
  in_file_ = false;
  if (entry_left_ != 0) {
    return Fail(Errc::kInternal, "zip: a file entry is {} bytes short", entry_left_);
  }
  return Check(archive_write_finish_entry(archive_), "zip entry");
}

net::awaitable<Result<void>> ZipWriter::AddFolder(std::string_view path, std::int64_t mtime_ms) {
  if (auto r = EndEntry(); !r) co_return r;
  Entry e = MakeEntry(path, mtime_ms, true, 0);
  if (auto r = Check(archive_write_header(archive_, e.get()), "zip folder header"); !r) {
    co_return r;
  }
  if (auto r = Check(archive_write_finish_entry(archive_), "zip folder"); !r) co_return r;
  co_return co_await Flush();
}

net::awaitable<Result<void>> ZipWriter::BeginFile(std::string_view path, std::uint64_t size,
                                                  std::int64_t mtime_ms) {
  if (auto r = EndEntry(); !r) co_return r;
  Entry e = MakeEntry(path, mtime_ms, false, size);
  if (auto r = Check(archive_write_header(archive_, e.get()), "zip file header"); !r) {
    co_return r;
  }
  in_file_ = true;
  entry_left_ = size;
  co_return co_await Flush();
}

net::awaitable<Result<void>> ZipWriter::Write(std::span<const char> data) {
  if (!in_file_) co_return Fail(Errc::kInternal, "zip: content outside a file entry");
  if (data.size() > entry_left_) {
    co_return Fail(Errc::kInternal, "zip: a file entry got more bytes than its size");
  }
  while (!data.empty()) {
    la_ssize_t n = archive_write_data(archive_, data.data(), data.size());
    if (n < 0) co_return Check(static_cast<int>(n), "zip data");
    if (n == 0) co_return Fail(Errc::kInternal, "zip: libarchive took no data");
    entry_left_ -= static_cast<std::uint64_t>(n);
    data = data.subspan(static_cast<std::size_t>(n));
    if (auto r = co_await Flush(); !r) co_return r;
  }
  co_return Result<void>{};
}

net::awaitable<Result<void>> ZipWriter::Finish() {
  if (closed_) co_return Fail(Errc::kInternal, "zip: finished twice");
  if (auto r = EndEntry(); !r) co_return r;
  closed_ = true;
  if (auto r = Check(archive_write_close(archive_), "zip close"); !r) co_return r;
  co_return co_await Flush();
}

}  // namespace nimbus::core::files
