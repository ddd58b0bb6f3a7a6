// Resources on a pure cgroup v2 host. This machine is hybrid, so these run in
// a small VM (`make test-v2`, scripts/test-v2.sh) whose kernel mounts cgroup2
// with every controller; on a host that is not pure v2 they skip.
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "harness.h"

namespace berth::test {
namespace {

class CgroupsV2 : public BerthTest {
 protected:
  void SetUp() override {
    BerthTest::SetUp();
    struct statfs s {};
    if (::statfs("/sys/fs/cgroup", &s) != 0 || s.f_type != CGROUP2_SUPER_MAGIC)
      GTEST_SKIP() << "/sys/fs/cgroup is not cgroup2 here (hybrid or v1): `make test-v2` runs these in a VM";
    set_args({"/bin/probe", "sleep"});
  }
  int pid_of(const std::string& id) { return nlohmann::json::parse(berth({"state", id}).out)["pid"]; }
  // The cgroup2 directory of a process ("0::/path" in /proc/PID/cgroup).
  std::string cgroup_dir(int pid) {
    std::istringstream in(read_text("/proc/" + std::to_string(pid) + "/cgroup"));
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("0::", 0) == 0) return "/sys/fs/cgroup" + line.substr(3);
    return "";
  }
  std::string value(const std::string& dir, const std::string& file) {
    std::string v = read_text(dir + "/" + file);
    while (!v.empty() && v.back() == '\n') v.pop_back();
    return v;
  }
  // cgroupsPath values are relative to the cgroup2 mount.
  std::string rel_ = "/berth-test-" + std::to_string(::getpid());
  std::string parent_ = "/sys/fs/cgroup" + rel_;
  void TearDown() override {
    BerthTest::TearDown();
    ::rmdir(parent_.c_str());
  }
};

TEST_F(CgroupsV2, LimitsLandInTheirFilesAndDeleteRemovesTheDirectory) {
  config_["linux"]["resources"] = {
      {"memory", {{"limit", 64 << 20}, {"reservation", 32 << 20}}},
      {"cpu", {{"shares", 512}, {"quota", 50000}, {"period", 100000}, {"cpus", "1"}, {"mems", "0"}}},
      {"pids", {{"limit", 32}}},
      {"unified", {{"memory.high", "61440000"}}},
      {"hugepageLimits", {{{"pageSize", "2MB"}, {"limit", 4 << 20}}}},
  };
  config_["linux"]["cgroupsPath"] = rel_ + "/limits";
  write_config();
  RunResult run = berth({"run", "-d", "--bundle", bundle_, "lim"});
  ASSERT_EQ(run.code, 0) << run.err;
  int pid = pid_of("lim");
  std::string dir = cgroup_dir(pid);
  EXPECT_EQ(dir, parent_ + "/limits");
  EXPECT_EQ(value(dir, "memory.max"), std::to_string(64 << 20));
  EXPECT_EQ(value(dir, "memory.low"), std::to_string(32 << 20));
  EXPECT_EQ(value(dir, "memory.high"), "61440000");
  EXPECT_EQ(value(dir, "cpu.weight"), "20");  // runc: 1 + (512 - 2) * 9999 / 262142
  EXPECT_EQ(value(dir, "cpu.max"), "50000 100000");
  EXPECT_EQ(value(dir, "pids.max"), "32");
  EXPECT_EQ(value(dir, "cpuset.cpus"), "1");
  EXPECT_EQ(value(dir, "hugetlb.2MB.max"), std::to_string(4 << 20));
  RunResult r = berth({"exec", "lim", "/bin/probe", "status", "Cpus_allowed_list"});
  EXPECT_EQ(parse_probe(r.out)["Cpus_allowed_list"], "1") << r.err;
  // An exec'd process joins the same cgroup.
  std::string pid_file = tmp_ + "/exec.pid";
  ASSERT_EQ(berth({"exec", "-d", "--pid-file", pid_file, "lim", "/bin/probe", "sleep"}).code, 0);
  EXPECT_EQ(cgroup_dir(std::stoi(read_text(pid_file))), dir);
  ASSERT_EQ(berth({"delete", "--force", "lim"}).code, 0);
  EXPECT_FALSE(exists(dir));
}

TEST_F(CgroupsV2, DeviceRulesAreEnforcedByTheEbpfProgram) {
  // runc's default spec denies every device, and berth adds the standard
  // ones. mknod is allowed (as with runc); opening the node is not. The node
  // is /dev/kmsg's (1:11), which root may open for writing with no capability.
  config_["linux"]["resources"]["devices"] = {{{"allow", false}, {"access", "rwm"}}};
  config_["process"]["capabilities"]["bounding"].push_back("CAP_MKNOD");
  config_["process"]["capabilities"]["effective"].push_back("CAP_MKNOD");
  config_["process"]["capabilities"]["permitted"].push_back("CAP_MKNOD");
  set_args(
      {"/bin/sh", "-c",
       "mknod /dev/kmsg1 c 1 11 && ( (echo berth-device-test > /dev/kmsg1) 2>/dev/null && echo kmsg-open || echo kmsg-denied);"
       "echo x > /dev/null && echo null-ok"});
  RunResult denied = berth({"run", "--bundle", bundle_, "dev1"});
  EXPECT_EQ(denied.code, 0) << denied.err;
  EXPECT_NE(denied.out.find("kmsg-denied"), std::string::npos) << denied.out << denied.err;
  EXPECT_NE(denied.out.find("null-ok"), std::string::npos) << denied.out;
  // A rule in the spec opens the device for writing.
  config_["linux"]["resources"]["devices"].push_back(
      {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 11}, {"access", "w"}});
  write_config();
  RunResult allowed = berth({"run", "--bundle", bundle_, "dev2"});
  EXPECT_NE(allowed.out.find("kmsg-open"), std::string::npos) << allowed.out << allowed.err;
}

