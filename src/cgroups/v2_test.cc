#include "cgroups/v2.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <system_error>

#include <gtest/gtest.h>

#include "base/testutil.h"

namespace berth::cgroups {
namespace {

namespace fs = std::filesystem;
using testutil::contains;
using testutil::put;
using testutil::read;
using testutil::TempDir;

constexpr int64_t kMiB = 1 << 20;

TEST(CgroupConvert, SharesToWeight) {
  EXPECT_EQ(shares_to_weight(0), 0u);
  EXPECT_EQ(shares_to_weight(2), 1u);
  EXPECT_EQ(shares_to_weight(1024), 39u);
  EXPECT_EQ(shares_to_weight(262144), 10000u);
}

TEST(CgroupConvert, BlkioToIoWeight) {
  EXPECT_EQ(blkio_to_io_weight(0), 0u);
  EXPECT_EQ(blkio_to_io_weight(10), 1u);
  EXPECT_EQ(blkio_to_io_weight(500), 4950u);  // runc: 1 + (w - 10) * 9999 / 990
  EXPECT_EQ(blkio_to_io_weight(1000), 10000u);
}

TEST(CgroupConvert, CpuMax) {
  EXPECT_EQ(cpu_max(50000, 100000), "50000 100000");
  EXPECT_EQ(cpu_max(-1, 100000), "max 100000");
  EXPECT_EQ(cpu_max(std::nullopt, 100000), "max 100000");
  EXPECT_EQ(cpu_max(50000, std::nullopt), "50000");
  EXPECT_EQ(cpu_max(50000, 0), "50000");
}

TEST(CgroupConvert, SwapMax) {
  auto unlimited = swap_max(100, -1);
  ASSERT_TRUE(unlimited);
  EXPECT_EQ(*unlimited, "max");
  auto some = swap_max(100, 200);
  ASSERT_TRUE(some);
  EXPECT_EQ(*some, "100");
  auto none = swap_max(100, 100);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, "0");

  for (auto [limit, swap] : {std::pair<int64_t, int64_t>{200, 100}, {0, 200}, {-1, 200}}) {
    auto bad = swap_max(limit, swap);
    ASSERT_FALSE(bad) << limit << " " << swap;
    EXPECT_TRUE(contains(bad.error().message, "linux.resources.memory.swap")) << bad.error().message;
    EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidArgument);
  }
}

TEST(CgroupConvert, HugepageSizeAndRdmaLine) {
  bool rsvd = true;
  EXPECT_EQ(hugepage_size("2MB", rsvd), "2MB");
  EXPECT_FALSE(rsvd);
  EXPECT_EQ(hugepage_size("rsvd.1GB", rsvd), "1GB");
  EXPECT_TRUE(rsvd);

  oci::Rdma r;
  r.hca_handles = 3;
  EXPECT_EQ(rdma_line("mlx5_1", r), "mlx5_1 hca_handle=3 hca_object=max");
  r.hca_objects = 1000;
  EXPECT_EQ(rdma_line("mlx5_1", r), "mlx5_1 hca_handle=3 hca_object=1000");
}

// A cgroup2 mount stand-in: root holds cgroup.controllers and an empty
// cgroup.subtree_control; the container's cgroup is root/a/b/c. Interface
// files are plain, empty files made by the test (the kernel would make them
// when the controller is enabled).
class CgroupV2Manager : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    root_ = tmp_ / "root";
    leaf_ = root_ + "/a/b/c";
    fs::create_directories(root_);
    put(root_ + "/cgroup.controllers", "cpu memory pids io hugetlb");
    put(root_ + "/cgroup.subtree_control", "");
  }
  void make_leaf(std::initializer_list<const char*> files) {
    fs::create_directories(leaf_);
    for (const char* f : files) put(leaf_ + "/" + f, "");
  }
  void make_leaf() {
    make_leaf({"memory.max", "memory.swap.max", "memory.low", "memory.high", "cpu.weight", "cpu.max", "cpu.max.burst",
               "pids.max", "io.weight", "hugetlb.2MB.max", "cgroup.freeze", "cgroup.events"});
  }
  std::unique_ptr<Manager> manager() const { return make_v2_manager({{"", leaf_}}); }
  std::string leaf(const std::string& file) const { return read(leaf_ + "/" + file); }

  TempDir tmp_;
  std::string root_, leaf_;
};

