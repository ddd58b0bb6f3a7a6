// Device access rules: the spec's linux.resources.devices plus the devices
// every container may use (runc's list), for v1 (devices.allow/deny lines)
// and v2 (an eBPF program).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "oci/spec.h"

namespace berth::cgroups {

// The spec's rules followed by the defaults: mknod of any device, and
// null, zero, full, random, urandom, tty, ptmx, pts/*, net/tun (runc's list).
std::vector<oci::DeviceCgroup> effective_device_rules(const std::vector<oci::DeviceCgroup>& spec);

// (allow?, "c 1:3 rwm") in the order to write them to devices.allow/deny.
std::vector<std::pair<bool, std::string>> v1_device_lines(const std::vector<oci::DeviceCgroup>& spec);

}  // namespace berth::cgroups
