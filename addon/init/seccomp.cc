#include "seccomp.h"

#include <cerrno>
#include <cstring>
#include <seccomp.h>
#include <string>
#include <vector>

#include "report.h"

namespace skiff {
namespace {

scmp_filter_ctx gCtx = nullptr;
bool gNotify = false;

uint32_t action(const std::string& name, const Json& errnoRet, const char* where) {
  int ret = errnoRet.isNull() ? EPERM : (int)errnoRet.integer();
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO((uint16_t)ret);
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE((uint16_t)ret);
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_NOTIFY") {
    gNotify = true;
    return SCMP_ACT_NOTIFY;
  }
  failMsg("seccomp", std::string(where) + ": unknown seccomp action \"" + name + "\"");
}

scmp_compare op(const std::string& name) {
  if (name == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (name == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (name == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (name == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (name == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (name == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (name == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  failMsg("seccomp", "unknown seccomp operator \"" + name + "\"");
}

void check(int rc, const std::string& what) {
  if (rc < 0) fail("seccomp", what, -rc);
}

}  // namespace

void prepareSeccomp(const Json& plan) {
  const Json& s = plan.at("seccomp");
  if (s.isNull()) return;
  uint32_t dflt = action(s.at("defaultAction").asString(), s.at("defaultErrnoRet"), "linux.seccomp.defaultAction");
  gCtx = seccomp_init(dflt);
  if (!gCtx) failMsg("seccomp", "seccomp_init failed");
  // skiff sets no_new_privs itself, only when the config asks for it.
  check(seccomp_attr_set(gCtx, SCMP_FLTATR_CTL_NNP, 0), "seccomp: clear the NNP attribute");
  for (auto& a : s.at("architectures").asArray()) {
    uint32_t arch = seccomp_arch_resolve_name(a.string().c_str());
    if (arch == 0) failMsg("seccomp", "unknown seccomp architecture \"" + a.string() + "\"");
    int rc = seccomp_arch_add(gCtx, arch);
    if (rc < 0 && rc != -EEXIST) check(rc, "seccomp: add architecture " + a.string());
  }
  for (auto& f : s.at("flags").asArray()) {
    const std::string& flag = f.string();
    if (flag == "SECCOMP_FILTER_FLAG_LOG")
      check(seccomp_attr_set(gCtx, SCMP_FLTATR_CTL_LOG, 1), "seccomp: flag " + flag);
    else if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW")
      check(seccomp_attr_set(gCtx, SCMP_FLTATR_CTL_SSB, 1), "seccomp: flag " + flag);
    else
      failMsg("seccomp", "seccomp flag " + flag + " is not supported by this libseccomp");
  }
  size_t i = 0;
  for (auto& rule : s.at("syscalls").asArray()) {
    std::string where = "linux.seccomp.syscalls[" + std::to_string(i++) + "]";
    uint32_t act = action(rule.at("action").asString(), rule.at("errnoRet"), where.c_str());
    // libseccomp refuses a rule whose action is the default one; it would change nothing anyway.
    if (act == dflt) continue;
    std::vector<scmp_arg_cmp> cmps;
    bool sameIndexTwice = false;
    for (auto& a : rule.at("args").asArray()) {
      scmp_arg_cmp c = {};
      c.arg = (unsigned)a.at("index").asU64();
      c.op = op(a.at("op").asString());
      c.datum_a = a.at("value").asU64();
      c.datum_b = a.at("valueTwo").asU64();
      for (auto& prev : cmps) sameIndexTwice = sameIndexTwice || prev.arg == c.arg;
      cmps.push_back(c);
    }
    for (auto& n : rule.at("names").asArray()) {
      int nr = seccomp_syscall_resolve_name(n.string().c_str());
      // A name this kernel/libseccomp does not know is skipped, as runc does (profiles list
      // syscalls of newer kernels).
      if (nr == __NR_SCMP_ERROR) continue;
      if (!sameIndexTwice) {
        check(seccomp_rule_add_array(gCtx, act, nr, (unsigned)cmps.size(), cmps.data()),
              "seccomp: add rule for " + n.string());
      } else {
        // Several conditions on one argument can only mean "any of them" (runc's reading).
        for (auto& c : cmps) check(seccomp_rule_add_array(gCtx, act, nr, 1, &c), "seccomp: add rule for " + n.string());
      }
    }
  }
}

bool seccompNotifies() { return gCtx && gNotify; }

int loadSeccompForNotify() {
  int rc = seccomp_load(gCtx);
  if (rc < 0) fail("seccomp", "load the seccomp filter", -rc);
  int fd = seccomp_notify_fd(gCtx);
  if (fd < 0) fail("seccomp", "get the seccomp notify fd", -fd);
  seccomp_release(gCtx);
  gCtx = nullptr;
  return fd;
}

void loadSeccomp() {
  if (!gCtx) return;
  int rc = seccomp_load(gCtx);
  seccomp_release(gCtx);
  gCtx = nullptr;
  if (rc < 0) fail("seccomp", "load the seccomp filter", -rc);
}

}  // namespace skiff
