#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "base/testutil.h"

#include "cgroups/devices.h"
#include "cgroups/manager.h"

namespace berth::cgroups {
namespace {

namespace fs = std::filesystem;
using testutil::contains;
using testutil::put;
using testutil::read;
using testutil::TempDir;

// One temp dir per v1 hierarchy (cpu and cpuacct co-mounted), the container
// at <hierarchy>/berth/web. Interface files are plain files the tests make.
class CgroupV1Manager : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    for (const char* c : {"memory", "cpuset", "pids", "devices", "freezer", "blkio", "hugetlb"}) add(c, {c});
    add("cpu,cpuacct", {"cpu", "cpuacct"});
  }
  void add(const std::string& key, std::vector<std::string> controllers) {
    fs::create_directories(tmp_ / key);
    layout_.v1.push_back({tmp_ / key, key, std::move(controllers)});
    paths_[key] = tmp_ / key + "/berth/web";
  }
  void remove(const std::string& key) {
    std::erase_if(layout_.v1, [&](const Hierarchy& h) { return h.key == key; });
    paths_.erase(key);
  }
  void touch(const std::string& key, std::initializer_list<const char*> files) {
    fs::create_directories(paths_.at(key));
    for (const char* f : files) put(paths_.at(key) + "/" + f, "");
  }
  std::string file(const std::string& key, const std::string& name) const { return read(paths_.at(key) + "/" + name); }
  std::unique_ptr<Manager> manager() const { return make_manager(layout_, paths_); }

  TempDir tmp_;
  Layout layout_;
  Paths paths_;
};

oci::Resources memory(int64_t limit, std::optional<int64_t> swap) {
  oci::Resources r;
  r.memory.emplace();
  r.memory->limit = limit;
  r.memory->swap = swap;
  return r;
}

TEST_F(CgroupV1Manager, CreateMakesEveryDirectoryAndFillsTheCpuset) {
  put(tmp_ / "cpuset/cpuset.cpus", "0-1");
  put(tmp_ / "cpuset/cpuset.mems", "0");
  touch("cpuset", {"cpuset.cpus", "cpuset.mems"});
  put(tmp_ / "cpuset/berth/cpuset.cpus", "");
  put(tmp_ / "cpuset/berth/cpuset.mems", "");
  auto st = manager()->create();
  ASSERT_TRUE(st) << st.error().message;
  for (const auto& [key, dir] : paths_) EXPECT_TRUE(fs::is_directory(dir)) << key;
  EXPECT_EQ(read(tmp_ / "cpuset/berth/cpuset.cpus"), "0-1");
  EXPECT_EQ(read(tmp_ / "cpuset/berth/cpuset.mems"), "0");
  EXPECT_EQ(file("cpuset", "cpuset.cpus"), "0-1");
  EXPECT_EQ(file("cpuset", "cpuset.mems"), "0");
  EXPECT_EQ(read(tmp_ / "cpuset/cpuset.cpus"), "0-1");  // the root is only read
}

TEST_F(CgroupV1Manager, CpusetComesFromTheNearestAncestor) {
  put(tmp_ / "cpuset/cpuset.cpus", "0-3");
  put(tmp_ / "cpuset/cpuset.mems", "0-1");
  touch("cpuset", {"cpuset.cpus", "cpuset.mems"});
  put(tmp_ / "cpuset/berth/cpuset.cpus", "2");
  put(tmp_ / "cpuset/berth/cpuset.mems", "1");
  auto st = manager()->create();
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(file("cpuset", "cpuset.cpus"), "2");
  EXPECT_EQ(file("cpuset", "cpuset.mems"), "1");
}

TEST_F(CgroupV1Manager, SetMemory) {
  touch("memory", {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes",
                   "memory.swappiness", "memory.oom_control"});
  oci::Resources r = memory(100 << 20, 200 << 20);
  r.memory->reservation = 50 << 20;
  r.memory->swappiness = 10;
  r.memory->disable_oom_killer = true;
  auto st = manager()->set(r);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(file("memory", "memory.limit_in_bytes"), "104857600");
  EXPECT_EQ(file("memory", "memory.memsw.limit_in_bytes"), "209715200");
  EXPECT_EQ(file("memory", "memory.soft_limit_in_bytes"), "52428800");
  EXPECT_EQ(file("memory", "memory.swappiness"), "10");
  EXPECT_EQ(file("memory", "memory.oom_control"), "1");
}

// The order of the two writes shows when the second one cannot happen:
// memsw is a directory here, so writing it fails.
TEST_F(CgroupV1Manager, RaisingBothWritesSwapFirst) {
  touch("memory", {"memory.limit_in_bytes"});
  put(paths_["memory"] + "/memory.limit_in_bytes", "100");
  fs::create_directory(paths_["memory"] + "/memory.memsw.limit_in_bytes");
  auto st = manager()->set(memory(200, 400));
  ASSERT_FALSE(st);
  EXPECT_TRUE(contains(st.error().message, "linux.resources.memory.swap")) << st.error().message;
  EXPECT_EQ(file("memory", "memory.limit_in_bytes"), "100");  // not reached
}

