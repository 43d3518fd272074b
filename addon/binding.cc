// The N-API binding: the only place where skiff's TypeScript reaches the kernel directly.
// Node is multithreaded, so the clone child here runs nothing but async-signal-safe syscalls
// (fcntl, read, execveat) before it becomes skiff-init, a plain single-threaded program.
#include <napi.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <linux/openat2.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <linux/bpf.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "common/fd.h"
#include "common/errno-text.h"
#include "common/fdpass.h"
#include "common/frames.h"
#include "common/hook-runner.h"
#include "common/json.h"
#include "common/proto.h"
#include "common/write-file.h"
#include "criu.h"
#include "id-maps.h"
#include "napi-error.h"
#include "netdev.h"
#include "systemd.h"

using skiff::UniqueFd;

namespace {

std::string errText(int err) { return skiff::errnoText(err); }

using skiff::sysError;

// A sealed in-memory copy of skiff-init. Executing the memfd means the init's /proc/<pid>/exe
// points at an anonymous, write-sealed file: a container cannot overwrite the host binary
// through it (CVE-2019-5736).
int sealedInit(const std::string& path, std::string& err) {
  static int cached = -1;
  static std::string cachedPath;
  if (cached >= 0 && cachedPath == path) return cached;
  UniqueFd src(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!src.ok()) {
    err = "open " + path + ": " + errText(errno);
    return -1;
  }
  struct stat st;
  if (fstat(src.get(), &st) < 0) {
    err = "stat " + path + ": " + errText(errno);
    return -1;
  }
  UniqueFd mem((int)syscall(SYS_memfd_create, "skiff-init", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!mem.ok()) {
    err = "memfd_create: " + errText(errno);
    return -1;
  }
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t n = copy_file_range(src.get(), nullptr, mem.get(), nullptr, (size_t)left, 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      // copy_file_range may refuse across filesystems on old kernels; fall back to sendfile.
      n = sendfile(mem.get(), src.get(), nullptr, (size_t)left);
      if (n <= 0) {
        err = "copy " + path + " into memfd: " + errText(n < 0 ? errno : EIO);
        return -1;
      }
    }
    left -= n;
  }
  // F_SEAL_WRITE waits for extra references to the new pages to go (the kernel's per-CPU LRU
  // batches hold some for a moment after the copy) and gives up with EBUSY when that takes long,
  // as it can on a loaded machine: try again for a while before reporting it.
  int sealed = -1;
  for (int attempt = 0; attempt < 50; attempt++) {
    sealed = fcntl(mem.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
    if (sealed == 0 || errno != EBUSY) break;
    usleep(10000);
  }
  if (sealed < 0) {
    err = "seal memfd: " + errText(errno);
    return -1;
  }
  cached = mem.release();
  cachedPath = path;
  return cached;
}

using skiff::writeFile;

void reap(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

std::string describeStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("was killed by signal ") + strsignal(WTERMSIG(status));
  return "ended";
}

struct SpawnArgs {
  std::string initPath, plan, pidnsPath, uidMap, gidMap;
  uint64_t cloneFlags = 0;
  int cgroupFd = -1;
  std::vector<std::string> cgroupProcs;
  std::vector<int> keepFds;
};

// spawn({initPath, cloneFlags, cgroupFd, pidnsPath, uidMap, gidMap, cgroupProcs, keepFds})
//   → {pid, sync}: the cloned child, in its namespaces and cgroups, its maps written, waiting for
//   sendPlan. The TypeScript side then drives it one step at a time (src/container/launch.ts):
//   sendPlan, nextEvent until "ready" (reply to "hooks"), commitInit; abandonInit on any failure.
Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  SpawnArgs a;
  a.initPath = o.Get("initPath").As<Napi::String>();
  a.cloneFlags = (uint64_t)o.Get("cloneFlags").As<Napi::Number>().Int64Value();
  if (o.Has("cgroupFd") && o.Get("cgroupFd").IsNumber()) a.cgroupFd = o.Get("cgroupFd").As<Napi::Number>();
  if (o.Has("pidnsPath") && o.Get("pidnsPath").IsString()) a.pidnsPath = o.Get("pidnsPath").As<Napi::String>();
  if (o.Has("uidMap") && o.Get("uidMap").IsString()) a.uidMap = o.Get("uidMap").As<Napi::String>();
  if (o.Has("gidMap") && o.Get("gidMap").IsString()) a.gidMap = o.Get("gidMap").As<Napi::String>();
  if (o.Has("cgroupProcs")) {
    Napi::Array arr = o.Get("cgroupProcs").As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++) a.cgroupProcs.push_back(arr.Get(i).As<Napi::String>());
  }
  if (o.Has("keepFds")) {
    Napi::Array arr = o.Get("keepFds").As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++) a.keepFds.push_back(arr.Get(i).As<Napi::Number>().Int32Value());
  }

  std::string err;
  int initFd = sealedInit(a.initPath, err);
  if (initFd < 0) throw Napi::Error::New(env, err);

  int sp[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) throw sysError(env, "spawn", "socketpair", errno);
  UniqueFd parentEnd(sp[0]), childEnd(sp[1]);

  // Joining a pid namespace by path only changes pid_for_children of the calling thread: do it
  // right around the clone and switch back.
  UniqueFd ownPidns;
  if (!a.pidnsPath.empty()) {
    ownPidns.reset(open("/proc/thread-self/ns/pid_for_children", O_RDONLY | O_CLOEXEC));
    UniqueFd target(open(a.pidnsPath.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ownPidns.ok() || !target.ok()) throw sysError(env, "namespace", "open pid namespace " + a.pidnsPath, errno);
    if (setns(target.get(), CLONE_NEWPID) < 0)
      throw sysError(env, "namespace", "join pid namespace " + a.pidnsPath, errno);
  }

  // Everything the child touches is prepared here: it must not allocate.
  std::string fdArg = std::to_string(childEnd.get());
  char arg0[] = "skiff-init";
  char* childArgv[] = {arg0, const_cast<char*>(fdArg.c_str()), nullptr};
  char* childEnv[] = {nullptr};
  // Node marks its stdio close-on-exec: the container inherits it, so clear that in the child.
  std::vector<int> keep = {0, 1, 2};
  keep.insert(keep.end(), a.keepFds.begin(), a.keepFds.end());
  keep.push_back(childEnd.get());
  int childFd = childEnd.get();
  int parentFd = parentEnd.get();

  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  struct clone_args ca = {};
  ca.flags = a.cloneFlags | (a.cgroupFd >= 0 ? CLONE_INTO_CGROUP : 0);
  ca.exit_signal = SIGCHLD;
  ca.cgroup = a.cgroupFd >= 0 ? (uint64_t)a.cgroupFd : 0;
  long pid = syscall(SYS_clone3, &ca, sizeof ca);
  if (pid == 0) {
    // A create killed before it hands the init over must not leave it behind: the child dies
    // with skiff's main thread, and it drops its copy of skiff's end of the socket so that the
    // read below (and every later one in skiff-init) sees EOF once skiff is gone.
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    close(parentFd);
    for (int fd : keep) {
      int fl = fcntl(fd, F_GETFD);
      if (fl < 0) {
        if (fd <= 2) continue;  // a caller may start skiff with stdio closed
        _exit(126);
      }
      if (fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) < 0) _exit(126);
    }
    char go = 0;
    ssize_t r;
    do r = read(childFd, &go, 1);
    while (r < 0 && errno == EINTR);
    if (r != 1 || (go != 'g' && go != 'u')) _exit(125);
    if (go == 'u') {
      // In a new user namespace the maps are written now: become its root, or execve would
      // drop every capability (the kernel grants them on exec to uid 0 of the namespace).
      if (syscall(SYS_setresgid, 0, 0, 0) < 0 || syscall(SYS_setresuid, 0, 0, 0) < 0) _exit(124);
      // A change of credentials clears the parent-death signal: arm it again.
      prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    }
    syscall(SYS_execveat, initFd, "", childArgv, childEnv, AT_EMPTY_PATH);
    _exit(127);
  }
  int cloneErr = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (ownPidns.ok() && setns(ownPidns.get(), CLONE_NEWPID) < 0) {
    // Should never happen; continuing would put every later child in the container's pid ns.
    if (pid > 0) {
      kill((pid_t)pid, SIGKILL);
      reap((pid_t)pid);
    }
    throw sysError(env, "namespace", "return to skiff's own pid namespace", errno);
  }
  if (pid < 0) throw sysError(env, "clone", "clone3 (new namespaces and cgroup)", cloneErr);
  childEnd.reset();

  auto abort = [&](const std::string& step, const std::string& what, int e) -> Napi::Error {
    kill((pid_t)pid, SIGKILL);
    reap((pid_t)pid);
    return sysError(env, step, what, e);
  };
  int e = 0;
  skiff::IdMapFailure mapFailure;
  if (!skiff::writeIdMaps((pid_t)pid, a.uidMap, a.gidMap, mapFailure)) {
    if (mapFailure.err) throw abort("userns", mapFailure.what, mapFailure.err);
    kill((pid_t)pid, SIGKILL);
    reap((pid_t)pid);
    Napi::Error helperFailed = Napi::Error::New(env, mapFailure.what);
    helperFailed.Set("step", Napi::String::New(env, "userns"));
    throw helperFailed;
  }
  std::string pidText = std::to_string(pid);
  for (auto& procs : a.cgroupProcs)
    if (!writeFile(procs, pidText, e)) throw abort("cgroup", "add the init to " + procs, e);
  // The init exists but runs nothing of its own yet: the caller confines it (the systemd driver
  // moves it into its scope) and then sends the plan with sendPlan.
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, (double)pid));
  out.Set("sync", Napi::Number::New(env, parentEnd.release()));
  return out;
}

