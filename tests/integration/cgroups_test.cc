// Resources on this host's cgroup layout (v1 controllers, hybrid with a
// cgroup2 tree): each limit lands in its file and has its effect; update,
// pause/resume, ps, events and delete work on the live cgroup.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness.h"

namespace berth::test {
namespace {

class Cgroups : public BerthTest {
 protected:
  void SetUp() override {
    BerthTest::SetUp();
    if (!exists("/sys/fs/cgroup/memory/cgroup.procs") || !exists("/sys/fs/cgroup/freezer/cgroup.procs"))
      GTEST_SKIP() << "this host has no cgroup v1 memory/freezer hierarchy (tested in the v2 VM)";
    set_args({"/bin/probe", "sleep"});
  }
  int pid_of(const std::string& id) { return nlohmann::json::parse(berth({"state", id}).out)["pid"]; }
  // The host directory of a process's cgroup for one v1 controller ("" for the cgroup2 tree).
  std::string cgroup_dir(int pid, const std::string& controller) {
    std::istringstream in(read_text("/proc/" + std::to_string(pid) + "/cgroup"));
    std::string line;
    while (std::getline(in, line)) {
      auto a = line.find(':'), b = line.find(':', a + 1);
      std::string ctrls = line.substr(a + 1, b - a - 1);
      std::string path = line.substr(b + 1);
      if (controller.empty() ? ctrls.empty() : ("," + ctrls + ",").find("," + controller + ",") != std::string::npos)
        return (controller.empty() ? std::string("/sys/fs/cgroup/unified") : "/sys/fs/cgroup/" + controller) + path;
    }
    return "";
  }
  std::string value(const std::string& dir, const std::string& file) {
    std::string v = read_text(dir + "/" + file);
    while (!v.empty() && v.back() == '\n') v.pop_back();
    return v;
  }
  std::vector<std::string> all_dirs(int pid) {
    std::vector<std::string> out;
    for (const char* c : {"memory", "cpu", "cpuset", "pids", "freezer", "devices", "blkio", ""})
      out.push_back(cgroup_dir(pid, c));
    return out;
  }
};

TEST_F(Cgroups, LimitsLandInTheirFilesAndDeleteRemovesEveryDirectory) {
  config_["linux"]["resources"] = {
      {"memory", {{"limit", 64 << 20}, {"reservation", 32 << 20}, {"swappiness", 10}}},
      {"cpu", {{"shares", 512}, {"quota", 50000}, {"period", 100000}, {"cpus", "0"}, {"mems", "0"}}},
      {"pids", {{"limit", 32}}},
      {"devices", {{{"allow", false}, {"access", "rwm"}}}},
  };
  // A read throttle on the first disk, when the host has one.
  std::string disk = read_text("/sys/block/vda/dev");
  if (disk.empty()) disk = read_text("/sys/block/sda/dev");
  int major = 0, minor = 0;
  bool throttle = std::sscanf(disk.c_str(), "%d:%d", &major, &minor) == 2;
  if (throttle)
    config_["linux"]["resources"]["blockIO"] = {
        {"throttleReadBpsDevice", {{{"major", major}, {"minor", minor}, {"rate", 1 << 20}}}}};
  config_["linux"]["cgroupsPath"] = "/berth-test-" + std::to_string(::getpid()) + "/limits";
  write_config();
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "lim"}).code, 0);
  int pid = pid_of("lim");
  std::string mem = cgroup_dir(pid, "memory");
  EXPECT_EQ(mem, "/sys/fs/cgroup/memory/berth-test-" + std::to_string(::getpid()) + "/limits");
  EXPECT_EQ(value(mem, "memory.limit_in_bytes"), std::to_string(64 << 20));
  EXPECT_EQ(value(mem, "memory.soft_limit_in_bytes"), std::to_string(32 << 20));
  EXPECT_EQ(value(mem, "memory.swappiness"), "10");
  std::string cpu = cgroup_dir(pid, "cpu");
  EXPECT_EQ(value(cpu, "cpu.shares"), "512");
  EXPECT_EQ(value(cpu, "cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(value(cpu, "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(value(cgroup_dir(pid, "pids"), "pids.max"), "32");
  EXPECT_EQ(value(cgroup_dir(pid, "cpuset"), "cpuset.cpus"), "0");
  if (throttle) {
    EXPECT_EQ(value(cgroup_dir(pid, "blkio"), "blkio.throttle.read_bps_device"),
              std::to_string(major) + ":" + std::to_string(minor) + " " + std::to_string(1 << 20));
  }
  // The devices list is deny-all plus the defaults (runc's list).
  std::string list = value(cgroup_dir(pid, "devices"), "devices.list");
  EXPECT_NE(list.find("c 1:3 rwm"), std::string::npos) << list;
  EXPECT_EQ(list.find("a *:* rwm"), std::string::npos) << list;
  EXPECT_EQ(list.find("c 5:1 "), std::string::npos) << list;  // never the host's console
  // From inside: the cpuset and a device the rules deny.
  RunResult r = berth({"exec", "lim", "/bin/probe", "status", "Cpus_allowed_list"});
  EXPECT_EQ(parse_probe(r.out)["Cpus_allowed_list"], "0");
  RunResult n = berth({"exec", "lim", "/bin/sh", "-c", "echo x > /dev/null && echo null-ok"});
  EXPECT_NE(n.out.find("null-ok"), std::string::npos) << n.err;

  auto dirs = all_dirs(pid);
  ASSERT_EQ(berth({"delete", "--force", "lim"}).code, 0);
  for (const auto& d : dirs) EXPECT_FALSE(exists(d)) << d;
  ::rmdir(("/sys/fs/cgroup/memory/berth-test-" + std::to_string(::getpid())).c_str());
  for (const char* c : {"cpu", "cpuacct", "cpuset", "pids", "freezer", "devices", "blkio", "systemd", "unified"})
    ::rmdir(("/sys/fs/cgroup/" + std::string(c) + "/berth-test-" + std::to_string(::getpid())).c_str());
}

// The cgroup mount shows the container's own cgroup, and a new cgroup
// namespace has it as its root (runc's order: the init joins its cgroups
// first); berth once showed its caller's cgroup in both.
TEST_F(Cgroups, CgroupMountAndNamespaceShowTheContainersOwnCgroup) {
  config_["linux"]["resources"] = {{"memory", {{"limit", 64 << 20}}}};
  for (bool new_ns : {false, true}) {
    auto& nss = config_["linux"]["namespaces"];
    for (size_t i = nss.size(); i-- > 0;)
      if (nss[i]["type"] == "cgroup") nss.erase(i);
    if (new_ns) nss.push_back({{"type", "cgroup"}});
    set_args({"/bin/sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; grep :memory: /proc/self/cgroup"});
    std::string id = new_ns ? "cgns" : "cghost";
    RunResult r = berth({"run", "--bundle", bundle_, id});
    ASSERT_EQ(r.code, 0) << r.err;
    auto nl = r.out.find('\n');
    ASSERT_NE(nl, std::string::npos) << r.out;
    EXPECT_EQ(r.out.substr(0, nl), "67108864") << "new cgroup ns: " << new_ns;
    std::string path = r.out.substr(r.out.find(":memory:") + 8);
    EXPECT_EQ(path, new_ns ? "/\n" : path.substr(0, path.rfind('/')) + "/" + id + "\n") << r.out;
    EXPECT_EQ(path.find(".."), std::string::npos) << r.out;
  }
}

TEST_F(Cgroups, MemoryHogIsOomKilledAndEventsReportIt) {
  config_["linux"]["resources"] = {{"memory", {{"limit", 32 << 20}, {"swap", 32 << 20}}}};
  write_config();
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "hog"}).code, 0);
  // A one-off reading.
  RunResult stats = berth({"events", "--stats", "hog"});
  EXPECT_NE(stats.out.find(R"({"type":"stats","id":"hog")"), std::string::npos) << stats.out << stats.err;
  RunResult events;
  std::thread t([&] { events = berth({"events", "--interval", "10s", "hog"}, 30000); });
  ::usleep(300000);  // events has taken its first reading
  // dd touches its whole 64 MiB buffer: twice the limit.
  RunResult hog = berth({"exec", "hog", "/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"});
  EXPECT_EQ(hog.code, 128 + 9) << hog.err;
  ::usleep(500000);  // events polls for OOM kills every 100 ms
  // events ends once the container is gone (runc's once its cgroup is removed).
  ASSERT_EQ(berth({"delete", "--force", "hog"}).code, 0);
  t.join();
  EXPECT_NE(events.out.find(R"({"type":"oom","id":"hog"})"), std::string::npos) << events.out;
  // berth's stream starts with a reading; runc 1.1.5's first comes after an interval.
  if (runtime_is_berth()) {
    EXPECT_NE(events.out.find(R"({"type":"stats","id":"hog")"), std::string::npos) << events.out;
  }
}

