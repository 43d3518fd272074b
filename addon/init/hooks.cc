#include "hooks.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "../common/proto.h"
#include "report.h"

namespace skiff {

Json syncHooks(int sync) {
  if (!sendFrame(sync, "{\"type\":\"hooks\"}")) fail("hooks", "ask for the createRuntime hooks", errno);
  std::string body, err;
  if (recvFrame(sync, body) != 1) fail("hooks", "wait for the createRuntime hooks", errno ? errno : EPIPE);
  Json reply;
  if (!Json::parse(body, reply, err) || reply.at("type").asString() != "continue") failMsg("hooks", "createRuntime hooks failed");
  return reply;
}

static std::string runOne(const char* kind, const Json& h, const std::string& state) {
  const std::string& path = h.at("path").asString();
  std::vector<char*> argv, envp;
  for (auto& a : h.at("args").asArray()) argv.push_back(const_cast<char*>(a.str.c_str()));
  if (argv.empty()) argv.push_back(const_cast<char*>(path.c_str()));
  argv.push_back(nullptr);
  for (auto& e : h.at("env").asArray()) envp.push_back(const_cast<char*>(e.str.c_str()));
  envp.push_back(nullptr);
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return std::string(kind) + " hook " + path + ": pipe: " + errnoName(errno);
  pid_t pid = fork();
  if (pid < 0) return std::string(kind) + " hook " + path + ": fork: " + errnoName(errno);
  if (pid == 0) {
    dup2(p[0], 0);
    execve(path.c_str(), argv.data(), envp.data());
    std::string m = std::string(kind) + " hook " + path + ": " + errnoName(errno) + "\n";
    (void)!write(2, m.data(), m.size());
    _exit(127);
  }
  close(p[0]);
  // A hook that exits without reading its stdin must not kill the init with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  writeAll(p[1], state.data(), state.size());
  close(p[1]);
  signal(SIGPIPE, SIG_DFL);
  const Json& limit = h.at("timeout");
  int64_t timeout = limit.isNull() ? 0 : limit.asInt();
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, timeout > 0 ? WNOHANG : 0);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return std::string(kind) + " hook " + path + ": wait: " + errnoName(errno);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (timeout > 0 && now.tv_sec - start.tv_sec >= timeout) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return std::string(kind) + " hook " + path + " timed out after " + std::to_string(timeout) + " s";
    }
    usleep(5000);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  if (WIFSIGNALED(status)) return std::string(kind) + " hook " + path + " failed: killed by signal " + std::to_string(WTERMSIG(status));
  return std::string(kind) + " hook " + path + " failed: exit status " + std::to_string(WEXITSTATUS(status));
}

std::string runHooks(const char* kind, const Json& hooks, const std::string& state) {
  for (auto& h : hooks.arr) {
    std::string e = runOne(kind, h, state);
    if (!e.empty()) return e;
  }
  return "";
}

}  // namespace skiff
