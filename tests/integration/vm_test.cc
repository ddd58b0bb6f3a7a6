// The VM platform (platform/vm/): a sandbox's containers in one utility VM
// (QEMU microvm, software emulation here), berth itself the guest agent.
// Each test boots its own VM (about 4 s under TCG) and proves what the
// containers see, what the host keeps, and that nothing is left.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness.h"
#include "leftovers.h"

namespace berth::test {
namespace {

constexpr char kType[] = "io.kubernetes.cri.container-type";
constexpr char kSandboxId[] = "io.kubernetes.cri.sandbox-id";

std::string host_release() {
  struct utsname u;
  ::uname(&u);
  return u.release;
}

class Vm : public BerthTest {
 protected:
  void SetUp() override {
    BerthTest::SetUp();
    BERTH_ONLY("utility VMs are berth's platform (runc has no VM isolation)");
    // The guest's /init is berth: only a static one runs there (make
    // vm-image makes no image for a sanitizer build, which is dynamic).
    std::string dir = std::string(BERTH_BINARY).substr(0, std::string(BERTH_BINARY).rfind('/'));
    if (!exists(dir + "/vm/initramfs.cpio")) {
      std::ifstream bin(BERTH_BINARY, std::ios::binary);
      std::string head(8192, '\0');
      bin.read(head.data(), static_cast<std::streamsize>(head.size()));
      ASSERT_NE(head.find("ld-linux"), std::string::npos) << "a static berth and no guest image: make vm-image";
      GTEST_SKIP() << "berth is linked dynamically (a sanitizer build): no utility VM guest can run it";
    }
    ::setenv("BERTH_TEST_TAG", tmp_.c_str(), 1);
    before_ = snapshot_host();
    snapshot_taken_ = true;
    own_rootfs();  // the guest writes to it through the share: not the shared test rootfs
  }
  void TearDown() override {
    // Only a test that got past the skips made anything: a skipped one has
    // no snapshot to compare with.
    if (snapshot_taken_) {
      for (const char* id : {"vm-m1", "vm-m2", "vm-lm", "vm-sb", "vm-lsb"}) berth({"delete", "--force", id});
      EXPECT_EQ(leftovers(before_, root_, tmp_, "vm-"), "");
    }
    BerthTest::TearDown();
    ::unsetenv("BERTH_TEST_TAG");
    ::unsetenv("BERTH_VM_CONFIG");
  }

  // Writes a bundle for id in its own directory: args, annotations.
  std::string bundle_for(const std::string& id, const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& annotations) {
    std::string dir = tmp_ + "/bundle-" + id;
    ::mkdir(dir.c_str(), 0755);
    nlohmann::json c = config_.is_null() ? default_config() : config_;
    c["process"]["args"] = args;
    c["annotations"] = annotations;
    std::ofstream(dir + "/config.json") << c.dump();
    return dir;
  }

  RunResult create(const std::string& id, const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& annotations) {
    return berth({"create", "--bundle", bundle_for(id, args, annotations), id}, 180000);
  }

  // The output a container's init wrote to the file its stdout is.
  std::string sandbox_kernel() {
    auto j = nlohmann::json::parse(read_text(root_ + "/vm-sb/state.json"));
    return j["vm"].value("kernel", "");
  }

