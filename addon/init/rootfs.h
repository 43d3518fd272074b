// Everything that builds the container's filesystem view, in order: propagation of "/", the
// rootfs bind, config mounts, devices, /dev symlinks, pivot_root, then masks, read-only paths,
// sysctls and the read-only root.
#pragma once
#include "../common/json.h"

namespace skiff {

// Mounts, devices and symlinks, still seeing the host's root (createContainer hooks run after it).
void prepareRootfs(const Json& plan);
// pivot_root (or MS_MOVE + chroot with --no-pivot) into the prepared rootfs; chroot when the
// container has no mount namespace of its own.
void enterRootfs(const Json& plan);
// exec: chroot into the container's root (/proc/<init>/root) when it shares skiff's mount namespace.
void enterContainerRoot(const Json& root);
void finishRootfs(const Json& plan);
void writeSysctls(const Json& plan);

}  // namespace skiff
