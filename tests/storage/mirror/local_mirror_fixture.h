// A MirroredVolume over two LocalVolumes in a fresh temp directory, a helper to flip one byte of
// a file, and a sink that runs an action once it has received N bytes (to break a disk mid-read).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "storage/local/local_volume.h"
#include "storage/mirror/mirror_test_util.h"
#include "storage/mirror/mirrored_volume.h"
#include "util/worker_pool.h"

namespace nimbus::storage::testing {

// Flips the bits of the byte at `offset` of `path` (in place, as a bad disk would).
inline bool FlipByte(const std::string& path, std::uint64_t offset) {
  int fd = ::open(path.c_str(), O_RDWR);
  if (fd < 0) return false;
  char c = 0;
  bool ok = ::pread(fd, &c, 1, static_cast<off_t>(offset)) == 1;
  c = static_cast<char>(~c);
  ok = ok && ::pwrite(fd, &c, 1, static_cast<off_t>(offset)) == 1 && ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

// Records what it receives; once it holds `trigger_at` bytes it runs `action` (once).
class TriggerSink final : public ByteSink {
 public:
  TriggerSink(std::uint64_t trigger_at, std::function<void()> action)
      : trigger_at_(trigger_at), action_(std::move(action)) {}
  net::awaitable<Result<void>> Write(std::span<const char> data) override {
    out.append(data.data(), data.size());
    if (!fired && out.size() >= trigger_at_) {
      fired = true;
      action_();
    }
    co_return Result<void>{};
  }
  std::string out;
  bool fired = false;

 private:
  std::uint64_t trigger_at_;
  std::function<void()> action_;
};

class LocalMirrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "nimbus-mirror-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto p = LocalVolume::Open({.id = "a1", .root = dir_ + "/a1"}, pool_);
    auto m = LocalVolume::Open({.id = "a1m", .root = dir_ + "/a1m"}, pool_);
    ASSERT_TRUE(p.has_value()) << p.error().message;
    ASSERT_TRUE(m.has_value()) << m.error().message;
    primary_ = std::move(*p);
    mirror_ = std::move(*m);
    MirrorOptions options;
    options.alerts = alerts_;
    vol_ = std::make_shared<MirroredVolume>(primary_, mirror_, options);
  }
  void TearDown() override {
    vol_.reset();
    primary_.reset();
    mirror_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  net::io_context ioc_;
  WorkerPool pool_{2};
  std::string dir_;
  std::shared_ptr<RecordingAlerts> alerts_ = std::make_shared<RecordingAlerts>();
  std::shared_ptr<LocalVolume> primary_, mirror_;
  std::shared_ptr<MirroredVolume> vol_;
};

}  // namespace nimbus::storage::testing