TEST_F(Cgroups, ForkBombStopsAtThePidsLimit) {
  config_["linux"]["resources"] = {{"pids", {{"limit", 10}}}};
  write_config();
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "bomb"}).code, 0);
  // The sleeps do not hold exec's stdout and stderr: runc's foreground exec
  // returns only when every holder of its pipes has gone.
  RunResult r = berth({"exec", "bomb", "/bin/sh", "-c", "for i in $(seq 40); do sleep 30 >/dev/null 2>&1 & done; wait"},
                      60000);
  EXPECT_NE(r.err.find("can't fork"), std::string::npos) << r.err;
  std::string pids = cgroup_dir(pid_of("bomb"), "pids");
  EXPECT_EQ(value(pids, "pids.max"), "10");
  EXPECT_LE(std::stoi(value(pids, "pids.current")), 10);
  auto ps = nlohmann::json::parse(berth({"ps", "--format", "json", "bomb"}).out);
  EXPECT_LE(ps.size(), 10u);
  EXPECT_GE(ps.size(), 2u);
}

TEST_F(Cgroups, UpdateChangesARunningContainersLimits) {
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "upd"}).code, 0);
  int pid = pid_of("upd");
  ASSERT_EQ(berth({"update", "--memory", "100m", "--pids-limit", "50", "--cpu-share", "256", "upd"}).code, 0);
  EXPECT_EQ(value(cgroup_dir(pid, "memory"), "memory.limit_in_bytes"), std::to_string(100 << 20));
  EXPECT_EQ(value(cgroup_dir(pid, "pids"), "pids.max"), "50");
  EXPECT_EQ(value(cgroup_dir(pid, "cpu"), "cpu.shares"), "256");
  // containerd's form: LinuxResources JSON on stdin.
  std::string cmd = "echo '{\"pids\": {\"limit\": 77}, \"cpu\": {\"quota\": 20000, \"period\": 100000}}' | " +
                    runtime() + " --root " + root_ + " update --resources - upd";
  ASSERT_EQ(run_cmd({"/bin/sh", "-c", cmd}).code, 0);
  EXPECT_EQ(value(cgroup_dir(pid, "pids"), "pids.max"), "77");
  EXPECT_EQ(value(cgroup_dir(pid, "cpu"), "cpu.cfs_quota_us"), "20000");
  EXPECT_EQ(value(cgroup_dir(pid, "memory"), "memory.limit_in_bytes"), std::to_string(100 << 20));
  RunResult bad = berth({"update", "--memory", "lots", "upd"});
  EXPECT_EQ(bad.code, 1);
  if (runtime_is_berth()) {
    EXPECT_NE(bad.err.find("--memory"), std::string::npos) << bad.err;
  }
}