TEST_F(CgroupV2Manager, CreateMakesTheTreeAndDelegatesControllers) {
  fs::create_directories(root_ + "/a/b");
  put(root_ + "/a/cgroup.controllers", "cpu pids memory");
  put(root_ + "/a/cgroup.subtree_control", "");
  put(root_ + "/a/b/cgroup.controllers", "");  // nothing delegated to b
  put(root_ + "/a/b/cgroup.subtree_control", "");
  auto m = manager();
  EXPECT_EQ(m->clone_dir(), leaf_);
  auto st = m->create();
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_TRUE(fs::is_directory(leaf_));
  // One "+name" write per controller, each at offset 0 of the plain file:
  // the last (and here longest) one is what the file holds.
  EXPECT_EQ(read(root_ + "/cgroup.subtree_control"), "+hugetlb");
  EXPECT_EQ(read(root_ + "/a/cgroup.subtree_control"), "+memory");
  EXPECT_EQ(read(root_ + "/a/b/cgroup.subtree_control"), "");
  EXPECT_FALSE(fs::exists(leaf_ + "/cgroup.subtree_control"));  // the leaf delegates nothing

  auto again = m->create();  // an existing cgroup is joined
  EXPECT_TRUE(again) << again.error().message;
}

TEST_F(CgroupV2Manager, CreateDelegatesOnlyUpToTheFirstNonCgroupAncestor) {
  // root/a has no cgroup.controllers: it is not a cgroup the walk can use.
  auto st = manager()->create();
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_TRUE(fs::is_directory(leaf_));
  EXPECT_EQ(read(root_ + "/cgroup.subtree_control"), "");
}

TEST_F(CgroupV2Manager, SetMemory) {
  make_leaf();
  oci::Resources r;
  r.memory.emplace();
  r.memory->limit = 100 * kMiB;
  r.memory->reservation = 50 * kMiB;
  auto st = manager()->set(r);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(leaf("memory.max"), "104857600");
  EXPECT_EQ(leaf("memory.low"), "52428800");
  EXPECT_EQ(leaf("memory.swap.max"), "");  // swap not asked for: left alone
}

TEST_F(CgroupV2Manager, UnlimitedMemoryMeansUnlimitedSwap) {
  make_leaf();
  oci::Resources r;
  r.memory.emplace();
  r.memory->limit = -1;
  auto st = manager()->set(r);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(leaf("memory.max"), "max");
  EXPECT_EQ(leaf("memory.swap.max"), "max");  // as runc and berth's v1 manager do

  // Without swap accounting there is no memory.swap.max: the limit alone.
  fs::remove(leaf_ + "/memory.swap.max");
  put(leaf_ + "/memory.max", "");
  st = manager()->set(r);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(leaf("memory.max"), "max");
}

TEST_F(CgroupV2Manager, SetSwap) {
  make_leaf();
  oci::Resources r;
  r.memory.emplace();
  r.memory->limit = 100 * kMiB;
  r.memory->swap = 200 * kMiB;  // memory plus swap
  auto st = manager()->set(r);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(leaf("memory.swap.max"), "104857600");

  put(leaf_ + "/memory.swap.max", "");
  r.memory->swap = -1;
  st = manager()->set(r);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(leaf("memory.swap.max"), "max");
}

TEST_F(CgroupV2Manager, SwapBelowLimitIsRefusedBeforeAnyWrite) {
  make_leaf();
  oci::Resources r;
  r.memory.emplace();
  r.memory->limit = 200 * kMiB;
  r.memory->swap = 100 * kMiB;
  auto st = manager()->set(r);
  ASSERT_FALSE(st);
  EXPECT_TRUE(contains(st.error().message, "linux.resources.memory.swap")) << st.error().message;
  EXPECT_EQ(leaf("memory.swap.max"), "");
  EXPECT_EQ(leaf("memory.max"), "");  // an update is not half applied
}

