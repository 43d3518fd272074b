// checkpoint/restore's syscalls (criu.h). CRIU's RPC is protobuf over SOCK_SEQPACKET: one message
// per request or response, so a read is one whole message or an error, never half of one.
#include "criu.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common/fd.h"
#include "napi-error.h"

using skiff::sysError;
using skiff::UniqueFd;

namespace {

// criu's largest answer (a response with its error message) is a few hundred bytes; runc reads
// 40 KiB. A message that fills the buffer is reported, not cut.
constexpr size_t kMaxMessage = 1 << 20;

// criuSocketPair() → [skiff's end, criu's end], both close-on-exec (the spawn dup2s criu's end to
// fd 3, which clears the flag there only).
Napi::Value CriuSocketPair(const Napi::CallbackInfo& info) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    throw sysError(info.Env(), "criu", "socketpair for criu swrk", errno);
  Napi::Array a = Napi::Array::New(info.Env(), 2);
  a.Set(0u, sv[0]);
  a.Set(1u, sv[1]);
  return a;
}

// criuSend(fd, bytes): one request.
Napi::Value CriuSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  auto buf = info[1].As<Napi::Buffer<uint8_t>>();
  ssize_t n;
  do n = send(fd, buf.Data(), buf.Length(), MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) throw sysError(env, "criu", "send a request to criu", errno);
  return env.Undefined();
}

// criuRecv(fd) → { data, fd }: the next response and the fd CRIU attached to it (-1 without one:
// only the orphan-pts-master notification carries one). An empty buffer means criu closed its end.
Napi::Value CriuRecv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sock = info[0].As<Napi::Number>().Int32Value();
  std::vector<uint8_t> buf(kMaxMessage);
  struct iovec iov = {buf.data(), buf.size()};
  char ctrl[CMSG_SPACE(sizeof(int) * 4)] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) throw sysError(env, "criu", "read criu's response", errno);
  int passed = -1;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (passed < 0)
        passed = fd;
      else
        close(fd);  // never more than one is sent; a second would leak
    }
  }
  if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
    if (passed >= 0) close(passed);
    throw sysError(env, "criu", "read criu's response (larger than 1 MiB)", EMSGSIZE);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("data", Napi::Buffer<uint8_t>::Copy(env, buf.data(), (size_t)n));
  out.Set("fd", passed);
  return out;
}

// bindMount(source, target) → the new mount's id: restore binds the rootfs on a directory of the
// state dir, because CRIU wants its root to be a mount point whose parent is not overmounted.
Napi::Value BindMount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string src = info[0].As<Napi::String>();
  std::string dst = info[1].As<Napi::String>();
  if (mount(src.c_str(), dst.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
    throw sysError(env, "restore", "bind " + src + " on " + dst, errno);
  struct statx stx = {};
  if (statx(AT_FDCWD, dst.c_str(), AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID)) {
    int err = errno ? errno : ENOSYS;
    umount2(dst.c_str(), MNT_DETACH);
    throw sysError(env, "restore", "statx " + dst, err);
  }
  return Napi::Number::New(env, (double)stx.stx_mnt_id);
}

int openInRoot(int root, const std::string& path) {
  struct open_how how = {};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return (int)syscall(SYS_openat2, root, path.c_str(), &how, sizeof how);
}

// makeMountpoint(rootfs, path, isFile): what create makes before a mount, made before a restore,
// whose mounts CRIU attaches where the image says. Each component is resolved inside the rootfs
// (a symlink there never leads out of it) and only the missing ones are made.
Napi::Value MakeMountpoint(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string rootfs = info[0].As<Napi::String>();
  std::string path = info[1].As<Napi::String>();
  bool isFile = info[2].As<Napi::Boolean>();
  UniqueFd root(open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.ok()) throw sysError(env, "restore", "open rootfs " + rootfs, errno);
  std::vector<std::string> parts;
  for (size_t i = 0; i < path.size();) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string c = path.substr(i, j - i);
    if (!c.empty() && c != ".") parts.push_back(c);
    i = j + 1;
  }
  UniqueFd cur(openInRoot(root.get(), "/"));
  if (!cur.ok()) throw sysError(env, "restore", "open rootfs " + rootfs, errno);
  std::string sofar;
  for (size_t i = 0; i < parts.size(); i++) {
    sofar += "/" + parts[i];
    UniqueFd next(openInRoot(root.get(), sofar));
    if (!next.ok() && errno == ENOENT) {
      bool last = i + 1 == parts.size();
      // Made in the directory resolved so far, by a single name: nothing here follows a link.
      if (last && isFile) {
        UniqueFd f(openat(cur.get(), parts[i].c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644));
        if (!f.ok() && errno != EEXIST)
          throw sysError(env, "restore", "create mount point " + sofar + " in " + rootfs, errno);
      } else if (mkdirat(cur.get(), parts[i].c_str(), 0755) < 0 && errno != EEXIST) {
        throw sysError(env, "restore", "create mount point " + sofar + " in " + rootfs, errno);
      }
      next.reset(openInRoot(root.get(), sofar));
    }
    if (!next.ok()) throw sysError(env, "restore", "open " + sofar + " in " + rootfs, errno);
    cur = std::move(next);
  }
  return env.Undefined();
}

}  // namespace

void registerCriu(Napi::Env env, Napi::Object exports) {
  exports.Set("criuSocketPair", Napi::Function::New(env, CriuSocketPair));
  exports.Set("criuSend", Napi::Function::New(env, CriuSend));
  exports.Set("criuRecv", Napi::Function::New(env, CriuRecv));
  exports.Set("bindMount", Napi::Function::New(env, BindMount));
  exports.Set("makeMountpoint", Napi::Function::New(env, MakeMountpoint));
}
