#include "namespaces.h"

#include <cerrno>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <cstring>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

#include <grp.h>
#include <csignal>
#include <sys/prctl.h>

#include "../common/fd.h"
#include "../common/frames.h"
#include "../common/proto.h"
#include "report.h"

namespace skiff {

// Joined, skiff-init is still host root, an id the namespace does not map (files it made would
// fail with EOVERFLOW): become the namespace's root, as runc does.
static void becomeNamespaceRoot(const std::string& path) {
  // Supplementary groups of host root mean nothing in there; dropping them is allowed unless the
  // namespace denies setgroups.
  if (setgroups(0, nullptr) < 0 && errno != EPERM) fail("namespace", "setgroups in user namespace " + path, errno);
  if (setresgid(0, 0, 0) < 0) fail("namespace", "become gid 0 in user namespace " + path, errno);
  if (setresuid(0, 0, 0) < 0) fail("namespace", "become uid 0 in user namespace " + path, errno);
  // A change of credentials clears the parent-death signal: arm it again until the handover.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail("namespace", "set the parent-death signal", errno);
}

// A new pid namespace inside a joined user namespace must be made after joining it (so that the
// joined namespace owns it, and /proc can be mounted for it); an unprivileged exec can join the
// container's pid namespace only from inside its user namespace. Both unshare(CLONE_NEWPID) and
// setns(CLONE_NEWPID) only apply to children: fork, the child goes on as the container's init (pid 1 in there), the
// parent tells skiff the child's pid and exits. The child starts once that frame is out.
static void forkIntoPidns(int sync, bool create) {
  if (create && unshare(CLONE_NEWPID) < 0)
    fail("namespace", "create pid namespace inside the joined user namespace", errno);
  int gate[2];
  if (pipe2(gate, O_CLOEXEC) < 0) fail("namespace", "pipe", errno);
  pid_t child = fork();
  if (child < 0) fail("namespace", "fork into the new pid namespace", errno);
  if (child == 0) {
    close(gate[1]);
    char c;
    while (read(gate[0], &c, 1) < 0 && errno == EINTR) {
    }
    close(gate[0]);
    return;
  }
  close(gate[0]);
  std::string msg = std::string("{\"type\":\"") + frame::kPid + "\",\"pid\":" + std::to_string(child) + "}";
  if (!sendFrame(sync, msg)) _exit(1);
  _exit(0);
}

void enterNamespaces(const Json& plan, int sync) {
  bool joinedPid = false;
  // Every path is opened before the first is joined: /proc/<pid>/ns/... means the host's /proc
  // only until the container's mount namespace is entered.
  std::vector<UniqueFd> fds;
  for (auto& ns : plan.at("join").asArray()) {
    const std::string& path = ns.at("path").asString();
    fds.emplace_back(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fds.back().ok()) fail("namespace", "open " + ns.at("type").asString() + " namespace " + path, errno);
  }
  size_t i = 0;
  for (auto& ns : plan.at("join").asArray()) {
    const std::string& path = ns.at("path").asString();
    UniqueFd fd = std::move(fds[i++]);
    if (setns(fd.get(), (int)ns.at("flag").asInt()) < 0)
      fail("namespace", "join " + ns.at("type").asString() + " namespace " + path, errno);
    if (ns.at("type").asString() == "user") becomeNamespaceRoot(path);
    if (ns.at("type").asString() == "pid") joinedPid = true;
  }
  if (joinedPid) forkIntoPidns(sync, false);
}

void createNamespaces(const Json& plan, int sync) {
  int unshareFlags = (int)plan.at("unshareFlags").asInt();
  if (unshareFlags && unshare(unshareFlags) < 0)
    fail("namespace", "create namespaces inside the joined user namespace", errno);
  if (plan.at("newCgroupns").asBool() && unshare(CLONE_NEWCGROUP) < 0)
    fail("namespace", "create cgroup namespace", errno);
  if (plan.at("newTimens").asBool()) {
    if (unshare(CLONE_NEWTIME) < 0) fail("namespace", "create time namespace", errno);
    std::string offsets;
    for (auto& o : plan.at("timeOffsets").asArray())
      offsets += o.at("clock").asString() + " " + std::to_string(o.at("secs").asInt()) + " " +
                 std::to_string(o.at("nanosecs").asInt()) + "\n";
    if (!offsets.empty()) {
      UniqueFd f(open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC));
      if (!f.ok() || write(f.get(), offsets.data(), offsets.size()) < 0)
        fail("namespace", "write /proc/self/timens_offsets", errno);
    }
    // unshare(CLONE_NEWTIME) only applies to children; a single-threaded process may move itself.
    UniqueFd child(open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC));
    if (!child.ok() || setns(child.get(), CLONE_NEWTIME) < 0) fail("namespace", "enter the new time namespace", errno);
  }
  if (plan.at("newPidnsInJoinedUserns").asBool()) forkIntoPidns(sync, true);
  if (plan.at("loopbackUp").asBool()) bringLoopbackUp();
}

// A new network namespace starts with lo down; runc brings it up (its "loopback" network), and
// containers rely on 127.0.0.1 working. The init is root of the namespace's owner here.
void bringLoopbackUp() {
  UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s.ok()) fail("network", "socket for lo", errno);
  struct ifreq ifr = {};
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s.get(), SIOCGIFFLAGS, &ifr) < 0) fail("network", "get the flags of lo", errno);
  if (ifr.ifr_flags & IFF_UP) return;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s.get(), SIOCSIFFLAGS, &ifr) < 0) fail("network", "bring up lo", errno);
}

void joinSessionKeyring(const Json& plan) {
  const Json& name = plan.at("keyring");
  if (name.isNull()) return;
  // A keyring of its own, so the container cannot read the caller's session keys.
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name.str.c_str()) < 0 && errno != ENOSYS)
    fail("keyring", "join a new session keyring", errno);
}

void setHostnames(const Json& plan) {
  const Json& h = plan.at("hostname");
  if (!h.isNull() && sethostname(h.str.data(), h.str.size()) < 0) fail("hostname", "sethostname " + h.str, errno);
  const Json& d = plan.at("domainname");
  if (!d.isNull() && setdomainname(d.str.data(), d.str.size()) < 0) fail("hostname", "setdomainname " + d.str, errno);
}

}  // namespace skiff
