// SPDX-License-Identifier: AGPL-3.0-or-later
#include "support/server_process.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/http_client.h"

extern char** environ;

namespace nimbus::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollStep = std::chrono::milliseconds(5);

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

ExitStatus FromWaitStatus(int ws) {
  ExitStatus st;
  if (WIFEXITED(ws)) st.code = WEXITSTATUS(ws);
  if (WIFSIGNALED(ws)) st.signal = WTERMSIG(ws);
  return st;
}

// The child's environment: ours without NIMBUS_* (so the developer's shell cannot change a
// test), plus `extra`.
std::vector<std::string> ChildEnv(const EnvVars& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (kv.starts_with("NIMBUS_")) continue;
    env.emplace_back(kv);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::string NimbusBinary() {
#ifdef NIMBUS_BIN
  return NIMBUS_BIN;
#else
  return "nimbus";
#endif
}

std::string ExitStatus::Describe() const {
  if (signal != 0) return "signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  return "exit " + std::to_string(code);
}

Result<std::unique_ptr<ServerProcess>> ServerProcess::Start(ProcessOptions options) {
  std::unique_ptr<ServerProcess> proc(new ServerProcess());
  if (options.log_dir.empty()) {
    proc->own_log_dir_ = std::make_unique<TempDir>();
    options.log_dir = proc->own_log_dir_->path();
  }
  proc->log_dir_ = options.log_dir;
  std::string out_path = (options.log_dir / "stdout.log").string();
  std::string err_path = (options.log_dir / "stderr.log").string();
  int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0 || err_fd < 0) {
    int e = errno;
    if (out_fd >= 0) ::close(out_fd);
    if (err_fd >= 0) ::close(err_fd);
    return Fail(Errc::kIoError, "open logs in {}: {}", options.log_dir.string(), std::strerror(e));
  }
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::string binary = options.binary.empty() ? NimbusBinary() : options.binary;
  std::vector<std::string> argv_s{binary};
  argv_s.insert(argv_s.end(), options.args.begin(), options.args.end());
  std::vector<std::string> env_s = ChildEnv(options.env);
  std::vector<char*> argv = CStrings(argv_s);
  std::vector<char*> envp = CStrings(env_s);
  std::string cwd = options.cwd.string();
  pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out_fd);
    ::close(err_fd);
    return Fail(Errc::kIoError, "fork: {}", std::strerror(errno));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    const char msg[] = "test harness: execve failed\n";
    [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(out_fd);
  ::close(err_fd);
  proc->pid_ = pid;
  return proc;
}

ServerProcess::~ServerProcess() {
  if (Running()) {
    ::kill(pid_, SIGKILL);
    WaitForExit(std::chrono::seconds(5));
  }
}

bool ServerProcess::Running() {
  if (exit_ || pid_ <= 0) return false;
  int ws = 0;
  pid_t r = ::waitpid(pid_, &ws, WNOHANG);
  if (r == pid_) {
    exit_ = FromWaitStatus(ws);
    return false;
  }
  return true;
}

std::optional<ExitStatus> ServerProcess::WaitForExit(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Running()) {
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollStep);
  }
  return exit_;
}

bool ServerProcess::Signal(int sig) {
  if (!Running()) return false;
  return ::kill(pid_, sig) == 0;
}

ExitStatus ServerProcess::Terminate(std::chrono::milliseconds grace, int sig, bool* killed) {
  if (killed != nullptr) *killed = false;
  if (Signal(sig)) {
    if (auto st = WaitForExit(grace)) return *st;
    if (killed != nullptr) *killed = true;
    ::kill(pid_, SIGKILL);
  }
  if (auto st = WaitForExit(std::chrono::seconds(5))) return *st;
  return ExitStatus{};  // Unkillable within 5 s: report "neither exited nor signalled".
}

Result<std::uint16_t> ServerProcess::WaitForListening(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    if (auto port = ParseListeningPort(Stdout())) {
      port_ = *port;
      return *port;
    }
    if (!Running()) {
      return Fail(Errc::kUnavailable, "nimbus ended ({}) before listening; stderr: {}",
                  exit_->Describe(), Stderr());
    }
    if (Clock::now() >= deadline) {
      return Fail(Errc::kTimeout,
                  "no 'listening on http://' line on stdout after {} ms; "
                  "stdout: '{}' stderr: '{}'",
                  timeout.count(), Stdout(), Stderr());
    }
    std::this_thread::sleep_for(kPollStep);
  }
}

std::string ServerProcess::Stdout() const { return ReadFile(log_dir_ / "stdout.log"); }
std::string ServerProcess::Stderr() const { return ReadFile(log_dir_ / "stderr.log"); }

Result<CommandResult> RunToCompletion(ProcessOptions options, std::chrono::milliseconds timeout) {
  auto proc = ServerProcess::Start(std::move(options));
  if (!proc) return std::unexpected(proc.error());
  CommandResult result;
  if (auto st = (*proc)->WaitForExit(timeout)) {
    result.status = *st;
  } else {
    result.timed_out = true;
    result.status = (*proc)->Terminate(std::chrono::milliseconds(0), SIGKILL);
  }
  result.out = (*proc)->Stdout();
  result.err = (*proc)->Stderr();
  return result;
}

std::optional<std::uint16_t> ParseListeningPort(const std::string& text) {
  constexpr std::string_view kMarker = "listening on http";
  std::size_t at = text.find(kMarker);
  if (at == std::string::npos) return std::nullopt;
  std::size_t start = at + kMarker.size();
  if (text.compare(start, 1, "s") == 0) ++start;  // https:// when TLS is on.
  if (text.compare(start, 3, "://") != 0) return std::nullopt;
  start += 3;
  std::size_t end = text.find_first_of(" \t\r\n/", start);
  if (end == std::string::npos) return std::nullopt;  // The line is not complete yet.
  std::string_view hostport(text.data() + start, end - start);
  std::size_t colon = hostport.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view digits = hostport.substr(colon + 1);
  if (digits.empty() || digits.size() > 5) return std::nullopt;
  unsigned port = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port == 0 || port > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(port);
}

bool PortAcceptsConnections(std::uint16_t port) {
  return HttpClient::Connect(port, std::chrono::milliseconds(500)).has_value();
}

}  // namespace nimbus::test