// sendPlan(sync, plan, userns): "go" for the cloned child (become root of a new user namespace
// first when it has maps), then the plan. If the init dies before reading everything, nextEvent
// reports its exit status.
Napi::Value SendPlan(const Napi::CallbackInfo& info) {
  int sync = info[0].As<Napi::Number>().Int32Value();
  std::string plan = info[1].As<Napi::String>();
  const char* go = info[2].As<Napi::Boolean>() ? "u" : "g";
  (void)(skiff::writeAll(sync, go, 1) && skiff::sendFrame(sync, plan));
  return info.Env().Undefined();
}

// nextEvent(sync, pid) → the init's next frame as a value (frames.h): {type: "ready"},
// {type: "hooks"}, {type: "warning", message}, {type: "seccomp-fd", fd}, {type: "trial", report}
// (check's trial init, reaped here), or, once the init is gone
// (reaped here), {type: "error", step, errno, message}.
Napi::Value NextEvent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sync = info[0].As<Napi::Number>().Int32Value();
  pid_t pid = (pid_t)info[1].As<Napi::Number>().Int32Value();
  Napi::Object ev = Napi::Object::New(env);
  std::string body, perr;
  skiff::Json msg;
  int r = skiff::recvFrame(sync, body);
  bool parsed = r == 1 && skiff::Json::parse(body, msg, perr);
  const std::string type = parsed ? msg["type"].string() : "";
  if (type == skiff::frame::kReady || type == skiff::frame::kHooks) {
    ev.Set("type", type);
    return ev;
  }
  if (type == skiff::frame::kPid) {
    // The init forked into a new pid namespace: the process that wrote this exits now; reap it.
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ev.Set("type", type);
    ev.Set("pid", (double)msg["pid"].integer());
    return ev;
  }
  if (type == skiff::frame::kTrial) {
    // check's trial create reports and exits: reap it; the report is for TypeScript to read.
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ev.Set("type", type);
    ev.Set("report", body);
    return ev;
  }
  if (type == skiff::frame::kWarning) {
    ev.Set("type", type);
    ev.Set("message", msg["message"].string());
    return ev;
  }
  if (type == skiff::frame::kSeccompFd) {
    int nfd = skiff::recvWithFd(sync, nullptr, 1);
    if (nfd >= 0) {
      ev.Set("type", type);
      ev.Set("fd", nfd);
      return ev;
    }
    kill(pid, SIGKILL);
  }
  // An error frame, EOF or garbage: the init is exiting (or made to); reap it and say why.
  int status = 0;
  if (type != skiff::frame::kError) kill(pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ev.Set("type", skiff::frame::kError);
  if (type == skiff::frame::kError) {
    ev.Set("step", msg["step"].string());
    ev.Set("errno", (double)msg["errno"].integer());
    ev.Set("message", msg["message"].string());
  } else {
    ev.Set("step", "init");
    ev.Set("errno", 0);
    ev.Set("message", type == skiff::frame::kSeccompFd ? "receive the seccomp notify fd: " + skiff::errnoText(errno)
                      : parsed && !type.empty()        ? "container init sent an unknown frame \"" + type + "\""
                                                : "container init " + describeStatus(status) + " before it was ready");
  }
  return ev;
}

