// Errors from skiff-init travel to `skiff create` over the sync socket as one structured frame
// (step, path, errno, message); the parent prints the message, so it must read well alone:
//   "mount proc on /proc: EPERM (operation not permitted)"
#pragma once
#include <string>

namespace skiff {

void setReportFd(int fd);
int reportFd();
std::string errnoName(int err);
[[noreturn]] void fail(const char* step, const std::string& what, int err);
[[noreturn]] void failMsg(const char* step, const std::string& message);
void sendReady();
// Something the user should know that does not stop the container (skiff logs it as a warning).
void sendWarning(const std::string& message);
void sendSeccompFd(int fd);

}  // namespace skiff