  HostSnapshot before_;
  bool snapshot_taken_ = false;
};

std::map<std::string, std::string> vm_sandbox() {
  return {{kType, "sandbox"}, {kSandboxId, "vm-sb"}, {"io.berth.platform", "vm"}};
}
std::map<std::string, std::string> member() { return {{kType, "container"}, {kSandboxId, "vm-sb"}}; }

// Runs argv on a pty; once the first line of output is there, resizes it
// to 40x120. Returns the output.
std::string run_on_pty(const std::vector<std::string>& argv) {
  struct winsize ws = {30, 100, 0, 0};
  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, &ws);
  if (pid == 0) {
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    ::execv(a[0], a.data());
    _exit(127);
  }
  std::string out;
  auto start = std::chrono::steady_clock::now();
  bool resized = false;
  for (;;) {
    auto elapsed = std::chrono::steady_clock::now() - start;
    if (elapsed > std::chrono::seconds(30)) break;
    if (!resized && out.find('\n') != std::string::npos) {
      struct winsize big = {40, 120, 0, 0};
      ::ioctl(master, TIOCSWINSZ, &big);
      resized = true;
    }
    struct pollfd p = {master, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[1024];
    ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(master);
  int status;
  ::waitpid(pid, &status, 0);
  return out;
}

TEST_F(Vm, SandboxWithTwoMembersRunsInTheGuestKernel) {
  ASSERT_EQ(create("vm-sb", {"sleep", "1000"}, vm_sandbox()).code, 0);
  std::string kernel = sandbox_kernel();
  ASSERT_FALSE(kernel.empty());
  ASSERT_NE(kernel, host_release()) << "the guest boots Debian's cloud kernel, not the host's";

  // m1 shares the guest's pid namespace: it sees every guest process, and
  // no host process (not this test, whose comm it would show).
  config_ = default_config();
  auto& ns = config_["linux"]["namespaces"];
  nlohmann::json kept = nlohmann::json::array();
  for (auto& n : ns)
    if (n["type"] != "pid") kept.push_back(n);
  ns = kept;
  ASSERT_EQ(create("vm-m1", {"sh", "-c", "sleep 1000 & wait"}, member()).code, 0);
  config_ = default_config();
  ASSERT_EQ(create("vm-m2", {"sh", "-c", "trap 'exit 7' TERM; while true; do sleep 0.1; done"}, member()).code, 0);
  for (const char* id : {"vm-sb", "vm-m1", "vm-m2"}) ASSERT_EQ(berth({"start", id}).code, 0) << id;
  EXPECT_EQ(wait_status("vm-m1", "running"), "running");

  // The members' pids on the host are their stand-ins', alive while they run.
  auto st = nlohmann::json::parse(berth({"state", "vm-m1"}).out);
  EXPECT_TRUE(pid_alive(st["pid"].get<int>()));

  // exec: output, exit code, in the guest's kernel.
  auto e = berth({"exec", "vm-m1", "sh", "-c", "uname -r; exit 3"});
  EXPECT_EQ(e.code, 3);
  EXPECT_EQ(e.out, kernel + "\n");

  // A terminal, resized while the process runs.
  std::string tty = run_on_pty(
      {runtime(), "--root", root_, "exec", "-t", "vm-m1", "sh", "-c", "stty size; sleep 3; stty size"});
  EXPECT_NE(tty.find("30 100"), std::string::npos) << tty;
  EXPECT_NE(tty.find("40 120"), std::string::npos) << tty;

  // pause, stats, ps: from the guest.
  ASSERT_EQ(berth({"pause", "vm-m2"}).code, 0);
  EXPECT_EQ(status_of("vm-m2"), "paused");
  ASSERT_EQ(berth({"resume", "vm-m2"}).code, 0);
  EXPECT_EQ(status_of("vm-m2"), "running");
  auto stats = berth({"events", "--stats", "vm-m1"});
  ASSERT_EQ(stats.code, 0) << stats.err;
  auto data = nlohmann::json::parse(stats.out)["data"];
  EXPECT_GT(data["memory"]["usage"]["usage"].get<uint64_t>(), 0u);
  EXPECT_EQ(data["pids"]["current"].get<uint64_t>(), 2u);  // sh and sleep
  auto ps = berth({"ps", "--format", "json", "vm-m1"});
  ASSERT_EQ(ps.code, 0);
  EXPECT_EQ(nlohmann::json::parse(ps.out).size(), 2u);
  // The table: the guest's processes, not host processes that share their pids.
  auto table = berth({"ps", "vm-m1"});
  ASSERT_EQ(table.code, 0) << table.err;
  std::vector<std::string> rows;
  std::istringstream lines(table.out);
  for (std::string row; std::getline(lines, row);) rows.push_back(row);
  ASSERT_EQ(rows.size(), 3u) << table.out;
  EXPECT_NE(rows[0].find("PID"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("sleep 1000"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("sh -c sleep 1000 & wait"), std::string::npos) << table.out;
  EXPECT_EQ(berth({"ps", "vm-m1", "-o", "pid"}).code, 1);  // no ps(1) in the guest to take them

  // update reaches the member's cgroup in the guest.
  ASSERT_EQ(berth({"update", "--pids-limit", "20", "vm-m1"}).code, 0);
  EXPECT_EQ(berth({"exec", "vm-m1", "cat", "/sys/fs/cgroup/pids.max"}).out, "20\n");

  // kill: the member's trap exits; its sibling and the VM run on.
  ASSERT_EQ(berth({"kill", "vm-m2", "TERM"}).code, 0);
  EXPECT_EQ(wait_status("vm-m2", "stopped", 10000), "stopped");
  EXPECT_EQ(status_of("vm-m1"), "running");
  EXPECT_EQ(status_of("vm-sb"), "running");

  // Beside them, a member of a process-isolated sandbox, of the same root,
  // runs on the host's kernel.
  config_ = default_config();
  ASSERT_EQ(create("vm-lsb", {"sleep", "1000"}, {{kType, "sandbox"}, {kSandboxId, "vm-lsb"}}).code, 0);
  ASSERT_EQ(berth({"start", "vm-lsb"}).code, 0);
  auto beside = berth({"run", "--bundle",
                       bundle_for("vm-lm", {"uname", "-r"}, {{kType, "container"}, {kSandboxId, "vm-lsb"}}), "vm-lm"});
  EXPECT_EQ(beside.out, host_release() + "\n") << beside.err;

  // m1 sees the guest's processes (the agent is its pid 1), none of the host's.
  auto comms = berth({"exec", "vm-m1", "sh", "-c", "cat /proc/[0-9]*/comm"});
  ASSERT_EQ(comms.code, 0) << comms.err;
  EXPECT_EQ(berth({"exec", "vm-m1", "cat", "/proc/1/comm"}).out, "berth\n");
  EXPECT_EQ(comms.out.find("berth_integrati"), std::string::npos) << comms.out;
  EXPECT_EQ(comms.out.find("qemu"), std::string::npos) << comms.out;
  ASSERT_EQ(berth({"delete", "--force", "vm-sb"}).code, 0);  // takes its members along
  EXPECT_EQ(status_of("vm-m1"), "");
}

// A pod network as CNI makes one: a namespace with a veth holding the
// pod's address, its peer in a second namespace (both the test's own, bound
// on files under tmp_: the host's networking is never touched).
class PodNetwork {
 public:
  explicit PodNetwork(const std::string& dir) : pod(dir + "/netns-pod"), peer(dir + "/netns-peer") {
    for (const auto& ns : {pod, peer}) {
      std::ofstream(ns).close();  // the file the namespace is bound on
      ok = ok && run_cmd({"/usr/bin/unshare", "--net=" + ns, "true"}).code == 0;
    }
    for (const auto& step :
         std::vector<std::vector<std::string>>{{pod, "ip", "link", "add", "eth0", "type", "veth", "peer", "name",
                                                "peer0"},
                                               {pod, "ip", "link", "set", "peer0", "netns", peer},
                                               {pod, "ip", "addr", "add", "10.213.0.2/24", "dev", "eth0"},
                                               {pod, "ip", "link", "set", "eth0", "up"},
                                               {pod, "ip", "route", "add", "default", "via", "10.213.0.1"},
                                               {peer, "ip", "addr", "add", "10.213.0.1/24", "dev", "peer0"},
                                               {peer, "ip", "link", "set", "peer0", "up"}})
      ok = ok && in(step[0], {step.begin() + 1, step.end()}).code == 0;
  }
  ~PodNetwork() {
    for (const auto& ns : {pod, peer}) ::umount2(ns.c_str(), MNT_DETACH);  // the namespaces go with their last user
  }
  PodNetwork(const PodNetwork&) = delete;
  PodNetwork& operator=(const PodNetwork&) = delete;
  // Runs argv in the namespace ns.
  static RunResult in(const std::string& ns, std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"/usr/bin/nsenter", "--net=" + ns});
    return run_cmd(argv);
  }
  std::string pod, peer;
  bool ok = true;
};

// The sandbox in the pod's namespace: the guest's eth0 has the veth's
// address and route, and reaches the peer both ways through the tap and
// tc redirects berth made; delete takes the redirects off. With
// io.berth.vm.network=none the VM has no interface but its loopback.
TEST_F(Vm, PodNetworkReachesTheGuestAndNoneKeepsItOut) {
  PodNetwork net(tmp_);
  ASSERT_TRUE(net.ok) << "could not make the test's network namespaces and veth";
  for (auto& n : config_["linux"]["namespaces"])
    if (n["type"] == "network") n["path"] = net.pod;
  for (const char* set : {"bounding", "effective", "permitted"})
    config_["process"]["capabilities"][set].push_back("CAP_NET_RAW");  // ping's raw socket
  // An ingress qdisc somebody else put on the veth: refused, and left be.
  ASSERT_EQ(PodNetwork::in(net.pod, {"tc", "qdisc", "add", "dev", "eth0", "ingress"}).code, 0);
  EXPECT_EQ(create("vm-sb", {"sleep", "1000"}, vm_sandbox()).code, 1);
  EXPECT_FALSE(exists(root_ + "/vm-sb"));
  EXPECT_NE(PodNetwork::in(net.pod, {"tc", "qdisc", "show", "dev", "eth0"}).out.find("ingress"), std::string::npos);
  EXPECT_EQ(PodNetwork::in(net.pod, {"ip", "-o", "link"}).out.find("tap0_berth"), std::string::npos);
  ASSERT_EQ(PodNetwork::in(net.pod, {"tc", "qdisc", "del", "dev", "eth0", "ingress"}).code, 0);

  ASSERT_EQ(create("vm-sb", {"sleep", "1000"}, vm_sandbox()).code, 0);
  ASSERT_EQ(berth({"start", "vm-sb"}).code, 0);
  auto addr = berth({"exec", "vm-sb", "ip", "-4", "-o", "addr", "show", "eth0"});
  EXPECT_NE(addr.out.find("10.213.0.2/24"), std::string::npos) << addr.out << addr.err;
  EXPECT_NE(berth({"exec", "vm-sb", "ip", "route"}).out.find("default via 10.213.0.1"), std::string::npos);
  auto out = berth({"exec", "vm-sb", "ping", "-c", "1", "-W", "10", "10.213.0.1"});
  EXPECT_EQ(out.code, 0) << out.out << out.err;
  std::string busybox = tmp_ + "/rootfs/bin/busybox";
  auto in = PodNetwork::in(net.peer, {busybox, "ping", "-c", "1", "-W", "10", "10.213.0.2"});
  EXPECT_EQ(in.code, 0) << in.out << in.err;
  EXPECT_NE(PodNetwork::in(net.pod, {"tc", "qdisc", "show", "dev", "eth0"}).out.find("ingress"), std::string::npos);
  ASSERT_EQ(berth({"delete", "--force", "vm-sb"}).code, 0);
  EXPECT_EQ(PodNetwork::in(net.pod, {"tc", "qdisc", "show", "dev", "eth0"}).out.find("ingress"), std::string::npos);
  EXPECT_EQ(PodNetwork::in(net.pod, {"ip", "-o", "link"}).out.find("tap0_berth"), std::string::npos);

  auto none = vm_sandbox();
  none["io.berth.vm.network"] = "none";
  ASSERT_EQ(create("vm-sb", {"sleep", "1000"}, none).code, 0);
  ASSERT_EQ(berth({"start", "vm-sb"}).code, 0);
  auto links = berth({"exec", "vm-sb", "cat", "/proc/net/dev"});
  ASSERT_EQ(links.code, 0) << links.err;
  EXPECT_NE(links.out.find("lo:"), std::string::npos) << links.out;
  EXPECT_EQ(links.out.find("eth0"), std::string::npos) << links.out;
  EXPECT_EQ(PodNetwork::in(net.pod, {"tc", "qdisc", "show", "dev", "eth0"}).out.find("ingress"), std::string::npos);
}

// An OOM kill in a member's guest cgroup is an event on the host's
// `berth events` stream, which ends when the member stops; the VM and the
// sandbox run on.
TEST_F(Vm, OomKillInAMemberIsAnEventAndTheVmRunsOn) {
  ASSERT_EQ(create("vm-sb", {"sleep", "1000"}, vm_sandbox()).code, 0);
  ASSERT_EQ(berth({"start", "vm-sb"}).code, 0);
  config_ = default_config();
  config_["linux"]["resources"] = {{"memory", {{"limit", 32 << 20}, {"swap", 32 << 20}}}};
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_for("vm-m1", {"sleep", "1000"}, member()), "vm-m1"}).code, 0);
  RunResult events;
  std::thread t([&] { events = berth({"events", "--interval", "1h", "vm-m1"}, 60000); });
  ::usleep(1500000);  // events is watching the guest's memory cgroup
  // dd touches its whole 64 MiB buffer: twice the limit.
  auto hog = berth({"exec", "vm-m1", "/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"});
  EXPECT_EQ(hog.code, 128 + 9) << hog.err;
  ::usleep(1000000);
  EXPECT_EQ(status_of("vm-m1"), "running");
  ASSERT_EQ(berth({"kill", "vm-m1", "KILL"}).code, 0);
  t.join();  // the stream ends with the member
  EXPECT_NE(events.out.find(R"({"type":"oom","id":"vm-m1"})"), std::string::npos) << events.out << events.err;
  EXPECT_NE(events.out.find(R"({"type":"stats","id":"vm-m1")"), std::string::npos) << events.out;
  EXPECT_EQ(status_of("vm-sb"), "running");
  EXPECT_EQ(berth({"exec", "vm-sb", "true"}).code, 0);
}