// reply(sync, frame): skiff's answer to a "hooks" frame.
Napi::Value Reply(const Napi::CallbackInfo& info) {
  int sync = info[0].As<Napi::Number>().Int32Value();
  std::string body = info[1].As<Napi::String>();
  if (!skiff::sendFrame(sync, body)) throw sysError(info.Env(), "hooks", "answer the container init", errno);
  return info.Env().Undefined();
}

// abandonInit(sync, pid): a launch given up before the handover: kill and reap the init, close sync.
Napi::Value AbandonInit(const Napi::CallbackInfo& info) {
  int sync = info[0].As<Napi::Number>().Int32Value();
  pid_t pid = (pid_t)info[1].As<Napi::Number>().Int32Value();
  kill(pid, SIGKILL);
  reap(pid);
  close(sync);
  return info.Env().Undefined();
}

// commitInit(sync): hands a ready init over once skiff has recorded it (state, pid file). The
// init drops its parent-death signal, acknowledges, and from then on outlives skiff. Closes sync.
Napi::Value CommitInit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  UniqueFd sync(info[0].As<Napi::Number>().Int32Value());
  char ack = 0;
  if (!skiff::writeAll(sync.get(), "c", 1)) throw sysError(env, "commit", "hand the container init over", errno);
  ssize_t r;
  do r = read(sync.get(), &ack, 1);
  while (r < 0 && errno == EINTR);
  if (r != 1 || ack != 'k') throw Napi::Error::New(env, "the container init exited before it was handed over");
  return env.Undefined();
}

// Runs fn on a detached thread that blocks every signal (the engine's handlers stay on its own
// threads); false when no thread could be started.
template <typename Fn>
bool startDetachedThread(Fn fn) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);  // the new thread inherits this mask
  bool started = true;
  try {
    std::thread(std::move(fn)).detach();
  } catch (const std::system_error&) {
    started = false;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return started;
}

