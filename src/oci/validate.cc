#include "oci/validate.h"

#include <cstdio>
#include <limits>

#include "base/file.h"
#include "oci/names.h"

namespace berth::oci {

namespace {

constexpr std::string_view kIoPriorityClasses[] = {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"};

constexpr std::string_view kSchedPolicies[] = {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",      "SCHED_BATCH",
                                               "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE"};

constexpr std::string_view kSchedFlags[] = {"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",
                                            "SCHED_FLAG_DL_OVERRUN",    "SCHED_FLAG_KEEP_POLICY",
                                            "SCHED_FLAG_KEEP_PARAMS",   "SCHED_FLAG_UTIL_CLAMP_MIN",
                                            "SCHED_FLAG_UTIL_CLAMP_MAX"};

constexpr std::string_view kPropagations[] = {"",        "shared", "slave",    "private",    "unbindable",
                                              "rshared", "rslave", "rprivate", "runbindable"};

constexpr std::string_view kSeccompActions[] = {"SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                                "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
                                                "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};

constexpr std::string_view kSeccompOps[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
                                            "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};

constexpr std::string_view kSeccompArchs[] = {"SCMP_ARCH_X86",      "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",
                                              "SCMP_ARCH_ARM",      "SCMP_ARCH_AARCH64",     "SCMP_ARCH_MIPS",
                                              "SCMP_ARCH_MIPS64",   "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",
                                              "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
                                              "SCMP_ARCH_PPC64",    "SCMP_ARCH_PPC64LE",     "SCMP_ARCH_S390",
                                              "SCMP_ARCH_S390X",    "SCMP_ARCH_PARISC",      "SCMP_ARCH_PARISC64",
                                              "SCMP_ARCH_RISCV64",  "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
                                              "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB"};

constexpr std::string_view kSeccompFlags[] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                              "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                              "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};

template <size_t N>
bool one_of(std::string_view s, const std::string_view (&names)[N]) {
  for (std::string_view n : names)
    if (s == n) return true;
  return false;
}

// The JSON path of member key under base ("" is the top level).
std::string sub(const std::string& base, std::string_view key) {
  return base.empty() ? std::string(key) : base + "." + std::string(key);
}

std::string idx(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

Error at(const std::string& path, const std::string& msg) { return invalid(path + ": " + msg); }

bool is_abs(const std::string& p) { return !p.empty() && p[0] == '/'; }

Status check_abs(const std::string& path, const std::string& value) {
  if (is_abs(value)) return {};
  return at(path, "must be an absolute path, got " + quote(value));
}

// "1.x.y", optionally followed by a semver pre-release or build suffix.
bool is_v1_version(std::string_view v) {
  auto digits = [&v] {
    size_t n = 0;
    while (n < v.size() && v[n] >= '0' && v[n] <= '9') ++n;
    v.remove_prefix(n);
    return n > 0;
  };
  if (!v.starts_with("1.")) return false;
  v.remove_prefix(2);
  if (!digits() || !v.starts_with('.')) return false;
  v.remove_prefix(1);
  if (!digits()) return false;
  return v.empty() || v[0] == '-' || v[0] == '+';
}

// A kernel cpu list as cpuset.cpus takes it: "0-3,7".
bool is_cpu_list(std::string_view s) {
  for (const std::string& item : split(s, ',')) {
    size_t dash = item.find('-');
    uint64_t lo = 0, hi = 0;
    if (dash == std::string::npos) {
      if (!parse_uint64(item, lo)) return false;
    } else if (!parse_uint64(item.substr(0, dash), lo) || !parse_uint64(item.substr(dash + 1), hi) || lo > hi) {
      return false;
    }
  }
  return true;
}

// Empty means unset.
Status check_cpu_list(const std::string& path, const std::string& value) {
  if (value.empty() || is_cpu_list(value)) return {};
  return at(path, quote(value) + " is not a cpu list like \"0-3,7\"");
}

// A hugetlb page size as the cgroup file names spell it: "64KB", "2MB", "1GB".
bool is_page_size(std::string_view s) {
  if (s.size() < 3) return false;
  std::string_view unit = s.substr(s.size() - 2);
  uint64_t n = 0;
  return one_of(unit, {"KB", "MB", "GB", "TB", "PB"}) && parse_uint64(s.substr(0, s.size() - 2), n);
}

Status check_mappings(const std::string& path, const std::vector<IdMapping>& mappings) {
  for (size_t i = 0; i < mappings.size(); ++i)
    if (mappings[i].size == 0) return at(sub(idx(path, i), "size"), "must be greater than 0");
  return {};
}

// runc treats a blkio weight of 0 as unset.
Status check_weight(const std::string& path, const std::optional<uint16_t>& weight) {
  if (!weight || *weight == 0 || (*weight >= 10 && *weight <= 1000)) return {};
  return at(path, "must be between 10 and 1000, got " + std::to_string(*weight));
}

Status validate_rlimits(const std::vector<Rlimit>& rlimits, const std::string& base) {
  for (size_t i = 0; i < rlimits.size(); ++i) {
    const Rlimit& rl = rlimits[i];
    std::string path = idx(base, i);
    if (rl.resource < 0) return at(sub(path, "type"), "unknown rlimit " + quote(rl.type));
    for (size_t j = 0; j < i; ++j)
      if (rlimits[j].type == rl.type) return at(sub(path, "type"), "duplicate rlimit " + quote(rl.type));
    if (rl.soft > rl.hard) {
      return at(sub(path, "soft"),
                "soft limit " + std::to_string(rl.soft) + " is greater than hard limit " + std::to_string(rl.hard));
    }
  }
  return {};
}

Status validate_scheduler(const Scheduler& s, const std::string& base) {
  if (!one_of(s.policy, kSchedPolicies)) return at(sub(base, "policy"), "unknown scheduler policy " + quote(s.policy));
  for (size_t i = 0; i < s.flags.size(); ++i)
    if (!one_of(s.flags[i], kSchedFlags))
      return at(idx(sub(base, "flags"), i), "unknown scheduler flag " + quote(s.flags[i]));
  if (s.nice < -20 || s.nice > 19)
    return at(sub(base, "nice"), "must be between -20 and 19, got " + std::to_string(s.nice));
  return {};
}

Status validate_hooks(const Hooks& hooks) {
  auto list = [](const char* key, const std::vector<Hook>& v) -> Status {
    for (size_t i = 0; i < v.size(); ++i) {
      std::string path = idx(std::string("hooks.") + key, i);
      BERTH_TRY(check_abs(sub(path, "path"), v[i].path));
      if (v[i].timeout && *v[i].timeout <= 0) {
        return at(sub(path, "timeout"), "must be greater than 0, got " + std::to_string(*v[i].timeout));
      }
    }
    return {};
  };
  BERTH_TRY(list("prestart", hooks.prestart));
  BERTH_TRY(list("createRuntime", hooks.create_runtime));
  BERTH_TRY(list("createContainer", hooks.create_container));
  BERTH_TRY(list("startContainer", hooks.start_container));
  BERTH_TRY(list("poststart", hooks.poststart));
  return list("poststop", hooks.poststop);
}

Status validate_namespaces(const Linux& lx) {
  for (size_t i = 0; i < lx.namespaces.size(); ++i) {
    const Namespace& ns = lx.namespaces[i];
    std::string path = idx("linux.namespaces", i);
    for (size_t j = 0; j < i; ++j)
      if (lx.namespaces[j].type == ns.type)
        return at(path, std::string("duplicate namespace \"") + namespace_name(ns.type) + "\"");
    if (!ns.path.empty()) BERTH_TRY(check_abs(sub(path, "path"), ns.path));
  }
  BERTH_TRY(check_mappings("linux.uidMappings", lx.uid_mappings));
  BERTH_TRY(check_mappings("linux.gidMappings", lx.gid_mappings));

  // Mappings only make sense for a user namespace, and a new one is useless
  // without them: nobody inside would have an identity.
  const Namespace* user = lx.find_namespace(NamespaceType::kUser);
  auto mapping_rule = [&](const char* path, const std::vector<IdMapping>& mappings) -> Status {
    if (!mappings.empty() && !user) return at(path, "requires a user namespace in linux.namespaces");
    if (mappings.empty() && user && user->path.empty())
      return at(path, "must not be empty when creating a user namespace");
    return {};
  };
  BERTH_TRY(mapping_rule("linux.uidMappings", lx.uid_mappings));
  BERTH_TRY(mapping_rule("linux.gidMappings", lx.gid_mappings));

  for (const auto& [name, offset] : lx.time_offsets) {
    std::string path = "linux.timeOffsets." + name;
    if (name != "monotonic" && name != "boottime")
      return at(path, "unknown clock " + quote(name) + " (want monotonic or boottime)");
    if (offset.nanosecs >= 1'000'000'000) return at(sub(path, "nanosecs"), "must be less than 1000000000");
  }
  if (!lx.time_offsets.empty() && !lx.find_namespace(NamespaceType::kTime))
    return at("linux.timeOffsets", "requires a time namespace in linux.namespaces");
  return {};
}

Status validate_devices(const std::vector<Device>& devices) {
  for (size_t i = 0; i < devices.size(); ++i) {
    std::string path = idx("linux.devices", i);
    if (!one_of(devices[i].type, {"c", "b", "u", "p"}))
      return at(sub(path, "type"), "unknown device type " + quote(devices[i].type) + " (want c, b, u or p)");
    BERTH_TRY(check_abs(sub(path, "path"), devices[i].path));
  }
  return {};
}

Status validate_seccomp(const Seccomp& s) {
  const std::string base = "linux.seccomp";
  bool notify = s.default_action == "SCMP_ACT_NOTIFY";
  if (!one_of(s.default_action, kSeccompActions))
    return at(sub(base, "defaultAction"), "unknown seccomp action " + quote(s.default_action));
  for (size_t i = 0; i < s.architectures.size(); ++i)
    if (!one_of(s.architectures[i], kSeccompArchs))
      return at(idx(sub(base, "architectures"), i), "unknown seccomp architecture " + quote(s.architectures[i]));
  for (size_t i = 0; i < s.flags.size(); ++i)
    if (!one_of(s.flags[i], kSeccompFlags))
      return at(idx(sub(base, "flags"), i), "unknown seccomp flag " + quote(s.flags[i]));
  for (size_t i = 0; i < s.syscalls.size(); ++i) {
    const SeccompSyscall& sc = s.syscalls[i];
    std::string path = idx(sub(base, "syscalls"), i);
    if (sc.names.empty()) return at(sub(path, "names"), "must not be empty");
    if (!one_of(sc.action, kSeccompActions))
      return at(sub(path, "action"), "unknown seccomp action " + quote(sc.action));
    notify = notify || sc.action == "SCMP_ACT_NOTIFY";
    for (size_t j = 0; j < sc.args.size(); ++j) {
      std::string arg = idx(sub(path, "args"), j);
      // A system call has at most six arguments.
      if (sc.args[j].index >= 6)
        return at(sub(arg, "index"), "must be less than 6, got " + std::to_string(sc.args[j].index));
      if (!one_of(sc.args[j].op, kSeccompOps))
        return at(sub(arg, "op"), "unknown seccomp operator " + quote(sc.args[j].op));
    }
  }
  if (notify && s.listener_path.empty())
    return at(sub(base, "listenerPath"), "required when an action is SCMP_ACT_NOTIFY");
  if (!s.listener_path.empty()) BERTH_TRY(check_abs(sub(base, "listenerPath"), s.listener_path));
  return {};
}

Status validate_linux(const Linux& lx) {
  BERTH_TRY(validate_namespaces(lx));
  BERTH_TRY(validate_devices(lx.devices));
  if (lx.resources) BERTH_TRY(validate_resources(*lx.resources, "linux.resources"));
  if (!one_of(lx.rootfs_propagation, kPropagations))
    return at("linux.rootfsPropagation", "unknown propagation " + quote(lx.rootfs_propagation));
  if (lx.seccomp) BERTH_TRY(validate_seccomp(*lx.seccomp));
  for (const auto& [key, value] : lx.sysctl)
    if (key.empty()) return at("linux.sysctl", "empty key");
  if (lx.personality && !one_of(lx.personality->domain, {"LINUX", "LINUX32"}))
    return at("linux.personality.domain",
              "unknown domain " + quote(lx.personality->domain) + " (want LINUX or LINUX32)");
  return {};
}

}  // namespace

std::string quote(std::string_view s) {
  // An error is one readable line: a 10 MB value is cut, not echoed.
  constexpr size_t kMax = 200;
  std::string out = "\"";
  for (char c : s.substr(0, kMax)) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  if (s.size() > kMax) return out + "\"... (" + std::to_string(s.size()) + " bytes)";
  return out + "\"";
}

Status validate_process(const Process& p, const std::string& base) {
  if (p.args.empty()) return at(sub(base, "args"), "must not be empty");
  BERTH_TRY(check_abs(sub(base, "cwd"), p.cwd));
  for (size_t i = 0; i < p.env.size(); ++i)
    if (p.env[i].find('=') == std::string::npos)
      return at(idx(sub(base, "env"), i), quote(p.env[i]) + " is not of the form KEY=VALUE");
  BERTH_TRY(validate_rlimits(p.rlimits, sub(base, "rlimits")));
  if (p.oom_score_adj && (*p.oom_score_adj < -1000 || *p.oom_score_adj > 1000)) {
    return at(sub(base, "oomScoreAdj"), "must be between -1000 and 1000, got " + std::to_string(*p.oom_score_adj));
  }
  if (p.io_priority) {
    if (!one_of(p.io_priority->klass, kIoPriorityClasses))
      return at(sub(base, "ioPriority.class"), "unknown I/O priority class " + quote(p.io_priority->klass));
    if (p.io_priority->priority < 0 || p.io_priority->priority > 7)
      return at(sub(base, "ioPriority.priority"),
                "must be between 0 and 7, got " + std::to_string(p.io_priority->priority));
  }
  if (p.scheduler) BERTH_TRY(validate_scheduler(*p.scheduler, sub(base, "scheduler")));
  if (p.exec_cpu_affinity) {
    BERTH_TRY(check_cpu_list(sub(base, "execCPUAffinity.initial"), p.exec_cpu_affinity->initial));
    BERTH_TRY(check_cpu_list(sub(base, "execCPUAffinity.final"), p.exec_cpu_affinity->final));
  }
  return {};
}

Status validate_resources(const Resources& r, const std::string& base) {
  for (size_t i = 0; i < r.devices.size(); ++i) {
    const DeviceCgroup& d = r.devices[i];
    std::string path = idx(sub(base, "devices"), i);
    if (!one_of(d.type, {"", "a", "c", "b"}))
      return at(sub(path, "type"), "unknown device type " + quote(d.type) + " (want a, c or b)");
    // Empty access means "rwm", as in runc.
    if (d.access.find_first_not_of("rwm") != std::string::npos)
      return at(sub(path, "access"), quote(d.access) + " is not a subset of \"rwm\"");
  }
  // runc reads swappiness -1 (which a uint64 carries as its maximum) as "unset".
  if (r.memory && r.memory->swappiness && *r.memory->swappiness > 100 &&
      *r.memory->swappiness != std::numeric_limits<uint64_t>::max()) {
    return at(sub(base, "memory.swappiness"), "must be at most 100, got " + std::to_string(*r.memory->swappiness));
  }
  if (r.cpu) {
    BERTH_TRY(check_cpu_list(sub(base, "cpu.cpus"), r.cpu->cpus));
    BERTH_TRY(check_cpu_list(sub(base, "cpu.mems"), r.cpu->mems));
  }
  if (r.block_io) {
    std::string path = sub(base, "blockIO");
    BERTH_TRY(check_weight(sub(path, "weight"), r.block_io->weight));
    BERTH_TRY(check_weight(sub(path, "leafWeight"), r.block_io->leaf_weight));
    for (size_t i = 0; i < r.block_io->weight_device.size(); ++i) {
      std::string dev = idx(sub(path, "weightDevice"), i);
      BERTH_TRY(check_weight(sub(dev, "weight"), r.block_io->weight_device[i].weight));
      BERTH_TRY(check_weight(sub(dev, "leafWeight"), r.block_io->weight_device[i].leaf_weight));
    }
  }
  for (size_t i = 0; i < r.hugepage_limits.size(); ++i) {
    const std::string& size = r.hugepage_limits[i].page_size;
    if (!is_page_size(size))
      return at(sub(idx(sub(base, "hugepageLimits"), i), "pageSize"), quote(size) + " is not a page size like \"2MB\"");
  }
  // Keys are file names in the container's cgroup directory.
  for (const auto& [key, value] : r.unified)
    if (key.empty() || key.find('/') != std::string::npos)
      return at(sub(base, "unified"), "invalid cgroup file name " + quote(key));
  return {};
}

namespace {}  // namespace

Status validate_windows_process(const Process& p, const std::string& base) {
  if (p.args.empty() && p.command_line.empty()) return at(sub(base, "args"), "must not be empty without commandLine");
  for (size_t i = 0; i < p.env.size(); ++i)
    if (p.env[i].find('=') == std::string::npos)
      return at(idx(sub(base, "env"), i), quote(p.env[i]) + " is not of the form KEY=VALUE");
  return {};
}

Status validate_spec(const Spec& spec) {
  if (!is_v1_version(spec.oci_version))
    return at("ociVersion", "unsupported version " + quote(spec.oci_version) + " (want 1.x.y)");
  // A windows section without a linux one is a Windows container: its paths
  // are Windows paths and its root rules are HCS's (platform/hcs/translate.h).
  bool windows = spec.windows && !spec.linux_;
  if (spec.root.path.empty() && !windows) return at("root.path", "must not be empty");
  if (spec.process)
    BERTH_TRY(windows ? validate_windows_process(*spec.process, "process")
                      : validate_process(*spec.process, "process"));
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    std::string path = idx("mounts", i);
    if (!windows) BERTH_TRY(check_abs(sub(path, "destination"), spec.mounts[i].destination));
    BERTH_TRY(check_mappings(sub(path, "uidMappings"), spec.mounts[i].uid_mappings));
    BERTH_TRY(check_mappings(sub(path, "gidMappings"), spec.mounts[i].gid_mappings));
  }
  if (spec.hooks) BERTH_TRY(validate_hooks(*spec.hooks));
  if (spec.linux_) BERTH_TRY(validate_linux(*spec.linux_));
  return {};
}

Status validate_seccomp_section(const Seccomp& s) { return validate_seccomp(s); }

}  // namespace berth::oci
