// SPDX-License-Identifier: AGPL-3.0-or-later
#include "mail/file_mailer.h"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "mail/format.h"

namespace nimbus::mail {
namespace {

namespace fs = std::filesystem;

// The id as a file-name fragment: up to the '@', only characters that are safe everywhere.
std::string FileSafeId(std::string_view id) {
  std::string out;
  for (char c : id.substr(0, id.find('@'))) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_';
    out += ok ? c : '_';
    if (out.size() >= 80) break;
  }
  return out.empty() ? "message" : out;
}

Result<void> WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(Errc::kIoError, "cannot write {}: {}", path, std::strerror(errno));
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<void> FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Fail(Errc::kIoError, "cannot open {}: {}", dir, std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Fail(Errc::kIoError, "cannot fsync {}: {}", dir, std::strerror(err));
  return {};
}

// Writes `data` to `tmp`, fsyncs it and renames it to `path`; removes `tmp` on failure.
Result<void> WriteDurably(const std::string& tmp, const std::string& path, std::string_view data) {
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return Fail(Errc::kIoError, "cannot create {}: {}", tmp, std::strerror(errno));
  Result<void> r = WriteAll(fd, data, tmp);
  if (r && ::fsync(fd) != 0)
    r = Fail(Errc::kIoError, "cannot fsync {}: {}", tmp, std::strerror(errno));
  if (::close(fd) != 0 && r) {
    r = Fail(Errc::kIoError, "cannot close {}: {}", tmp, std::strerror(errno));
  }
  if (r && ::rename(tmp.c_str(), path.c_str()) != 0) {
    r = Fail(Errc::kIoError, "cannot rename {} to {}: {}", tmp, path, std::strerror(errno));
  }
  if (!r) ::unlink(tmp.c_str());
  return r;
}

}  // namespace

FileMailer::FileMailer(std::string mail_dir, std::string from, const Clock& clock)
    : mail_dir_(std::move(mail_dir)), from_(std::move(from)), clock_(clock) {}

Result<void> FileMailer::Send(const Message& message, std::string_view message_id) {
  std::error_code ec;
  fs::create_directories(mail_dir_, ec);
  if (ec)
    return Fail(Errc::kIoError, "cannot create the mail folder {}: {}", mail_dir_, ec.message());
  const Clock::TimePoint now = clock_.Now();
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(now);
  const std::string name =
      fmt::format("{:%Y%m%dT%H%M%S}.{:03d}Z-{}.eml", std::chrono::floor<std::chrono::seconds>(ms),
                  static_cast<int>(ms.time_since_epoch().count() % 1000), FileSafeId(message_id));
  const std::string path = (fs::path(mail_dir_) / name).string();
  // The temporary name does not end in .eml, so a reader listing *.eml never sees it.
  const std::string tmp = (fs::path(mail_dir_) / ("." + name + ".tmp")).string();
  auto written = WriteDurably(tmp, path, FormatMessage(message, from_, message_id, now));
  if (!written) return written;
  return FsyncDir(mail_dir_);
}

}  // namespace nimbus::mail
