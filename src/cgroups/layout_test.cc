#include "cgroups/layout.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace berth::cgroups {
namespace {

// Mount entries as the kernel prints them in /proc/self/mountinfo. Field 6
// holds the mount options; the super options (which name the controllers)
// are the last field.
std::vector<lnx::MountInfo> mounts(const std::vector<std::string>& lines) {
  std::vector<lnx::MountInfo> out;
  for (const auto& line : lines) {
    lnx::MountInfo mi;
    EXPECT_TRUE(lnx::parse_mountinfo_line(line, mi)) << line;
    out.push_back(mi);
  }
  return out;
}

std::vector<std::string> keys(const Layout& l) {
  std::vector<std::string> out;
  for (const auto& h : l.v1) out.push_back(h.key);
  return out;
}

// This machine's layout: one v1 hierarchy per controller, name=systemd, and
// the cgroup2 tree at /sys/fs/cgroup/unified, below a tmpfs.
const std::vector<std::string> kHybridHost = {
    "23 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro",
    "31 23 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755",
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,cpu",
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,cpuacct",
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,cpuset",
    "35 31 0:32 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,memory",
    "36 31 0:33 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,devices",
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,freezer",
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,blkio",
    "39 31 0:36 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,pids",
    // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one mountinfo line, split at 120 columns
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup "
    "rw,xattr,name=systemd",
    "41 31 0:38 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:19 - cgroup2 cgroup2 "
    "rw,nsdelegate",
};

TEST(CgroupLayout, PureV2HostIsUnified) {
  Layout l = detect_layout(mounts({
      "23 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
      "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot",
  }));
  EXPECT_TRUE(l.unified());
  EXPECT_FALSE(l.hybrid());
  EXPECT_TRUE(l.v1.empty());
  EXPECT_EQ(l.v2, "/sys/fs/cgroup");
  EXPECT_EQ(l.find("memory"), nullptr);
}

TEST(CgroupLayout, HybridHost) {
  Layout l = detect_layout(mounts(kHybridHost));
  EXPECT_TRUE(l.hybrid());
  EXPECT_FALSE(l.unified());
  EXPECT_EQ(l.v2, "/sys/fs/cgroup/unified");
  EXPECT_EQ(keys(l), (std::vector<std::string>{"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio",
                                               "pids", "name=systemd"}));

  const Hierarchy* mem = l.find("memory");
  ASSERT_NE(mem, nullptr);
  EXPECT_EQ(mem->key, "memory");
  EXPECT_EQ(mem->mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(mem->controllers, std::vector<std::string>{"memory"});

  const Hierarchy* cpu = l.find("cpu");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->mount_point, "/sys/fs/cgroup/cpu");
  EXPECT_NE(l.find("cpuacct"), cpu);  // separate hierarchies on this host

  // name=systemd is a hierarchy without controllers: listed, never found.
  const Hierarchy& sd = l.v1.back();
  EXPECT_EQ(sd.key, "name=systemd");
  EXPECT_EQ(sd.mount_point, "/sys/fs/cgroup/systemd");
  EXPECT_TRUE(sd.controllers.empty());
  EXPECT_EQ(l.find("name=systemd"), nullptr);
  EXPECT_EQ(l.find("systemd"), nullptr);
  EXPECT_EQ(l.find("hugetlb"), nullptr);
}

TEST(CgroupLayout, CoMountedControllersShareOneHierarchy) {
  Layout l = detect_layout(mounts({
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup "
      "rw,cpu,cpuacct",
      "33 31 0:30 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup "
      "rw,net_cls,net_prio",
  }));
  ASSERT_EQ(l.v1.size(), 2u);
  EXPECT_TRUE(l.v2.empty());
  EXPECT_FALSE(l.unified());
  EXPECT_FALSE(l.hybrid());

  const Hierarchy& cpu = l.v1[0];
  EXPECT_EQ(cpu.key, "cpu,cpuacct");
  EXPECT_EQ(cpu.mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(cpu.controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ(l.find("cpu"), &cpu);
  EXPECT_EQ(l.find("cpuacct"), &cpu);
  EXPECT_EQ(l.find("net_prio"), &l.v1[1]);
}

TEST(CgroupLayout, OnlySuperOptionsNameControllers) {
  Layout l = detect_layout(mounts({
      // Mount options (field 6) are never controllers, whatever they say.
      "32 31 0:29 / /cg/cpuset rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup "
      "rw,cpuset,noprefix,clone_children,cpuset_v2_mode,release_agent=/sbin/agent",
      "33 31 0:30 / /cg/memory ro,relatime - cgroup none ro,memory,xattr,favordynmods",
      "34 31 0:31 / /cg/cpu rw,relatime - cgroup cgroup rw,cpu,name=mine",
  }));
  ASSERT_EQ(l.v1.size(), 3u);
  EXPECT_EQ(l.v1[0].key, "cpuset");
  EXPECT_EQ(l.v1[0].controllers, std::vector<std::string>{"cpuset"});
  EXPECT_EQ(l.v1[1].key, "memory");
  EXPECT_EQ(l.v1[1].controllers, std::vector<std::string>{"memory"});
  // /proc/PID/cgroup lists controllers first, then name=.
  EXPECT_EQ(l.v1[2].key, "cpu,name=mine");
  EXPECT_EQ(l.v1[2].controllers, std::vector<std::string>{"cpu"});
  EXPECT_EQ(l.find("relatime"), nullptr);
  EXPECT_EQ(l.find("rw"), nullptr);
  EXPECT_EQ(l.find("ro"), nullptr);
}

TEST(CgroupLayout, HierarchyMountedTwiceIsListedOnce) {
  std::vector<std::string> lines = kHybridHost;
  // The same memory hierarchy bind-mounted elsewhere, and a second cgroup2 mount.
  lines.push_back("50 23 0:32 / /mnt/memory rw,relatime shared:13 - cgroup cgroup rw,memory");
  lines.push_back("51 23 0:38 / /mnt/unified rw,relatime shared:19 - cgroup2 cgroup2 rw,nsdelegate");
  Layout l = detect_layout(mounts(lines));
  EXPECT_EQ(l.v1.size(), 9u);
  const Hierarchy* mem = l.find("memory");
  ASSERT_NE(mem, nullptr);
  EXPECT_EQ(mem->mount_point, "/sys/fs/cgroup/memory");  // the first mount wins
  EXPECT_EQ(l.v2, "/sys/fs/cgroup/unified");
}

TEST(CgroupLayout, PureV1AndNoCgroupsAtAll) {
  std::vector<std::string> v1_only(kHybridHost.begin(), kHybridHost.end() - 1);
  Layout v1 = detect_layout(mounts(v1_only));
  EXPECT_EQ(v1.v1.size(), 9u);
  EXPECT_TRUE(v1.v2.empty());
  EXPECT_FALSE(v1.unified());
  EXPECT_FALSE(v1.hybrid());

  Layout none = detect_layout(mounts({"23 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw"}));
  EXPECT_TRUE(none.v1.empty());
  EXPECT_TRUE(none.v2.empty());
  EXPECT_FALSE(none.unified());
  EXPECT_FALSE(none.hybrid());
}

}  // namespace
}  // namespace berth::cgroups
