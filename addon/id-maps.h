// Writing a new user namespace's uid_map and gid_map. Root writes them directly. An unprivileged
// caller (rootless) may write one line mapping its own id, and for gid_map only after denying
// setgroups; any other mapping goes through the setuid helpers newuidmap/newgidmap (shadow's
// uidmap package), which check /etc/subuid and /etc/subgid, as runc and crun do.
#pragma once
#include <string>
#include <sys/types.h>

namespace skiff {

struct IdMapFailure {
  std::string what;  // "write /proc/123/uid_map", "newuidmap 123 0 100000 65536: exit 1: ..."
  int err = 0;       // errno, 0 when a helper failed
};

// Returns false with `out` filled when a map cannot be written.
bool writeIdMaps(pid_t pid, const std::string& uidMap, const std::string& gidMap, IdMapFailure& out);

}  // namespace skiff
