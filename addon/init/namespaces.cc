#include "namespaces.h"

#include <cerrno>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/fd.h"
#include "report.h"

namespace skiff {

void enterNamespaces(const Json& plan) {
  for (auto& ns : plan["join"].arr) {
    const std::string& path = ns["path"].string();
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.ok()) fail("namespace", "open " + ns["type"].string() + " namespace " + path, errno);
    if (setns(fd.get(), (int)ns["flag"].integer()) < 0)
      fail("namespace", "join " + ns["type"].string() + " namespace " + path, errno);
  }
  int unshareFlags = (int)plan["unshareFlags"].integer();
  if (unshareFlags && unshare(unshareFlags) < 0) fail("namespace", "create namespaces inside the joined user namespace", errno);
  if (plan["newCgroupns"].boolean() && unshare(CLONE_NEWCGROUP) < 0) fail("namespace", "create cgroup namespace", errno);
  if (plan["newTimens"].boolean()) {
    if (unshare(CLONE_NEWTIME) < 0) fail("namespace", "create time namespace", errno);
    std::string offsets;
    for (auto& o : plan["timeOffsets"].arr)
      offsets += o["clock"].string() + " " + std::to_string(o["secs"].integer()) + " " +
                 std::to_string(o["nanosecs"].integer()) + "\n";
    if (!offsets.empty()) {
      UniqueFd f(open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC));
      if (!f.ok() || write(f.get(), offsets.data(), offsets.size()) < 0)
        fail("namespace", "write /proc/self/timens_offsets", errno);
    }
    // unshare(CLONE_NEWTIME) only applies to children; a single-threaded process may move itself.
    UniqueFd child(open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC));
    if (!child.ok() || setns(child.get(), CLONE_NEWTIME) < 0) fail("namespace", "enter the new time namespace", errno);
  }
}

void joinSessionKeyring(const Json& plan) {
  const Json& name = plan["keyring"];
  if (name.isNull()) return;
  // A keyring of its own, so the container cannot read the caller's session keys.
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name.str.c_str()) < 0 && errno != ENOSYS)
    fail("keyring", "join a new session keyring", errno);
}

void setHostnames(const Json& plan) {
  const Json& h = plan["hostname"];
  if (!h.isNull() && sethostname(h.str.data(), h.str.size()) < 0) fail("hostname", "sethostname " + h.str, errno);
  const Json& d = plan["domainname"];
  if (!d.isNull() && setdomainname(d.str.data(), d.str.size()) < 0) fail("hostname", "setdomainname " + d.str, errno);
}

}  // namespace skiff
