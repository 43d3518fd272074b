// linux.netDevices (config-linux.md "Network Devices"): a host network device moved into the
// container's network namespace, renamed, its permanent global addresses kept and its link up.
// Plain rtnetlink: RTM_GETADDR in skiff's namespace, RTM_NEWLINK with IFLA_NET_NS_FD (the kernel
// moves and renames in one step), then a socket opened inside the container's namespace (by a
// thread that joined it) for the addresses and the link state. Nothing is moved back on delete:
// the spec forbids it (the kernel returns physical devices when the namespace goes).
#include "netdev.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "common/errno-text.h"
#include "common/fd.h"

namespace skiff {
namespace {

struct Request {
  std::vector<char> buf;
  explicit Request(uint16_t type, uint16_t flags, const void* body, size_t len) {
    buf.resize(NLMSG_LENGTH(len));
    auto* h = reinterpret_cast<nlmsghdr*>(buf.data());
    h->nlmsg_len = (uint32_t)buf.size();
    h->nlmsg_type = type;
    h->nlmsg_flags = (uint16_t)(flags | NLM_F_REQUEST);
    memcpy(NLMSG_DATA(h), body, len);
  }
  void attr(uint16_t type, const void* data, size_t len) {
    size_t at = NLMSG_ALIGN(buf.size());
    buf.resize(at + RTA_SPACE(len));
    auto* a = reinterpret_cast<rtattr*>(buf.data() + at);
    a->rta_type = type;
    a->rta_len = (uint16_t)RTA_LENGTH(len);
    memcpy(RTA_DATA(a), data, len);
    reinterpret_cast<nlmsghdr*>(buf.data())->nlmsg_len = (uint32_t)buf.size();
  }
};

UniqueFd routeSocket() {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  return fd;
}

// Sends a request and collects the replies; returns 0 or the kernel's errno. For a dump, every
// message until NLMSG_DONE goes to `each`.
template <typename F>
int talk(int fd, Request& req, F each) {
  if (send(fd, req.buf.data(), req.buf.size(), 0) < 0) return errno;
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, (uint32_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) return 0;
      if (h->nlmsg_type == NLMSG_ERROR) return -reinterpret_cast<nlmsgerr*>(NLMSG_DATA(h))->error;
      each(h);
    }
  }
}

struct Address {
  int family;
  unsigned prefix;
  uint32_t flags;
  std::vector<char> local, address;
};

// The device's permanent addresses of global scope (the ones the spec says to keep).
int permanentAddresses(int fd, int ifindex, std::vector<Address>& out) {
  ifaddrmsg q = {};
  Request req(RTM_GETADDR, NLM_F_DUMP, &q, sizeof q);
  return talk(fd, req, [&](nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWADDR) return;
    auto* m = reinterpret_cast<ifaddrmsg*>(NLMSG_DATA(h));
    if ((int)m->ifa_index != ifindex || m->ifa_scope != RT_SCOPE_UNIVERSE) return;
    Address a{m->ifa_family, m->ifa_prefixlen, m->ifa_flags, {}, {}};
    int len = (int)IFA_PAYLOAD(h);
    for (auto* r = IFA_RTA(m); RTA_OK(r, len); r = RTA_NEXT(r, len)) {
      const char* d = static_cast<const char*>(RTA_DATA(r));
      if (r->rta_type == IFA_LOCAL) a.local.assign(d, d + RTA_PAYLOAD(r));
      if (r->rta_type == IFA_ADDRESS) a.address.assign(d, d + RTA_PAYLOAD(r));
      if (r->rta_type == IFA_FLAGS) memcpy(&a.flags, d, sizeof a.flags);
    }
    if (a.flags & IFA_F_PERMANENT) out.push_back(std::move(a));
  });
}

