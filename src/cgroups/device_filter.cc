#include "cgroups/device_filter.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include "base/fd.h"

namespace berth::cgroups {

namespace {

// Registers: r1 is the context on entry; the request is copied to r2..r5
// first, so r1 is free as a scratch register afterwards.
constexpr uint8_t kCtx = 1, kScratch = 1, kType = 2, kAccess = 3, kMajor = 4, kMinor = 5;

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn load_u32(uint8_t dst, int16_t off) { return insn(BPF_LDX | BPF_MEM | BPF_W, dst, kCtx, off, 0); }
bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) { return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm); }
bpf_insn mov32_reg(uint8_t dst, uint8_t src) { return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn mov64_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
// Jumps carry no offset yet: rule_block() points them past its block.
bpf_insn jne_imm(uint8_t dst, int32_t imm) { return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, 0, imm); }
bpf_insn jne_reg(uint8_t dst, uint8_t src) { return insn(BPF_JMP | BPF_JNE | BPF_X, dst, src, 0, 0); }
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

int32_t access_bits(const std::string& access) {
  if (access.empty()) return BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
  int32_t bits = 0;
  for (char c : access) {
    if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
    if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
    if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
  }
  return bits;
}

// A device number the rule names, or -1 for a wildcard. Numbers the kernel
// cannot have (above 32 bits) come back as -2: the rule never matches.
int64_t rule_number(const std::optional<int64_t>& n) {
  if (!n || *n < 0) return -1;
  return *n > INT32_MAX ? -2 : *n;
}

