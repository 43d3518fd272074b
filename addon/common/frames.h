// The sync socket's message types, defined once (src/linux/frames.ts mirrors them; a unit test
// checks the two lists agree). Every frame is a JSON object with "type" (common/proto.h frames it).
#pragma once

namespace skiff::frame {

// skiff-init → skiff
constexpr const char* kReady = "ready";           // built; waits for the handover ("c" byte)
constexpr const char* kError = "error";           // {step, errno, message}; the init exits
constexpr const char* kWarning = "warning";       // {message}; the init goes on
constexpr const char* kHooks = "hooks";           // run prestart and createRuntime now, then reply
constexpr const char* kSeccompFd = "seccomp-fd";  // the notify fd follows on one byte (SCM_RIGHTS)
constexpr const char* kPid = "pid";               // {pid}: the init forked into a new pid namespace; that is it
constexpr const char* kTrial = "trial";           // check's trial create: what it found; the init exits
// skiff → skiff-init
constexpr const char* kContinue = "continue";  // the hooks ran: {state, startState}

}  // namespace skiff::frame
