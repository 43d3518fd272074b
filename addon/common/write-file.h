// Writes a whole string to an existing file in one open: the kernel's one-shot files (uid_map,
// gid_map, setgroups, cgroup.procs) want the value in a single write.
#pragma once
#include <cerrno>
#include <fcntl.h>
#include <string>

#include "fd.h"
#include "proto.h"

namespace skiff {

inline bool writeFile(const std::string& path, const std::string& data, int& err) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.ok() || !writeAll(fd.get(), data.data(), data.size())) {
    err = errno;
    return false;
  }
  return true;
}

}  // namespace skiff