TEST_F(Cgroups, PauseFreezesEveryProcessAndResumeContinues) {
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
  EXPECT_EQ(value(cgroup_dir(pid, "freezer"), "freezer.state"), "FROZEN");
  std::string frozen_at = read_text(counter);
  ::usleep(300000);
  EXPECT_EQ(read_text(counter), frozen_at);  // the counter stopped
  // exec refuses a paused container unless told otherwise.
  RunResult e = berth({"exec", "frz", "/bin/true"});
  EXPECT_EQ(e.code, 255);
  EXPECT_NE(e.err.find("paused"), std::string::npos) << e.err;
  EXPECT_EQ(berth({"pause", "frz"}).code, 1);  // already paused
  ASSERT_EQ(berth({"resume", "frz"}).code, 0);
  EXPECT_EQ(status_of("frz"), "running");
  ::usleep(300000);
  EXPECT_GT(std::stoi(read_text(counter)), std::stoi(frozen_at));
  EXPECT_EQ(berth({"resume", "frz"}).code, 1);  // not paused
}

TEST_F(Cgroups, PausedContainerCanBeKilledAndForceDeleted) {
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "pk"}).code, 0);
  ASSERT_EQ(berth({"pause", "pk"}).code, 0);
  ASSERT_EQ(berth({"kill", "pk", "KILL"}).code, 0);
  EXPECT_EQ(wait_status("pk", "stopped"), "stopped");
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "pd"}).code, 0);
  int pid = pid_of("pd");
  auto dirs = all_dirs(pid);
  ASSERT_EQ(berth({"pause", "pd"}).code, 0);
  ASSERT_EQ(berth({"delete", "--force", "pd"}).code, 0);
  EXPECT_FALSE(pid_alive(pid));
  for (const auto& d : dirs) EXPECT_FALSE(exists(d)) << d;
}

