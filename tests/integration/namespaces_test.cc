// Namespaces: new ones differ from the host's, joined ones are the same
// object, user namespaces map ids, time namespaces shift clocks.
#include <unistd.h>

#include "harness.h"

namespace berth::test {
namespace {

using Namespaces = BerthTest;

std::string ns_of(const std::string& pid, const std::string& ns) {
  char buf[128] = {};
  ssize_t n = ::readlink(("/proc/" + pid + "/ns/" + ns).c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, n) : "";
}

TEST_F(Namespaces, NewNamespacesDifferFromTheHostsAndOthersAreShared) {
  set_args({"/bin/probe", "ns"});
  RunResult r = berth({"run", "--bundle", bundle_, "ns"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  for (const char* ns : {"mnt", "pid", "net", "ipc", "uts", "cgroup"})
    EXPECT_NE(p[std::string("ns.") + ns], ns_of("self", ns)) << ns;
  for (const char* ns : {"user", "time"}) EXPECT_EQ(p[std::string("ns.") + ns], ns_of("self", ns)) << ns;
}

TEST_F(Namespaces, UserNamespaceMapsIds) {
  config_["linux"]["namespaces"].push_back({{"type", "user"}});
  config_["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  config_["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  set_args({"/bin/sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; ls -ln /bin/probe | cut -c1-30"});
  RunResult r = berth({"run", "--bundle", bundle_, "userns"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("0     100000      65536"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n0\n"), std::string::npos) << r.out;  // root inside
  EXPECT_NE(r.out.find("65534"), std::string::npos) << r.out;  // host root's files: unmapped
}

TEST_F(Namespaces, TimeNamespaceShiftsBoottime) {
  REQUIRES_SPEC("1.1.0", "the time namespace");
  config_["linux"]["namespaces"].push_back({{"type", "time"}});
  config_["linux"]["timeOffsets"] = {{"boottime", {{"secs", 864000}, {"nanosecs", 0}}}};
  set_args({"/bin/sh", "-c", "cut -d. -f1 /proc/uptime; cat /proc/self/timens_offsets"});
  RunResult r = berth({"run", "--bundle", bundle_, "time"});
  ASSERT_EQ(r.code, 0) << r.err;
  long inside = std::stol(r.out);
  long host = std::stol(read_text("/proc/uptime"));
  EXPECT_GE(inside - host, 864000 - 5) << r.out;
  EXPECT_NE(r.out.find("boottime       864000"), std::string::npos) << r.out;
}

TEST_F(Namespaces, JoinedByPathAreTheSameNamespace) {
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "first"}).code, 0);
  std::string pid = std::to_string(nlohmann::json::parse(berth({"state", "first"}).out)["pid"].get<int>());
  auto& nss = config_["linux"]["namespaces"];
  nss = {{{"type", "mount"}},
         {{"type", "cgroup"}},
         {{"type", "network"}, {"path", "/proc/" + pid + "/ns/net"}},
         {{"type", "ipc"}, {"path", "/proc/" + pid + "/ns/ipc"}},
         {{"type", "uts"}, {"path", "/proc/" + pid + "/ns/uts"}},
         {{"type", "pid"}, {"path", "/proc/" + pid + "/ns/pid"}}};
  config_.erase("hostname");  // the joined uts namespace keeps its name
  set_args({"/bin/probe", "ns", "pid", "hostname"});
  RunResult r = berth({"run", "--bundle", bundle_, "second"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  for (const char* ns : {"net", "ipc", "uts", "pid"}) EXPECT_EQ(p[std::string("ns.") + ns], ns_of(pid, ns)) << ns;
  EXPECT_NE(p["ns.mnt"], ns_of(pid, "mnt"));
  EXPECT_NE(p["pid"], "1");  // the first container's init is pid 1 there
  EXPECT_EQ(p["hostname"], "berth-test");
}

TEST_F(Namespaces, AJoinedUtsNamespaceTakesTheHostnameButTheHostsNever) {
  // runc sets the hostname in a uts namespace joined by path (runtime-tools'
  // linux_ns_path); in the host's own, that would rename the host, which
  // runc does and berth refuses.
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "owner"}).code, 0);
  std::string pid = std::to_string(nlohmann::json::parse(berth({"state", "owner"}).out)["pid"].get<int>());
  for (auto& ns : config_["linux"]["namespaces"])
    if (ns["type"] == "uts") ns["path"] = "/proc/" + pid + "/ns/uts";
  config_["hostname"] = "joined-name";
  set_args({"/bin/sh", "-c", "hostname; readlink /proc/self/ns/uts"});
  RunResult r = berth({"run", "--bundle", bundle_, "joiner"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "joined-name\n" + ns_of(pid, "uts") + "\n");
  if (!runtime_is_berth()) return;  // runc would rename the host below
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  for (auto& ns : config_["linux"]["namespaces"])
    if (ns["type"] == "uts") ns["path"] = "/proc/self/ns/uts";  // berth's own: the host's
  write_config();
  RunResult h = berth({"run", "--bundle", bundle_, "hostuts"});
  EXPECT_EQ(h.code, 1);
  EXPECT_NE(h.err.find("hostname:"), std::string::npos) << h.err;
  char after[256] = {};
  ASSERT_EQ(::gethostname(after, sizeof after - 1), 0);
  EXPECT_STREQ(after, host);
  EXPECT_FALSE(exists(root_ + "/hostuts"));
}

TEST_F(Namespaces, UserNamespaceJoinedByPathOwnsTheNewOnes) {
  // runc 1.1.5 refuses it: "User namespaces enabled, but no uid mappings found".
  BERTH_ONLY("runc 1.1.5 cannot join a user namespace by path without repeating its mappings");
  config_["linux"]["namespaces"].push_back({{"type", "user"}});
  config_["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 200000}, {"size", 65536}}};
  config_["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 200000}, {"size", 65536}}};
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "owner"}).code, 0);
  std::string pid = std::to_string(nlohmann::json::parse(berth({"state", "owner"}).out)["pid"].get<int>());
  config_["linux"].erase("uidMappings");
  config_["linux"].erase("gidMappings");
  config_["linux"]["namespaces"].back() = {{"type", "user"}, {"path", "/proc/" + pid + "/ns/user"}};
  set_args({"/bin/sh", "-c", "readlink /proc/self/ns/user; id -u; cat /proc/self/uid_map; hostname"});
  RunResult r = berth({"run", "--bundle", bundle_, "joiner"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, ns_of(pid, "user") + "\n0\n         0     200000      65536\nberth-test\n");
}

TEST_F(Namespaces, JoiningUserAndPidByPathRecordsTheHostPid) {
  // runc 1.1.5 refuses it: "User namespaces enabled, but no uid mappings found".
  BERTH_ONLY("runc 1.1.5 cannot join a user namespace by path without repeating its mappings");
  config_["linux"]["namespaces"].push_back({{"type", "user"}});
  config_["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 300000}, {"size", 65536}}};
  config_["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 300000}, {"size", 65536}}};
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "pod"}).code, 0);
  std::string pid = std::to_string(nlohmann::json::parse(berth({"state", "pod"}).out)["pid"].get<int>());
  config_["linux"].erase("uidMappings");
  config_["linux"].erase("gidMappings");
  for (auto& ns : config_["linux"]["namespaces"]) {
    if (ns["type"] == "user") ns["path"] = "/proc/" + pid + "/ns/user";
    if (ns["type"] == "pid") ns["path"] = "/proc/" + pid + "/ns/pid";
  }
  write_config();
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "member"}).code, 0);
  int member = nlohmann::json::parse(berth({"state", "member"}).out)["pid"];
  // The recorded pid is the member's init as the host sees it.
  EXPECT_EQ(ns_of(std::to_string(member), "pid"), ns_of(pid, "pid"));
  EXPECT_EQ(ns_of(std::to_string(member), "user"), ns_of(pid, "user"));
  EXPECT_NE(read_text("/proc/" + std::to_string(member) + "/cmdline").find("probe"), std::string::npos);
  EXPECT_EQ(berth({"delete", "--force", "member"}).code, 0);
  EXPECT_TRUE(pid_alive(std::stoi(pid)));
}

TEST_F(Namespaces, NewUserNamespaceWithAHostOwnedNetworkJoinedByPath) {
  set_args({"/bin/probe", "sleep"});
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "netowner"}).code, 0);
  std::string pid = std::to_string(nlohmann::json::parse(berth({"state", "netowner"}).out)["pid"].get<int>());
  config_["linux"]["namespaces"] = {{{"type", "user"}}, {{"type", "mount"}},
                                    {{"type", "pid"}},  {{"type", "uts"}},
                                    {{"type", "ipc"}},  {{"type", "network"}, {"path", "/proc/" + pid + "/ns/net"}}};
  config_["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 400000}, {"size", 65536}}};
  config_["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 400000}, {"size", 65536}}};
  config_["mounts"].erase(config_["mounts"].end() - 2, config_["mounts"].end());  // sysfs, cgroup: need an owned netns
  set_args({"/bin/probe", "ns", "id"});
  RunResult r = berth({"run", "--bundle", bundle_, "netjoiner"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  EXPECT_EQ(p["ns.net"], ns_of(pid, "net"));
  EXPECT_NE(p["ns.user"], ns_of("self", "user"));
  EXPECT_EQ(p["uid"], "0");
}

}  // namespace
}  // namespace berth::test
