// Linux security modules: the AppArmor profile and SELinux labels of
// runtime-spec (process.apparmorProfile, process.selinuxLabel,
// linux.mountLabel).
//
// What berth does when the LSM is off, as runc does: an AppArmor profile is
// an error (the container would run unconfined); SELinux labels are dropped
// with a warning (go-selinux, which runc uses, does nothing then).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "oci/spec.h"

namespace berth::lnx {

bool apparmor_enabled();
bool selinux_enabled();

// In the parent, before anything is made: refuses an AppArmor profile on a
// host without AppArmor and drops SELinux labels on a host without SELinux
// (noted in warnings). base names the process ("process." or "" for exec).
Status resolve_process_labels(oci::Process& p, const std::string& base, std::vector<std::string>& warnings);
void resolve_mount_label(std::string& mount_label, std::vector<std::string>& warnings);

// In the container's process, before no_new_privs and seccomp: asks the
// kernel to apply the profile and label at execve (/proc/thread-self/attr).
Status apply_exec_labels(const oci::Process& p);

// Mount data with the SELinux context option added ("" label: unchanged).
std::string with_mount_label(const std::string& data, const std::string& label);

}  // namespace berth::lnx
