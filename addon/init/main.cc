// skiff-init: the container side of `skiff create` and `skiff exec`. It starts as the raw clone
// child re-executed from a sealed memfd, reads the launch plan from the sync socket (argv[1]),
// builds the container around itself, reports "ready", waits for `skiff start` on the exec fifo
// and finally becomes the container's process with execve.
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/json.h"
#include "../common/proto.h"
#include "namespaces.h"
#include "process.h"
#include "report.h"
#include "resolve.h"
#include "hooks.h"
#include "rootfs.h"
#include "seccomp.h"
#include "trial.h"

using namespace skiff;

namespace {

// Node ignores SIGPIPE and SIGXFSZ; ignored dispositions survive execve, so undo them here.
void resetSignals() {
  struct sigaction sa = {};
  sa.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; s++) sigaction(s, &sa, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

void closeOtherFds(int keepBelow) {
  // Only stdio and the preserved fds reach the container (CVE-2024-21626). CLOEXEC rather than
  // close: the sync socket and the fifo are still needed until execve.
  if (syscall(SYS_close_range, (unsigned)keepBelow, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  for (int fd = keepBelow; fd < 65536; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
}

// Blocks until `skiff start` opens the fifo for reading, runs the startContainer hooks, then
// answers "0", or "E" and the failure, which `start` reports.
void waitForStart(int fifo, const Json& startHooks, const std::string& state) {
  if (fifo < 0) return;
  int fd;
  do fd = open(fdPath(fifo).c_str(), O_WRONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) fail("start", "open exec fifo", errno);
  std::string err = runHooks("startContainer", startHooks, state);
  std::string answer = err.empty() ? "0" : "E" + err;
  signal(SIGPIPE, SIG_IGN);
  (void)writeAll(fd, answer.data(), answer.size());
  close(fifo);
  if (!err.empty()) _exit(1);
  signal(SIGPIPE, SIG_DFL);
  // The write end stays open (close-on-exec): `start` reads to EOF, which comes with the execve
  // of the process (or the init's exit), so poststart hooks run after the process is executed
  // (runtime.md lifecycle step 9), not while the init is still on its way to it.
}

// Until skiff has recorded this process (state.json, pid file) it may be killed at any moment; an
// init nobody recorded must not outlive it. skiff answers "c" once it has; EOF means it died.
void awaitHandover(int sync) {
  char c = 0;
  ssize_t r;
  do r = read(sync, &c, 1);
  while (r < 0 && errno == EINTR);
  if (r != 1 || c != 'c') _exit(1);
  // From here on this process is the container's, and skiff exits without taking it along.
  if (prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) < 0) fail("handover", "clear the parent-death signal", errno);
  if (!writeAll(sync, "k", 1)) _exit(1);
}

// create without `process` (config.md makes it required only for start): the container is built
// and stays created. skiff's start refuses it; a start forced through the fifo finds nothing to run.
[[noreturn]] void awaitStartWithoutProcess(int sync, int fifo, int preserve) {
  closeOtherFds(3 + preserve);
  sendReady();
  awaitHandover(sync);
  setReportFd(-1);
  close(sync);
  waitForStart(fifo, Json(), "");
  static const char msg[] = "skiff-init: the container has no process to run\n";
  (void)!write(2, msg, sizeof msg - 1);
  _exit(127);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    static const char msg[] = "skiff-init is started by skiff; it is not meant to be run by hand\n";
    (void)!write(2, msg, sizeof msg - 1);
    return 2;
  }
  int sync = atoi(argv[1]);
  setReportFd(sync);
  // Not dumpable: /proc/<pid>/exe of this process must not be reachable from the container.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  resetSignals();
  umask(0);

  std::string body, err;
  if (recvFrame(sync, body) != 1) fail("plan", "read launch plan", errno ? errno : EPIPE);
  Json plan;
  if (!Json::parse(body, plan, err)) failMsg("plan", "malformed launch plan: " + err);
  Json::onContractError = [](const std::string& what) { failMsg("plan", what); };
  const bool create = plan.at("mode").asString() == "create";
  setTrialMode(create && plan.at("trial").asBool());
  const Json& proc = plan.at("process");
  if (!proc.isNull()) applyCpuAffinity(proc.at("cpuAffinityInitial"), "initial");
  const Json& fds = plan.at("fds");
  int fifo = (int)fds.at("fifo").asInt();
  int consoleSocket = (int)fds.at("console").asInt();
  int preserve = (int)fds.at("preserve").asInt();

  enterNamespaces(plan, sync);
  if (create) {
    createNamespaces(plan, sync);
    setHostnames(plan);
    joinSessionKeyring(plan);
  }
  Json hookStates;
  if (create) {
    prepareRootfs(plan);
    if (plan.at("hooksSync").asBool()) {
      hookStates = syncHooks(sync);
      std::string e = runHooks("createContainer", plan.at("hooks").at("createContainer"), hookStates["state"].string());
      if (!e.empty()) failMsg("hooks", e);
    }
    enterRootfs(plan);
    if (!proc.isNull()) setupConsole(proc, consoleSocket, true);
    // The container's init leads a session of its own, terminal or not (as runc's): nothing of
    // the caller's session reaches into it, and CRIU can checkpoint a tree whose session leader
    // is inside it. EPERM: already a group leader (the pid namespace's fork), which is as good.
    if (!proc.isNull() && !proc.at("terminal").asBool() && setsid() < 0 && errno != EPERM)
      fail("setsid", "setsid", errno);
    // A trial's namespaces are its own, but a sysctl that is not namespaced would reach the host.
    if (!trialMode()) writeSysctls(plan);
    finishRootfs(plan);
  } else {
    enterContainerRoot(plan.at("root"));
    setupConsole(proc, consoleSocket, false);
  }
  if (proc.isNull()) awaitStartWithoutProcess(sync, fifo, preserve);
  std::string home = homeDirectory(proc);
  prepareSeccomp(plan);
  applyRlimits(proc);
  applyOomScoreAdj(proc);
  applyIoPriority(proc);
  if (create) applyPersonality(plan);
  applyScheduler(proc);
  if (create) applyMemoryPolicy(plan);
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while the init has it.
  bool nnp = proc.at("noNewPrivileges").asBool();
  int notifyFd = -1;
  if (!nnp && !trialMode()) {
    if (seccompNotifies())
      notifyFd = loadSeccompForNotify();
    else
      loadSeccomp();
  }
  bool inCwd = enterCwdBeforeUser(proc);
  dropBoundingSet(proc);
  switchUser(proc);
  applyCapabilities(proc);
  if (!inCwd) enterCwd(proc);
  if (trialMode()) finishTrial(plan, proc);
  std::string exe = resolveExecutable(proc);
  if (proc.at("noNewPrivileges").asBool() && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    fail("no_new_privs", "prctl(PR_SET_NO_NEW_PRIVS)", errno);
  closeOtherFds(3 + preserve);
  if (seccompNotifies()) notifyFd = loadSeccompForNotify();
  if (notifyFd >= 0) sendSeccompFd(notifyFd);
  sendReady();
  awaitHandover(sync);
  setReportFd(-1);
  close(sync);
  static const Json noHooks;
  waitForStart(fifo, create ? plan.at("hooks").at("startContainer") : noHooks, hookStates["startState"].string());
  applyAppArmor(proc);
  applyCpuAffinity(proc.at("cpuAffinityFinal"), "final");
  // As late as possible: the fewest syscalls run under the container's filter before execve.
  loadSeccomp();
  execProcess(exe, proc, home);
}
