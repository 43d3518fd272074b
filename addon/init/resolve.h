// Path resolution confined to the container's root. Every path that comes from config.json is
// resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): a symlink in the rootfs can never
// lead a mount, a mknod or a mask outside of it (CVE-2021-30465, CVE-2019-19921 and relatives).
#pragma once
#include <string>

#include "../common/fd.h"

namespace skiff {

enum class Kind { Dir, File };

// Opens `path` (absolute inside the root) as O_PATH. Returns -1 with errno set.
int openInRoot(int rootfd, const std::string& path, int flags, bool noSymlinks = false);
// Creates missing components (directories, and the last one as `kind`) and opens the result O_PATH.
// Fails the init with a report on error.
UniqueFd ensureInRoot(int rootfd, const std::string& path, Kind kind, const char* step);
std::string fdPath(int fd);

}  // namespace skiff
