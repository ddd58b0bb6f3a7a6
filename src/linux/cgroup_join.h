// Moving a process into the cgroups of another (exec joins the container's).
#pragma once

#include <sys/types.h>

#include <map>
#include <string>

#include "base/result.h"
#include "linux/mountinfo.h"

namespace berth::lnx {

// /proc/PID/cgroup ("self" for the caller): controller list ("cpu,cpuacct",
// "name=systemd"; "" for the v2 tree) -> path.
Result<std::map<std::string, std::string>> proc_cgroups(const std::string& pid);

// The key in proc_cgroups() of the hierarchy mounted at mi: its controller
// list for cgroup v1, "" for cgroup2, "-" when no entry matches.
std::string hierarchy_key(const MountInfo& mi, const std::map<std::string, std::string>& cgroups);

// Writes pid into cgroup.procs of every cgroup target is in, on each v1
// hierarchy and the v2 tree, wherever they are mounted.
Status join_cgroups_of(pid_t target, pid_t pid);

}  // namespace berth::lnx
