// The sync-socket protocol between `skiff create` (the addon) and skiff-init: frames of a
// 4-byte little-endian length and a JSON body. Plain read/write loops: both ends block.
#pragma once
#include <cerrno>
#include <cstdint>
#include <string>
#include <unistd.h>

namespace skiff {

inline bool writeAll(int fd, const void* buf, size_t n) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= (size_t)w;
  }
  return true;
}

// Returns 1 on success, 0 on clean EOF before any byte, -1 on error/short read.
inline int readAll(int fd, void* buf, size_t n) {
  char* p = static_cast<char*>(buf);
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, p + got, n - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) {
      if (got == 0) return 0;
      errno = EPIPE;
      return -1;
    }
    got += (size_t)r;
  }
  return 1;
}

inline bool sendFrame(int fd, const std::string& body) {
  uint32_t len = (uint32_t)body.size();
  unsigned char hdr[4] = {(unsigned char)len, (unsigned char)(len >> 8), (unsigned char)(len >> 16),
                          (unsigned char)(len >> 24)};
  return writeAll(fd, hdr, 4) && writeAll(fd, body.data(), body.size());
}

// Frames above this size are a protocol error (a plan with thousands of mounts is still far below).
constexpr uint32_t kMaxFrame = 64u << 20;

inline int recvFrame(int fd, std::string& body) {
  unsigned char hdr[4];
  int r = readAll(fd, hdr, 4);
  if (r <= 0) return r;
  uint32_t len = hdr[0] | (hdr[1] << 8) | (hdr[2] << 16) | ((uint32_t)hdr[3] << 24);
  if (len > kMaxFrame) {
    errno = EMSGSIZE;
    return -1;
  }
  body.resize(len);
  return len == 0 ? 1 : readAll(fd, &body[0], len);
}

}  // namespace skiff