TEST_F(CgroupV2Manager, SetCpuPidsIoHugetlb) {
  make_leaf();
  oci::Resources r;
  r.cpu.emplace();
  r.cpu->shares = 1024;
  r.cpu->quota = 50000;
  r.cpu->period = 100000;
  r.cpu->burst = 1000;
  r.pids = oci::Pids{10};
  r.block_io.emplace();
  r.block_io->weight = 500;
  r.hugepage_limits = {{"2MB", 4 * kMiB}};
  auto st = manager()->set(r);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(leaf("cpu.weight"), "39");
  EXPECT_EQ(leaf("cpu.max"), "50000 100000");
  EXPECT_EQ(leaf("cpu.max.burst"), "1000");
  EXPECT_EQ(leaf("pids.max"), "10");
  EXPECT_EQ(leaf("io.weight"), "4950");
  EXPECT_EQ(leaf("hugetlb.2MB.max"), "4194304");
}

TEST_F(CgroupV2Manager, UnlimitedValuesAreMax) {
  make_leaf();
  oci::Resources r;
  r.cpu.emplace();
  r.cpu->quota = -1;
  r.cpu->period = 100000;
  r.pids = oci::Pids{-1};
  auto st = manager()->set(r);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(leaf("cpu.max"), "max 100000");
  EXPECT_EQ(leaf("pids.max"), "max");
}

TEST_F(CgroupV2Manager, BfqWeightIsWrittenAsItIs) {
  make_leaf({"io.weight", "io.bfq.weight"});
  oci::Resources r;
  r.block_io.emplace();
  r.block_io->weight = 500;
  auto st = manager()->set(r);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(leaf("io.bfq.weight"), "500");
  EXPECT_EQ(leaf("io.weight"), "");
}

TEST_F(CgroupV2Manager, Unified) {
  make_leaf();
  put(root_ + "/a/b/memory.high", "parent");
  oci::Resources r;
  r.unified = {{"memory.high", "5M"}};
  auto st = manager()->set(r);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(leaf("memory.high"), "5M");

  for (const char* bad : {"../memory.high", "sub/memory.high"}) {
    r.unified = {{bad, "1"}};
    st = manager()->set(r);
    ASSERT_FALSE(st) << bad;
    EXPECT_TRUE(contains(st.error().message, std::string("linux.resources.unified.") + bad)) << st.error().message;
  }
  EXPECT_EQ(read(root_ + "/a/b/memory.high"), "parent");
}

TEST_F(CgroupV2Manager, V1OnlyResourcesAreRefused) {
  make_leaf();
  oci::Resources net;
  net.network = oci::Network{1, {}};
  auto st = manager()->set(net);
  ASSERT_FALSE(st);
  EXPECT_TRUE(contains(st.error().message, "linux.resources.network")) << st.error().message;

  oci::Resources oom;
  oom.memory.emplace();
  oom.memory->disable_oom_killer = true;
  st = manager()->set(oom);
  ASSERT_FALSE(st);
  EXPECT_TRUE(contains(st.error().message, "linux.resources.memory.disableOOMKiller")) << st.error().message;
}

TEST_F(CgroupV2Manager, MissingFileNamesTheFieldAndTheFile) {
  make_leaf({"memory.max"});  // the pids controller is not enabled here
  oci::Resources r;
  r.pids = oci::Pids{10};
  auto st = manager()->set(r);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ENOENT);
  EXPECT_TRUE(contains(st.error().message, "linux.resources.pids.limit")) << st.error().message;
  EXPECT_TRUE(contains(st.error().message, leaf_ + "/pids.max")) << st.error().message;
}

TEST_F(CgroupV2Manager, FreezeAndThaw) {
  make_leaf();
  auto m = manager();
  put(leaf_ + "/cgroup.events", "populated 1\nfrozen 1\n");
  auto st = m->freeze(true);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(leaf("cgroup.freeze"), "1");
  EXPECT_TRUE(m->frozen());

  put(leaf_ + "/cgroup.events", "populated 1\nfrozen 0\n");
  st = m->freeze(false);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(leaf("cgroup.freeze"), "0");
  EXPECT_FALSE(m->frozen());
}

}  // namespace
}  // namespace berth::cgroups
