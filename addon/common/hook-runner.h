// The one hook runner (config.md "POSIX-platform Hooks"), for every kind and both places hooks
// run: skiff itself (prestart, createRuntime, poststart, poststop, through the addon) and
// skiff-init (createContainer, startContainer, in the container's namespaces). One behaviour:
// the state JSON on stdin (a hook that exits without reading it is no failure), stdout and
// stderr captured (the last line of stderr goes into the failure message), the timeout enforced
// with SIGKILL, and a hook that leaves a daemon holding its pipes does not keep skiff waiting.
#pragma once
#include <string>
#include <vector>

namespace skiff {

struct HookSpec {
  std::string path;
  std::vector<std::string> args;  // argv; empty: just the path
  std::vector<std::string> env;
  int timeoutSeconds = 0;  // 0: none
};

// "" when the hook succeeded, else one line: "<kind> hook <path> failed: exit status 3: <stderr>",
// "... failed: killed by SIGSEGV", "... timed out after 5 s", "<kind> hook <path>: no such file or directory".
std::string runHook(const char* kind, const HookSpec& hook, const std::string& state);

}  // namespace skiff
