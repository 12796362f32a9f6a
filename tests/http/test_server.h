// TestServer: an in-process nimbus::http::Server on 127.0.0.1:0 with a test router and assets,
// running its io_context on two threads; plus small helpers (SHA-256, temp files, libcurl).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "http/server.h"
#include "util/metrics.h"
#include "support/temp_dir.h"

namespace nimbus::http::test {

// The routes every server test uses (see test_server.cpp for what each does).
void AddTestRoutes(Router& router, util::Metrics& metrics, std::atomic<bool>& ready);
// A small asset table: /index.html, /app.css (revalidated), /assets/abc123/app.js (immutable).
std::span<const StaticAsset> TestAssets();

class TestServer {
 public:
  explicit TestServer(ServerOptions options = {},
                      std::function<void(Router&)> extra_routes = nullptr);
  ~TestServer();  // Shuts down (if not done yet) and joins the threads.

  std::uint16_t port() const { return server_->port(); }
  Server& server() { return *server_; }
  util::Metrics& metrics() { return metrics_; }
  // What GET /readyz reports (true: 200).
  void set_ready(bool r) { ready_ = r; }
  // Calls Server::Shutdown and waits until `done` ran; returns how long that took.
  std::chrono::milliseconds ShutdownAndWait();

 private:
  boost::asio::io_context ioc_;
  util::Metrics metrics_;
  Router router_;
  std::unique_ptr<Server> server_;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
  std::atomic<bool> ready_{true};
};

std::string Sha256Hex(std::string_view data);
using nimbus::testing::TempDir;  // support/temp_dir.h

}  // namespace nimbus::http::test