// warmCgroupMigration(procsFile): writes this process's pid into procsFile (a cgroup.procs of the
// v1 cgroup it is already in: nothing moves) on a thread of its own, so that the RCU grace period
// the kernel waits for on the first cgroup migration overlaps with skiff's own work. Best effort:
// a failure only means the later joins pay the wait themselves.
Napi::Value WarmCgroupMigration(const Napi::CallbackInfo& info) {
  std::string file = info[0].As<Napi::String>();
  std::string pid = std::to_string(getpid());
  // Without a thread the joins simply wait for the grace period themselves.
  (void)startDetachedThread([file, pid] {
    int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return;
    (void)!write(fd, pid.data(), pid.size());
    close(fd);
  });
  return info.Env().Undefined();
}

// flock(fd, wait) → an exclusive lock; false when wait is false and another process holds it.
Napi::Value Flock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int op = LOCK_EX | (info[1].ToBoolean() ? 0 : LOCK_NB);
  while (flock(fd, op) < 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
    throw sysError(env, "lock", "flock", errno);
  }
  return Napi::Boolean::New(env, true);
}

// startFifo(path, pid): opens the exec fifo for reading, which releases the init blocked on it,
// and waits for its byte. Fails if the init is gone (no writer will ever come).
Napi::Value StartFifo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  pid_t pid = info[1].As<Napi::Number>().Int32Value();
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.ok()) throw sysError(env, "start", "open exec fifo " + path, errno);
  // Opening released the init (it reopens the fifo through its own fd): the fifo goes at once,
  // so that a start killed from here on leaves a container that reads as running, not created.
  if (unlink(path.c_str()) < 0 && errno != ENOENT) throw sysError(env, "start", "remove exec fifo " + path, errno);
  for (;;) {
    struct pollfd p = {fd.get(), POLLIN, 0};
    int n = poll(&p, 1, 100);
    if (n < 0 && errno != EINTR) throw sysError(env, "start", "poll exec fifo", errno);
    if (n > 0 && (p.revents & (POLLIN | POLLHUP))) {
      // "0", or "E" and why the startContainer hooks failed; the init closes when it is done.
      std::string answer;
      for (;;) {
        char buf[4096];
        ssize_t r = read(fd.get(), buf, sizeof buf);
        if (r > 0) {
          answer.append(buf, (size_t)r);
          continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) {
          struct pollfd q = {fd.get(), POLLIN, 0};
          poll(&q, 1, 100);
          continue;
        }
        if (r < 0) throw sysError(env, "start", "read exec fifo", errno);
        break;  // EOF: the init closed its end
      }
      if (answer == "0") return env.Undefined();
      if (!answer.empty() && answer[0] == 'E') throw Napi::Error::New(env, answer.substr(1));
      if (answer.empty() && kill(pid, 0) == 0) continue;  // woke up before the init opened its end
      throw Napi::Error::New(env, "container init exited before it started the process: container not running");
    }
    if (n == 0 && kill(pid, 0) < 0 && errno == ESRCH)
      throw Napi::Error::New(env, "cannot start a container whose init has exited: container not running");
  }
}

// waitPid(pid) → Promise<{code, signal}>. The waitpid blocks a thread of its own, not one of the
// engine's worker pool: Bun's pool has as many threads as cores, and a relayed terminal's reads
// (a regular file on stdin, the pty master) need them while the container runs.
struct WaitContext {
  pid_t pid;
  int status = 0;
  int err = 0;
  Napi::Promise::Deferred deferred;
};

Napi::Value WaitPid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* ctx = new WaitContext{info[0].As<Napi::Number>().Int32Value(), 0, 0, Napi::Promise::Deferred::New(env)};
  Napi::Promise promise = ctx->deferred.Promise();
  auto tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}),
                                            "skiff-waitpid", 0, 1);
  bool started = startDetachedThread([ctx, tsfn]() mutable {
    int r;
    do r = waitpid(ctx->pid, &ctx->status, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0) ctx->err = errno;
    tsfn.BlockingCall(ctx, [](Napi::Env env, Napi::Function, WaitContext* c) {
      if (c->err) {
        c->deferred.Reject(sysError(env, "wait", "waitpid " + std::to_string(c->pid), c->err).Value());
      } else {
        Napi::Object o = Napi::Object::New(env);
        o.Set("code", WIFEXITED(c->status) ? Napi::Value(Napi::Number::New(env, WEXITSTATUS(c->status))) : env.Null());
        o.Set("signal", WIFSIGNALED(c->status) ? Napi::Value(Napi::Number::New(env, WTERMSIG(c->status))) : env.Null());
        c->deferred.Resolve(o);
      }
      delete c;
    });
    tsfn.Release();
  });
  if (!started) {
    tsfn.Release();
    delete ctx;
    throw Napi::Error::New(env, "waitpid: cannot start a thread");
  }
  return promise;
}

