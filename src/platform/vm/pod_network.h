// A pod's network, connected to its utility VM the way Kata Containers'
// "tcfilter" mode does it. CNI gives the pod a network namespace with a
// veth that has the pod's address; berth makes a tap device for QEMU in
// that namespace and redirects, with tc, everything arriving on the veth
// out of the tap and everything arriving on the tap out of the veth. The
// guest's eth0 takes the veth's MAC address and IPv4 address (berth.net=
// on the kernel command line), so the pod's peers see the same interface
// as before, and the veth's own stack sees nothing.
//
// Only the pod's namespace is touched, through a netlink socket and a tun
// fd opened inside it: never the host's.
#pragma once

#include <optional>
#include <string>

#include "base/fd.h"
#include "base/result.h"
#include "platform/vm/netlink.h"

namespace berth::vm {

inline constexpr char kTapName[] = "tap0_berth";

// The interface CNI made in the pod's namespace.
struct PodInterface {
  std::string name;  // "eth0"
  int index = 0;
  std::string mac;  // "0a:58:0a:58:00:05"
  int mtu = 1500;
  std::string address;  // "10.88.0.5/16"
  std::string gateway;  // the default route's, or ""
};

class PodNetns {
 public:
  // The network namespace at path (a bind mount of one, as CNI and podman
  // make, or /proc/PID/ns/net): its error names the path. The host's own
  // (berth's, or pid 1's) is refused.
  static Result<PodNetns> open(const std::string& path);

  // The pod's interface: the one up, non-loopback interface with an IPv4
  // address (eth0 when there are several); none when there is none (a pod
  // with no network, as podman's --network none makes).
  Result<std::optional<PodInterface>> find_interface();
  // Makes the tap and the two redirects; returns QEMU's end of the tap
  // (the tap goes away with its last fd). On failure nothing is left.
  Result<Fd> connect(const PodInterface& iface);
  // Takes the redirects off the named interface (its ingress qdisc), if it
  // is still there and they are berth's: a qdisc of another kind, filters
  // not at berth's priority, or a live VM's tap in the namespace leave it be.
  Status disconnect(const std::string& iface);

 private:
  PodNetns(std::string path, Netlink nl, Fd tun, int tun_err)
      : path_(std::move(path)), nl_(std::move(nl)), tun_(std::move(tun)), tun_err_(tun_err) {}
  Status add_ingress(int index, const std::string& name);
  Status redirect(int from, int to, const std::string& from_name);
  Status remove_ingress(int index);
  Result<bool> redirected_by_berth(int index);
  std::string path_;
  Netlink nl_;
  Fd tun_;  // /dev/net/tun, opened in the namespace (or not, where it cannot be: tun_err_)
  int tun_err_ = 0;
};

}  // namespace berth::vm
