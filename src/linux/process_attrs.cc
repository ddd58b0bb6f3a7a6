#include "linux/process_attrs.h"

#include <linux/keyctl.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "base/file.h"

namespace berth::lnx {

Status set_personality(const oci::Personality& p) {
  unsigned long domain = p.domain == "LINUX32" ? PER_LINUX32 : PER_LINUX;
  if (::personality(domain) < 0) return sys_error("linux.personality: personality " + p.domain);
  return {};
}

Status set_io_priority(const oci::IoPriority& io) {
  // linux/ioprio.h: class in the top 3 bits of a 16-bit value.
  constexpr int kClassShift = 13;
  int klass = io.klass == "IOPRIO_CLASS_RT" ? 1 : io.klass == "IOPRIO_CLASS_BE" ? 2 : 3;
  constexpr int kWhoProcess = 1;
  if (::syscall(SYS_ioprio_set, kWhoProcess, 0, (klass << kClassShift) | io.priority) < 0)
    return sys_error("process.ioPriority: ioprio_set " + io.klass);
  return {};
}

namespace {

// struct sched_attr of sched_setattr(2); glibc 2.36 does not declare it.
struct SchedAttr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};

uint32_t policy_of(const std::string& p) {
  if (p == "SCHED_FIFO") return SCHED_FIFO;
  if (p == "SCHED_RR") return SCHED_RR;
  if (p == "SCHED_BATCH") return SCHED_BATCH;
  if (p == "SCHED_ISO") return 4;
  if (p == "SCHED_IDLE") return SCHED_IDLE;
  if (p == "SCHED_DEADLINE") return 6;
  return SCHED_OTHER;
}

uint64_t flag_of(const std::string& f) {
  if (f == "SCHED_FLAG_RESET_ON_FORK") return 0x01;
  if (f == "SCHED_FLAG_RECLAIM") return 0x02;
  if (f == "SCHED_FLAG_DL_OVERRUN") return 0x04;
  if (f == "SCHED_FLAG_KEEP_POLICY") return 0x08;
  if (f == "SCHED_FLAG_KEEP_PARAMS") return 0x10;
  if (f == "SCHED_FLAG_UTIL_CLAMP_MIN") return 0x20;
  if (f == "SCHED_FLAG_UTIL_CLAMP_MAX") return 0x40;
  return 0;
}

}  // namespace

Status set_scheduler(const oci::Scheduler& s) {
  SchedAttr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.sched_policy = policy_of(s.policy);
  for (const auto& f : s.flags) attr.sched_flags |= flag_of(f);
  attr.sched_nice = s.nice;
  attr.sched_priority = static_cast<uint32_t>(s.priority);
  attr.sched_runtime = s.runtime;
  attr.sched_deadline = s.deadline;
  attr.sched_period = s.period;
  if (::syscall(SYS_sched_setattr, 0, &attr, 0) < 0) return sys_error("process.scheduler: sched_setattr " + s.policy);
  return {};
}

Status set_cpu_affinity(const std::string& cpus, const char* field) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (const auto& part : split(cpus, ',')) {
    auto dash = part.find('-');
    int64_t lo = 0, hi = 0;
    bool ok = dash == std::string::npos
                  ? parse_int64(part, lo) && parse_int64(part, hi)
                  : parse_int64(part.substr(0, dash), lo) && parse_int64(part.substr(dash + 1), hi);
    if (!ok || lo < 0 || hi < lo || hi >= CPU_SETSIZE)
      return invalid(std::string(field) + ": bad cpu list \"" + cpus + "\"");
    for (int64_t c = lo; c <= hi; ++c) CPU_SET(static_cast<int>(c), &set);
  }
  if (::sched_setaffinity(0, sizeof set, &set) < 0)
    return sys_error(std::string(field) + ": sched_setaffinity " + cpus);
  return {};
}

Status join_session_keyring(const std::string& name) {
  if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name.c_str()) < 0 && errno != ENOSYS)
    return sys_error("join a new session keyring");
  return {};
}

}  // namespace berth::lnx
