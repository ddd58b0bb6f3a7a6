// The "cgroup" mount type: the container's view of /sys/fs/cgroup.
#pragma once

#include <string>

#include "base/result.h"

namespace berth::lnx {

// Mounts the cgroup hierarchies at dest below root, following the host's
// layout: cgroup2 alone on a unified host; on v1 and hybrid hosts a tmpfs
// holding one mount per hierarchy (and "unified" for the v2 tree), with the
// host's symlinks (cpu -> cpu,cpuacct). With a new cgroup namespace each
// hierarchy is mounted fresh and shows the namespace's root; without one, the
// process's own cgroup directory is bind-mounted so nothing above it shows.
// flags: MS_RDONLY, MS_NOSUID, ... from the spec entry.
Status mount_cgroup(int root, const std::string& dest, unsigned long flags, bool new_cgroup_ns);

}  // namespace berth::lnx
