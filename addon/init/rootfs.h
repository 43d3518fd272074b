// Everything that builds the container's filesystem view, in order: propagation of "/", the
// rootfs bind, config mounts, devices, /dev symlinks, pivot_root, then masks, read-only paths,
// sysctls and the read-only root.
#pragma once
#include "../common/json.h"

namespace skiff {

void prepareRootfs(const Json& plan);
void finishRootfs(const Json& plan);
void writeSysctls(const Json& plan);

}  // namespace skiff
