#include "resolve.h"

#include <cerrno>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "report.h"

namespace skiff {

int openInRoot(int rootfd, const std::string& path, int flags, bool noSymlinks) {
  struct open_how how = {};
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  if (noSymlinks) how.resolve |= RESOLVE_NO_SYMLINKS;
  std::string rel = path;
  while (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
  if (rel.empty()) rel = ".";
  for (;;) {
    long fd = syscall(SYS_openat2, rootfd, rel.c_str(), &how, sizeof how);
    if (fd < 0 && (errno == EAGAIN || errno == EINTR)) continue;  // a rename raced the lookup
    return (int)fd;
  }
}

std::string fdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

static UniqueFd ensureInRootDepth(int rootfd, const std::string& path, Kind kind, const char* step, int depth);

UniqueFd ensureInRoot(int rootfd, const std::string& path, Kind kind, const char* step) {
  return ensureInRootDepth(rootfd, path, kind, step, 0);
}

static UniqueFd ensureInRootDepth(int rootfd, const std::string& path, Kind kind, const char* step, int depth) {
  if (depth > 40) fail(step, "create " + path + " in the container's root", ELOOP);
  UniqueFd fd(openInRoot(rootfd, path, O_PATH));
  if (fd.ok()) return fd;
  if (errno != ENOENT) fail(step, "open " + path + " in the container's root", errno);

  // Walk the components, creating what is missing; every step re-resolves from the root so a
  // symlink planted between two steps still resolves inside it.
  std::string prefix;
  size_t pos = 0;
  while (pos < path.size()) {
    while (pos < path.size() && path[pos] == '/') pos++;
    if (pos >= path.size()) break;
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    std::string name = path.substr(pos, next - pos);
    bool last = path.find_first_not_of('/', next) == std::string::npos;
    std::string parent = prefix.empty() ? "/" : prefix;
    prefix += "/" + name;
    pos = next;
    UniqueFd cur(openInRoot(rootfd, prefix, O_PATH));
    if (cur.ok()) continue;
    if (errno != ENOENT) fail(step, "open " + prefix + " in the container's root", errno);
    if (name == "..") fail(step, "create " + prefix, EINVAL);
    UniqueFd dir(openInRoot(rootfd, parent, O_PATH | O_DIRECTORY));
    if (!dir.ok()) fail(step, "open " + parent + " in the container's root", errno);
    if (last && kind == Kind::File) {
      int f = openat(dir.get(), name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
      if (f < 0 && errno != EEXIST) fail(step, "create " + prefix, errno);
      if (f >= 0) close(f);
    } else {
      if (mkdirat(dir.get(), name.c_str(), 0755) < 0 && errno != EEXIST) fail(step, "mkdir " + prefix, errno);
    }
    // Still missing: the component is a dangling symlink. Create its target, resolved inside the
    // root like everything else (an absolute target means the container's /).
    UniqueFd again(openInRoot(rootfd, prefix, O_PATH));
    if (!again.ok() && errno == ENOENT) {
      char target[4096];
      ssize_t n = readlinkat(dir.get(), name.c_str(), target, sizeof target - 1);
      if (n < 0) fail(step, "create " + prefix, ENOENT);
      target[n] = 0;
      std::string rest = path.substr(pos);
      std::string next = target[0] == '/' ? std::string(target) : parent + "/" + target;
      return ensureInRootDepth(rootfd, next + rest, kind, step, depth + 1);
    }
  }
  fd.reset(openInRoot(rootfd, path, O_PATH));
  if (!fd.ok()) fail(step, "open " + path + " in the container's root", errno);
  return fd;
}

}  // namespace skiff