int ifindexByName(int fd, const std::string& name) {
  ifinfomsg q = {};
  Request req(RTM_GETLINK, NLM_F_ACK, &q, sizeof q);
  req.attr(IFLA_IFNAME, name.c_str(), name.size() + 1);
  int index = 0;
  int e = talk(fd, req, [&](nlmsghdr* h) {
    if (h->nlmsg_type == RTM_NEWLINK) index = reinterpret_cast<ifinfomsg*>(NLMSG_DATA(h))->ifi_index;
  });
  return e ? -e : index;
}

std::string fail(const std::string& what, int err) { return what + ": " + errnoText(err); }

}  // namespace

std::string moveNetDevice(const std::string& hostName, const std::string& newName, int netnsFd) {
  const std::string dev = "network device " + hostName;
  UniqueFd host = routeSocket();
  if (!host.ok()) return fail("netlink socket", errno);
  int ifindex = (int)if_nametoindex(hostName.c_str());
  if (ifindex == 0) return dev + ": no such device in skiff's network namespace";
  std::vector<Address> addrs;
  if (int e = permanentAddresses(host.get(), ifindex, addrs)) return fail("read the addresses of " + dev, e);

  // Inside the container's namespace: a socket opened there by a thread that joined it.
  UniqueFd inner;
  int joinErr = 0;
  std::thread([&] {
    if (setns(netnsFd, CLONE_NEWNET) < 0) {
      joinErr = errno;
      return;
    }
    inner = routeSocket();
    if (!inner.ok()) joinErr = errno;
  }).join();
  if (joinErr) return fail("open a netlink socket in the container's network namespace", joinErr);
  const std::string target = newName.empty() ? hostName : newName;
  // The spec's MUST: an existing name is an error, unless the name is a %d template.
  if (target.find("%d") == std::string::npos && ifindexByName(inner.get(), target) > 0)
    return dev + ": the container's network namespace has a device named " + target + " already";

  ifinfomsg link = {};
  link.ifi_family = AF_UNSPEC;
  link.ifi_index = ifindex;
  Request move(RTM_NEWLINK, NLM_F_ACK, &link, sizeof link);
  uint32_t nsfd = (uint32_t)netnsFd;
  move.attr(IFLA_NET_NS_FD, &nsfd, sizeof nsfd);
  if (!newName.empty()) move.attr(IFLA_IFNAME, newName.c_str(), newName.size() + 1);
  if (int e = talk(host.get(), move, [](nlmsghdr*) {})) return fail("move " + dev + " into the container", e);

  // The kernel keeps the index where the namespace has it free; a %d name is known only by it.
  int index = ifindexByName(inner.get(), target);
  if (index <= 0) index = ifindex;
  for (auto& a : addrs) {
    ifaddrmsg m = {};
    m.ifa_family = (unsigned char)a.family;
    m.ifa_prefixlen = (unsigned char)a.prefix;
    m.ifa_flags = (unsigned char)(a.flags & 0xff);
    m.ifa_scope = RT_SCOPE_UNIVERSE;
    m.ifa_index = (uint32_t)index;
    Request add(RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &m, sizeof m);
    if (!a.local.empty()) add.attr(IFA_LOCAL, a.local.data(), a.local.size());
    if (!a.address.empty()) add.attr(IFA_ADDRESS, a.address.data(), a.address.size());
    add.attr(IFA_FLAGS, &a.flags, sizeof a.flags);
    int e = talk(inner.get(), add, [](nlmsghdr*) {});
    if (e && e != EEXIST) return fail("restore an address of " + dev + " in the container", e);
  }
  ifinfomsg up = {};
  up.ifi_family = AF_UNSPEC;
  up.ifi_index = index;
  up.ifi_flags = IFF_UP;
  up.ifi_change = IFF_UP;
  Request set(RTM_NEWLINK, NLM_F_ACK, &up, sizeof up);
  if (int e = talk(inner.get(), set, [](nlmsghdr*) {})) return fail("set " + dev + " up in the container", e);
  return "";
}

}  // namespace skiff