TEST_F(CgroupsV2, MemoryHogIsOomKilledAndEventsReportIt) {
  config_["linux"]["resources"] = {{"memory", {{"limit", 32 << 20}, {"swap", 32 << 20}}}};
  write_config();
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "hog"}).code, 0);
  EXPECT_EQ(value(cgroup_dir(pid_of("hog")), "memory.swap.max"), "0");
  RunResult events;
  std::thread t([&] { events = berth({"events", "--interval", "10s", "hog"}, 60000); });
  ::usleep(1000000);  // events has taken its first reading (the VM is slow)
  RunResult hog = berth({"exec", "hog", "/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"});
  EXPECT_EQ(hog.code, 128 + 9) << hog.err;
  ::usleep(1000000);
  // events ends once the container is gone (runc's once its cgroup is removed).
  ASSERT_EQ(berth({"delete", "--force", "hog"}).code, 0);
  t.join();
  EXPECT_NE(events.out.find(R"({"type":"oom","id":"hog"})"), std::string::npos) << events.out;
}

TEST_F(CgroupsV2, ForkBombStopsAtThePidsLimit) {
  config_["linux"]["resources"] = {{"pids", {{"limit", 10}}}};
  write_config();
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "bomb"}).code, 0);
  // The sleeps do not hold exec's stdout and stderr: runc's foreground exec
  // returns only when every holder of its pipes has gone.
  RunResult r = berth({"exec", "bomb", "/bin/sh", "-c", "for i in $(seq 40); do sleep 30 >/dev/null 2>&1 & done; wait"},
                      60000);
  EXPECT_NE(r.err.find("can't fork"), std::string::npos) << r.err;
  std::string dir = cgroup_dir(pid_of("bomb"));
  EXPECT_EQ(value(dir, "pids.max"), "10");
  EXPECT_LE(std::stoi(value(dir, "pids.current")), 10);
}