// openCgroupDir(path) → fd (O_PATH|O_DIRECTORY|O_CLOEXEC), for CLONE_INTO_CGROUP.
Napi::Value OpenDir(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>();
  int fd = open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw sysError(info.Env(), "cgroup", "open " + path, errno);
  return Napi::Number::New(info.Env(), fd);
}

// mkfifo(path, mode): the exec fifo of a container (Node has no mkfifo).
Napi::Value Mkfifo(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>();
  mode_t mode = info[1].As<Napi::Number>().Uint32Value();
  if (mkfifo(path.c_str(), mode) < 0) throw sysError(info.Env(), "create", "mkfifo " + path, errno);
  // mkfifo honours the umask; the init may run as any user and must be able to open it for writing.
  if (chmod(path.c_str(), mode) < 0) throw sysError(info.Env(), "create", "chmod " + path, errno);
  return info.Env().Undefined();
}

// unmount(path, mountId): a lazy unmount of what a container without a mount namespace of its
// own left mounted in skiff's. The container can rename directories on the way to the path and
// plant symlinks, so the path is opened without following any symlink, the mount found there must
// be the one mountinfo named, and the unmount goes through that fd. false if it is gone already.
Napi::Value Unmount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  uint64_t mountId = (uint64_t)info[1].As<Napi::Number>().Int64Value();
  struct open_how how = {};
  how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  UniqueFd fd((int)syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof how));
  if (!fd.ok()) {
    if (errno == ENOENT) return Napi::Boolean::New(env, false);
    throw sysError(env, "delete", "open " + path, errno);
  }
  struct statx stx = {};
  if (statx(fd.get(), "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0) throw sysError(env, "delete", "statx " + path, errno);
  if (!(stx.stx_mask & STATX_MNT_ID) || stx.stx_mnt_id != mountId) return Napi::Boolean::New(env, false);
  std::string via = "/proc/self/fd/" + std::to_string(fd.get());
  if (umount2(via.c_str(), MNT_DETACH) < 0) {
    if (errno == EINVAL) return Napi::Boolean::New(env, false);
    throw sysError(env, "delete", "unmount " + path, errno);
  }
  return Napi::Boolean::New(env, true);
}

// openTree(path, recursive[, usernsFd, idmapRecursive]) → a detached copy of the mount tree at
// path (open_tree with OPEN_TREE_CLONE), opened here as host root: for a container with a new
// user namespace, whose mapped root may not be able to reach a bind source (one under a 0700
// directory); and for an idmapped mount, which only host root may set up (mount_setattr with
// MOUNT_ATTR_IDMAP and the user namespace whose mapping the mount takes). The init attaches the
// copy with move_mount instead of resolving the path itself.
Napi::Value OpenTree(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  bool recursive = info[1].As<Napi::Boolean>();
  int usernsFd = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : -1;
  bool idmapRecursive = info.Length() > 3 && info[3].ToBoolean();
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  UniqueFd fd((int)syscall(SYS_open_tree, AT_FDCWD, path.c_str(), flags));
  if (!fd.ok()) throw sysError(env, "mount", "open bind source " + path, errno);
  if (usernsFd >= 0) {
    struct mount_attr attr = {};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = (uint64_t)usernsFd;
    unsigned at = AT_EMPTY_PATH | (idmapRecursive ? AT_RECURSIVE : 0);
    if (syscall(SYS_mount_setattr, fd.get(), "", at, &attr, sizeof attr) < 0) {
      int e = errno;
      std::string why = e == EINVAL ? " (its filesystem cannot be idmapped, or it is idmapped already)" : "";
      throw sysError(env, "mount", "idmap " + path + why, e);
    }
  }
  return Napi::Number::New(env, fd.release());
}

// makeUserns(uidMap, gidMap) → an fd of a new user namespace with these maps, for an idmapped
// mount to take its mapping from. A child holds it while the maps are written; nothing runs in it.
Napi::Value MakeUserns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string uidMap = info[0].As<Napi::String>();
  std::string gidMap = info[1].As<Napi::String>();
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) throw sysError(env, "userns", "pipe", errno);
  UniqueFd rd(p[0]), wr(p[1]);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  struct clone_args ca = {};
  ca.flags = CLONE_NEWUSER;
  ca.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &ca, sizeof ca);
  if (pid == 0) {
    // Only async-signal-safe calls here: wait for EOF (the parent is done with us), then go.
    close(p[1]);
    char c;
    while (read(p[0], &c, 1) < 0 && errno == EINTR) {
    }
    _exit(0);
  }
  int cloneErr = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) throw sysError(env, "userns", "clone a user namespace for an idmapped mount", cloneErr);
  rd.reset();
  std::string dir = "/proc/" + std::to_string(pid);
  int e = 0;
  UniqueFd ns;
  bool ok = writeFile(dir + "/uid_map", uidMap, e) && writeFile(dir + "/gid_map", gidMap, e);
  if (ok) {
    ns.reset(open((dir + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns.ok()) e = errno;
  }
  wr.reset();
  reap((pid_t)pid);
  if (!ok) throw sysError(env, "userns", "write the id map of an idmapped mount's user namespace", e);
  if (!ns.ok()) throw sysError(env, "userns", "open the user namespace of an idmapped mount", e);
  return Napi::Number::New(env, ns.release());
}

// runHook(kind, {path, args, env, timeout}, state) → "" or the failure (common/hook-runner.h: the
// runner skiff-init uses too). Synchronous, as hooks run one after another.
Napi::Value RunHook(const Napi::CallbackInfo& info) {
  std::string kind = info[0].As<Napi::String>();
  Napi::Object h = info[1].As<Napi::Object>();
  skiff::HookSpec spec;
  spec.path = h.Get("path").As<Napi::String>();
  auto strings = [&](const char* key, std::vector<std::string>& into) {
    Napi::Array a = h.Get(key).As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) into.push_back(a.Get(i).As<Napi::String>());
  };
  strings("args", spec.args);
  strings("env", spec.env);
  Napi::Value t = h.Get("timeout");
  spec.timeoutSeconds = t.IsNumber() ? t.As<Napi::Number>().Int32Value() : 0;
  std::string state = info[2].As<Napi::String>();
  return Napi::String::New(info.Env(), skiff::runHook(kind.c_str(), spec, state));
}

