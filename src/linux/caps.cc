#include "linux/caps.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/file.h"

namespace berth::lnx {

namespace {

// clang-format off
constexpr const char* kCapNames[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};
// clang-format on

std::string cap_name(int c) {
  return static_cast<size_t>(c) < std::size(kCapNames) ? kCapNames[c] : "capability " + std::to_string(c);
}

uint64_t resolve_set(const std::vector<std::string>& names, int last, const char* set,
                     std::vector<std::string>& warnings) {
  uint64_t mask = 0;
  for (const auto& n : names) {
    auto c = cap_from_name(n);
    if (!c || *c > last) {
      warnings.push_back("ignoring unknown or unavailable capability " + n + " in " + set);
      continue;
    }
    mask |= uint64_t{1} << *c;
  }
  return mask;
}

}  // namespace

std::vector<std::string> capability_names() { return {std::begin(kCapNames), std::end(kCapNames)}; }

std::optional<int> cap_from_name(std::string_view name) {
  for (size_t i = 0; i < std::size(kCapNames); ++i)
    if (name == kCapNames[i]) return static_cast<int>(i);
  return std::nullopt;
}

int cap_last_cap() {
  static int last = [] {
    auto t = read_file("/proc/sys/kernel/cap_last_cap");
    int64_t v = 0;
    if (t && parse_int64(trim(*t), v)) return static_cast<int>(v);
    return static_cast<int>(std::size(kCapNames)) - 1;
  }();
  return last;
}

CapSets resolve_caps(const oci::Capabilities& caps, std::vector<std::string>& warnings) {
  int last = cap_last_cap();
  CapSets s;
  s.bounding = resolve_set(caps.bounding, last, "bounding", warnings);
  s.effective = resolve_set(caps.effective, last, "effective", warnings);
  s.inheritable = resolve_set(caps.inheritable, last, "inheritable", warnings);
  s.permitted = resolve_set(caps.permitted, last, "permitted", warnings);
  s.ambient = resolve_set(caps.ambient, last, "ambient", warnings);
  return s;
}

Status drop_bounding(const CapSets& caps) {
  int last = cap_last_cap();
  for (int c = 0; c <= last; ++c) {
    if (caps.bounding & (uint64_t{1} << c)) continue;
    if (::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
      return sys_error("drop capability " + cap_name(c) + " from the bounding set");
  }
  return {};
}

Status apply_caps(const CapSets& caps) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = static_cast<uint32_t>(caps.effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(caps.permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(caps.inheritable >> (32 * i));
  }
  if (::syscall(SYS_capset, &hdr, data) < 0) return sys_error("capset");
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return sys_error("clear ambient capabilities");
  for (int c = 0; c <= cap_last_cap(); ++c) {
    if (!(caps.ambient & (uint64_t{1} << c))) continue;
    // The kernel refuses an ambient capability that is not also permitted and
    // inheritable; runc skips those the same way.
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 && errno != EPERM)
      return sys_error("raise ambient capability " + cap_name(c));
  }
  return {};
}

}  // namespace berth::lnx
