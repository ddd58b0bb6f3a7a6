// Device rules on cgroup v2: cgroup v2 has no devices.allow file; access to
// device nodes is decided by an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE attached to the container's cgroup. berth
// writes that program itself (a few instructions per rule), so it needs no
// libbpf or compiler at run time.
//
// The program gives the rules v1's meaning as runc does: the last rule that
// matches a request decides it; a request no rule matches is denied. A rule
// matches when its type is "a" or the request's, its major and minor are
// wildcards or equal, and the requested access is a subset of the rule's.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "oci/spec.h"

namespace berth::cgroups {

// The program for rules, in the order given (callers pass
// effective_device_rules(), so the default devices are included).
std::vector<bpf_insn> device_filter_program(const std::vector<oci::DeviceCgroup>& rules);

// Loads program and attaches it to the cgroup2 directory dir, then detaches
// every program attached there before, so an update swaps the rules without a
// moment when none hold. The error names the rules' JSON path and dir.
Status attach_device_filter(const std::string& dir, const std::vector<bpf_insn>& program);

// The request layout the kernel passes (struct bpf_cgroup_dev_ctx), for tests
// that run a program in user space.
struct DeviceRequest {
  uint32_t access_type;  // (access << 16) | type, BPF_DEVCG_ACC_* and BPF_DEVCG_DEV_*
  uint32_t major;
  uint32_t minor;
};

}  // namespace berth::cgroups
