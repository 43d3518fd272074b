// bench helper, compiled by bench/run.mjs at run time (gcc -O2) into its temp dir.
//
//   helper [--ns] -- /abs/cmd args...
//
// Runs one command and, if fd 3 is open, writes one line to it:
//   <wall ns> <peak RSS KiB> <exit code> <realtime start ns> <realtime end ns>
// The wall time is CLOCK_MONOTONIC from just before fork() to wait4() returning, so Node's own
// spawn cost is not in it. The peak RSS is wait4()'s ru_maxrss: the largest resident set of the
// command over all the images it exec'd (e.g. /usr/bin/env, then node) and of the children it
// reaped itself; Node's spawnSync() does not expose it.
//
// --ns: the child first enters a private mount namespace (propagation private, so the host's
// mounts are not changed) and covers /sys/fs/cgroup/unified with a tmpfs, then execs the command.
// crun 1.8 refuses a hybrid cgroup host (v1 controllers + cgroup2 at /sys/fs/cgroup/unified);
// this is how the benchmark runs it. The cost of the wrapper is measured separately (--ns of
// /bin/true against plain /bin/true) and subtracted from crun's figures.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
  int i = 1, ns = 0;
  for (; i < argc; i++) {
    if (!strcmp(argv[i], "--ns")) ns = 1;
    else if (!strcmp(argv[i], "--")) { i++; break; }
    else break;
  }
  if (i >= argc) {
    fprintf(stderr, "usage: helper [--ns] -- /abs/cmd args...\n");
    return 2;
  }
  int report = fcntl(3, F_GETFD) >= 0 ? 3 : -1;
  if (report >= 0) fcntl(report, F_SETFD, FD_CLOEXEC);  // the command (and a container) must not hold it

  long long r0 = now(CLOCK_REALTIME), t0 = now(CLOCK_MONOTONIC);
  pid_t pid = fork();
  if (pid < 0) { perror("helper: fork"); return 125; }
  if (pid == 0) {
    if (ns) {
      if (unshare(CLONE_NEWNS) != 0) { perror("helper: unshare(CLONE_NEWNS)"); _exit(126); }
      if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) { perror("helper: make / private"); _exit(126); }
      if (mount("none", "/sys/fs/cgroup/unified", "tmpfs", 0, NULL) != 0) { perror("helper: cover /sys/fs/cgroup/unified"); _exit(126); }
    }
    execv(argv[i], argv + i);
    fprintf(stderr, "helper: exec %s: %s\n", argv[i], strerror(errno));
    _exit(127);
  }
  int st = 0;
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  while (wait4(pid, &st, 0, &ru) < 0) {
    if (errno != EINTR) { perror("helper: wait4"); return 125; }
  }
  long long t1 = now(CLOCK_MONOTONIC), r1 = now(CLOCK_REALTIME);
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  if (report >= 0) dprintf(report, "%lld %ld %d %lld %lld\n", t1 - t0, ru.ru_maxrss, code, r0, r1);
  return code;
}