// openPath(path) → an O_PATH fd, which the init keeps across pivot_root to reach the exec fifo.
Napi::Value OpenPath(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>();
  int fd = open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) throw sysError(info.Env(), "create", "open " + path, errno);
  return Napi::Number::New(info.Env(), fd);
}

// A connected SOCK_STREAM unix socket; `what` names its use in errors.
UniqueFd connectUnixSocket(Napi::Env env, const std::string& path, const char* step, const std::string& what) {
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw Napi::Error::New(env, what + " path too long: " + path);
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.ok()) throw sysError(env, step, "socket", errno);
  if (connect(fd.get(), (struct sockaddr*)&addr, sizeof addr) < 0)
    throw sysError(env, step, "connect to " + what + " " + path, errno);
  return fd;
}

// connectUnix(path) → fd of a connected SOCK_STREAM unix socket (the console socket).
Napi::Value ConnectUnix(const Napi::CallbackInfo& info) {
  UniqueFd fd = connectUnixSocket(info.Env(), info[0].As<Napi::String>(), "console", "console socket");
  return Napi::Number::New(info.Env(), fd.release());
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  close(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// socketpair() → [a, b]: skiff's own console socket when it relays the terminal itself.
Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    throw sysError(info.Env(), "console", "socketpair", errno);
  Napi::Array a = Napi::Array::New(info.Env(), 2);
  a.Set(0u, sv[0]);
  a.Set(1u, sv[1]);
  return a;
}

// recvFd(sock) → the fd sent with SCM_RIGHTS (the pty master).
Napi::Value RecvFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sock = info[0].As<Napi::Number>().Int32Value();
  std::string name;
  int fd = skiff::recvWithFd(sock, &name, 4096);
  if (fd < 0) throw sysError(env, "console", "receive the pty master", errno);
  return Napi::Number::New(env, fd);
}

// makeRaw(fd) → the previous termios (a Buffer), for restoreTermios. Raw like `stty raw -echo`.
Napi::Value MakeRaw(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  struct termios old, raw;
  if (tcgetattr(fd, &old) < 0) throw sysError(info.Env(), "console", "tcgetattr", errno);
  raw = old;
  cfmakeraw(&raw);
  if (tcsetattr(fd, TCSANOW, &raw) < 0) throw sysError(info.Env(), "console", "tcsetattr", errno);
  return Napi::Buffer<char>::Copy(info.Env(), reinterpret_cast<char*>(&old), sizeof old);
}

Napi::Value RestoreTermios(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  auto b = info[1].As<Napi::Buffer<char>>();
  if (b.Length() == sizeof(struct termios)) tcsetattr(fd, TCSANOW, reinterpret_cast<struct termios*>(b.Data()));
  return info.Env().Undefined();
}

// setWinsize(fd, rows, cols) on a pty master.
Napi::Value SetWinsize(const Napi::CallbackInfo& info) {
  struct winsize ws = {};
  ws.ws_row = (unsigned short)info[1].As<Napi::Number>().Uint32Value();
  ws.ws_col = (unsigned short)info[2].As<Napi::Number>().Uint32Value();
  if (ioctl(info[0].As<Napi::Number>().Int32Value(), TIOCSWINSZ, &ws) < 0)
    throw sysError(info.Env(), "console", "set window size", errno);
  return info.Env().Undefined();
}