// QEMU, or the VM shim that owns it, killed under a running sandbox: every
// container of it reports stopped, and delete --force leaves nothing (no
// QEMU, shim, socket, mount or state; the fixture checks mounts).
TEST_F(Vm, KilledQemuOrShimStopsTheSandboxAndDeleteForceCleansUp) {
  for (const char* victim : {"qemuPid", "shimPid"}) {
    SCOPED_TRACE(victim);
    ASSERT_EQ(create("vm-sb", {"sleep", "1000"}, vm_sandbox()).code, 0);
    // run -d: created and started by one command.
    ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_for("vm-m1", {"sleep", "1000"}, member()), "vm-m1"}).code, 0);
    EXPECT_EQ(status_of("vm-m1"), "running");
    auto rec = nlohmann::json::parse(read_text(root_ + "/vm-sb/state.json"))["vm"];
    int qemu = rec["qemuPid"].get<int>(), shim = rec["shimPid"].get<int>();
    ASSERT_TRUE(pid_alive(qemu));
    ASSERT_EQ(::kill(rec[victim].get<int>(), SIGKILL), 0);
    EXPECT_EQ(wait_status("vm-m1", "stopped", 10000), "stopped");
    EXPECT_EQ(wait_status("vm-sb", "stopped", 10000), "stopped");
    EXPECT_EQ(berth({"delete", "--force", "vm-m1"}).code, 0);
    EXPECT_EQ(berth({"delete", "--force", "vm-sb"}).code, 0);
    EXPECT_FALSE(pid_alive(qemu));
    EXPECT_FALSE(pid_alive(shim));
    EXPECT_FALSE(exists(root_ + "/vm-sb"));
    EXPECT_FALSE(exists(root_ + "/vm-m1"));
  }
}