// The instructions of one rule; sets unconditional when it matches every request.
std::vector<bpf_insn> rule_block(const oci::DeviceCgroup& rule, bool& unconditional) {
  std::vector<bpf_insn> b;
  const int32_t all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
  int32_t access = access_bits(rule.access);
  bool any_type = rule.type.empty() || rule.type == "a";
  if (!any_type) b.push_back(jne_imm(kType, rule.type == "b" ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
  if (access != all) {
    // The request's access bits must all be in the rule's.
    b.push_back(mov32_reg(kScratch, kAccess));
    b.push_back(alu32_imm(BPF_AND, kScratch, access));
    b.push_back(jne_reg(kScratch, kAccess));
  }
  if (!any_type) {  // v1 ignores numbers on "a" rules
    int64_t major = rule_number(rule.major), minor = rule_number(rule.minor);
    if (major == -2 || minor == -2) return {};
    if (major >= 0) b.push_back(jne_imm(kMajor, static_cast<int32_t>(major)));
    if (minor >= 0) b.push_back(jne_imm(kMinor, static_cast<int32_t>(minor)));
  }
  unconditional = b.empty();
  b.push_back(mov64_imm(0, rule.allow ? 1 : 0));
  b.push_back(exit_insn());
  for (size_t i = 0; i < b.size(); ++i)
    if (BPF_CLASS(b[i].code) == BPF_JMP && BPF_OP(b[i].code) == BPF_JNE)
      b[i].off = static_cast<int16_t>(b.size() - i - 1);
  return b;
}

long bpf(int cmd, bpf_attr& attr) { return ::syscall(SYS_bpf, cmd, &attr, sizeof(attr)); }

}  // namespace

std::vector<bpf_insn> device_filter_program(const std::vector<oci::DeviceCgroup>& rules) {
  std::vector<bpf_insn> p = {
      load_u32(kType, offsetof(bpf_cgroup_dev_ctx, access_type)),
      alu32_imm(BPF_AND, kType, 0xffff),
      load_u32(kAccess, offsetof(bpf_cgroup_dev_ctx, access_type)),
      alu32_imm(BPF_RSH, kAccess, 16),
      load_u32(kMajor, offsetof(bpf_cgroup_dev_ctx, major)),
      load_u32(kMinor, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  // The last matching rule wins, so the rules are tried from the last one.
  // Nothing may follow a rule that matches everything: the verifier refuses
  // unreachable instructions.
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    bool unconditional = false;
    auto block = rule_block(*it, unconditional);
    p.insert(p.end(), block.begin(), block.end());
    if (unconditional) return p;
  }
  p.push_back(mov64_imm(0, 0));  // no rule matched: deny
  p.push_back(exit_insn());
  return p;
}

Status attach_device_filter(const std::string& dir, const std::vector<bpf_insn>& program) {
  const std::string what = "linux.resources.devices: device program for " + dir;
  Fd cgroup(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cgroup) return sys_error("open " + dir).wrap(what);

  // The verifier's log is asked for only to explain a refusal: a log that
  // overflows its buffer fails the load with ENOSPC.
  static const char kLicense[] = "Apache-2.0";
  auto load = [&](char* log, uint32_t log_size) {
    bpf_attr a{};
    a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    a.insns = reinterpret_cast<uintptr_t>(program.data());
    a.insn_cnt = static_cast<uint32_t>(program.size());
    a.license = reinterpret_cast<uintptr_t>(kLicense);
    a.log_buf = reinterpret_cast<uintptr_t>(log);
    a.log_size = log_size;
    a.log_level = log ? 1 : 0;
    return Fd(static_cast<int>(bpf(BPF_PROG_LOAD, a)));
  };
  Fd prog = load(nullptr, 0);
  if (!prog) {
    Error e = sys_error("bpf(BPF_PROG_LOAD)");
    std::vector<char> log(1 << 20);
    if (!load(log.data(), static_cast<uint32_t>(log.size()))) {
      std::string verifier(log.data());
      while (!verifier.empty() && verifier.back() == '\n') verifier.pop_back();
      if (!verifier.empty()) e.message += " (verifier: " + verifier.substr(verifier.rfind('\n') + 1) + ")";
    }
    return std::move(e).wrap(what);
  }

  // What is attached now, to detach once the new program holds.
  uint32_t old_ids[64];
  bpf_attr query{};
  query.query.target_fd = static_cast<uint32_t>(cgroup.get());
  query.query.attach_type = BPF_CGROUP_DEVICE;
  query.query.prog_ids = reinterpret_cast<uintptr_t>(old_ids);
  query.query.prog_cnt = 64;
  if (bpf(BPF_PROG_QUERY, query) != 0) return sys_error("bpf(BPF_PROG_QUERY)").wrap(what);
  uint32_t old_count = query.query.prog_cnt;
  // A program someone attached without BPF_F_ALLOW_MULTI is replaced by
  // attaching with the same flags; otherwise berth's programs stack.
  uint32_t flags = old_count > 0 ? query.query.attach_flags : BPF_F_ALLOW_MULTI;

  bpf_attr attach{};
  attach.target_fd = static_cast<uint32_t>(cgroup.get());
  attach.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = flags;
  if (bpf(BPF_PROG_ATTACH, attach) != 0) return sys_error("bpf(BPF_PROG_ATTACH)").wrap(what);
  if (!(flags & BPF_F_ALLOW_MULTI)) return {};

  for (uint32_t i = 0; i < old_count; ++i) {
    bpf_attr get{};
    get.prog_id = old_ids[i];
    Fd old(static_cast<int>(bpf(BPF_PROG_GET_FD_BY_ID, get)));
    if (!old) {
      if (errno == ENOENT) continue;  // detached meanwhile
      return sys_error("bpf(BPF_PROG_GET_FD_BY_ID)").wrap(what);
    }
    bpf_attr detach{};
    detach.target_fd = static_cast<uint32_t>(cgroup.get());
    detach.attach_bpf_fd = static_cast<uint32_t>(old.get());
    detach.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_DETACH, detach) != 0 && errno != ENOENT) return sys_error("bpf(BPF_PROG_DETACH)").wrap(what);
  }
  return {};
}

}  // namespace berth::cgroups