// attachDeviceFilter(cgroupDir, rules): cgroup v2 has no devices controller; the kernel asks a
// BPF_PROG_TYPE_CGROUP_DEVICE program instead. Rules are [{allow, type: a|b|c, major, minor (-1 =
// any), access}], in config order: the last matching rule decides (what v1's controller does), so
// the program tests them from last to first and returns at the first match; no match denies.
Napi::Value AttachDeviceFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir = info[0].As<Napi::String>();
  Napi::Array rules = info[1].As<Napi::Array>();
  std::vector<struct bpf_insn> prog;
  auto ins = [&](uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    struct bpf_insn i = {};
    i.code = code;
    i.dst_reg = dst;
    i.src_reg = src;
    i.off = off;
    i.imm = imm;
    prog.push_back(i);
  };
  // r2 = type, r3 = access, r4 = major, r5 = minor (struct bpf_cgroup_dev_ctx).
  ins(BPF_LDX | BPF_W | BPF_MEM, 2, 1, 0, 0);
  ins(BPF_ALU64 | BPF_MOV | BPF_X, 3, 2, 0, 0);
  ins(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xFFFF);
  ins(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16);
  ins(BPF_LDX | BPF_W | BPF_MEM, 4, 1, 4, 0);
  ins(BPF_LDX | BPF_W | BPF_MEM, 5, 1, 8, 0);
  bool decided = false;
  for (uint32_t n = rules.Length(); n-- > 0;) {
    Napi::Object r = rules.Get(n).As<Napi::Object>();
    bool allow = r.Get("allow").ToBoolean();
    std::string type = r.Get("type").As<Napi::String>();
    int64_t major = r.Get("major").As<Napi::Number>().Int64Value();
    int64_t minor = r.Get("minor").As<Napi::Number>().Int64Value();
    std::string access = r.Get("access").As<Napi::String>();
    int mask = 0;
    for (char c : access)
      mask |= c == 'm' ? BPF_DEVCG_ACC_MKNOD : c == 'r' ? BPF_DEVCG_ACC_READ : c == 'w' ? BPF_DEVCG_ACC_WRITE : 0;
    // Conditions, each jumping over the rest of this block when it does not hold.
    std::vector<std::pair<uint8_t, int32_t>> conds;  // (register, value) for JNE; reg 6 = access check
    if (type != "a") conds.push_back({2, type == "b" ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR});
    bool accessCheck = type != "a" && mask != (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE);
    if (type != "a" && major >= 0) conds.push_back({4, (int32_t)major});
    if (type != "a" && minor >= 0) conds.push_back({5, (int32_t)minor});
    int blockLen = (int)conds.size() + (accessCheck ? 3 : 0) + 2;
    int emitted = 0;
    for (auto& c : conds) {
      emitted++;
      ins(BPF_JMP | BPF_JNE | BPF_K, c.first, 0, (int16_t)(blockLen - emitted), c.second);
    }
    if (accessCheck) {
      // The access asked for must be within the rule's: (asked & ~rule) == 0.
      ins(BPF_ALU64 | BPF_MOV | BPF_X, 6, 3, 0, 0);
      ins(BPF_ALU | BPF_AND | BPF_K, 6, 0, 0, ~mask);
      emitted += 3;
      ins(BPF_JMP | BPF_JNE | BPF_K, 6, 0, (int16_t)(blockLen - emitted), 0);
    }
    ins(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, allow ? 1 : 0);
    ins(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    // A rule matching everything decides alone: what comes after it could never run (and the
    // verifier refuses unreachable code).
    if (conds.empty() && !accessCheck) {
      decided = true;
      break;
    }
  }
  if (!decided) {
    ins(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
    ins(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  }

  static char license[] = "Apache";
  union bpf_attr attr = {};
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)prog.data();
  attr.insn_cnt = (uint32_t)prog.size();
  attr.license = (uint64_t)(uintptr_t)license;
  std::vector<char> vlog(65536);
  attr.log_buf = (uint64_t)(uintptr_t)vlog.data();
  attr.log_size = (uint32_t)vlog.size();
  attr.log_level = 1;
  UniqueFd progFd((int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr));
  if (!progFd.ok()) {
    int e = errno;
    std::string text(vlog.data());
    size_t cut = text.find_last_not_of("\n");
    text = text.substr(0, cut == std::string::npos ? 0 : cut + 1);
    size_t nl = text.rfind('\n');
    (void)nl;
    throw sysError(env, "cgroup", "load the eBPF device filter (verifier: " + text + ")", e);
  }
  UniqueFd cg(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cg.ok()) throw sysError(env, "cgroup", "open " + dir, errno);
  union bpf_attr at = {};
  at.target_fd = (uint32_t)cg.get();
  at.attach_bpf_fd = (uint32_t)progFd.get();
  at.attach_type = BPF_CGROUP_DEVICE;
  at.attach_flags = BPF_F_ALLOW_MULTI;
  if (syscall(SYS_bpf, BPF_PROG_ATTACH, &at, sizeof at) < 0)
    throw sysError(env, "cgroup", "attach the eBPF device filter to " + dir, errno);
  return env.Undefined();
}

// sendFdTo(socketPath, payload, fd, purpose): connects to a unix socket and sends payload with fd
// attached: the seccomp notify fd and the container's state to the agent at listenerPath
// ("seccomp"), a restored pty master and its name to the console socket ("console").
Napi::Value SendFdTo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  std::string payload = info[1].As<Napi::String>();
  int fd = info[2].As<Napi::Number>().Int32Value();
  bool console = info.Length() > 3 && info[3].IsString() && info[3].As<Napi::String>().Utf8Value() == "console";
  const char* step = console ? "console" : "seccomp";
  UniqueFd sock = connectUnixSocket(env, path, step, console ? "the console socket" : "the seccomp agent at");
  if (!skiff::sendWithFd(sock.get(), payload.data(), payload.size(), fd))
    throw sysError(
        env, step,
        (console ? "send the pty master to the console socket " : "send the notify fd to the seccomp agent at ") + path,
        errno);
  return env.Undefined();
}

