// linux.seccomp through libseccomp: the filter is built (and every error reported) before the
// init says "ready", and loaded as late as the process's privileges allow.
#pragma once
#include "../common/json.h"

namespace skiff {

// Builds the filter from the plan's "seccomp" object; no-op when it is null.
void prepareSeccomp(const Json& plan);
// Loads the prepared filter (once).
void loadSeccomp();
// With SCMP_ACT_NOTIFY rules the filter is loaded while skiff still listens, so the notify fd can
// travel to it (and on to the agent at listenerPath). Returns that fd.
bool seccompNotifies();
int loadSeccompForNotify();

}  // namespace skiff