// A guest that never answers fails create within the boot timeout, with
// an error that says so, and leaves nothing.
TEST_F(Vm, GuestThatNeverAnswersFailsCreateInBoundedTime) {
  std::string conf = tmp_ + "/vm.json";
  std::ofstream(conf) << R"({"bootTimeoutSeconds": 3})";
  ::setenv("BERTH_VM_CONFIG", conf.c_str(), 1);
  // No init, and panic=0: the kernel hangs instead of rebooting.
  config_ = default_config();
  config_["vm"] = {
      {"kernel",
       {{"path", std::string(BERTH_BINARY).substr(0, std::string(BERTH_BINARY).rfind('/')) + "/vm/vmlinuz"},
        {"parameters", {"rdinit=/none", "panic=0"}}}}};
  auto start = std::chrono::steady_clock::now();
  auto r = create("vm-sb", {"true"}, {});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("did not answer"), std::string::npos) << r.err;
  EXPECT_LT(took, std::chrono::seconds(30));
  EXPECT_FALSE(exists(root_ + "/vm-sb"));
}

// Bad input: one clear error each, exit 1, nothing made (no VM is booted).
TEST_F(Vm, BadInputIsRefusedBeforeAnythingIsMade) {
  struct Case {
    const char* name;
    nlohmann::json vm;
    std::map<std::string, std::string> annotations;
    const char* names;  // what the error must name
  };
  std::string kernel = std::string(BERTH_BINARY).substr(0, std::string(BERTH_BINARY).rfind('/')) + "/vm/vmlinuz";
  const Case cases[] = {
      {"missing hypervisor",
       {{"hypervisor", {{"path", "/nonexistent/qemu"}}}, {"kernel", {{"path", kernel}}}},
       {},
       "vm.hypervisor.path"},
      {"missing kernel", {{"kernel", {{"path", "/nonexistent/vmlinuz"}}}}, {}, "vm.kernel.path"},
      {"relative kernel", {{"kernel", {{"path", "vmlinuz"}}}}, {}, "vm.kernel.path"},
      {"no kernel", {{"hypervisor", {{"path", "/usr/bin/qemu-system-x86_64"}}}}, {}, "vm.kernel"},
      {"memory too small",
       nullptr,
       {{"io.berth.platform", "vm"}, {"io.berth.vm.memory-mb", "1"}},
       "io.berth.vm.memory-mb"},
      {"too many cpus", nullptr, {{"io.berth.platform", "vm"}, {"io.berth.vm.cpus", "100000"}}, "io.berth.vm.cpus"},
      {"unknown platform", nullptr, {{"io.berth.platform", "hyperkit"}}, "io.berth.platform"},
  };
  for (const auto& c : cases) {
    config_ = default_config();
    if (!c.vm.is_null()) config_["vm"] = c.vm;
    auto r = create("vm-sb", {"true"}, c.annotations);
    EXPECT_EQ(r.code, 1) << c.name;
    EXPECT_NE(r.err.find(c.names), std::string::npos) << c.name << ": " << r.err;
    EXPECT_FALSE(exists(root_ + "/vm-sb")) << c.name;
  }
  // A network namespace path that is no network namespace.
  config_ = default_config();
  std::string not_ns = tmp_ + "/not-a-netns";
  std::ofstream(not_ns).close();
  for (auto& n : config_["linux"]["namespaces"])
    if (n["type"] == "network") n["path"] = not_ns;
  auto bad_ns = create("vm-sb", {"true"}, {{"io.berth.platform", "vm"}});
  EXPECT_EQ(bad_ns.code, 1);
  EXPECT_NE(bad_ns.err.find("linux.namespaces[network].path"), std::string::npos) << bad_ns.err;
  EXPECT_FALSE(exists(root_ + "/vm-sb"));
  // berth's own network namespace (the host's) is never redirected into a
  // VM. berth runs in a namespace of its own here, so that a regression
  // would redirect nothing the host uses.
  for (auto& n : config_["linux"]["namespaces"])
    if (n["type"] == "network") n["path"] = "/proc/self/ns/net";
  auto own_ns = run_cmd({"/usr/bin/unshare", "--net", runtime(), "--root", root_, "create", "--bundle",
                         bundle_for("vm-sb", {"true"}, {{"io.berth.platform", "vm"}}), "vm-sb"});
  EXPECT_EQ(own_ns.code, 1);
  EXPECT_NE(own_ns.err.find("linux.namespaces[network].path"), std::string::npos) << own_ns.err;
  EXPECT_FALSE(exists(root_ + "/vm-sb"));
  // A VM-isolated member of a process-isolated sandbox: its host is no VM host.
  config_ = default_config();
  ASSERT_EQ(create("vm-lsb", {"sleep", "100"}, {{kType, "sandbox"}, {kSandboxId, "vm-lsb"}}).code, 0);
  auto r = create("vm-m1", {"true"}, {{kType, "container"}, {kSandboxId, "vm-lsb"}, {"io.berth.platform", "vm"}});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(kSandboxId), std::string::npos) << r.err;
  EXPECT_FALSE(exists(root_ + "/vm-m1"));
}

// A member asking for a VM host other than its sandbox's is refused.
TEST_F(Vm, MemberAskingForAnotherHostIsRefused) {
  ASSERT_EQ(create("vm-sb", {"sleep", "1000"}, vm_sandbox()).code, 0);
  auto m = member();
  m["io.berth.vm.host"] = "vm-other";
  auto r = create("vm-m1", {"true"}, m);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("io.berth.vm.host"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(root_ + "/vm-m1"));
  // The sandbox's own name is accepted; the member's failure left the VM be.
  m["io.berth.vm.host"] = "vm-sb";
  ASSERT_EQ(create("vm-m1", {"true"}, m).code, 0);
  EXPECT_EQ(status_of("vm-sb"), "created");
}

}  // namespace
}  // namespace berth::test
