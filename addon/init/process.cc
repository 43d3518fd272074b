#include "process.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>
#include <vector>

#include "../common/fdpass.h"
#include "report.h"
#include "resolve.h"

namespace skiff {

void setupConsole(const Json& proc, int consoleSocket, bool bindDevConsole) {
  if (!proc.at("terminal").asBool()) return;
  if (consoleSocket < 0) failMsg("console", "process.terminal is true but no --console-socket was given");
  // The pty is allocated from the container's own devpts instance, so the container sees it.
  UniqueFd master(open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master.ok()) fail("console", "open /dev/pts/ptmx", errno);
  int unlock = 0;
  if (ioctl(master.get(), TIOCSPTLCK, &unlock) < 0) fail("console", "unlock pty", errno);
  int n = -1;
  if (ioctl(master.get(), TIOCGPTN, &n) < 0) fail("console", "get pty number", errno);
  UniqueFd slave(ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave.ok()) fail("console", "open pty peer", errno);
  std::string name = "/dev/pts/" + std::to_string(n);
  const Json& size = proc.at("consoleSize");
  if (!size.isNull()) {
    struct winsize ws = {};
    ws.ws_row = (unsigned short)size.at("height").asU64();
    ws.ws_col = (unsigned short)size.at("width").asU64();
    if (ioctl(slave.get(), TIOCSWINSZ, &ws) < 0) fail("console", "set window size of " + name, errno);
  }
  if (fchown(slave.get(), (uid_t)proc.at("user").at("uid").asU64(), (gid_t)-1) < 0)
    fail("console", "chown " + name, errno);

  if (!sendWithFd(consoleSocket, name.data(), name.size(), master.get()))
    fail("console", "send the pty master over the console socket", errno);
  master.reset();
  close(consoleSocket);

  // /dev/console is the terminal too, as runc and crun do it (for the init, not for exec).
  if (bindDevConsole && access("/dev/console", F_OK) < 0) {
    int f = open("/dev/console", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (f >= 0) close(f);
  }
  UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  UniqueFd console(openInRoot(root.get(), "/dev/console", O_PATH, true));
  if (bindDevConsole && console.ok() &&
      mount(fdPath(slave.get()).c_str(), fdPath(console.get()).c_str(), nullptr, MS_BIND, nullptr) < 0)
    fail("console", "bind " + name + " on /dev/console", errno);

  if (setsid() < 0) fail("console", "setsid", errno);
  if (ioctl(slave.get(), TIOCSCTTY, 0) < 0) fail("console", "make " + name + " the controlling terminal", errno);
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave.get(), fd) < 0) fail("console", "dup2 pty", errno);
}

void applyRlimits(const Json& proc) {
  for (auto& r : proc.at("rlimits").asArray()) {
    struct rlimit rl;
    rl.rlim_cur = r.at("soft").num < 0 ? RLIM_INFINITY : (rlim_t)r.at("soft").asU64();
    rl.rlim_max = r.at("hard").num < 0 ? RLIM_INFINITY : (rlim_t)r.at("hard").asU64();
    if (setrlimit((int)r.at("resource").asInt(), &rl) < 0)
      fail("rlimit", "setrlimit " + r.at("type").asString(), errno);
  }
}

void applyPersonality(const Json& plan) {
  const Json& p = plan.at("personality");
  if (p.isNull()) return;
  if (personality((unsigned long)p.u64()) < 0) fail("personality", "personality", errno);
}

void applyIoPriority(const Json& proc) {
  const Json& io = proc.at("ioPriority");
  if (io.isNull()) return;
  // IOPRIO_PRIO_VALUE(class, data) = class << 13 | data; IOPRIO_WHO_PROCESS = 1.
  long value = (io.at("class").asInt() << 13) | io.at("priority").asInt();
  if (syscall(SYS_ioprio_set, 1, 0, value) < 0) fail("ioPriority", "ioprio_set", errno);
}

