// `skiff check` runs create's own steps for real, in throwaway namespaces: a trial create. The
// init builds the container as create would (mounts, devices, cwd, user, capabilities, the lookup
// of process.args[0]) on an overlay of the rootfs whose upper layer is a tmpfs of the trial's own
// mount namespace, then reports what it found and exits instead of waiting for start. So check
// answers with the code create runs, and writes nothing to the image.
#pragma once
#include <string>

#include "../common/json.h"

namespace skiff {

bool trialMode();
void setTrialMode(bool on);
// Covers the rootfs path with the throwaway overlay (in place of create's bind of it on itself).
void mountTrialRoot(const std::string& rootfs);
// The cwd did not exist in the rootfs: create makes it (check says so).
void noteTrialCwdCreated();
// The trial's report frame (process.args[0], cwd, startContainer hooks), then exit.
[[noreturn]] void finishTrial(const Json& plan, const Json& proc);

}  // namespace skiff
