// ServerProcess and RunToCompletion: run the real `nimbus` binary from a test as an operator
// would (arguments, environment, working directory), capture its output, stop it by signal.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "util/result.h"
#include "support/temp_dir.h"

namespace nimbus::test {

using EnvVars = std::vector<std::pair<std::string, std::string>>;

// The path of the binary under test (the NIMBUS_BIN compile definition).
std::string NimbusBinary();

using nimbus::testing::TempDir;  // support/temp_dir.h

// How a child process ended.
struct ExitStatus {
  int code = -1;   // The exit code when the process exited normally, else -1.
  int signal = 0;  // The terminating signal, 0 if it exited normally.
  bool exited() const { return signal == 0 && code >= 0; }
  std::string Describe() const;  // "exit 0" or "signal 9 (Killed)".
};

// What a one-shot command produced.
struct CommandResult {
  ExitStatus status;
  std::string out;         // Everything written to stdout.
  std::string err;         // Everything written to stderr.
  bool timed_out = false;  // The command did not end in time and was killed.
  int exit_code() const { return status.code; }
};

// Options shared by Start and RunToCompletion.
struct ProcessOptions {
  std::vector<std::string> args{};  // Arguments after argv[0].
  EnvVars env{};                    // Set on top of the test's environment (minus NIMBUS_* vars).
  std::filesystem::path cwd{};      // Working directory; must exist. Empty: the test's cwd.
  std::filesystem::path log_dir{};  // Where stdout.log/stderr.log go; empty: a private temp dir.
  std::string binary{};             // Empty: NimbusBinary().
};

// A running `nimbus` process (usually `serve`). stdout and stderr go to files so the child never
// blocks on a full pipe. The destructor SIGKILLs a child that is still running.
class ServerProcess {
 public:
  // Spawns the process. kIoError if fork/exec or the log files fail. The child gets
  // PR_SET_PDEATHSIG=SIGKILL so a crashed test leaves no server behind.
  static Result<std::unique_ptr<ServerProcess>> Start(ProcessOptions options);

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess();

  // Waits until stdout holds a line `listening on http://HOST:PORT` (or https://) and returns
  // PORT.
  // kUnavailable if the process exits first (its stderr is in the message), kTimeout after
  // `timeout`.
  Result<std::uint16_t> WaitForListening(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Sends `sig` and waits up to `grace` for the exit; after that SIGKILL and a further wait.
  // Returns how it ended; `*killed` (if given) tells whether SIGKILL was needed.
  ExitStatus Terminate(std::chrono::milliseconds grace = std::chrono::seconds(5), int sig = SIGTERM,
                       bool* killed = nullptr);
  // Sends a signal without waiting. False if the process is gone.
  bool Signal(int sig);
  // Waits up to `timeout` for the process to exit by itself; nullopt if still running.
  std::optional<ExitStatus> WaitForExit(std::chrono::milliseconds timeout);
  // True while the child has not been reaped.
  bool Running();

  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }  // 0 until WaitForListening succeeded.
  std::string Stdout() const;                   // Everything written to stdout so far.
  std::string Stderr() const;                   // Everything written to stderr so far.
  const std::filesystem::path& log_dir() const { return log_dir_; }

 private:
  ServerProcess() = default;

  pid_t pid_ = -1;
  std::optional<ExitStatus> exit_;  // Set once reaped.
  std::uint16_t port_ = 0;
  std::filesystem::path log_dir_;
  std::unique_ptr<TempDir> own_log_dir_;  // When the caller gave no log_dir.
};

// Runs the binary to completion (bounded by `timeout`, SIGKILL after) and returns its exit
// status and output. kIoError only if the process could not be started.
Result<CommandResult> RunToCompletion(ProcessOptions options,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Parses the port out of `listening on http(s)://HOST:PORT` anywhere in `text`; nullopt if
// absent or the line is not complete.
std::optional<std::uint16_t> ParseListeningPort(const std::string& text);

// True if something accepts TCP connections on 127.0.0.1:port.
bool PortAcceptsConnections(std::uint16_t port);

}  // namespace nimbus::test
