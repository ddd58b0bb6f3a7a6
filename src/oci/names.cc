#include "oci/names.h"

#ifdef _WIN32
// The Windows build reads Linux configs too (a Linux container in a utility
// VM); Windows headers have no clone flags or rlimits, so these are x86-64
// Linux's values, which is what they mean in a config.
#define CLONE_NEWNS 0x00020000
#define CLONE_NEWCGROUP 0x02000000
#define CLONE_NEWUTS 0x04000000
#define CLONE_NEWIPC 0x08000000
#define CLONE_NEWUSER 0x10000000
#define CLONE_NEWPID 0x20000000
#define CLONE_NEWNET 0x40000000
enum {
  RLIMIT_CPU,
  RLIMIT_FSIZE,
  RLIMIT_DATA,
  RLIMIT_STACK,
  RLIMIT_CORE,
  RLIMIT_RSS,
  RLIMIT_NPROC,
  RLIMIT_NOFILE,
  RLIMIT_MEMLOCK,
  RLIMIT_AS,
  RLIMIT_LOCKS,
  RLIMIT_SIGPENDING,
  RLIMIT_MSGQUEUE,
  RLIMIT_NICE,
  RLIMIT_RTPRIO,
  RLIMIT_RTTIME
};
#else
#include <sched.h>
#include <sys/resource.h>
#endif

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80  // Linux 5.6; older libc headers lack it
#endif

namespace berth::oci {

namespace {

struct NamespaceInfo {
  NamespaceType type;
  const char* name;       // runtime-spec
  const char* proc_name;  // /proc/PID/ns/<proc_name>
  int clone_flag;
};

constexpr NamespaceInfo kNamespaces[] = {
    {NamespaceType::kPid, "pid", "pid", CLONE_NEWPID},
    {NamespaceType::kNetwork, "network", "net", CLONE_NEWNET},
    {NamespaceType::kMount, "mount", "mnt", CLONE_NEWNS},
    {NamespaceType::kIpc, "ipc", "ipc", CLONE_NEWIPC},
    {NamespaceType::kUts, "uts", "uts", CLONE_NEWUTS},
    {NamespaceType::kUser, "user", "user", CLONE_NEWUSER},
    {NamespaceType::kCgroup, "cgroup", "cgroup", CLONE_NEWCGROUP},
    {NamespaceType::kTime, "time", "time", CLONE_NEWTIME},
};

const NamespaceInfo& info(NamespaceType t) {
  for (const auto& ns : kNamespaces)
    if (ns.type == t) return ns;
  return kNamespaces[0];  // unreachable: the table covers every enumerator
}

struct RlimitName {
  const char* name;
  int resource;
};

constexpr RlimitName kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_FSIZE", RLIMIT_FSIZE},       {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},   {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

}  // namespace

std::optional<NamespaceType> namespace_from_name(std::string_view name) {
  for (const auto& ns : kNamespaces)
    if (name == ns.name) return ns.type;
  return std::nullopt;
}

const char* namespace_name(NamespaceType t) { return info(t).name; }

const char* namespace_proc_name(NamespaceType t) { return info(t).proc_name; }

int namespace_clone_flag(NamespaceType t) { return info(t).clone_flag; }

std::string namespace_names(unsigned long clone_flags) {
  std::string out;
  for (const auto& ns : kNamespaces)
    if (clone_flags & static_cast<unsigned long>(ns.clone_flag)) out += std::string(out.empty() ? "" : ",") + ns.name;
  return out;
}

std::optional<int> rlimit_from_name(std::string_view name) {
  for (const auto& r : kRlimits)
    if (name == r.name) return r.resource;
  return std::nullopt;
}

}  // namespace berth::oci
