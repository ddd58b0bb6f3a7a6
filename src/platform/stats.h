// A container's resource statistics (runc's `events --stats`), as every
// platform reports them: a value type at the seam, so the Linux platform's
// cgroup library fills it directly.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace berth::platform {

struct Stats {
  uint64_t cpu_usage_ns = 0, cpu_user_ns = 0, cpu_system_ns = 0;
  uint64_t memory_usage = 0, memory_limit = 0, memory_max_usage = 0, memory_cache = 0;
  uint64_t memory_failcnt = 0;
  uint64_t swap_usage = 0, swap_limit = 0;
  uint64_t pids_current = 0, pids_limit = 0;  // limit 0: no limit
  uint64_t oom_kills = 0;
  std::map<std::string, uint64_t> memory_raw;  // the platform's own counters (cgroup memory.stat)
};

}  // namespace berth::platform
