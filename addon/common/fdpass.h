// Passing one fd over a unix socket with SCM_RIGHTS: the pty master (console socket), the seccomp
// notify fd (init → skiff → agent). Used by the addon and by skiff-init.
#pragma once
#include <cerrno>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <sys/uio.h>

namespace skiff {

// Sends `len` bytes of `data` with `fd` attached. Returns false with errno set.
inline bool sendWithFd(int sock, const void* data, size_t len, int fd) {
  struct iovec iov = {const_cast<void*>(data), len};
  char ctrl[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t n;
  do n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n >= 0;
}

// Receives up to `max` bytes and the fd attached to them (close-on-exec). Returns the fd, or -1
// with errno set (EPROTO when the message carried no fd).
inline int recvWithFd(int sock, std::string* payload, size_t max) {
  std::string buf(max ? max : 1, '\0');
  struct iovec iov = {&buf[0], buf.size()};
  char ctrl[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
    errno = EPROTO;
    return -1;
  }
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  if (payload) payload->assign(buf, 0, (size_t)n);
  return fd;
}

}  // namespace skiff