void applyAppArmor(const Json& proc) {
  const Json& profile = proc.at("apparmorProfile");
  if (profile.isNull() || profile.str.empty()) return;
  // The profile takes effect at the next execve: the container's process (aa_change_onexec).
  std::string cmd = "exec " + profile.str;
  UniqueFd fd(open("/proc/self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC));
  if (!fd.ok()) fd.reset(open("/proc/self/attr/exec", O_WRONLY | O_CLOEXEC));
  if (!fd.ok()) fail("apparmor", "open /proc/self/attr/apparmor/exec", errno);
  if (write(fd.get(), cmd.data(), cmd.size()) != (ssize_t)cmd.size())
    fail("apparmor", "set AppArmor profile \"" + profile.str + "\" for exec", errno);
}

void applyScheduler(const Json& proc) {
  const Json& sc = proc.at("scheduler");
  if (sc.isNull()) return;
  // struct sched_attr (linux/sched/types.h), version 1 (with utilization clamps).
  struct {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
    uint32_t utilMin, utilMax;
  } attr = {};
  attr.size = sizeof attr;
  attr.policy = (uint32_t)sc.at("policy").asU64();
  attr.flags = sc.at("flags").asU64();
  attr.nice = (int32_t)sc.at("nice").asInt();
  attr.priority = (uint32_t)sc.at("priority").asU64();
  attr.runtime = sc.at("runtime").asU64();
  attr.deadline = sc.at("deadline").asU64();
  attr.period = sc.at("period").asU64();
  if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0) fail("scheduler", "sched_setattr", errno);
}

void applyCpuAffinity(const Json& cpus, const char* which) {
  if (cpus.isNull()) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  for (auto& c : cpus.arr)
    if (c.u64() < CPU_SETSIZE) CPU_SET((int)c.u64(), &set);
  if (sched_setaffinity(0, sizeof set, &set) < 0)
    fail("execCPUAffinity", std::string("sched_setaffinity (") + which + ")", errno);
}

void applyMemoryPolicy(const Json& plan) {
  const Json& mp = plan.at("memoryPolicy");
  if (mp.isNull()) return;
  unsigned long mask[16] = {};  // 1024 nodes
  unsigned long maxnode = 0;
  for (auto& n : mp.at("nodes").asArray()) {
    uint64_t node = n.u64();
    if (node >= 1024) failMsg("memoryPolicy", "memory node " + std::to_string(node) + " is out of range");
    mask[node / 64] |= 1UL << (node % 64);
    if (node + 1 > maxnode) maxnode = node + 1;
  }
  int mode = (int)(mp.at("mode").asU64() | mp.at("flags").asU64());
  if (syscall(SYS_set_mempolicy, mode, maxnode ? mask : nullptr, maxnode ? maxnode + 1 : 0) < 0)
    fail("memoryPolicy", "set_mempolicy", errno);
}

void applyOomScoreAdj(const Json& proc) {
  const Json& adj = proc.at("oomScoreAdj");
  if (adj.isNull()) return;
  UniqueFd fd(open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC));
  std::string v = std::to_string(adj.integer());
  if (!fd.ok() || write(fd.get(), v.data(), v.size()) < 0)
    fail("oom_score_adj", "write /proc/self/oom_score_adj", errno);
}

static bool hasCaps(const Json& proc) { return !proc.at("caps").isNull(); }

