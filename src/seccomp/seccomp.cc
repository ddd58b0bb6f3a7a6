#include "seccomp/seccomp.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/filter.h>
#include <stddef.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

namespace berth::seccomp {

namespace {

const std::string kBase = "linux.seccomp";

Result<uint32_t> action_of(const std::string& name, std::optional<uint32_t> errno_ret,
                           std::optional<uint32_t> default_errno, const std::string& field) {
  uint32_t err = errno_ret.value_or(default_errno.value_or(EPERM));
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(err);
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(err);
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_NOTIFY") return SCMP_ACT_NOTIFY;
  return invalid(field + ": unknown seccomp action \"" + name + "\"");
}

scmp_compare op_of(const std::string& op) {
  if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
  return SCMP_CMP_MASKED_EQ;  // the validator allows nothing else
}

// "SCMP_ARCH_X86_64" -> libseccomp's token, 0 when this libseccomp lacks it.
uint32_t arch_of(const std::string& name) {
  std::string lower;
  for (char c : name.substr(std::strlen("SCMP_ARCH_")))
    lower += static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return seccomp_arch_resolve_name(lower.c_str());
}

Error lib_error(const std::string& field, int rc) { return Error{-rc, field + ": " + errno_text(-rc)}; }

// The BPF program libseccomp generates for ctx, read back through a memfd
// (libseccomp 2.5 exports only to an fd).
Result<std::vector<sock_filter>> export_program(scmp_filter_ctx ctx) {
  Fd mem(static_cast<int>(::syscall(SYS_memfd_create, "berth-seccomp", MFD_CLOEXEC)));
  if (!mem) return sys_error(kBase + ": memfd_create");
  if (int rc = seccomp_export_bpf(ctx, mem.get()); rc < 0) return lib_error(kBase + ": export the filter", rc);
  off_t size = ::lseek(mem.get(), 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter) != 0) return Error{EINVAL, kBase + ": libseccomp exported no program"};
  std::vector<sock_filter> program(static_cast<size_t>(size) / sizeof(sock_filter));
  if (::pread(mem.get(), program.data(), static_cast<size_t>(size), 0) != size)
    return sys_error(kBase + ": read the exported filter");
  return program;
}

// runc's -ENOSYS stub, put in front of libseccomp's program: a system call
// newer than every one the profile names (per architecture) fails with
// ENOSYS instead of the default action. glibc falls back to an older call
// (clone3 to clone, faccessat2 to faccessat, ...) only on ENOSYS, so an image
// with a newer libc than the profile keeps working; a call the profile
// could have named but did not still gets the default action. Not used when
// the default allows (ALLOW, LOG): there is nothing to fall back from.
std::vector<sock_filter> enosys_stub(const oci::Seccomp& s, const std::vector<uint32_t>& arches) {
  struct Block {
    uint32_t arch;
    uint32_t max;
  };
  std::vector<Block> blocks;
  for (uint32_t arch : arches) {
    if (arch == SCMP_ARCH_X32) continue;  // reported as x86_64 with bit 30 set: see below
    int max = -1;
    for (const auto& rule : s.syscalls)
      for (const auto& name : rule.names) max = std::max(max, seccomp_syscall_resolve_name_arch(arch, name.c_str()));
    if (max >= 0) blocks.push_back({arch, static_cast<uint32_t>(max)});
  }
  if (blocks.empty()) return {};
  auto len = [](const Block& b) { return b.arch == SCMP_ARCH_X86_64 ? 4u : 3u; };
  size_t total = 1;
  for (const auto& b : blocks) total += len(b);
  const size_t enosys = total + 1, original = total + 2;  // after one "ja original"
  auto off = [](size_t from, size_t to) { return static_cast<uint8_t>(to - from - 1); };
  std::vector<sock_filter> out;
  out.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  for (const auto& b : blocks) {
    size_t at = out.size();
    out.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, b.arch, 0, static_cast<uint8_t>(len(b) - 1)));
    out.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    // x32 calls are left to libseccomp's program.
    if (b.arch == SCMP_ARCH_X86_64)
      out.push_back(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x40000000, off(at + 2, original), 0));
    size_t jgt = out.size();
    out.push_back(BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, b.max, off(jgt, enosys), off(jgt, original)));
  }
  out.push_back(BPF_STMT(BPF_JMP | BPF_JA, 0));  // jump to the original program at total + 2
  out.back().k = 1;
  out.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)));
  return out;
}

}  // namespace

Result<Fd> Filter::load() const {
  sock_fprog prog{static_cast<unsigned short>(program_.size()), const_cast<sock_filter*>(program_.data())};
  long fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags_, &prog);
  if (fd < 0) return sys_error("load seccomp filter");
  return listener_ ? Fd(static_cast<int>(fd)) : Fd();
}

