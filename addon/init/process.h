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
std::string resolveExecutable(const Json& proc);
// HOME for the process's user from the container's /etc/passwd ("/" when absent).
std::string homeDirectory(const Json& proc);
[[noreturn]] void execProcess(const std::string& path, const Json& proc, const std::string& home);

}  // namespace skiff