void dropBoundingSet(const Json& proc) {
  if (!hasCaps(proc)) return;
  uint64_t keep = proc.at("caps").at("bounding").asU64();
  for (int cap = 0; cap < 64; cap++) {
    int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (r < 0) break;  // past the kernel's last capability
    if (r == 1 && !(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
      fail("capabilities", "drop capability " + std::to_string(cap) + " from the bounding set", errno);
  }
}

void switchUser(const Json& proc) {
  const Json& user = proc.at("user");
  uid_t uid = (uid_t)user.at("uid").asU64();
  gid_t gid = (gid_t)user.at("gid").asU64();
  std::vector<gid_t> groups;
  for (auto& g : user.at("additionalGids").asArray()) groups.push_back((gid_t)g.u64());
  // Keep the permitted set across setuid; capset below chooses what stays.
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fail("user", "keep capabilities", errno);
  if (setgroups(groups.size(), groups.data()) < 0) {
    // With setgroups denied in a user namespace, an empty list is the only possible answer.
    if (!(errno == EPERM && groups.empty())) fail("user", "setgroups", errno);
  }
  if (syscall(SYS_setresgid, gid, gid, gid) < 0) fail("user", "setgid " + std::to_string(gid), errno);
  if (syscall(SYS_setresuid, uid, uid, uid) < 0) fail("user", "setuid " + std::to_string(uid), errno);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) fail("user", "clear keep-capabilities", errno);
  const Json& umaskV = user.at("umask");
  umask(umaskV.isNull() ? 022 : (mode_t)umaskV.u64());
}

void applyCapabilities(const Json& proc) {
  if (!hasCaps(proc)) return;
  const Json& caps = proc.at("caps");
  uint64_t eff = caps.at("effective").asU64(), perm = caps.at("permitted").asU64(),
           inh = caps.at("inheritable").asU64();
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  data[0].effective = (uint32_t)eff;
  data[1].effective = (uint32_t)(eff >> 32);
  data[0].permitted = (uint32_t)perm;
  data[1].permitted = (uint32_t)(perm >> 32);
  data[0].inheritable = (uint32_t)inh;
  data[1].inheritable = (uint32_t)(inh >> 32);
  if (syscall(SYS_capset, &hdr, data) < 0) fail("capabilities", "capset", errno);
  uint64_t amb = caps.at("ambient").asU64();
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    fail("capabilities", "clear ambient capabilities", errno);
  for (int cap = 0; cap < 64; cap++)
    if ((amb & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      fail("capabilities", "raise ambient capability " + std::to_string(cap), errno);
}

// As runc: first as the runtime's user, so that a cwd root can enter but the container's user
// cannot (a 0700 directory) still works; on EACCES/EPERM again after the switch, for a cwd only the
// container's user can enter (a volume chowned to it).
bool enterCwdBeforeUser(const Json& proc) {
  const std::string& cwd = proc.at("cwd").asString();
  if (chdir(cwd.c_str()) == 0) return true;
  if (errno == EACCES || errno == EPERM) return false;
  fail("cwd", "chdir to cwd (\"" + cwd + "\") set in config.json", errno);
}

void enterCwd(const Json& proc) {
  const std::string& cwd = proc.at("cwd").asString();
  if (chdir(cwd.c_str()) < 0) fail("cwd", "chdir to cwd (\"" + cwd + "\") set in config.json", errno);
}

static std::string envValue(const Json& proc, const char* key) {
  size_t n = strlen(key);
  for (auto& e : proc.at("env").asArray())
    if (e.str.size() > n && e.str.compare(0, n, key) == 0 && e.str[n] == '=') return e.str.substr(n + 1);
  return "";
}

bool executable(const std::string& p, int& err) {
  struct stat st;
  if (stat(p.c_str(), &st) < 0) {
    err = errno;
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    err = EACCES;
    return false;
  }
  if (access(p.c_str(), X_OK) < 0) {
    err = errno;
    return false;
  }
  return true;
}

static bool danglingLink(const std::string& p) {
  struct stat st;
  return lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode) && stat(p.c_str(), &st) < 0 && errno == ENOENT;
}

ExecutableLookup lookupExecutable(const Json& proc) {
  const auto& args = proc.at("args").asArray();
  if (args.empty()) failMsg("exec", "process.args must not be empty");
  ExecutableLookup r;
  r.name = args[0].string();
  if (r.name.find('/') != std::string::npos) {
    r.path = r.name;
    if (!executable(r.name, r.err) && danglingLink(r.name)) r.dangling = r.name;
    return r;
  }
  r.searchPath = envValue(proc, "PATH");
  if (r.searchPath.empty()) r.searchPath = kDefaultPath;
  // As Go's exec.LookPath (runc): the first executable candidate wins; if none, the first one that
  // exists but may not be executed is the error; else "not found".
  std::string denied;
  int deniedErr = 0;
  size_t start = 0;
  while (start <= r.searchPath.size()) {
    size_t end = r.searchPath.find(':', start);
    if (end == std::string::npos) end = r.searchPath.size();
    std::string dir = r.searchPath.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string cand = dir + "/" + r.name;
    int err = 0;
    if (executable(cand, err)) {
      r.path = cand;
      r.err = 0;
      return r;
    }
    if (err == EACCES && denied.empty()) {
      denied = cand;
      deniedErr = err;
    }
    if (r.dangling.empty() && danglingLink(cand)) r.dangling = cand;
    start = end + 1;
  }
  r.path = denied;
  r.err = denied.empty() ? ENOENT : deniedErr;
  return r;
}

std::string resolveExecutable(const Json& proc) {
  ExecutableLookup r = lookupExecutable(proc);
  if (r.err == 0) return r.path;
  if (r.searchPath.empty()) fail("exec", "exec: \"" + r.name + "\": stat " + r.name, r.err);
  if (!r.path.empty()) fail("exec", "exec: \"" + r.name + "\"", r.err);
  failMsg("exec", "exec: \"" + r.name + "\": executable file not found in $PATH");
}

std::string homeDirectory(const Json& proc) {
  std::string home = "/";
  uid_t uid = (uid_t)proc.at("user").at("uid").asU64();
  // The container's /etc/passwd is the image's: untrusted. Only a regular file, read without
  // blocking (a FIFO there must not hang the init), at most 4 MiB of it.
  UniqueFd fd(open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  struct stat st;
  if (!fd.ok() || fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode)) return home;
  std::string text;
  char buf[65536];
  while (text.size() < (4u << 20)) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, (size_t)n);
  }
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    std::vector<std::string> f;
    size_t a = 0;
    for (;;) {
      size_t b = line.find(':', a);
      f.push_back(line.substr(a, b == std::string::npos ? std::string::npos : b - a));
      if (b == std::string::npos || f.size() == 7) break;
      a = b + 1;
    }
    if (f.size() < 6 || f[2].empty() || f[2].find_first_not_of("0123456789") != std::string::npos) continue;
    if (strtoul(f[2].c_str(), nullptr, 10) == uid && f[2].size() < 11) return f[5].empty() ? home : f[5];
  }
  return home;
}

void execProcess(const std::string& path, const Json& proc, const std::string& home) {
  std::vector<char*> argv, envp;
  for (auto& a : proc.at("args").asArray()) argv.push_back(const_cast<char*>(a.str.c_str()));
  argv.push_back(nullptr);
  for (auto& e : proc.at("env").asArray()) envp.push_back(const_cast<char*>(e.str.c_str()));
  // runc and crun add HOME from the image's passwd when the config does not set it.
  std::string homeEnv = "HOME=" + home;
  bool hasHome = false;
  for (auto& e : proc.at("env").asArray()) hasHome = hasHome || e.str.compare(0, 5, "HOME=") == 0;
  if (!hasHome) envp.push_back(const_cast<char*>(homeEnv.c_str()));
  envp.push_back(nullptr);
  execve(path.c_str(), argv.data(), envp.data());
  fail("exec", "exec " + path, errno);
}

}  // namespace skiff
