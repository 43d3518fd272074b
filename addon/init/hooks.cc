#include "hooks.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "../common/frames.h"
#include "../common/hook-runner.h"
#include "../common/proto.h"
#include "report.h"

namespace skiff {

Json syncHooks(int sync) {
  if (!sendFrame(sync, std::string("{\"type\":\"") + frame::kHooks + "\"}"))
    fail("hooks", "ask for the createRuntime hooks", errno);
  std::string body, err;
  if (recvFrame(sync, body) != 1) fail("hooks", "wait for the createRuntime hooks", errno ? errno : EPIPE);
  Json reply;
  if (!Json::parse(body, reply, err) || reply.at("type").asString() != frame::kContinue)
    failMsg("hooks", "createRuntime hooks failed");
  return reply;
}

static HookSpec specOf(const Json& h) {
  HookSpec spec;
  spec.path = h.at("path").asString();
  for (auto& a : h.at("args").asArray()) spec.args.push_back(a.asString());
  for (auto& e : h.at("env").asArray()) spec.env.push_back(e.asString());
  const Json& t = h.at("timeout");
  spec.timeoutSeconds = t.isNull() ? 0 : (int)t.asInt();
  return spec;
}

std::string runHooks(const char* kind, const Json& hooks, const std::string& state) {
  for (auto& h : hooks.arr) {
    std::string e = runHook(kind, specOf(h), state);
    if (!e.empty()) return e;
  }
  return "";
}

}  // namespace skiff
