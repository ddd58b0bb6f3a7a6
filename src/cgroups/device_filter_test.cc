#include "cgroups/device_filter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/magic.h>

#include <gtest/gtest.h>

#include "base/file.h"
#include "cgroups/devices.h"

namespace berth::cgroups {
namespace {

// Runs the instruction subset device_filter_program() emits, the way the
// kernel would: the rules' meaning is tested without root, and the real
// kernel runs the same program in AttachedProgramDecides below.
int run(const std::vector<bpf_insn>& prog, DeviceRequest req) {
  uint64_t r[11] = {};
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const bpf_insn& i = prog[pc];
    uint64_t src = BPF_SRC(i.code) == BPF_X ? r[i.src_reg] : static_cast<uint32_t>(i.imm);
    switch (i.code) {
      case BPF_LDX | BPF_MEM | BPF_W: {
        uint32_t v;
        memcpy(&v, reinterpret_cast<const char*>(&req) + i.off, 4);
        r[i.dst_reg] = v;
        break;
      }
      case BPF_ALU | BPF_AND | BPF_K: r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg] & src); break;
      case BPF_ALU | BPF_RSH | BPF_K: r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg] >> src); break;
      case BPF_ALU | BPF_MOV | BPF_X: r[i.dst_reg] = static_cast<uint32_t>(src); break;
      case BPF_ALU64 | BPF_MOV | BPF_K: r[i.dst_reg] = static_cast<uint64_t>(static_cast<int64_t>(i.imm)); break;
      case BPF_JMP | BPF_JNE | BPF_K:
      case BPF_JMP | BPF_JNE | BPF_X:
        if (r[i.dst_reg] != src) pc += i.off;
        break;
      case BPF_JMP | BPF_EXIT: return static_cast<int>(r[0]);
      default: ADD_FAILURE() << "unexpected opcode " << int(i.code); return -1;
    }
  }
  ADD_FAILURE() << "program ran off its end";
  return -1;
}

oci::DeviceCgroup rule(bool allow, std::string type, std::optional<int64_t> major, std::optional<int64_t> minor,
                       std::string access) {
  oci::DeviceCgroup d;
  d.allow = allow;
  d.type = std::move(type);
  d.major = major;
  d.minor = minor;
  d.access = std::move(access);
  return d;
}

DeviceRequest chr(uint32_t major, uint32_t minor, uint32_t access) {
  return {(access << 16) | BPF_DEVCG_DEV_CHAR, major, minor};
}
DeviceRequest blk(uint32_t major, uint32_t minor, uint32_t access) {
  return {(access << 16) | BPF_DEVCG_DEV_BLOCK, major, minor};
}
constexpr uint32_t kR = BPF_DEVCG_ACC_READ, kW = BPF_DEVCG_ACC_WRITE, kM = BPF_DEVCG_ACC_MKNOD;

TEST(DeviceFilter, DefaultSpecDeniesAllButTheStandardDevices) {
  // runc's default spec: deny everything, then berth's default allow list.
  auto prog = device_filter_program(effective_device_rules({rule(false, "a", {}, {}, "rwm")}));
  EXPECT_EQ(run(prog, chr(1, 3, kR | kW)), 1);    // /dev/null
  EXPECT_EQ(run(prog, chr(136, 7, kR | kW)), 1);  // /dev/pts/7
  EXPECT_EQ(run(prog, chr(10, 200, kR)), 1);      // /dev/net/tun
  EXPECT_EQ(run(prog, chr(1, 1, kR)), 0);         // /dev/mem
  EXPECT_EQ(run(prog, blk(8, 0, kR)), 0);         // /dev/sda
  EXPECT_EQ(run(prog, blk(8, 0, kM)), 1);         // mknod of any device is allowed
  EXPECT_EQ(run(prog, blk(8, 0, kM | kR)), 0);    // but not with read
}

