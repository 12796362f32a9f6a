// Keeps a log readable during an incident: of the lines of one kind (a call site and a disk, say),
// the first `burst` of each window are logged, the rest only counted, and the next one logged after
// the window says how many were held back (QA pass 17b: one line per blob, 100 MB of log in 45
// minutes of a failed disk). Thread-safe.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace nimbus {

class LogThrottle {
 public:
  explicit LogThrottle(std::size_t burst = 20,
                       std::chrono::steady_clock::duration window = std::chrono::minutes(1))
      : burst_(burst), window_(window) {}

  struct Verdict {
    bool log = false;        // Log this line.
    std::uint64_t held = 0;  // Lines of this kind held back before it (say so first).
  };
  Verdict Take(std::string_view key);

 private:
  struct Kind {
    std::chrono::steady_clock::time_point window_start{};
    std::size_t logged = 0;
    std::uint64_t held = 0;
  };
  const std::size_t burst_;
  const std::chrono::steady_clock::duration window_;
  std::mutex mu_;
  std::map<std::string, Kind, std::less<>> kinds_;
};

inline LogThrottle::Verdict LogThrottle::Take(std::string_view key) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  auto it = kinds_.find(key);
  if (it == kinds_.end()) it = kinds_.emplace(std::string(key), Kind{now, 0, 0}).first;
  Kind& k = it->second;
  Verdict v;
  if (now - k.window_start >= window_) {
    v.held = k.held;
    k = Kind{now, 0, 0};
  }
  if (k.logged < burst_) {
    ++k.logged;
    v.log = true;
  } else {
    ++k.held;
  }
  return v;
}

}  // namespace nimbus
