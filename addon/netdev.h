// linux.netDevices: moving a host network device into a container's network namespace (netdev.cc).
#pragma once
#include <string>

namespace skiff {

// Moves hostName into the network namespace netnsFd as newName (hostName when empty; a "%d"
// template lets the kernel pick), keeps its permanent global addresses and sets it up.
// Returns "" or what failed.
std::string moveNetDevice(const std::string& hostName, const std::string& newName, int netnsFd);

}  // namespace skiff
