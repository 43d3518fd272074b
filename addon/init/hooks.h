// The hooks that run inside the container's namespaces: createContainer (before pivot_root, path
// resolved in the runtime's mount namespace) and startContainer (after `start`, path resolved in
// the container). The runtime-namespace hooks (prestart, createRuntime) run in skiff itself while
// the init waits on the sync socket.
#pragma once
#include <string>

#include "../common/json.h"

namespace skiff {

// Asks skiff to run prestart/createRuntime hooks; returns the reply (state documents).
Json syncHooks(int sync);
// Runs the hooks in order; returns "" or the first failure.
std::string runHooks(const char* kind, const Json& hooks, const std::string& state);

}  // namespace skiff