TEST_F(Cgroups, KillAllSignalsEveryProcessAndPsListsThem) {
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "ka"}).code, 0);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(berth({"exec", "-d", "ka", "/bin/probe", "sleep"}).code, 0);
  auto ps = nlohmann::json::parse(berth({"ps", "--format", "json", "ka"}).out);
  EXPECT_EQ(ps.size(), 4u);
  RunResult table = berth({"ps", "ka"});
  EXPECT_EQ(table.out.rfind("UID", 0), 0u) << table.out;
  EXPECT_EQ(std::count(table.out.begin(), table.out.end(), '\n'), 5) << table.out;
  ASSERT_EQ(berth({"kill", "--all", "ka", "KILL"}).code, 0);
  EXPECT_EQ(wait_status("ka", "stopped"), "stopped");
  for (const auto& p : ps) EXPECT_FALSE(pid_alive(p.get<int>())) << p;
}

TEST_F(Cgroups, ExecRunsInASubCgroupWhenAsked) {
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "sub"}).code, 0);
  int pid = pid_of("sub");
  std::string pids_dir = cgroup_dir(pid, "pids");
  ASSERT_EQ(::mkdir((pids_dir + "/inner").c_str(), 0755), 0);
  std::string pid_file = tmp_ + "/sub.pid";
  RunResult r = berth({"exec", "-d", "--pid-file", pid_file, "--cgroup", "pids:inner", "sub", "/bin/probe", "sleep"});
  ASSERT_EQ(r.code, 0) << r.err;
  int child = std::stoi(read_text(pid_file));
  EXPECT_EQ(cgroup_dir(child, "pids"), pids_dir + "/inner");
  EXPECT_EQ(cgroup_dir(child, "memory"), cgroup_dir(pid, "memory"));
  RunResult missing = berth({"exec", "--cgroup", "pids:nope", "sub", "/bin/true"});
  EXPECT_EQ(missing.code, 255);
  if (runtime_is_berth()) {
    EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing.err;
  }
  // delete removes the sub-cgroup with the rest.
  ASSERT_EQ(berth({"delete", "--force", "sub"}).code, 0);
  EXPECT_FALSE(exists(pids_dir));
}

