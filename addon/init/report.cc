#include "report.h"

#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/fdpass.h"
#include "../common/frames.h"
#include "../common/errno-text.h"
#include "../common/json.h"
#include "../common/proto.h"

namespace skiff {
namespace {
int gReportFd = -1;
}

void setReportFd(int fd) { gReportFd = fd; }
int reportFd() { return gReportFd; }

std::string errnoName(int err) { return errnoText(err); }

// Config values end up in messages (paths, hostnames); a 1 MB value must not make a 1 MB error.
static std::string clip(const std::string& s) {
  if (s.size() <= 512) return s;
  return s.substr(0, 400) + "..." + s.substr(s.size() - 100);
}

static void send(const std::string& body) {
  if (gReportFd >= 0) sendFrame(gReportFd, body);
}

void failMsg(const char* step, const std::string& full) {
  std::string message = clip(full);
  send(std::string("{\"type\":\"") + frame::kError + "\",\"step\":" + jsonQuote(step) +
       ",\"errno\":0,\"message\":" + jsonQuote(message) + "}");
  if (gReportFd < 0) {
    std::string line = "skiff-init: " + message + "\n";
    (void)!write(2, line.data(), line.size());
  }
  _exit(1);
}

void fail(const char* step, const std::string& what, int err) {
  std::string message = clip(what) + ": " + errnoName(err);
  send(std::string("{\"type\":\"") + frame::kError + "\",\"step\":" + jsonQuote(step) +
       ",\"errno\":" + std::to_string(err) + ",\"message\":" + jsonQuote(message) + "}");
  if (gReportFd < 0) {
    std::string line = "skiff-init: " + message + "\n";
    (void)!write(2, line.data(), line.size());
  }
  _exit(1);
}

void sendReady() { send(std::string("{\"type\":\"") + frame::kReady + "\"}"); }

void sendWarning(const std::string& message) {
  send(std::string("{\"type\":\"") + frame::kWarning + "\",\"message\":" + jsonQuote(clip(message)) + "}");
}

void sendSeccompFd(int fd) {
  send(std::string("{\"type\":\"") + frame::kSeccompFd + "\"}");
  // The fd rides on one byte of its own, read by the parent with recvmsg.
  if (!sendWithFd(gReportFd, "s", 1, fd)) fail("seccomp", "send the seccomp notify fd to skiff", errno);
  close(fd);
}

}  // namespace skiff
