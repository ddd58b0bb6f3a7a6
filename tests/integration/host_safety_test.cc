// Nothing in a config may change the host: sysctls outside the container's
// own namespaces, writes redirected through /proc, device nodes swapped for
// symlinks, a procfs reachable from a --no-pivot container. Each test does
// the attack and then checks the host's file or value, not the message.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "harness.h"

namespace berth::test {
namespace {

std::string first_line(const std::string& path) {
  std::string v = read_text(path);
  return v.substr(0, v.find('\n'));
}

class HostSafety : public BerthTest {
 protected:
  void use_namespaces(const std::vector<std::string>& types) {
    nlohmann::json nss = nlohmann::json::array();
    for (const auto& t : types) nss.push_back({{"type", t}});
    config_["linux"]["namespaces"] = nss;
    write_config();
  }
  bool list_is_empty() { return berth({"list", "-q"}).out.empty(); }
  void sysctl(const std::string& key, const std::string& value) {
    config_["linux"]["sysctl"] = {{key, value}};
    write_config();
  }
};

// kernel.core_pattern belongs to no namespace: writing it from a container
// would hand the host's root a program to run on the next crash.
TEST_F(HostSafety, AGlobalSysctlIsRefusedAndTheHostKeepsItsValue) {
  std::string before = first_line("/proc/sys/kernel/core_pattern");
  sysctl("kernel.core_pattern", "|/tmp/berth-pwned-%p");
  RunResult r = berth({"run", "--bundle", bundle_, "core"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(first_line("/proc/sys/kernel/core_pattern"), before);
  EXPECT_FALSE(exists(root_ + "/core"));
}

// Namespaced keys are refused when the namespace is the host's.
TEST_F(HostSafety, NamespacedSysctlsNeedTheirOwnNamespace) {
  use_namespaces({"mount", "pid", "uts"});
  std::string queues = first_line("/proc/sys/fs/mqueue/queues_max");
  sysctl("fs.mqueue.queues_max", "77");
  EXPECT_EQ(berth({"run", "--bundle", bundle_, "ipc"}).code, 1);
  EXPECT_EQ(first_line("/proc/sys/fs/mqueue/queues_max"), queues);

  std::string ping = first_line("/proc/sys/net/ipv4/ping_group_range");
  sysctl("net.ipv4.ping_group_range", "7 7");
  EXPECT_EQ(berth({"run", "--bundle", bundle_, "net"}).code, 1);
  EXPECT_EQ(first_line("/proc/sys/net/ipv4/ping_group_range"), ping);

  // A network namespace joined by path that is the runtime's own is the host's.
  config_["linux"]["namespaces"].push_back({{"type", "network"}, {"path", "/proc/self/ns/net"}});
  write_config();
  EXPECT_EQ(berth({"run", "--bundle", bundle_, "net2"}).code, 1);
  EXPECT_EQ(first_line("/proc/sys/net/ipv4/ping_group_range"), ping);

  sysctl("kernel.hostname", "nope");  // the "hostname" field sets it
  EXPECT_EQ(berth({"run", "--bundle", bundle_, "uts"}).code, 1);
  EXPECT_TRUE(list_is_empty());
}

// With their namespaces the same keys reach the container, not the host.
TEST_F(HostSafety, NamespacedSysctlsApplyInsideTheContainer) {
  std::string queues = first_line("/proc/sys/fs/mqueue/queues_max");
  std::string ping = first_line("/proc/sys/net/ipv4/ping_group_range");
  config_["linux"]["sysctl"] = {{"fs.mqueue.queues_max", "77"},
                                {"net/ipv4/ping_group_range", "7 7"},
                                {"kernel.domainname", "berth.test"}};
  set_args({"/bin/probe", "read", "/proc/sys/fs/mqueue/queues_max", "read", "/proc/sys/net/ipv4/ping_group_range",
            "read", "/proc/sys/kernel/domainname"});
  RunResult r = berth({"run", "--bundle", bundle_, "ok"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  EXPECT_EQ(p["read./proc/sys/fs/mqueue/queues_max"], "77");
  EXPECT_EQ(p["read./proc/sys/net/ipv4/ping_group_range"], "7\t7");
  EXPECT_EQ(p["read./proc/sys/kernel/domainname"], "berth.test");
  EXPECT_EQ(first_line("/proc/sys/fs/mqueue/queues_max"), queues);
  EXPECT_EQ(first_line("/proc/sys/net/ipv4/ping_group_range"), ping);
}

// CVE-2025-52881 class: a bind mount of an ordinary directory at /proc/sys
// (or /proc) whose net/ipv4/ip_forward is a symlink to a host file. berth
// must neither mount it nor write through it.
TEST_F(HostSafety, ABindMountOverProcCannotRedirectASysctlWrite) {
  std::string host_file = tmp_ + "/host-file";
  std::ofstream(host_file) << "untouched\n";
  std::string fake = tmp_ + "/fake-sys";
  ASSERT_EQ(run_cmd({"/bin/mkdir", "-p", fake + "/net/ipv4"}).code, 0);
  ASSERT_EQ(::symlink(host_file.c_str(), (fake + "/net/ipv4/ip_forward").c_str()), 0);
  // The symlink names the host file where the container sees it (a bind of
  // it), so a write that follows the link lands on the host's file.
  ASSERT_EQ(::unlink((fake + "/net/ipv4/ip_forward").c_str()), 0);
  ASSERT_EQ(::symlink("/host-file", (fake + "/net/ipv4/ip_forward").c_str()), 0);
  config_["mounts"].push_back(
      {{"destination", "/host-file"}, {"type", "bind"}, {"source", host_file}, {"options", {"bind"}}});
  config_["mounts"].push_back(
      {{"destination", "/proc/sys"}, {"type", "bind"}, {"source", fake}, {"options", {"rbind"}}});
  config_["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
  config_["linux"]["readonlyPaths"] = nlohmann::json::array();
  write_config();
  EXPECT_EQ(berth({"run", "--bundle", bundle_, "sys"}).code, 1);
  EXPECT_EQ(read_text(host_file), "untouched\n");

  // The same directory in place of /proc itself (its sys/ is the fake one).
  std::string fake_proc = tmp_ + "/fake-proc";
  ASSERT_EQ(::mkdir(fake_proc.c_str(), 0755), 0);
  ASSERT_EQ(::rename(fake.c_str(), (fake_proc + "/sys").c_str()), 0);
  config_ = default_config();
  config_["mounts"][0] = {{"destination", "/proc"}, {"type", "bind"}, {"source", fake_proc}, {"options", {"rbind"}}};
  config_["mounts"].push_back(
      {{"destination", "/host-file"}, {"type", "bind"}, {"source", host_file}, {"options", {"bind"}}});
  config_["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
  config_["linux"]["maskedPaths"] = nlohmann::json::array();
  config_["linux"]["readonlyPaths"] = nlohmann::json::array();
  write_config();
  EXPECT_EQ(berth({"run", "--bundle", bundle_, "proc"}).code, 1);
  EXPECT_EQ(read_text(host_file), "untouched\n");
}

// Nor any other file system below /proc (lxcfs's files excepted), where it
// could hide what a masked path or a read-only path should cover.
TEST_F(HostSafety, NoOtherFileSystemIsMountedBelowProc) {
  BERTH_ONLY("runc refuses this only from 1.2.8 on (the CVE-2025-52881 fixes); Debian 12's 1.1.5 allows it");
  config_["mounts"].push_back({{"destination", "/proc/sys/kernel"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  write_config();
  EXPECT_EQ(berth({"run", "--bundle", bundle_, "tmp"}).code, 1);
  EXPECT_TRUE(list_is_empty());
}

// The lxcfs files are the exception runc makes, and so does berth.
TEST_F(HostSafety, LxcfsStyleFileBindsBelowProcStillWork) {
  std::string fake = tmp_ + "/uptime";
  std::ofstream(fake) << "12345.00 1.00\n";
  config_["mounts"].push_back(
      {{"destination", "/proc/uptime"}, {"type", "bind"}, {"source", fake}, {"options", {"bind"}}});
  set_args({"/bin/probe", "read", "/proc/uptime"});
  RunResult r = berth({"run", "--bundle", bundle_, "lxcfs"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(parse_probe(r.out)["read./proc/uptime"], "12345.00 1.00");
}

// Two containers share a rootfs; the "attacker" swaps dev/null for a symlink
// to a host file in a loop while the victim is created again and again. Only
// the node berth made may ever be chmod'ed: the host file keeps mode 0600.
TEST_F(HostSafety, DeviceNodesAreChangedThroughAnFdNeverByName) {
  std::string rootfs = own_rootfs();
  std::string host_file = tmp_ + "/host-secret";
  std::ofstream(host_file) << "secret\n";
  ASSERT_EQ(::chmod(host_file.c_str(), 0600), 0);
  // No /dev tmpfs: the nodes are made in the shared rootfs's own dev/.
  auto& mounts = config_["mounts"];
  for (size_t i = 0; i < mounts.size(); ++i)
    if (mounts[i]["destination"] == "/dev") mounts.erase(i);
  config_["root"]["readonly"] = false;
  write_config();
  std::atomic<bool> stop{false};
  std::string null = rootfs + "/dev/null";
  std::thread swapper([&] {
    std::string tmp_link = rootfs + "/dev/.swap";
    while (!stop) {
      ::unlink(tmp_link.c_str());
      if (::symlink(host_file.c_str(), tmp_link.c_str()) == 0) ::rename(tmp_link.c_str(), null.c_str());
    }
  });
  for (int i = 0; i < 100; ++i) {
    RunResult r = berth({"run", "--bundle", bundle_, "victim"});
    (void)r;  // either outcome is fine; only the host file matters
    berth({"delete", "--force", "victim"});
  }
  stop = true;
  swapper.join();
  struct stat sb;
  ASSERT_EQ(::stat(host_file.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 07777, 0600u);
  EXPECT_EQ(read_text(host_file), "secret\n");
}

// A cgroupsPath whose freezer is FROZEN would hold the init in D state
// forever: create fails at once, and leaves the frozen cgroup as it was.
TEST_F(HostSafety, CreateIntoAFrozenCgroupFailsAtOnce) {
  if (!exists("/sys/fs/cgroup/freezer/cgroup.procs")) GTEST_SKIP() << "no cgroup v1 freezer on this host";
  std::string name = "berth-frozen-" + std::to_string(::getpid());
  std::string dir = "/sys/fs/cgroup/freezer/" + name;
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  // Whatever happens: thawed, and every directory made for it removed.
  struct Cleanup {
    std::string name, dir;
    ~Cleanup() {
      std::ofstream(dir + "/freezer.state") << "THAWED";
      ::rmdir((dir + "/child").c_str());
      ::rmdir(dir.c_str());
      for (const char* c :
           {"memory", "cpu", "cpuacct", "cpu,cpuacct", "cpuset", "pids", "devices", "blkio", "systemd", "unified"}) {
        ::rmdir(("/sys/fs/cgroup/" + std::string(c) + "/" + name + "/child").c_str());
        ::rmdir(("/sys/fs/cgroup/" + std::string(c) + "/" + name).c_str());
      }
    }
  } cleanup{name, dir};
  std::ofstream(dir + "/freezer.state") << "FROZEN";
  config_["linux"]["cgroupsPath"] = "/" + name;
  write_config();
  auto start = std::chrono::steady_clock::now();
  RunResult r = berth({"run", "--bundle", bundle_, "frozen"}, 10000);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_LT(took, std::chrono::seconds(5)) << "create hung on the frozen cgroup";
  EXPECT_FALSE(exists(root_ + "/frozen"));
  EXPECT_EQ(first_line(dir + "/freezer.state"), "FROZEN");
  // Below a frozen parent: refused too, and the directories the create made
  // for it are gone again (an empty cgroup that cannot thaw is removed).
  BERTH_ONLY("runc 1.1.5 checks only the cgroup itself, and hangs below a frozen parent");
  config_["linux"]["cgroupsPath"] = "/" + name + "/child";
  write_config();
  r = berth({"run", "--bundle", bundle_, "frozen2"}, 10000);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_FALSE(exists(root_ + "/frozen2"));
  EXPECT_FALSE(exists(dir + "/child"));
}

// --no-pivot keeps the host's mounts in the container's mount namespace
// (chroot only): a full procfs among them would let a nested user namespace
// mount procfs. runc hides them; so does berth.
TEST_F(HostSafety, NoPivotHidesTheHostsProcFromNestedUserNamespaces) {
  // CAP_SETFCAP: mapping uid 0 into the nested user namespace needs it.
  nlohmann::json caps = nlohmann::json::array({"CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_SETFCAP"});
  config_["process"]["capabilities"] = {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
  config_["process"]["noNewPrivileges"] = false;
  set_args(
      {"/bin/sh", "-c",
       "mkdir -p /tmp/p; unshare -U -r -m -p -f sh -c 'mount -t proc proc /tmp/p && echo MOUNTED || echo REFUSED'"});
  config_["root"]["readonly"] = false;
  own_rootfs();
  write_config();
  RunResult r = berth({"run", "--no-pivot", "--bundle", bundle_, "nopivot"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("REFUSED"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(r.out.find("MOUNTED"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace berth::test
