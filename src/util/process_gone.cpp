// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/process_gone.h"

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
  return ::kill(static_cast<pid_t>(n), 0) != 0 && errno == ESRCH;
}

bool TaggedHolderIsGone(std::string_view holder, std::string_view tag) {
  if (!holder.starts_with(tag) || holder.substr(tag.size(), 1) != ":") return false;
  holder.remove_prefix(tag.size() + 1);
  const auto colon = holder.rfind(':');
  if (colon == std::string_view::npos) return false;
  return ProcessIsGone(holder.substr(0, colon), holder.substr(colon + 1));
}

}  // namespace nimbus
