// skiff: what callers run. A few hundred kilobytes of static code that starts the compiled
// TypeScript CLI (skiff-engine, a Bun single-file executable beside skiff.node and skiff-init) with
// an environment the engine cannot be steered by. Bun reads some variables before any of skiff's
// code runs: BUN_BE_BUN=1 turns the executable into a plain `bun`, BUN_OPTIONS can preload code,
// BUN_JSC_* tune the VM. A shim or conmon passes its environment to the runtime, so every BUN_* and
// NODE_* variable is removed here, and the engine is executed only from a directory that nobody
// but root can change.
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

[[noreturn]] void die(const std::string& msg) {
  std::string line = msg + "\n";
  (void)!write(2, line.data(), line.size());
  _exit(1);
}

std::string dirOf(const std::string& p) {
  size_t slash = p.rfind('/');
  return slash == 0 ? "/" : p.substr(0, slash);
}

// In a user namespace that does not map host root (a rootless podman's, running the runtime as
// its root), root's files show as the overflow uid. Ids of this namespace cannot change a file of
// an unmapped owner, so that owner counts as root does: the same rule as src/paths.ts.
uid_t unmappedOwner() {
  char buf[256] = {0};
  int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  unsigned a = 0, b = 0, c = 0;
  if (n > 0 && sscanf(buf, "%u %u %u", &a, &b, &c) == 3 && a == 0 && b == 0 && c == 4294967295u) return 0;
  fd = open("/proc/sys/kernel/overflowuid", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 65534;
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[n > 0 ? n : 0] = 0;
  return n > 0 ? (uid_t)strtoul(buf, nullptr, 10) : 65534;
}

// Why p could be changed by someone other than root or us: the same rule as src/paths.ts.
std::string untrusted(const std::string& p) {
  uid_t me = geteuid();
  bool looked = false;
  uid_t outside = 0;
  std::string cur = p;
  for (;;) {
    struct stat st;
    if (lstat(cur.c_str(), &st) < 0) return cur + ": " + strerror(errno);
    if (S_ISLNK(st.st_mode)) return cur + " is a symbolic link";
    if (st.st_uid != 0 && st.st_uid != me) {
      // Only for an owner that is neither: no extra reads on an ordinary start.
      if (!looked) outside = unmappedOwner(), looked = true;
      if (outside == 0 || st.st_uid != outside) return cur + " is owned by uid " + std::to_string(st.st_uid);
    }
    bool othersWrite = (st.st_mode & 022) != 0;
    if (othersWrite && !(S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) && cur != p))
      return cur + " is writable by group or others";
    if (cur == "/") return "";
    cur = dirOf(cur);
  }
}

bool exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

}  // namespace

int main(int argc, char** argv, char** envp) {
  (void)argc;
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) die(std::string("skiff: readlink /proc/self/exe: ") + strerror(errno));
  self[n] = 0;
  std::string bin = dirOf(self);
  // Installed: PREFIX/bin/skiff and PREFIX/lib/skiff/; in a checkout: build/skiff and build/Release/.
  std::string engine;
  for (const std::string& dir : {bin + "/../lib/skiff", bin + "/Release"}) {
    char real[PATH_MAX];
    if (realpath(dir.c_str(), real) && exists(std::string(real) + "/skiff-engine")) {
      engine = std::string(real) + "/skiff-engine";
      break;
    }
  }
  if (engine.empty())
    die("skiff: skiff-engine is in neither " + bin + "/../lib/skiff nor " + bin +
        "/Release: reinstall skiff (scripts/install.sh)");
  std::string why = untrusted(engine);
  if (!why.empty()) die("skiff: refusing to run " + engine + ": " + why);

  std::vector<char*> env;
  for (char** e = envp; *e; e++)
    if (strncmp(*e, "BUN_", 4) != 0 && strncmp(*e, "NODE_", 5) != 0) env.push_back(*e);
  env.push_back(nullptr);
  execve(engine.c_str(), argv, env.data());
  die("skiff: execute " + engine + ": " + strerror(errno));
}