TEST(DeviceFilter, LastMatchingRuleWins) {
  auto prog = device_filter_program({rule(true, "c", 4, {}, "rw"), rule(false, "c", 4, 2, "w")});
  EXPECT_EQ(run(prog, chr(4, 1, kW)), 1);
  EXPECT_EQ(run(prog, chr(4, 2, kR)), 1);  // the deny covers w only
  EXPECT_EQ(run(prog, chr(4, 2, kW)), 0);
  EXPECT_EQ(run(prog, chr(4, 2, kR | kW)), 1);  // "w" is not a superset of "rw": the deny does not match
  EXPECT_EQ(run(prog, chr(4, 2, kM)), 0);       // nothing matches: denied
  EXPECT_EQ(run(prog, blk(4, 1, kR)), 0);       // wrong type
}

TEST(DeviceFilter, AllowAllEndsTheProgram) {
  auto prog = device_filter_program({rule(false, "c", 1, 1, "rwm"), rule(true, "a", {}, {}, "")});
  EXPECT_EQ(run(prog, chr(1, 1, kR)), 1);  // the later allow-all wins
  EXPECT_EQ(run(prog, blk(259, 0, kW)), 1);
  // Nothing may follow the unconditional rule (the verifier rejects dead code).
  EXPECT_EQ(prog.back().code, BPF_JMP | BPF_EXIT);
  EXPECT_EQ(prog[prog.size() - 2].imm, 1);
  EXPECT_EQ(prog.size(), 8u);  // six loads + one rule's two instructions
}

TEST(DeviceFilter, NegativeNumbersAreWildcardsAndHugeOnesNeverMatch) {
  auto prog = device_filter_program({rule(true, "b", -1, -1, "r"), rule(true, "c", int64_t{1} << 33, 3, "rwm")});
  EXPECT_EQ(run(prog, blk(8, 16, kR)), 1);
  EXPECT_EQ(run(prog, chr(0, 3, kR)), 0);
}

TEST(DeviceFilter, NoRulesDenyEverything) {
  auto prog = device_filter_program({});
  EXPECT_EQ(run(prog, chr(1, 3, kR)), 0);
}

bool is_cgroup2(const std::string& dir) {
  struct statfs s {};
  return ::statfs(dir.c_str(), &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC;
}

// The real kernel: the program is loaded (the verifier accepts it) and
// decides a process's opens once it is in the cgroup.
TEST(DeviceFilter, AttachedProgramDecides) {
  std::string root = is_cgroup2("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
  if (::geteuid() != 0 || !is_cgroup2(root)) GTEST_SKIP() << "needs root and a cgroup2 mount";
  std::string dir = root + "/berth-devfilter-" + std::to_string(::getpid());
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << errno_text(errno);
  auto rules = {rule(false, "a", {}, {}, "rwm"), rule(true, "c", 1, 3, "rw")};  // /dev/null only
  auto first = attach_device_filter(dir, device_filter_program(rules));
  // An update swaps the program: afterwards /dev/zero is allowed too.
  auto second = attach_device_filter(dir,
                                     device_filter_program({rule(false, "a", {}, {}, "rwm"),
                                                            rule(true, "c", 1, 3, "rw"), rule(true, "c", 1, 5, "r")}));
  pid_t pid = ::fork();
  if (pid == 0) {
    if (!write_file(dir + "/cgroup.procs", std::to_string(::getpid()))) _exit(10);
    int null_fd = ::open("/dev/null", O_WRONLY);
    int zero_fd = ::open("/dev/zero", O_RDONLY);
    int full_fd = ::open("/dev/full", O_RDONLY);
    int zero_w = ::open("/dev/zero", O_WRONLY);
    _exit((null_fd >= 0 ? 0 : 1) | (zero_fd >= 0 ? 0 : 2) | (full_fd < 0 && errno == EPERM ? 0 : 4) |
          (zero_w < 0 ? 0 : 8));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  for (int i = 0; i < 100 && ::rmdir(dir.c_str()) != 0; ++i) ::usleep(10000);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(second) << second.error().message;
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "bits: 1 null refused, 2 zero refused, 4 full allowed, 8 zero writable, "
                                       "10 could not join";
}

}  // namespace
}  // namespace berth::cgroups
