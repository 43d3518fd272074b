// The container process's own attributes: terminal, limits, identity, capabilities, and the
// executable it will become.
#pragma once
#include <string>

#include "../common/json.h"

namespace skiff {

void setupConsole(const Json& proc, int consoleSocket, bool bindDevConsole);
void applyRlimits(const Json& proc);
void applyOomScoreAdj(const Json& proc);
void applyPersonality(const Json& plan);
void applyIoPriority(const Json& proc);
void applyAppArmor(const Json& proc);
void applyScheduler(const Json& proc);
void applyCpuAffinity(const Json& cpus, const char* which);
void applyMemoryPolicy(const Json& plan);
void dropBoundingSet(const Json& proc);
void switchUser(const Json& proc);
void applyCapabilities(const Json& proc);
// chdir to process.cwd before the user switch; false when that needs the container's user.
bool enterCwdBeforeUser(const Json& proc);
void enterCwd(const Json& proc);
// skiff-init's PATH when the process has none (check reports it too).
constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
// Whether the process may execute `p` (stat follows symlinks inside the root; a directory is
// EACCES), as the process's user: the test for process.args[0] and startContainer hooks alike.
bool executable(const std::string& p, int& err);
struct ExecutableLookup {
  std::string name;        // process.args[0]
  std::string searchPath;  // the PATH searched; empty when args[0] has a slash
  std::string path;        // what was found, or the candidate that failed (empty: none exists)
  int err = 0;             // 0: found
  std::string dangling;    // the first candidate that is a symlink to nothing
};
// Resolves process.args[0] as execve will see it, without failing: create fails on the result
// (resolveExecutable), `check`'s trial reports it.
ExecutableLookup lookupExecutable(const Json& proc);
std::string resolveExecutable(const Json& proc);
// HOME for the process's user from the container's /etc/passwd ("/" when absent).
std::string homeDirectory(const Json& proc);
[[noreturn]] void execProcess(const std::string& path, const Json& proc, const std::string& home);

}  // namespace skiff
