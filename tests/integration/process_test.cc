// Every process field of the spec, checked from inside by the probe.
#include <unistd.h>

#include "harness.h"

namespace berth::test {
namespace {

using Process = BerthTest;

TEST_F(Process, IdsUmaskRlimitsOomScoreAndCapabilities) {
  config_["process"]["user"] = {{"uid", 1000}, {"gid", 1001}, {"umask", 027}, {"additionalGids", {5, 6}}};
  config_["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 512}, {"hard", 1000}},
                                   {{"type", "RLIMIT_CORE"}, {"soft", 0}, {"hard", 0}}};
  config_["process"]["oomScoreAdj"] = 500;
  config_["process"]["capabilities"] = {{"bounding", {"CAP_CHOWN", "CAP_KILL"}},
                                        {"effective", {"CAP_KILL"}},
                                        {"permitted", {"CAP_KILL"}},
                                        {"inheritable", {"CAP_KILL"}},
                                        {"ambient", {"CAP_KILL"}}};
  set_args({"/bin/probe", "id", "umask", "rlimit", "NOFILE", "rlimit", "CORE", "status", "CapEff", "status", "CapBnd",
            "status", "CapAmb", "nnp"});
  RunResult r = berth({"run", "--bundle", bundle_, "p"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  EXPECT_EQ(p["uid"], "1000");
  EXPECT_EQ(p["gid"], "1001");
  EXPECT_EQ(p["groups"], "5,6");
  EXPECT_EQ(p["umask"], "0027");
  EXPECT_EQ(p["rlimit.NOFILE"], "512:1000");
  EXPECT_EQ(p["rlimit.CORE"], "0:0");
  EXPECT_EQ(p["CapEff"], "0000000000000020");  // CAP_KILL (5)
  EXPECT_EQ(p["CapBnd"], "0000000000000021");  // CAP_CHOWN | CAP_KILL
  EXPECT_EQ(p["CapAmb"], "0000000000000020");
  EXPECT_EQ(p["nnp"], "1");
  set_args({"/bin/cat", "/proc/self/oom_score_adj"});
  EXPECT_EQ(berth({"run", "--bundle", bundle_, "oom"}).out, "500\n");
}

TEST_F(Process, ACapabilityNotGrantedCannotBeUsed) {
  config_["process"]["capabilities"] = {{"bounding", {"CAP_KILL"}},
                                        {"effective", {"CAP_KILL"}},
                                        {"permitted", {"CAP_KILL"}}};
  config_["mounts"].push_back({{"destination", "/tmp"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  set_args({"/bin/sh", "-c", "touch /tmp/f && chown 1000 /tmp/f; echo chown=$?"});
  RunResult r = berth({"run", "--bundle", bundle_, "nocap"});
  EXPECT_NE(r.out.find("chown=1"), std::string::npos) << r.out << r.err;  // no CAP_CHOWN
}

TEST_F(Process, NoCapabilitiesObjectMeansNoCapabilities) {
  // runc reads a missing (or null) capabilities object as empty sets; so
  // does the runtime-tools suite. It must never mean the caller's full set.
  config_["process"].erase("capabilities");
  set_args({"/bin/probe", "status", "CapEff", "status", "CapBnd", "status", "CapPrm"});
  RunResult r = berth({"run", "--bundle", bundle_, "nocaps"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  EXPECT_EQ(p["CapEff"], "0000000000000000");
  EXPECT_EQ(p["CapBnd"], "0000000000000000");
  EXPECT_EQ(p["CapPrm"], "0000000000000000");
  config_["process"]["capabilities"] = nullptr;
  RunResult n = berth({"run", "--bundle", bundle_, "nullcaps"});
  ASSERT_EQ(n.code, 0) << n.err;
  EXPECT_EQ(parse_probe(n.out)["CapBnd"], "0000000000000000");
}

TEST_F(Process, SysctlAndHostname) {
  config_["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}, {"kernel.msgmax", "12345"}};
  set_args({"/bin/sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax; hostname"});
  RunResult r = berth({"run", "--bundle", bundle_, "sys"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n12345\nberth-test\n");
  // The host keeps its own values (new net and ipc namespaces).
  EXPECT_NE(read_text("/proc/sys/kernel/msgmax"), "12345\n");
}

TEST_F(Process, Domainname) {
  REQUIRES_SPEC("1.1.0", "domainname");
  config_["domainname"] = "example.test";
  set_args({"/bin/cat", "/proc/sys/kernel/domainname"});
  RunResult r = berth({"run", "--bundle", bundle_, "dom"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "example.test\n");
}

TEST_F(Process, Personality) {
  // linux.personality is runtime-spec 1.0.2; runc implements it from 1.2
  // (runc#3126) and 1.1.5 ignores it without a word (uname -m: x86_64).
  BERTH_ONLY("runc 1.1.5 silently ignores linux.personality");
  config_["linux"]["personality"] = {{"domain", "LINUX32"}};
  set_args({"/bin/uname", "-m"});
  RunResult r = berth({"run", "--bundle", bundle_, "pers"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "i686\n");
}

TEST_F(Process, SchedulerIoPriorityAndCpuAffinity) {
  // scheduler and ioPriority are runtime-spec 1.1.0, execCPUAffinity 1.2.0;
  // runc 1.1.5 ignores all three without a word.
  REQUIRES_SPEC("1.2.0", "process.scheduler, ioPriority and execCPUAffinity");
  config_["process"]["scheduler"] = {{"policy", "SCHED_BATCH"}, {"nice", 7}};
  config_["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_IDLE"}, {"priority", 0}};
  config_["process"]["execCPUAffinity"] = {{"initial", "0"}, {"final", "0"}};
  set_args({"/bin/sh", "-c", "cut -d' ' -f19,41 /proc/self/stat; ionice; grep Cpus_allowed_list /proc/self/status"});
  RunResult r = berth({"run", "--bundle", bundle_, "sched"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("7 3\n"), std::string::npos) << r.out;  // nice 7, policy 3 (SCHED_BATCH)
  EXPECT_NE(r.out.find("idle"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Cpus_allowed_list:\t0\n"), std::string::npos) << r.out;
}

TEST_F(Process, PreservedAndSocketActivationFdsPassThrough) {
  set_args({"/bin/probe", "fds", "env", "LISTEN_FDS", "env", "LISTEN_PID"});
  std::string cmd = "exec 3</etc/hostname 4</etc/passwd 5</etc/group; exec env LISTEN_FDS=1 LISTEN_PID=$$ " +
                    runtime() + " --root " + root_ + " run --preserve-fds 1 --bundle " + bundle_ + " lfd";
  RunResult r = run_cmd({"/bin/sh", "-c", cmd});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = parse_probe(r.out);
  // LISTEN_FDS=1 keeps fd 3; --preserve-fds 1 keeps the next one, fd 4; fd 5 is closed.
  EXPECT_NE(p["fds"].find("3:/etc/hostname"), std::string::npos) << p["fds"];
  EXPECT_NE(p["fds"].find("4:/etc/passwd"), std::string::npos) << p["fds"];
  EXPECT_EQ(p["fds"].find("5:"), std::string::npos) << p["fds"];
  EXPECT_EQ(p["env.LISTEN_FDS"], "1");
  EXPECT_EQ(p["env.LISTEN_PID"], "1");
}

// LSM labels, as runc treats them on a host without the LSM: an AppArmor
// profile or a SELinux label is refused (the process would run
// unconfined). Where the LSM is on, they apply.
TEST_F(Process, LsmLabelsFollowWhatTheHostHas) {
  bool apparmor = read_text("/sys/module/apparmor/parameters/enabled").rfind('Y', 0) == 0;
  bool selinux = exists("/sys/fs/selinux/enforce");
  config_["process"]["apparmorProfile"] = "berth-test-profile";
  write_config();
  RunResult a = berth({"run", "--bundle", bundle_, "aa"});
  if (!apparmor) {
    EXPECT_EQ(a.code, 1);
    if (runtime_is_berth()) {
      EXPECT_NE(a.err.find("process.apparmorProfile"), std::string::npos) << a.err;
    }
  }
  config_["process"].erase("apparmorProfile");
  // SELinux labels where SELinux is off: refused, as runc refuses a process
  // label ("selinux label is specified in config, but selinux is disabled")
  // and fails mounting /dev with a mount label's context= option.
  set_args({"/bin/sh", "-c", "cat /proc/self/attr/current 2>/dev/null; echo ran"});
  config_["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0:c1,c2";
  write_config();
  RunResult m = berth({"run", "--bundle", bundle_, "ml"});
  config_["linux"].erase("mountLabel");
  config_["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0:c1,c2";
  write_config();
  RunResult s = berth({"run", "--bundle", bundle_, "se"});
  if (!selinux) {
    EXPECT_EQ(m.code, 1) << m.err;
    EXPECT_EQ(s.code, 1) << s.err;
    if (runtime_is_berth()) {
      EXPECT_NE(m.err.find("linux.mountLabel"), std::string::npos) << m.err;
      EXPECT_NE(s.err.find("process.selinuxLabel"), std::string::npos) << s.err;
    }
    EXPECT_FALSE(exists(root_ + "/ml"));
    EXPECT_FALSE(exists(root_ + "/se"));
    return;
  }
  ASSERT_EQ(m.code, 0) << m.err;
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_NE(s.out.find("container_t"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("ran"), std::string::npos);
}

}  // namespace
}  // namespace berth::test
