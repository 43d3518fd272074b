#include "id-maps.h"

#include <cerrno>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>
#include <vector>

#include "common/fd.h"
#include "common/write-file.h"

extern char** environ;

namespace skiff {
namespace {

// "c h s" lines → their numbers, for the helper's argv.
std::vector<std::string> fields(const std::string& map) {
  std::vector<std::string> out;
  std::istringstream in(map);
  std::string f;
  while (in >> f) out.push_back(f);
  return out;
}

// One mapping of the caller's own id: what an unprivileged process may write itself.
bool ownIdOnly(const std::vector<std::string>& f, unsigned own) {
  return f.size() == 3 && f[1] == std::to_string(own) && f[2] == "1";
}

// The helper from a root-owned system directory only: a PATH entry the user controls must not
// stand in for a setuid program.
std::string findHelper(const char* name) {
  for (const char* dir : {"/usr/bin", "/usr/sbin", "/bin", "/sbin"}) {
    std::string p = std::string(dir) + "/" + name;
    struct stat st;
    if (stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0) return p;
  }
  return "";
}

bool runHelper(const char* name, pid_t pid, const std::vector<std::string>& f, IdMapFailure& out) {
  std::string helper = findHelper(name);
  std::string shown = std::string(name) + " " + std::to_string(pid);
  for (auto& x : f) shown += " " + x;
  if (helper.empty()) {
    out.what =
        shown + ": " + name +
        " not found in /usr/bin, /usr/sbin, /bin or /sbin (Debian's uidmap package); an unprivileged user can map "
        "only their own id without it";
    return false;
  }
  std::vector<std::string> args = {helper, std::to_string(pid)};
  args.insert(args.end(), f.begin(), f.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int pipeFds[2];
  if (pipe2(pipeFds, O_CLOEXEC) < 0) {
    out.what = shown + ": pipe";
    out.err = errno;
    return false;
  }
  UniqueFd rd(pipeFds[0]), wr(pipeFds[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, wr.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, wr.get(), 2);
  pid_t child;
  int rc = posix_spawn(&child, helper.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  wr.reset();
  if (rc != 0) {
    out.what = shown + ": start " + helper;
    out.err = rc;
    return false;
  }
  std::string said;
  char buf[512];
  ssize_t n;
  while ((n = read(rd.get(), buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    if (said.size() < 2048) said.append(buf, (size_t)n);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) said.pop_back();
  out.what = shown + ": " +
             (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                : "killed by signal " + std::to_string(WTERMSIG(status))) +
             (said.empty() ? "" : ": " + said);
  return false;
}

bool writeOne(pid_t pid, const char* kind, const std::string& map, IdMapFailure& out) {
  if (map.empty()) return true;
  std::string proc = "/proc/" + std::to_string(pid);
  bool uid = kind[0] == 'u';
  auto f = fields(map);
  if (geteuid() != 0 && !ownIdOnly(f, uid ? geteuid() : getegid()))
    return runHelper(uid ? "newuidmap" : "newgidmap", pid, f, out);
  if (geteuid() != 0 && !uid) {
    // The kernel lets an unprivileged process write gid_map only once setgroups is denied (else
    // it could drop a group that was keeping it out of a file).
    int err = 0;
    if (!writeFile(proc + "/setgroups", "deny", err)) {
      out.what = "write " + proc + "/setgroups";
      out.err = err;
      return false;
    }
  }
  int err = 0;
  if (!writeFile(proc + "/" + kind + "_map", map, err)) {
    out.what = "write " + proc + "/" + kind + "_map";
    out.err = err;
    return false;
  }
  return true;
}

}  // namespace

bool writeIdMaps(pid_t pid, const std::string& uidMap, const std::string& gidMap, IdMapFailure& out) {
  return writeOne(pid, "uid", uidMap, out) && writeOne(pid, "gid", gidMap, out);
}

}  // namespace skiff