std::string library_version() {
  const scmp_version* v = seccomp_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

std::vector<std::string> supported_flags() {
  const std::pair<const char*, unsigned> flags[] = {
      {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
      {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
      {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
      {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
       SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV | SECCOMP_FILTER_FLAG_NEW_LISTENER},
  };
  std::vector<std::string> out;
  for (const auto& [name, bits] : flags)
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, bits, nullptr) < 0 && errno == EFAULT) out.push_back(name);
  return out;
}

Result<Filter> compile(const oci::Seccomp& s, std::vector<std::string>& warnings) {
  auto def = action_of(s.default_action, std::nullopt, s.default_errno_ret, kBase + ".defaultAction");
  if (!def) return std::move(def).error();
  if (s.default_action == "SCMP_ACT_NOTIFY")
    return invalid(kBase + ".defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  std::unique_ptr<void, void (*)(void*)> ctx(seccomp_init(*def), seccomp_release);
  scmp_filter_ctx raw = ctx.get();
  if (raw == nullptr) return Error{EINVAL, kBase + ": seccomp_init failed"};
  Filter filter;

  for (size_t i = 0; i < s.architectures.size(); ++i) {
    uint32_t arch = arch_of(s.architectures[i]);
    if (arch == 0) {
      warnings.push_back(kBase + ".architectures[" + std::to_string(i) + "]: " + s.architectures[i] +
                         " unknown to this libseccomp, skipped");
      continue;
    }
    int rc = seccomp_arch_add(raw, arch);
    if (rc < 0 && rc != -EEXIST) return lib_error(kBase + ".architectures[" + std::to_string(i) + "]", rc);
  }
  for (size_t i = 0; i < s.flags.size(); ++i) {
    const std::string& f = s.flags[i];
    std::string field = kBase + ".flags[" + std::to_string(i) + "]";
    if (f == "SECCOMP_FILTER_FLAG_TSYNC")
      filter.flags_ |= SECCOMP_FILTER_FLAG_TSYNC;
    else if (f == "SECCOMP_FILTER_FLAG_LOG")
      filter.flags_ |= SECCOMP_FILTER_FLAG_LOG;
    else if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW")
      filter.flags_ |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    else if (f == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")
      filter.flags_ |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    else
      return invalid(field + ": unknown seccomp flag \"" + f + "\"");
  }

  for (size_t i = 0; i < s.syscalls.size(); ++i) {
    const auto& rule = s.syscalls[i];
    std::string field = kBase + ".syscalls[" + std::to_string(i) + "]";
    auto action = action_of(rule.action, rule.errno_ret, s.default_errno_ret, field + ".action");
    if (!action) return std::move(action).error();
    if (*action == *def) continue;  // libseccomp refuses a rule that changes nothing
    if (*action == SCMP_ACT_NOTIFY) filter.listener_ = true;
    std::vector<scmp_arg_cmp> conds;
    bool repeated_index = false;
    for (size_t a = 0; a < rule.args.size(); ++a) {
      const auto& arg = rule.args[a];
      for (size_t b = 0; b < a; ++b) repeated_index = repeated_index || rule.args[b].index == arg.index;
      conds.push_back(scmp_arg_cmp{arg.index, op_of(arg.op), arg.value, arg.value_two});
    }
    for (const auto& name : rule.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        warnings.push_back(field + ": unknown syscall " + name + ", skipped");
        continue;
      }
      int rc;
      if (repeated_index) {
        // libseccomp cannot AND two conditions on one argument: like runc,
        // one rule per condition (any of them matches).
        rc = 0;
        for (const auto& c : conds)
          if (rc >= 0) rc = seccomp_rule_add_array(raw, *action, nr, 1, &c);
      } else {
        rc = seccomp_rule_add_array(raw, *action, nr, static_cast<unsigned>(conds.size()), conds.data());
      }
      if (rc < 0) return lib_error(field + " (" + name + ")", rc);
    }
  }
  auto program = export_program(raw);
  if (!program) return std::move(program).error();
  filter.program_ = std::move(*program);
  if (s.default_action != "SCMP_ACT_ALLOW" && s.default_action != "SCMP_ACT_LOG") {
    std::vector<uint32_t> arches = {seccomp_arch_native()};
    for (const auto& a : s.architectures)
      if (uint32_t t = arch_of(a); t != 0) arches.push_back(t);
    std::sort(arches.begin(), arches.end());
    arches.erase(std::unique(arches.begin(), arches.end()), arches.end());
    auto stub = enosys_stub(s, arches);
    filter.program_.insert(filter.program_.begin(), stub.begin(), stub.end());
  }
  if (filter.listener_) {
    filter.flags_ |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // The kernel takes TSYNC with a listener only when told to fail with
    // ESRCH rather than return a thread id.
    if (filter.flags_ & SECCOMP_FILTER_FLAG_TSYNC) filter.flags_ |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  } else if (filter.flags_ & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) {
    // The flag only changes how a listener waits; without one the kernel
    // refuses it, and there is nothing for it to do.
    filter.flags_ &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    warnings.push_back(kBase +
                       ".flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV has no effect without an "
                       "SCMP_ACT_NOTIFY rule, not used");
  }
  return filter;
}

}  // namespace berth::seccomp
