#include "platform/vm/pod_network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <system_error>
#include <thread>
#include <vector>

namespace berth::vm {

namespace {

// The priority of berth's filters: what tells its redirects from a qdisc
// somebody else put on the pod's interface.
constexpr uint32_t kPriority = 0xbe27;

struct Link {
  int index = 0;
  unsigned flags = 0;
  std::string name, mac;
  int mtu = 1500;
};

std::string mac_text(const std::string& raw) {
  std::string out;
  char part[4];
  for (unsigned char b : raw) {
    std::snprintf(part, sizeof part, "%02x", b);
    if (!out.empty()) out += ':';
    out += part;
  }
  return out;
}

template <class T>
T header_of(const NetlinkReply& r) {
  T h{};
  std::memcpy(&h, r.header.data(), std::min(sizeof h, r.header.size()));
  return h;
}

uint32_t u32_of(const NetlinkAttr* a) {
  uint32_t v = 0;
  if (a != nullptr) std::memcpy(&v, a->data.data(), std::min(sizeof v, a->data.size()));
  return v;
}

std::string ipv4_text(const NetlinkAttr* a) {
  char text[INET_ADDRSTRLEN] = "";
  if (a != nullptr && a->data.size() == 4) ::inet_ntop(AF_INET, a->data.data(), text, sizeof text);
  return text;
}

Result<std::vector<Link>> links(Netlink& nl) {
  struct ifinfomsg req = {};
  req.ifi_family = AF_UNSPEC;
  NetlinkMessage m(RTM_GETLINK, 0, &req, sizeof req);
  auto replies = nl.dump(m, sizeof(ifinfomsg));
  if (!replies) return std::move(replies).error().wrap("list the interfaces");
  std::vector<Link> out;
  for (const auto& r : *replies) {
    auto h = header_of<ifinfomsg>(r);
    Link l;
    l.index = h.ifi_index;
    l.flags = h.ifi_flags;
    if (const auto* a = r.find(IFLA_IFNAME)) l.name = a->data.c_str();
    if (const auto* a = r.find(IFLA_ADDRESS)) l.mac = mac_text(a->data);
    if (const auto* a = r.find(IFLA_MTU)) l.mtu = static_cast<int>(u32_of(a));
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace

Result<PodNetns> PodNetns::open(const std::string& path) {
  int ns = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns < 0) return sys_error("open network namespace " + path);
  Fd ns_fd(ns);
  // The host's own namespace is never a pod's: redirecting its interface
  // would hand the host's traffic to the VM.
  struct stat st = {}, host = {};
  if (::fstat(ns_fd.get(), &st) < 0) return sys_error("stat network namespace " + path);
  for (const char* own : {"/proc/self/ns/net", "/proc/1/ns/net"})
    if (::stat(own, &host) == 0 && host.st_dev == st.st_dev && host.st_ino == st.st_ino)
      return invalid(path +
                     ": the host's network namespace: a utility VM cannot share it (give the sandbox a "
                     "network namespace of its own, or io.berth.vm.network=none)");
  // The sockets are made by a thread that joins the namespace (a thread's
  // network namespace is its own) and ends: this process never leaves its
  // own, and the sockets act in the pod's for good.
  int err = 0, tun_err = 0;
  Fd sock, tun;
  try {
    std::thread([&] {
      if (::setns(ns_fd.get(), CLONE_NEWNET) < 0) {
        err = errno;
        return;
      }
      sock = Fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
      if (!sock.valid()) err = errno;
      tun = Fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
      if (!tun.valid()) tun_err = errno;
    }).join();
  } catch (const std::system_error& e) {
    return sys_error("start a thread to join network namespace " + path, e.code().value());
  }
  if (err == EINVAL) return invalid(path + ": not a network namespace");
  if (err != 0) return sys_error("join network namespace " + path, err);
  return PodNetns(path, Netlink(std::move(sock)), std::move(tun), tun_err);
}

Result<std::optional<PodInterface>> PodNetns::find_interface() {
  auto all = links(nl_);
  if (!all) return std::move(all).error().wrap(path_);
  struct ifaddrmsg areq = {};
  areq.ifa_family = AF_INET;
  NetlinkMessage am(RTM_GETADDR, 0, &areq, sizeof areq);
  auto addrs = nl_.dump(am, sizeof(ifaddrmsg));
  if (!addrs) return std::move(addrs).error().wrap(path_ + ": list the addresses");
  std::optional<PodInterface> found;
  for (const auto& l : *all) {
    if ((l.flags & IFF_LOOPBACK) != 0 || (l.flags & IFF_UP) == 0 || l.name == kTapName) continue;
    for (const auto& a : *addrs) {
      auto h = header_of<ifaddrmsg>(a);
      if (static_cast<int>(h.ifa_index) != l.index) continue;
      const NetlinkAttr* local = a.find(IFA_LOCAL) != nullptr ? a.find(IFA_LOCAL) : a.find(IFA_ADDRESS);
      std::string addr = ipv4_text(local);
      if (addr.empty()) continue;
      if (!found || l.name == "eth0")
        found = PodInterface{l.name, l.index, l.mac, l.mtu, addr + "/" + std::to_string(h.ifa_prefixlen), ""};
      break;
    }
  }
  if (!found) return found;
  struct rtmsg rreq = {};
  rreq.rtm_family = AF_INET;
  NetlinkMessage rm(RTM_GETROUTE, 0, &rreq, sizeof rreq);
  auto routes = nl_.dump(rm, sizeof(rtmsg));
  if (!routes) return std::move(routes).error().wrap(path_ + ": list the routes");
  for (const auto& r : *routes) {
    auto h = header_of<rtmsg>(r);
    uint32_t table = r.find(RTA_TABLE) != nullptr ? u32_of(r.find(RTA_TABLE)) : h.rtm_table;
    if (h.rtm_dst_len != 0 || table != RT_TABLE_MAIN) continue;
    if (static_cast<int>(u32_of(r.find(RTA_OIF))) != found->index) continue;
    found->gateway = ipv4_text(r.find(RTA_GATEWAY));
    break;
  }
  return found;
}

Status PodNetns::add_ingress(int index, const std::string& name) {
  struct tcmsg t = {};
  t.tcm_family = AF_UNSPEC;
  t.tcm_ifindex = index;
  t.tcm_handle = TC_H_MAKE(TC_H_INGRESS, 0);
  t.tcm_parent = TC_H_INGRESS;
  NetlinkMessage m(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, &t, sizeof t);
  m.attr(TCA_KIND, std::string("ingress"));
  auto st = nl_.request(m);
  if (!st && st.error().code == EEXIST)
    return make_error(ErrorKind::kConflict,
                      path_ + ": " + name + " already has an ingress qdisc (is another utility VM connected to it?)");
  if (!st) return std::move(st).error().wrap(path_ + ": add an ingress qdisc to " + name);
  return {};
}

// A u32 filter that matches every frame arriving on from and redirects it
// out of to (tc's "u32 match u8 0 0 action mirred egress redirect").
Status PodNetns::redirect(int from, int to, const std::string& from_name) {
  struct tcmsg t = {};
  t.tcm_family = AF_UNSPEC;
  t.tcm_ifindex = from;
  t.tcm_parent = TC_H_MAKE(TC_H_INGRESS, 0);
  t.tcm_info = TC_H_MAKE(kPriority << 16, htons(ETH_P_ALL));  // every protocol
  NetlinkMessage m(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, &t, sizeof t);
  m.attr(TCA_KIND, std::string("u32"));
  size_t options = m.begin_nest(TCA_OPTIONS);
  std::vector<char> sel(sizeof(tc_u32_sel) + sizeof(tc_u32_key), 0);
  auto* s = reinterpret_cast<tc_u32_sel*>(sel.data());
  s->flags = TC_U32_TERMINAL;
  s->nkeys = 1;  // mask 0 at offset 0: every frame
  m.attr(TCA_U32_SEL, sel.data(), sel.size());
  size_t actions = m.begin_nest(TCA_U32_ACT);
  size_t first = m.begin_nest(1);
  m.attr(TCA_ACT_KIND, std::string("mirred"));
  size_t act_options = m.begin_nest(TCA_ACT_OPTIONS);
  struct tc_mirred p = {};
  p.action = TC_ACT_STOLEN;
  p.eaction = TCA_EGRESS_REDIR;
  p.ifindex = static_cast<uint32_t>(to);
  m.attr(TCA_MIRRED_PARMS, &p, sizeof p);
  m.end_nest(act_options);
  m.end_nest(first);
  m.end_nest(actions);
  m.end_nest(options);
  auto st = nl_.request(m);
  if (!st) return std::move(st).error().wrap(path_ + ": redirect " + from_name + "'s traffic");
  return {};
}

Status PodNetns::remove_ingress(int index) {
  struct tcmsg t = {};
  t.tcm_family = AF_UNSPEC;
  t.tcm_ifindex = index;
  t.tcm_handle = TC_H_MAKE(TC_H_INGRESS, 0);
  t.tcm_parent = TC_H_INGRESS;
  NetlinkMessage m(RTM_DELQDISC, 0, &t, sizeof t);
  auto st = nl_.request(m);
  if (!st && st.error().code != ENOENT && st.error().code != EINVAL) return st;
  return {};
}

Result<Fd> PodNetns::connect(const PodInterface& iface) {
  if (!tun_.valid()) return sys_error(path_ + ": open /dev/net/tun", tun_err_);
  struct ifreq ifr = {};
  std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", kTapName);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  // The tap is made in the namespace tun_ was opened in: the pod's.
  if (::ioctl(tun_.get(), TUNSETIFF, &ifr) < 0) return sys_error(path_ + ": make tap device " + kTapName);
  Fd tap = std::move(tun_);
  auto all = links(nl_);
  if (!all) return std::move(all).error().wrap(path_);
  int tap_index = 0;
  for (const auto& l : *all)
    if (l.name == kTapName) tap_index = l.index;
  if (tap_index == 0) return sys_error(path_ + ": find tap device " + kTapName, ENODEV);
  struct ifinfomsg up = {};
  up.ifi_family = AF_UNSPEC;
  up.ifi_index = tap_index;
  up.ifi_flags = IFF_UP;
  up.ifi_change = IFF_UP;
  NetlinkMessage m(RTM_NEWLINK, 0, &up, sizeof up);
  m.attr_u32(IFLA_MTU, static_cast<uint32_t>(iface.mtu));
  if (auto st = nl_.request(m); !st) return std::move(st).error().wrap(path_ + ": set " + kTapName + " up");
  // The tap's ingress first: if the veth's fails, the tap's goes with it.
  // A veth that has an ingress qdisc already is somebody else's: refused,
  // and theirs left alone.
  BERTH_TRY(add_ingress(tap_index, kTapName));
  BERTH_TRY(redirect(tap_index, iface.index, kTapName));
  BERTH_TRY(add_ingress(iface.index, iface.name));
  if (auto st = redirect(iface.index, tap_index, iface.name); !st) {
    (void)remove_ingress(iface.index);
    return std::move(st).error();
  }
  return tap;
}

// Whether the ingress qdisc on index is one berth made: of kind ingress
// (not clsact), holding filters at berth's priority and nothing else.
Result<bool> PodNetns::redirected_by_berth(int index) {
  struct tcmsg q = {};
  q.tcm_family = AF_UNSPEC;
  q.tcm_ifindex = index;
  NetlinkMessage qm(RTM_GETQDISC, 0, &q, sizeof q);
  auto qdiscs = nl_.dump(qm, sizeof(tcmsg));
  if (!qdiscs) return std::move(qdiscs).error().wrap(path_ + ": list the qdiscs");
  bool ingress = false;
  for (const auto& r : *qdiscs) {
    auto h = header_of<tcmsg>(r);
    const NetlinkAttr* kind = r.find(TCA_KIND);
    if (h.tcm_ifindex == index && h.tcm_parent == TC_H_INGRESS)
      ingress = kind != nullptr && std::string(kind->data.c_str()) == "ingress";
  }
  if (!ingress) return false;
  struct tcmsg f = {};
  f.tcm_family = AF_UNSPEC;
  f.tcm_ifindex = index;
  f.tcm_parent = TC_H_MAKE(TC_H_INGRESS, 0);
  NetlinkMessage fm(RTM_GETTFILTER, 0, &f, sizeof f);
  auto filters = nl_.dump(fm, sizeof(tcmsg));
  if (!filters) return std::move(filters).error().wrap(path_ + ": list the filters");
  for (const auto& r : *filters)
    if (header_of<tcmsg>(r).tcm_info >> 16 != kPriority) return false;
  return !filters->empty();
}

Status PodNetns::disconnect(const std::string& iface) {
  auto all = links(nl_);
  if (!all) return std::move(all).error().wrap(path_);
  // A tap of berth's name still there is a live VM's: this one's went with
  // its QEMU, which destroy stops first.
  for (const auto& l : *all)
    if (l.name == kTapName) return {};
  for (const auto& l : *all) {
    if (l.name != iface) continue;
    auto ours = redirected_by_berth(l.index);
    if (!ours) return std::move(ours).error();
    return *ours ? remove_ingress(l.index) : Status{};
  }
  return {};
}

}  // namespace berth::vm