TEST_F(Cgroups, HugetlbLimitGoesToTheCgroup2TreeOnThisHybridHost) {
  // runc 1.1.5 looks for hugetlb among the v1 hierarchies only ("cannot set
  // hugetlb limit: container could not join or create cgroup").
  BERTH_ONLY("limits in the cgroup2 tree of a hybrid host are berth's extension");
  if (exists("/sys/fs/cgroup/hugetlb/cgroup.procs")) GTEST_SKIP() << "hugetlb is a v1 hierarchy here";
  if (read_text("/sys/fs/cgroup/unified/cgroup.controllers").find("hugetlb") == std::string::npos)
    GTEST_SKIP() << "no hugetlb controller in the cgroup2 tree";
  const std::string control = "/sys/fs/cgroup/unified/cgroup.subtree_control";
  bool delegated_before = read_text(control).find("hugetlb") != std::string::npos;
  config_["linux"]["resources"] = {{"hugepageLimits", {{{"pageSize", "2MB"}, {"limit", 4 << 20}}}}};
  write_config();
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "huge"}).code, 0);
  EXPECT_EQ(value(cgroup_dir(pid_of("huge"), ""), "hugetlb.2MB.max"), std::to_string(4 << 20));
  // Leave the host as it was: berth delegated hugetlb for this limit.
  ASSERT_EQ(berth({"delete", "--force", "huge"}).code, 0);
  if (!delegated_before) std::ofstream(control) << "-hugetlb";
}

TEST_F(Cgroups, ACgroupWithOtherProcessesIsNeverAdopted) {
  // runc 1.1 only warns about a non-empty cgroup and runs the container in
  // it (runc#3132; an error from runc 1.2), so a later delete kills both.
  BERTH_ONLY("runc 1.1.5 adopts a cgroup that has other processes");
  // A failed create or a delete kills what is in the container's cgroup: a
  // cgroupsPath naming a busy cgroup must be refused, its processes untouched.
  ASSERT_EQ(berth({"run", "-d", "--bundle", bundle_, "busy"}).code, 0);
  int pid = pid_of("busy");
  std::string mem = cgroup_dir(pid, "memory");
  std::string rel = mem.substr(std::string("/sys/fs/cgroup/memory").size());
  config_["linux"]["cgroupsPath"] = rel;
  write_config();
  RunResult r = berth({"run", "--bundle", bundle_, "intruder"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("already has processes"), std::string::npos) << r.err;  // berth's words
  EXPECT_TRUE(pid_alive(pid));
  EXPECT_EQ(status_of("busy"), "running");
  EXPECT_TRUE(exists(mem));
}

TEST_F(Cgroups, ALimitTheKernelRejectsFailsCleanly) {
  config_["linux"]["resources"] = {{"cpu", {{"cpus", "63"}}}};
  config_["linux"]["cgroupsPath"] = "/berth-reject-" + std::to_string(::getpid());
  write_config();
  RunResult r = berth({"run", "--bundle", bundle_, "rej"});
  EXPECT_EQ(r.code, 1);
  if (runtime_is_berth()) {
    EXPECT_NE(r.err.find("linux.resources.cpu.cpus"), std::string::npos) << r.err;
  }
  EXPECT_NE(r.err.find("cpuset.cpus"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(root_ + "/rej"));
  for (const char* c : {"memory", "cpu", "cpuset", "pids", "freezer", "devices", "blkio", "unified"})
    EXPECT_FALSE(exists("/sys/fs/cgroup/" + std::string(c) + "/berth-reject-" + std::to_string(::getpid()))) << c;
}

}  // namespace
}  // namespace berth::test
