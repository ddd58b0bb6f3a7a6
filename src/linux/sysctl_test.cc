#include "linux/sysctl.h"

#include <gtest/gtest.h>

namespace berth::lnx {
namespace {

oci::Linux with(std::vector<oci::Namespace> nss, std::map<std::string, std::string> sysctl) {
  oci::Linux lx;
  lx.namespaces = std::move(nss);
  lx.sysctl = std::move(sysctl);
  return lx;
}

oci::Namespace ns(oci::NamespaceType t, std::string path = "") { return oci::Namespace{t, std::move(path)}; }

TEST(CheckSysctls, KeysNeedTheirOwnNamespace) {
  using T = oci::NamespaceType;
  struct Case {
    std::vector<oci::Namespace> nss;
    const char* key;
    bool ok;
  } cases[] = {
      {{}, "kernel.core_pattern", false},
      {{ns(T::kIpc), ns(T::kNetwork), ns(T::kUts)}, "kernel.core_pattern", false},
      {{ns(T::kIpc), ns(T::kNetwork), ns(T::kUts)}, "vm.overcommit_memory", false},
      {{ns(T::kIpc)}, "fs.file-max", false},
      {{ns(T::kUts)}, "fs.mqueue.queues_max", false},
      {{ns(T::kIpc)}, "fs.mqueue.queues_max", true},
      {{ns(T::kIpc, "/proc/1/ns/ipc")}, "kernel.shmmax", true},  // joined: runc's rule too
      {{ns(T::kUts)}, "kernel.msgmax", false},
      {{}, "net.ipv4.ip_forward", false},
      {{ns(T::kNetwork)}, "net.ipv4.ip_forward", true},
      {{ns(T::kNetwork)}, "net/ipv4/conf/eth0.100/forwarding", true},
      {{ns(T::kNetwork, "/proc/self/ns/net")}, "net.ipv4.ip_forward", false},  // the runtime's own
      {{ns(T::kUts)}, "kernel.domainname", true},
      {{}, "kernel.domainname", false},
      {{ns(T::kUts)}, "kernel.hostname", false},
      {{ns(T::kNetwork)}, "net..ipv4", false},
      {{ns(T::kNetwork)}, "net/../../kernel/core_pattern", false},
      {{ns(T::kNetwork)}, "/net/ipv4/ip_forward", false},
  };
  for (const auto& c : cases) {
    auto r = check_sysctls(with(c.nss, {{c.key, "1"}}));
    EXPECT_EQ(static_cast<bool>(r), c.ok) << c.key << (r ? "" : ": " + r.error().message);
    if (!r) {
      EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument) << c.key;
      EXPECT_NE(r.error().message.find("linux.sysctl"), std::string::npos) << r.error().message;
    }
  }
}

}  // namespace
}  // namespace berth::lnx