TEST_F(CgroupsV2, UpdateChangesARunningContainersLimits) {
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "upd"}).code, 0);
  std::string dir = cgroup_dir(pid_of("upd"));
  RunResult u = berth({"update", "--memory", "100m", "--pids-limit", "50", "--cpu-share", "1024", "upd"});
  ASSERT_EQ(u.code, 0) << u.err;
  EXPECT_EQ(value(dir, "memory.max"), std::to_string(100 << 20));
  EXPECT_EQ(value(dir, "pids.max"), "50");
  EXPECT_EQ(value(dir, "cpu.weight"), "39");
  std::string cmd = "echo '{\"pids\": {\"limit\": 77}, \"cpu\": {\"quota\": 20000, \"period\": 100000}}' | " +
                    runtime() + " --root " + root_ + " update --resources - upd";
  ASSERT_EQ(run_cmd({"/bin/sh", "-c", cmd}).code, 0);
  EXPECT_EQ(value(dir, "pids.max"), "77");
  EXPECT_EQ(value(dir, "cpu.max"), "20000 100000");
  EXPECT_EQ(value(dir, "memory.max"), std::to_string(100 << 20));
}

TEST_F(CgroupsV2, PauseFreezesEveryProcessAndResumeContinues) {
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "frz"}).code, 0);
  int pid = pid_of("frz");
  ASSERT_EQ(
      berth(
          {"exec", "-d", "frz", "/bin/sh", "-c",
           "i=0; while :; do i=$((i+1)); echo $i > /dev/shm/c.tmp; mv /dev/shm/c.tmp /dev/shm/count; sleep 0.01; done"})
          .code,
      0);
  std::string counter = "/proc/" + std::to_string(pid) + "/root/dev/shm/count";
  // The counter is renamed into place, so a read never sees it half-written.
  for (int i = 0; i < 500 && read_text(counter).empty(); ++i) ::usleep(20000);
  ASSERT_FALSE(read_text(counter).empty());
  ASSERT_EQ(berth({"pause", "frz"}).code, 0);
  EXPECT_EQ(status_of("frz"), "paused");
  EXPECT_EQ(value(cgroup_dir(pid), "cgroup.freeze"), "1");
  std::string frozen_at = read_text(counter);
  ::usleep(500000);
  EXPECT_EQ(read_text(counter), frozen_at);
  ASSERT_EQ(berth({"resume", "frz"}).code, 0);
  EXPECT_EQ(status_of("frz"), "running");
  ::usleep(1000000);
  EXPECT_GT(std::stoi(read_text(counter)), std::stoi(frozen_at));
}

TEST_F(CgroupsV2, PausedContainerCanBeForceDeletedAndKillAllReachesEveryProcess) {
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "pd"}).code, 0);
  int pid = pid_of("pd");
  std::string dir = cgroup_dir(pid);
  ASSERT_EQ(berth({"pause", "pd"}).code, 0);
  ASSERT_EQ(berth({"delete", "--force", "pd"}).code, 0);
  EXPECT_FALSE(pid_alive(pid));
  EXPECT_FALSE(exists(dir));

  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "ka"}).code, 0);
  for (int i = 0; i < 2; ++i) ASSERT_EQ(berth({"exec", "-d", "ka", "/bin/probe", "sleep"}).code, 0);
  auto ps = nlohmann::json::parse(berth({"ps", "--format", "json", "ka"}).out);
  EXPECT_EQ(ps.size(), 3u);
  ASSERT_EQ(berth({"kill", "--all", "ka", "KILL"}).code, 0);
  EXPECT_EQ(wait_status("ka", "stopped", 20000), "stopped");
  for (const auto& p : ps) EXPECT_FALSE(pid_alive(p.get<int>())) << p;
}

TEST_F(CgroupsV2, ALimitTheKernelRejectsFailsCleanly) {
  config_["linux"]["resources"] = {{"cpu", {{"cpus", "63"}}}};
  config_["linux"]["cgroupsPath"] = rel_ + "/rejected";
  write_config();
  RunResult r = berth({"run", "--bundle", bundle_, "rej"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("linux.resources.cpu.cpus"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cpuset.cpus"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(root_ + "/rej"));
  EXPECT_FALSE(exists(parent_ + "/rejected"));
  // v1-only limits are refused on v2, naming the field.
  config_["linux"]["resources"] = {{"network", {{"classID", 42}}}};
  write_config();
  RunResult net = berth({"run", "--bundle", bundle_, "net"});
  EXPECT_EQ(net.code, 1);
  EXPECT_NE(net.err.find("linux.resources.network"), std::string::npos) << net.err;
}

}  // namespace
}  // namespace berth::test
