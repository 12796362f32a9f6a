// SPDX-License-Identifier: AGPL-3.0-or-later
#include "support/python.h"

#include <cstdio>

namespace nimbus::test {

namespace {

// `s` as one shell word: in single quotes, each ' written as '\'' (close, escaped, reopen).
std::string ShellQuoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string Python(const std::string& code, const std::vector<std::string>& args) {
  std::string cmd = "/usr/bin/python3 -c " + ShellQuoted(code);
  for (const auto& a : args) cmd += " " + ShellQuoted(a);
  cmd += " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return "ERROR popen";
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int rc = ::pclose(p);
  return rc == 0 ? out : "ERROR " + std::to_string(rc) + ": " + out;
}

}  // namespace nimbus::test
