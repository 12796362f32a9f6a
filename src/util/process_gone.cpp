// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/process_gone.h"

#include <fstream>
#include <string>

#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace nimbus {

std::string ThisHostName() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) return {};
  return host;
}

bool ProcessIsGone(std::string_view host, std::string_view pid) {
  const std::string here = ThisHostName();
  if (here.empty() || host != here || pid.empty()) return false;
  long n = 0;
  for (char c : pid) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
    if (n > 1 << 30) return false;
  }
  if (n <= 0 || n == ::getpid()) return false;
  if (::kill(static_cast<pid_t>(n), 0) != 0) return errno == ESRCH;
  // A process killed with -9 stays a zombie until its parent reaps it (a shell or a supervisor
  // may take its time): it exists for kill(), yet it will never give its lease back (QA pass 19:
  // a move said "failed" for a minute after a kill -9, its lease held by a zombie).
  std::ifstream stat("/proc/" + std::to_string(n) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto paren = line.rfind(')');  // "pid (comm) S …": comm may hold spaces and ')'.
  if (paren == std::string::npos || paren + 2 >= line.size()) return false;
  const char state = line[paren + 2];
  return state == 'Z' || state == 'X';
}

bool TaggedHolderIsGone(std::string_view holder, std::string_view tag) {
  if (!holder.starts_with(tag) || holder.substr(tag.size(), 1) != ":") return false;
  holder.remove_prefix(tag.size() + 1);
  const auto colon = holder.rfind(':');
  if (colon == std::string_view::npos) return false;
  return ProcessIsGone(holder.substr(0, colon), holder.substr(colon + 1));
}

}  // namespace nimbus
