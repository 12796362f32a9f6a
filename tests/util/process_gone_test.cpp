// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/process_gone.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace nimbus {
namespace {

// A pid that was a process of this host and has ended (forked, exited, reaped).
std::string EndedPid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return std::to_string(child);
}

TEST(ProcessGone, OnlyAnEndedProcessOfThisHostIsGone) {
  const std::string host = ThisHostName();
  ASSERT_FALSE(host.empty());
  const std::string ended = EndedPid();
  EXPECT_TRUE(ProcessIsGone(host, ended));
  EXPECT_FALSE(ProcessIsGone(host, std::to_string(::getpid())));  // This one.
  EXPECT_FALSE(ProcessIsGone(host, "1"));                         // Alive.
  EXPECT_FALSE(ProcessIsGone(host + "-elsewhere", ended));        // Another host: unknown.
  EXPECT_FALSE(ProcessIsGone(host, "12x"));
  EXPECT_FALSE(ProcessIsGone(host, ""));

  EXPECT_TRUE(TaggedHolderIsGone("scrub:" + host + ":" + ended, "scrub"));
  EXPECT_FALSE(TaggedHolderIsGone("scrub:" + host + ":" + ended, "move"));
  EXPECT_FALSE(TaggedHolderIsGone("scrub:" + host + ":" + std::to_string(::getpid()), "scrub"));
  EXPECT_FALSE(TaggedHolderIsGone("scrubber:" + host + ":" + ended, "scrub"));
}

}  // namespace
}  // namespace nimbus
