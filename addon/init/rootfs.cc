#include "rootfs.h"

#include <cerrno>
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <dirent.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "report.h"
#include "resolve.h"
#include "trial.h"

namespace skiff {
namespace {

// Flags a user namespace "locks" on a mount: a remount must repeat them or fail with EPERM.
unsigned long lockedFlags(const std::string& target) {
  struct statvfs sv;
  if (statvfs(target.c_str(), &sv) < 0) return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
  return f;
}

void remountBind(const std::string& target, unsigned long flags, const std::string& what) {
  unsigned long base = MS_BIND | MS_REMOUNT;
  if (mount(nullptr, target.c_str(), nullptr, base | flags, nullptr) == 0) return;
  int err = errno;
  // Under a user namespace the kernel requires the locked flags to be kept; retry with them. The
  // atime mode is locked as a whole: the mount's own replaces the one asked for (runc does too).
  unsigned long locked = lockedFlags(target) & ~MS_RDONLY;
  const unsigned long atime = MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;
  if (err == EPERM && mount(nullptr, target.c_str(), nullptr, base | (flags & ~atime) | locked, nullptr) == 0) return;
  fail("mount", "remount " + what, err);
}

// tmpcopyup: what was in the directory before the tmpfs covered it is copied into the tmpfs.
// Everything is done on fds without following symlinks: the image's files are untrusted.
void copyTree(int src, int dst, const std::string& shown, int depth) {
  if (depth > 64) failMsg("mount", "tmpcopyup " + shown + ": directory tree too deep");
  int dupfd = fcntl(src, F_DUPFD_CLOEXEC, 3);
  DIR* d = dupfd < 0 ? nullptr : fdopendir(dupfd);
  if (!d) fail("mount", "tmpcopyup: read " + shown, errno);
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
      fail("mount", "tmpcopyup: stat " + shown + "/" + name, errno);
    std::string where = shown + "/" + name;
    if (S_ISDIR(st.st_mode)) {
      if (mkdirat(dst, name.c_str(), st.st_mode & 07777) < 0 && errno != EEXIST)
        fail("mount", "tmpcopyup: mkdir " + where, errno);
      UniqueFd s2(openat(src, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd d2(openat(dst, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!s2.ok() || !d2.ok()) fail("mount", "tmpcopyup: open " + where, errno);
      copyTree(s2.get(), d2.get(), where, depth + 1);
    } else if (S_ISREG(st.st_mode)) {
      UniqueFd in(openat(src, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd out(openat(dst, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07777));
      if (!in.ok() || !out.ok()) fail("mount", "tmpcopyup: copy " + where, errno);
      off_t left = st.st_size;
      while (left > 0) {
        ssize_t n = sendfile(out.get(), in.get(), nullptr, (size_t)left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail("mount", "tmpcopyup: copy " + where, n < 0 ? errno : EIO);
        left -= n;
      }
    } else if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = readlinkat(src, name.c_str(), target, sizeof target - 1);
      if (n < 0) fail("mount", "tmpcopyup: readlink " + where, errno);
      target[n] = 0;
      if (symlinkat(target, dst, name.c_str()) < 0) fail("mount", "tmpcopyup: symlink " + where, errno);
    } else if (mknodat(dst, name.c_str(), st.st_mode, st.st_rdev) < 0) {
      fail("mount", "tmpcopyup: mknod " + where, errno);
    }
    if (fchownat(dst, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
      fail("mount", "tmpcopyup: chown " + where, errno);
    if (!S_ISLNK(st.st_mode) && fchmodat(dst, name.c_str(), st.st_mode & 07777, 0) < 0)
      fail("mount", "tmpcopyup: chmod " + where, errno);
  }
  closedir(d);
}

void applyMount(int rootfd, const std::string& rootfs, const Json& m) {
  const std::string& dest = m.at("destination").asString();
  const std::string& type = m.at("type").asString();
  const std::string& source = m.at("source").asString();
  const std::string& data = m.at("data").asString();
  unsigned long flags = (unsigned long)m.at("flags").asU64();
  bool bind = m.at("bind").asBool();
  std::string shown = rootfs + dest;

  if (type == "remount") {
    UniqueFd fd(openInRoot(rootfd, dest, O_PATH));
    if (!fd.ok()) fail("mount", "open " + shown, errno);
    if (mount(nullptr, fdPath(fd.get()).c_str(), nullptr, flags, nullptr) < 0) fail("mount", "remount " + shown, errno);
    return;
  }
  Kind kind = Kind::Dir;
  // A bind source skiff opened before the user namespace took over (open_tree): the init attaches
  // that copy rather than resolving a path its mapped root may not be allowed to reach.
  int sourceFd = (int)m["sourceFd"].integer(-1);
  if (bind) {
    struct stat st;
    int rc = sourceFd >= 0 ? fstat(sourceFd, &st) : stat(source.c_str(), &st);
    if (rc < 0) fail("mount", "bind " + source + " on " + shown + ": stat " + source, errno);
    if (!S_ISDIR(st.st_mode)) kind = Kind::File;
  }
  UniqueFd fd = ensureInRoot(rootfd, dest, kind, "mount");
  if (type == "proc" || type == "sysfs") {
    // procfs and sysfs only go on a real directory: a symlink there (even one that resolves inside
    // the root) is how CVE-2019-19921-style attacks redirect them.
    UniqueFd strict(openInRoot(rootfd, dest, O_PATH | O_DIRECTORY, true));
    if (!strict.ok())
      fail("mount", "mount " + type + " on " + shown + ": the destination must be a directory, not a symlink", errno);
    fd = std::move(strict);
  }
  std::string target = fdPath(fd.get());

  if (bind && sourceFd >= 0) {
    if (syscall(SYS_move_mount, sourceFd, "", fd.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
      fail("mount", "bind " + source + " on " + shown, errno);
    close(sourceFd);
  } else if (bind) {
    if (mount(source.c_str(), target.c_str(), nullptr, MS_BIND | (flags & MS_REC), nullptr) < 0)
      fail("mount", "bind " + source + " on " + shown, errno);
  }
  if (bind) {
    unsigned long rest = flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    if (rest) {
      UniqueFd again(openInRoot(rootfd, dest, O_PATH));
      if (!again.ok()) fail("mount", "reopen " + shown, errno);
      remountBind(fdPath(again.get()), rest, shown);
    }
  } else {
    // The directory as the image has it, reachable through this fd once the tmpfs covers it.
    UniqueFd before;
    if (m.at("copyUp").asBool()) before.reset(openInRoot(rootfd, dest, O_RDONLY | O_DIRECTORY));
    const char* src = source.empty() ? type.c_str() : source.c_str();
    // A read-only tmpfs to copy into is mounted writable first and made read-only after.
    unsigned long first = before.ok() ? flags & ~MS_RDONLY : flags;
    if (mount(src, target.c_str(), type.c_str(), first, data.empty() ? nullptr : data.c_str()) < 0)
      fail("mount", "mount " + type + " on " + shown, errno);
    if (before.ok()) {
      UniqueFd after(openInRoot(rootfd, dest, O_RDONLY | O_DIRECTORY));
      if (!after.ok()) fail("mount", "reopen " + shown, errno);
      struct stat st;
      if (fstat(before.get(), &st) == 0) {
        (void)!fchown(after.get(), st.st_uid, st.st_gid);
        (void)!fchmod(after.get(), st.st_mode & 07777);
      }
      copyTree(before.get(), after.get(), shown, 0);
    }
    if (before.ok() && (flags & MS_RDONLY)) {
      UniqueFd again(openInRoot(rootfd, dest, O_PATH));
      if (!again.ok() || mount(nullptr, fdPath(again.get()).c_str(), nullptr, MS_REMOUNT | flags,
                               data.empty() ? nullptr : data.c_str()) < 0)
        fail("mount", "remount " + shown + " read-only", errno);
    }
  }

  const Json& prop = m.at("propagation");
  uint64_t attrSet = m.at("attrSet").asU64(), attrClr = m.at("attrClr").asU64();
  if (prop.arr.empty() && !attrSet && !attrClr) return;
  UniqueFd mounted(openInRoot(rootfd, dest, O_PATH));
  if (!mounted.ok()) fail("mount", "reopen " + shown, errno);
  for (auto& p : prop.arr) {
    if (mount(nullptr, fdPath(mounted.get()).c_str(), nullptr, (unsigned long)p.u64(), nullptr) < 0)
      fail("mount", "set propagation of " + shown, errno);
  }
  if (attrSet || attrClr) {
    struct mount_attr attr = {};
    attr.attr_set = attrSet;
    attr.attr_clr = attrClr;
    if (syscall(SYS_mount_setattr, mounted.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
      fail("mount", "set recursive attributes of " + shown, errno);
  }
}

void createDevice(int rootfd, const std::string& rootfs, const Json& d, bool bindDevices) {
  const std::string& path = d.at("path").asString();
  std::string shown = rootfs + path;
  if (bindDevices) {
    // mknod is not allowed in a user namespace: bind the host's node instead, as runc does.
    UniqueFd fd = ensureInRoot(rootfd, path, Kind::File, "device");
    if (mount(path.c_str(), fdPath(fd.get()).c_str(), nullptr, MS_BIND, nullptr) < 0)
      fail("device", "bind " + path + " on " + shown, errno);
    return;
  }
  size_t slash = path.rfind('/');
  std::string parent = slash == 0 ? "/" : path.substr(0, slash);
  std::string base = path.substr(slash + 1);
  UniqueFd dir = ensureInRoot(rootfd, parent, Kind::Dir, "device");
  mode_t mode = (mode_t)d.at("mode").asU64();
  const std::string& t = d.at("type").asString();
  mode_t ft = t == "b" ? S_IFBLK : t == "p" ? S_IFIFO : S_IFCHR;
  dev_t dev = makedev((unsigned)d.at("major").asU64(), (unsigned)d.at("minor").asU64());
  if (mknodat(dir.get(), base.c_str(), (mode & 07777) | ft, dev) < 0) {
    if (errno != EEXIST) fail("device", "mknod " + shown, errno);
    // Something is already there (a file in the image): replace it, never write through it.
    if (unlinkat(dir.get(), base.c_str(), 0) < 0) fail("device", "replace " + shown, errno);
    if (mknodat(dir.get(), base.c_str(), (mode & 07777) | ft, dev) < 0) fail("device", "mknod " + shown, errno);
  }
  if (fchownat(dir.get(), base.c_str(), (uid_t)d.at("uid").asU64(), (gid_t)d.at("gid").asU64(), AT_SYMLINK_NOFOLLOW) <
      0)
    fail("device", "chown " + shown, errno);
}

void devSymlinks(int rootfd, const std::string& rootfs, bool withCore) {
  static const char* links[][2] = {{"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"},
                                   {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"},
                                   {"ptmx", "pts/ptmx"},          {"core", "/proc/kcore"}};
  UniqueFd dev = ensureInRoot(rootfd, "/dev", Kind::Dir, "device");
  for (auto& l : links) {
    if (!withCore && std::string(l[0]) == "core") continue;
    if (symlinkat(l[1], dev.get(), l[0]) < 0 && errno != EEXIST)
      fail("device", "symlink " + rootfs + "/dev/" + l[0], errno);
  }
}

void pivotInto(const std::string& rootfs, bool noPivot) {
  if (noPivot) {
    if (chdir(rootfs.c_str()) < 0) fail("pivot_root", "chdir " + rootfs, errno);
    if (mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0)
      fail("pivot_root", "move " + rootfs + " to /", errno);
    if (chroot(".") < 0) fail("pivot_root", "chroot " + rootfs, errno);
    if (chdir("/") < 0) fail("pivot_root", "chdir /", errno);
    return;
  }
  UniqueFd oldRoot(open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  UniqueFd newRoot(open(rootfs.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!oldRoot.ok() || !newRoot.ok()) fail("pivot_root", "open " + rootfs, errno);
  if (fchdir(newRoot.get()) < 0) fail("pivot_root", "chdir " + rootfs, errno);
  // pivot_root(".", ".") stacks the old root under the new one; unmounting "." then drops it
  // without needing a directory for it inside the rootfs.
  if (syscall(SYS_pivot_root, ".", ".") < 0) fail("pivot_root", "pivot_root " + rootfs, errno);
  if (fchdir(oldRoot.get()) < 0) fail("pivot_root", "chdir old root", errno);
  if (mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0) fail("pivot_root", "make old root rslave", errno);
  if (umount2(".", MNT_DETACH) < 0) fail("pivot_root", "unmount old root", errno);
  if (chdir("/") < 0) fail("pivot_root", "chdir /", errno);
}

}  // namespace

void prepareRootfs(const Json& plan) {
  const std::string& rootfs = plan.at("rootfs").asString();
  // Stop mount events flowing back to the host before touching anything. Without a mount
  // namespace of its own, / is the host's: left as it is.
  unsigned long prop = (unsigned long)plan.at("rootPropagation").asU64();
  if (prop && mount(nullptr, "/", nullptr, prop, nullptr) < 0) fail("mount", "set propagation of /", errno);
  // pivot_root needs the new root to be a mount point; so does a read-only / after chroot (the
  // remount must change this bind, never the filesystem the rootfs lives on).
  if (trialMode())
    mountTrialRoot(rootfs);
  else if (mount(rootfs.c_str(), rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
    fail("mount", "bind rootfs " + rootfs, errno);
  UniqueFd rootfd(open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd.ok()) fail("mount", "open rootfs " + rootfs, errno);

  for (auto& m : plan.at("mounts").asArray()) applyMount(rootfd.get(), rootfs, m);

  // runc creates a missing cwd; so does skiff (inside the root, like every other path).
  const Json& proc = plan.at("process");
  if (!proc.isNull() && !proc.at("cwd").asString().empty()) {
    const std::string& cwd = proc.at("cwd").asString();
    if (trialMode()) {
      UniqueFd there(openInRoot(rootfd.get(), cwd, O_PATH));
      if (!there.ok() && errno == ENOENT) noteTrialCwdCreated();
    }
    ensureInRoot(rootfd.get(), cwd, Kind::Dir, "cwd");
  }

  bool bindDevices = plan.at("bindDevices").asBool();
  for (auto& d : plan.at("devices").asArray()) createDevice(rootfd.get(), rootfs, d, bindDevices);
  if (plan.at("devSymlinks").asBool()) devSymlinks(rootfd.get(), rootfs, plan.at("devCore").asBool());
}

void enterRootfs(const Json& plan) {
  const std::string& rootfs = plan.at("rootfs").asString();
  if (!plan.at("ownMountns").asBool()) {
    // skiff's own mount namespace: pivot_root would swap the host's root; chroot into the bind.
    if (chdir(rootfs.c_str()) < 0) fail("chroot", "chdir " + rootfs, errno);
    if (chroot(".") < 0) fail("chroot", "chroot " + rootfs, errno);
    if (chdir("/") < 0) fail("chroot", "chdir /", errno);
    return;
  }
  pivotInto(rootfs, plan.at("noPivot").asBool());
}

void enterContainerRoot(const Json& root) {
  if (root.kind != Json::String) return;
  const std::string& dir = root.string();
  UniqueFd fd(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd.ok()) fail("chroot", "open " + dir, errno);
  if (fchdir(fd.get()) < 0) fail("chroot", "chdir " + dir, errno);
  if (chroot(".") < 0) fail("chroot", "chroot " + dir, errno);
  if (chdir("/") < 0) fail("chroot", "chdir /", errno);
}

void writeSysctls(const Json& plan) {
  for (auto& kv : plan.at("sysctl").asObject()) {
    std::string path = "/proc/sys/" + kv.first;
    for (size_t i = 10; i < path.size(); i++)
      if (path[i] == '.') path[i] = '/';
    UniqueFd proc(open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!proc.ok()) fail("sysctl", "open /proc/sys", errno);
    UniqueFd fd(openInRoot(proc.get(), path.substr(10), O_WRONLY | O_TRUNC, true));
    if (!fd.ok()) fail("sysctl", "open " + path, errno);
    const std::string& v = kv.second.string();
    if (write(fd.get(), v.data(), v.size()) != (ssize_t)v.size()) fail("sysctl", "write " + path, errno);
  }
}

void finishRootfs(const Json& plan) {
  UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.ok()) fail("mount", "open /", errno);

  if (!plan.at("maskedPaths").asArray().empty()) {
    // Mask with the /dev/null this init created; check it really is the null device, so a
    // container that swapped it for something else cannot turn masking into a write-through.
    UniqueFd null(openInRoot(root.get(), "/dev/null", O_PATH, true));
    struct stat st;
    if (!null.ok() || fstat(null.get(), &st) < 0) fail("mask", "open /dev/null", errno);
    if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) failMsg("mask", "/dev/null is not the null device (1:3)");
    for (auto& p : plan.at("maskedPaths").asArray()) {
      const std::string& path = p.string();
      UniqueFd fd(openInRoot(root.get(), path, O_PATH, true));
      if (!fd.ok()) {
        if (errno == ENOENT) continue;
        // The image put a symlink there: masking what it points to is not what was asked.
        if (errno == ELOOP) {
          sendWarning("linux.maskedPaths: " + path + " is a symlink in the container: not masked");
          continue;
        }
        fail("mask", "open " + path, errno);
      }
      if (fstat(fd.get(), &st) < 0) fail("mask", "stat " + path, errno);
      std::string target = fdPath(fd.get());
      int rc = S_ISDIR(st.st_mode) ? mount("tmpfs", target.c_str(), "tmpfs", MS_RDONLY, "size=0,mode=0755")
                                   : mount(fdPath(null.get()).c_str(), target.c_str(), nullptr, MS_BIND, nullptr);
      if (rc < 0) fail("mask", "mask " + path, errno);
    }
  }

  for (auto& p : plan.at("readonlyPaths").asArray()) {
    const std::string& path = p.string();
    UniqueFd fd(openInRoot(root.get(), path, O_PATH, true));
    if (!fd.ok()) {
      if (errno == ENOENT) continue;
      if (errno == ELOOP) {
        sendWarning("linux.readonlyPaths: " + path + " is a symlink in the container: not made read-only");
        continue;
      }
      fail("readonly", "open " + path, errno);
    }
    if (mount(fdPath(fd.get()).c_str(), fdPath(fd.get()).c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
      fail("readonly", "bind " + path, errno);
    UniqueFd again(openInRoot(root.get(), path, O_PATH, true));
    if (!again.ok()) fail("readonly", "reopen " + path, errno);
    remountBind(fdPath(again.get()), MS_RDONLY | MS_REC | (lockedFlags(fdPath(again.get())) & ~MS_RDONLY), path);
  }

  unsigned long devFlags = (unsigned long)plan.at("readonlyDevFlags").asU64();
  if (devFlags) remountBind("/dev", devFlags, "/dev read-only");
  if (plan.at("readonlyRoot").asBool()) remountBind("/", MS_RDONLY, "/ read-only");

  unsigned long after = (unsigned long)plan.at("rootPropagationAfter").asU64();
  if (after && mount(nullptr, "/", nullptr, after, nullptr) < 0) fail("mount", "set propagation of the new /", errno);
}

}  // namespace skiff