// sendPidfd(socketPath, pid, kind): runc's --pidfd-socket. A pidfd of the process goes to the
// unix socket with SCM_RIGHTS, the payload naming which process it is ("standard" for a
// container's init, "setns" for an exec'd one), as runc sends it.
Napi::Value SendPidfd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  pid_t pid = (pid_t)info[1].As<Napi::Number>().Int32Value();
  std::string kind = info[2].As<Napi::String>();
  UniqueFd pidfd((int)syscall(SYS_pidfd_open, pid, 0));
  if (!pidfd.ok()) throw sysError(env, "pidfd", "pidfd_open " + std::to_string(pid), errno);
  UniqueFd sock = connectUnixSocket(env, path, "pidfd", "the --pidfd-socket");
  if (!skiff::sendWithFd(sock.get(), kind.data(), kind.size(), pidfd.get()))
    throw sysError(env, "pidfd", "send the pidfd to " + path, errno);
  return env.Undefined();
}

// moveNetDevice(hostName, newName, netnsPath): linux.netDevices (netdev.cc).
Napi::Value MoveNetDevice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>();
  std::string newName = info[1].As<Napi::String>();
  std::string nsPath = info[2].As<Napi::String>();
  UniqueFd ns(open(nsPath.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns.ok()) throw sysError(env, "netdev", "open network namespace " + nsPath, errno);
  std::string err = skiff::moveNetDevice(name, newName, ns.get());
  if (!err.empty()) {
    Napi::Error e = Napi::Error::New(env, err);
    e.Set("step", Napi::String::New(env, "netdev"));
    throw e;
  }
  return env.Undefined();
}

// setChildSubreaper(): orphans below skiff come to it (runc run does the same): an init that
// forked into a new pid namespace is a grandchild of `skiff run`, which must still wait for it.
Napi::Value SetChildSubreaper(const Napi::CallbackInfo& info) {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    throw sysError(info.Env(), "run", "become a child subreaper", errno);
  return info.Env().Undefined();
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("spawn", Napi::Function::New(env, Spawn));
  exports.Set("sendPlan", Napi::Function::New(env, SendPlan));
  exports.Set("nextEvent", Napi::Function::New(env, NextEvent));
  exports.Set("reply", Napi::Function::New(env, Reply));
  exports.Set("abandonInit", Napi::Function::New(env, AbandonInit));
  exports.Set("startFifo", Napi::Function::New(env, StartFifo));
  exports.Set("commitInit", Napi::Function::New(env, CommitInit));
  exports.Set("flock", Napi::Function::New(env, Flock));
  exports.Set("warmCgroupMigration", Napi::Function::New(env, WarmCgroupMigration));
  exports.Set("waitPid", Napi::Function::New(env, WaitPid));
  exports.Set("openDir", Napi::Function::New(env, OpenDir));
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo));
  exports.Set("openPath", Napi::Function::New(env, OpenPath));
  exports.Set("unmount", Napi::Function::New(env, Unmount));
  exports.Set("openTree", Napi::Function::New(env, OpenTree));
  exports.Set("makeUserns", Napi::Function::New(env, MakeUserns));
  exports.Set("runHook", Napi::Function::New(env, RunHook));
  exports.Set("sendPidfd", Napi::Function::New(env, SendPidfd));
  exports.Set("moveNetDevice", Napi::Function::New(env, MoveNetDevice));
  exports.Set("setChildSubreaper", Napi::Function::New(env, SetChildSubreaper));
  exports.Set("connectUnix", Napi::Function::New(env, ConnectUnix));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
  exports.Set("socketPair", Napi::Function::New(env, SocketPair));
  exports.Set("recvFd", Napi::Function::New(env, RecvFd));
  exports.Set("makeRaw", Napi::Function::New(env, MakeRaw));
  exports.Set("restoreTermios", Napi::Function::New(env, RestoreTermios));
  exports.Set("setWinsize", Napi::Function::New(env, SetWinsize));
  exports.Set("attachDeviceFilter", Napi::Function::New(env, AttachDeviceFilter));
  exports.Set("sendFdTo", Napi::Function::New(env, SendFdTo));
  registerSystemd(env, exports);
  registerCriu(env, exports);
  return exports;
}

NODE_API_MODULE(skiff, Init)
