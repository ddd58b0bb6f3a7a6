// The host's cgroup layout: cgroup v1 hierarchies, the cgroup2 tree, or both
// (the hybrid layout: v1 controllers plus a cgroup2 tree at .../unified).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "linux/mountinfo.h"

namespace berth::cgroups {

struct Hierarchy {
  std::string mount_point;               // /sys/fs/cgroup/cpu,cpuacct
  std::string key;                       // as in /proc/PID/cgroup: "cpu,cpuacct", "name=systemd"
  std::vector<std::string> controllers;  // "cpu", "cpuacct" (not "name=...")
};

struct Layout {
  std::vector<Hierarchy> v1;
  std::string v2;  // mount point of the cgroup2 tree, "" when there is none

  bool unified() const { return v1.empty() && !v2.empty(); }
  bool hybrid() const { return !v1.empty() && !v2.empty(); }
  // The v1 hierarchy holding controller, or nullptr.
  const Hierarchy* find(const std::string& controller) const;
};

// Reads the layout from mount entries (the first mount of each hierarchy
// wins). own maps /proc/self/cgroup keys to paths; it names v1 hierarchies.
Layout detect_layout(const std::vector<lnx::MountInfo>& mounts);

// The layout of this host, read once per process.
Result<Layout> host_layout();

}  // namespace berth::cgroups
