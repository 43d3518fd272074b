#include "trial.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fd.h"
#include "../common/frames.h"
#include "../common/proto.h"
#include "process.h"
#include "report.h"
#include "resolve.h"

namespace skiff {
namespace {

bool gTrial = false;
bool gCwdCreated = false;

// What the report says about one path, as the process sees it after pivot_root: the errno of
// the executable test, the file's mode and owner, where its symlinks lead.
std::string describe(const std::string& p, int err) {
  std::string out = "{\"path\":" + jsonQuote(p) + ",\"errno\":" + std::to_string(err);
  struct stat st;
  if (!p.empty() && stat(p.c_str(), &st) == 0)
    out += ",\"mode\":" + std::to_string(st.st_mode) + ",\"uid\":" + std::to_string(st.st_uid) +
           ",\"gid\":" + std::to_string(st.st_gid);
  char real[PATH_MAX];
  if (!p.empty() && realpath(p.c_str(), real)) out += ",\"real\":" + jsonQuote(real);
  char link[PATH_MAX];
  ssize_t n = p.empty() ? -1 : readlink(p.c_str(), link, sizeof link - 1);
  if (n >= 0) out += ",\"link\":" + jsonQuote(std::string(link, (size_t)n));
  return out + "}";
}

}  // namespace

bool trialMode() { return gTrial; }
void setTrialMode(bool on) { gTrial = on; }
void noteTrialCwdCreated() { gCwdCreated = true; }

void mountTrialRoot(const std::string& rootfs) {
  UniqueFd lower(open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!lower.ok()) fail("trial", "open rootfs " + rootfs, errno);
  // The upper layer's tmpfs goes on the rootfs path itself: this mount namespace is the trial's,
  // and the image stays reachable as the lower layer through the fd opened above.
  if (mount("tmpfs", rootfs.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=256m") < 0)
    fail("trial", "mount a tmpfs for the trial's overlay on " + rootfs, errno);
  UniqueFd tmp(open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!tmp.ok()) fail("trial", "open the trial's tmpfs", errno);
  if (mkdirat(tmp.get(), "upper", 0755) < 0 || mkdirat(tmp.get(), "work", 0700) < 0)
    fail("trial", "make the trial overlay's directories", errno);
  std::string t = fdPath(tmp.get());
  std::string data = "lowerdir=" + fdPath(lower.get()) + ",upperdir=" + t + "/upper,workdir=" + t + "/work";
  if (mount("overlay", rootfs.c_str(), "overlay", 0, data.c_str()) < 0)
    fail("trial", "mount an overlay of " + rootfs + " (the rootfs's filesystem may not be usable as an overlay layer)",
         errno);
}

void finishTrial(const Json& plan, const Json& proc) {
  ExecutableLookup x = lookupExecutable(proc);
  std::string exec = "{\"name\":" + jsonQuote(x.name) + ",\"searchPath\":" + jsonQuote(x.searchPath) +
                     ",\"found\":" + describe(x.path, x.err);
  if (!x.dangling.empty()) exec += ",\"dangling\":" + describe(x.dangling, ENOENT);
  exec += "}";
  std::string hooks = "[";
  for (auto& h : plan.at("hooks").at("startContainer").asArray()) {
    const std::string& p = h.at("path").asString();
    int err = 0;
    executable(p, err);
    if (hooks.size() > 1) hooks += ",";
    hooks += describe(p, err);
  }
  hooks += "]";
  char cwd[PATH_MAX];
  std::string where = getcwd(cwd, sizeof cwd) ? cwd : "";
  std::string body = std::string("{\"type\":\"") + frame::kTrial + "\",\"exec\":" + exec +
                     ",\"cwd\":" + jsonQuote(where) + ",\"cwdCreated\":" + (gCwdCreated ? "true" : "false") +
                     ",\"uid\":" + std::to_string(geteuid()) + ",\"startContainer\":" + hooks + "}";
  if (!sendFrame(reportFd(), body)) _exit(1);
  _exit(0);
}

}  // namespace skiff
