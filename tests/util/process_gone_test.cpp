// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/process_gone.h"

#include <gtest/gtest.h>
#include <signal.h>
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

// A process killed with kill -9 whose parent has not reaped it yet (a zombie) exists for kill(),
// yet will never give its lease back: it is gone (QA pass 19: a move said "failed" for a minute).
TEST(ProcessGone, AnUnreapedKilledProcessIsGone) {
  const pid_t child = ::fork();
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  ASSERT_GT(child, 0);
  const std::string pid = std::to_string(child);
  EXPECT_FALSE(ProcessIsGone(ThisHostName(), pid)) << "running";
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  // Until it is a zombie (the kill takes effect at once, but asynchronously).
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = ProcessIsGone(ThisHostName(), pid);
    if (!gone) ::usleep(5000);
  }
  EXPECT_TRUE(gone) << "a zombie is not a live lease holder";
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(ProcessIsGone(ThisHostName(), pid));
}

}  // namespace
}  // namespace nimbus
