#include "hook-runner.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <algorithm>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errno-text.h"
#include "fd.h"

namespace skiff {
namespace {

constexpr size_t kKeepOutput = 64 * 1024;

std::string lastLine(const std::string& s) {
  size_t end = s.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  size_t start = s.find_last_of('\n', end);
  return s.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1));
}

int64_t nowMs() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

// Reads what is there without blocking; false at EOF.
bool drain(int fd, std::string& into) {
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, (size_t)n);
      if (into.size() > kKeepOutput) into.erase(0, into.size() - kKeepOutput);
      continue;
    }
    if (n == 0) return false;
    return errno == EINTR || errno == EAGAIN;
  }
}

}  // namespace

std::string runHook(const char* kind, const HookSpec& h, const std::string& state) {
  const std::string who = std::string(kind) + " hook " + h.path;
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) < 0) return who + ": pipe: " + errnoWords(errno);
  UniqueFd inR(in[0]), inW(in[1]);
  if (pipe2(out, O_CLOEXEC) < 0) return who + ": pipe: " + errnoWords(errno);
  UniqueFd outR(out[0]), outW(out[1]);
  if (pipe2(err, O_CLOEXEC) < 0) return who + ": pipe: " + errnoWords(errno);
  UniqueFd errR(err[0]), errW(err[1]);

  std::vector<char*> argv, envp;
  for (auto& a : h.args) argv.push_back(const_cast<char*>(a.c_str()));
  if (argv.empty()) argv.push_back(const_cast<char*>(h.path.c_str()));
  argv.push_back(nullptr);
  for (auto& e : h.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  // posix_spawn, not fork: skiff's side runs this inside a multi-threaded process.
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, inR.get(), 0);
  posix_spawn_file_actions_adddup2(&fa, outW.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, errW.get(), 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, h.path.c_str(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return who + ": " + errnoWords(rc);
  inR.reset();
  outW.reset();
  errW.reset();

  // Writing to a hook that closed its stdin must give EPIPE here, not kill the caller.
  struct sigaction ignore = {}, previous = {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &previous);
  UniqueFd pidfd((int)syscall(SYS_pidfd_open, pid, 0));
  fcntl(inW.get(), F_SETFL, O_NONBLOCK);
  fcntl(outR.get(), F_SETFL, O_NONBLOCK);
  fcntl(errR.get(), F_SETFL, O_NONBLOCK);
  size_t written = 0;
  std::string stdoutText, stderrText;
  int64_t deadline = h.timeoutSeconds > 0 ? nowMs() + (int64_t)h.timeoutSeconds * 1000 : -1;
  bool exited = false, timedOut = false;
  int status = 0;
  if (state.empty()) inW.reset();
  while (!exited) {
    struct pollfd p[4];
    int n = 0, iIn = -1, iOut = -1, iErr = -1, iPid = -1;
    if (inW.ok()) p[iIn = n++] = {inW.get(), POLLOUT, 0};
    if (outR.ok()) p[iOut = n++] = {outR.get(), POLLIN, 0};
    if (errR.ok()) p[iErr = n++] = {errR.get(), POLLIN, 0};
    if (pidfd.ok()) p[iPid = n++] = {pidfd.get(), POLLIN, 0};
    int wait = deadline < 0 ? (pidfd.ok() ? -1 : 10) : (int)std::max<int64_t>(0, deadline - nowMs());
    if (!pidfd.ok() && (wait < 0 || wait > 10)) wait = 10;  // no pidfd: poll for the exit
    int r = poll(p, (nfds_t)n, wait);
    if (r < 0 && errno != EINTR) break;
    if (iIn >= 0 && p[iIn].revents) {
      ssize_t w = write(inW.get(), state.data() + written, state.size() - written);
      // EPIPE: the hook closed its stdin (or exited) without reading the state; not a failure.
      if (w > 0) written += (size_t)w;
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == state.size()) inW.reset();
    }
    if (iOut >= 0 && p[iOut].revents && !drain(outR.get(), stdoutText)) outR.reset();
    if (iErr >= 0 && p[iErr].revents && !drain(errR.get(), stderrText)) errR.reset();
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid)
      exited = true;
    else if (deadline >= 0 && nowMs() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      exited = timedOut = true;
    }
  }
  // What the hook wrote before it exited; a daemon it left holding the pipes is not waited for.
  if (outR.ok()) drain(outR.get(), stdoutText);
  if (errR.ok()) drain(errR.get(), stderrText);
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  sigaction(SIGPIPE, &previous, nullptr);
  if (timedOut) return who + " timed out after " + std::to_string(h.timeoutSeconds) + " s";
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  std::string tail = lastLine(stderrText);
  std::string why;
  if (WIFSIGNALED(status)) {
    const char* abbrev = sigabbrev_np(WTERMSIG(status));
    why = std::string("killed by ") +
          (abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(WTERMSIG(status)));
  } else {
    why = "exit status " + std::to_string(WEXITSTATUS(status));
  }
  return who + " failed: " + why + (tail.empty() ? "" : ": " + tail);
}

}  // namespace skiff