TEST_F(CgroupV1Manager, LoweringBothWritesLimitFirst) {
  touch("memory", {"memory.limit_in_bytes"});
  put(paths_["memory"] + "/memory.limit_in_bytes", "9999999999");
  fs::create_directory(paths_["memory"] + "/memory.memsw.limit_in_bytes");
  auto st = manager()->set(memory(1000000000, 2000000000));
  ASSERT_FALSE(st);
  EXPECT_TRUE(contains(st.error().message, "linux.resources.memory.swap")) << st.error().message;
  EXPECT_EQ(file("memory", "memory.limit_in_bytes"), "1000000000");  // written before the swap
}

TEST_F(CgroupV1Manager, SwapWithoutSwapAccountingIsRefused) {
  touch("memory", {"memory.limit_in_bytes"});
  auto st = manager()->set(memory(100, 200));
  ASSERT_FALSE(st);
  EXPECT_TRUE(contains(st.error().message, "linux.resources.memory.swap")) << st.error().message;
  EXPECT_TRUE(contains(st.error().message, "swap accounting")) << st.error().message;
  EXPECT_EQ(file("memory", "memory.limit_in_bytes"), "");
}

TEST_F(CgroupV1Manager, UnlimitedMemoryLiftsSwapWhenThereIsSwapAccounting) {
  touch("memory", {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes"});
  auto st = manager()->set(memory(-1, std::nullopt));
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(file("memory", "memory.limit_in_bytes"), "-1");
  EXPECT_EQ(file("memory", "memory.memsw.limit_in_bytes"), "-1");

  // Without it (runc: "only set swap if it's enabled in kernel").
  fs::remove(paths_["memory"] + "/memory.memsw.limit_in_bytes");
  put(paths_["memory"] + "/memory.limit_in_bytes", "");
  st = manager()->set(memory(-1, std::nullopt));
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(file("memory", "memory.limit_in_bytes"), "-1");
}

TEST_F(CgroupV1Manager, SetCpuAndCpuset) {
  touch("cpu,cpuacct", {"cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us"});
  touch("cpuset", {"cpuset.cpus", "cpuset.mems"});
  oci::Resources r;
  r.cpu.emplace();
  r.cpu->shares = 512;
  r.cpu->period = 100000;
  r.cpu->quota = 50000;
  r.cpu->cpus = "0-1";
  r.cpu->mems = "0";
  auto st = manager()->set(r);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(file("cpu,cpuacct", "cpu.shares"), "512");
  EXPECT_EQ(file("cpu,cpuacct", "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(file("cpu,cpuacct", "cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(file("cpuset", "cpuset.cpus"), "0-1");
  EXPECT_EQ(file("cpuset", "cpuset.mems"), "0");
}

TEST_F(CgroupV1Manager, SetPidsAndBlkio) {
  touch("pids", {"pids.max"});
  touch("blkio", {"blkio.weight"});
  for (int64_t unlimited : {0, -1}) {
    put(paths_["pids"] + "/pids.max", "");
    oci::Resources r;
    r.pids = oci::Pids{unlimited};
    auto st = manager()->set(r);
    ASSERT_TRUE(st) << st.error().message;
    EXPECT_EQ(file("pids", "pids.max"), "max") << unlimited;
  }
  oci::Resources r;
  r.pids = oci::Pids{100};
  r.block_io.emplace();
  r.block_io->weight = 500;
  auto st = manager()->set(r);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(file("pids", "pids.max"), "100");
  EXPECT_EQ(file("blkio", "blkio.weight"), "500");
}

TEST(CgroupV1Devices, DefaultSpecRuleThenTheAllowedDevices) {
  oci::DeviceCgroup deny_all;
  deny_all.allow = false;
  deny_all.access = "rwm";
  std::vector<std::pair<bool, std::string>> want = {
      {false, "a"},        {true, "c *:* m"},     {true, "b *:* m"},   {true, "c 1:3 rwm"},
      {true, "c 1:8 rwm"}, {true, "c 1:7 rwm"},   {true, "c 5:0 rwm"}, {true, "c 1:5 rwm"},
      {true, "c 1:9 rwm"}, {true, "c 136:* rwm"}, {true, "c 5:2 rwm"}, {true, "c 10:200 rwm"},
  };
  EXPECT_EQ(v1_device_lines({deny_all}), want);

  oci::DeviceCgroup tty;
  tty.allow = true;
  tty.type = "c";
  tty.major = 4;
  tty.access = "rw";
  EXPECT_EQ(v1_device_lines({tty}).front(), (std::pair<bool, std::string>{true, "c 4:* rw"}));
}

TEST_F(CgroupV1Manager, SetDevices) {
  touch("devices", {"devices.allow", "devices.deny"});
  oci::Resources r;
  r.devices.emplace_back();
  r.devices.back().access = "rwm";
  auto st = manager()->set(r);
  ASSERT_TRUE(st) << st.error().message;
  // Each line is one write at offset 0 of the plain file: the last remains.
  EXPECT_EQ(file("devices", "devices.deny"), "a");
  EXPECT_EQ(file("devices", "devices.allow"), "c 10:200 rwm");
}

TEST_F(CgroupV1Manager, ControllerNotMountedNamesFieldAndController) {
  remove("pids");
  remove("memory");
  oci::Resources pids;
  pids.pids = oci::Pids{10};
  auto st = manager()->set(pids);
  ASSERT_FALSE(st);
  EXPECT_TRUE(contains(st.error().message, "linux.resources.pids")) << st.error().message;
  EXPECT_TRUE(contains(st.error().message, "pids controller")) << st.error().message;

  st = manager()->set(memory(100, std::nullopt));
  ASSERT_FALSE(st);
  EXPECT_TRUE(contains(st.error().message, "linux.resources.memory")) << st.error().message;
  EXPECT_TRUE(contains(st.error().message, "memory controller")) << st.error().message;

  oci::Resources net;
  net.network = oci::Network{1, {}};
  st = manager()->set(net);
  ASSERT_FALSE(st);
  EXPECT_TRUE(contains(st.error().message, "linux.resources.network.classID")) << st.error().message;
  EXPECT_TRUE(contains(st.error().message, "net_cls controller")) << st.error().message;
}

TEST_F(CgroupV1Manager, UnifiedNeedsACgroup2Tree) {
  oci::Resources r;
  r.unified = {{"memory.high", "5M"}};
  auto st = manager()->set(r);
  ASSERT_FALSE(st);
  EXPECT_TRUE(contains(st.error().message, "linux.resources.unified")) << st.error().message;
  EXPECT_TRUE(contains(st.error().message, "cgroup v2")) << st.error().message;
}

TEST_F(CgroupV1Manager, HybridWritesUnifiedAndHugetlbToTheCgroup2Directory) {
  layout_.v2 = tmp_ / "unified";
  paths_[""] = tmp_ / "unified/berth/web";
  remove("hugetlb");  // as on this host: hugetlb only in the cgroup2 tree
  fs::create_directories(paths_[""]);
  for (const char* f : {"memory.high", "hugetlb.2MB.max"}) put(paths_[""] + "/" + f, "");
  put(tmp_ / "unified/berth/memory.high", "parent");
  // cgroup2 delegation: the root offers hugetlb, berth/ delegates nothing yet.
  put(tmp_ / "unified/cgroup.controllers", "hugetlb");
  put(tmp_ / "unified/cgroup.subtree_control", "");
  put(tmp_ / "unified/berth/cgroup.controllers", "");
  put(tmp_ / "unified/berth/cgroup.subtree_control", "");

  oci::Resources r;
  r.unified = {{"memory.high", "5M"}};
  r.hugepage_limits = {{"2MB", 4 << 20}};
  auto st = manager()->set(r);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(read(paths_[""] + "/memory.high"), "5M");
  EXPECT_EQ(read(paths_[""] + "/hugetlb.2MB.max"), "4194304");
  EXPECT_EQ(read(tmp_ / "unified/cgroup.subtree_control"), "+hugetlb");

  for (const char* bad : {"../memory.high", "sub/memory.high"}) {
    r = {};
    r.unified = {{bad, "1"}};
    st = manager()->set(r);
    ASSERT_FALSE(st) << bad;
    EXPECT_TRUE(contains(st.error().message, std::string("linux.resources.unified.") + bad)) << st.error().message;
  }
  EXPECT_EQ(read(tmp_ / "unified/berth/memory.high"), "parent");  // nothing written outside the cgroup
}

TEST_F(CgroupV1Manager, HugetlbInAV1Hierarchy) {
  touch("hugetlb", {"hugetlb.2MB.limit_in_bytes"});
  oci::Resources r;
  r.hugepage_limits = {{"2MB", 4 << 20}};
  auto st = manager()->set(r);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(file("hugetlb", "hugetlb.2MB.limit_in_bytes"), "4194304");
}

TEST_F(CgroupV1Manager, FreezeAndThaw) {
  touch("freezer", {"freezer.state"});
  auto m = manager();
  EXPECT_FALSE(m->frozen());
  auto st = m->freeze(true);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(file("freezer", "freezer.state"), "FROZEN");
  EXPECT_TRUE(m->frozen());
  st = m->freeze(false);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(file("freezer", "freezer.state"), "THAWED");
  EXPECT_FALSE(m->frozen());
}

}  // namespace
}  // namespace berth::cgroups
