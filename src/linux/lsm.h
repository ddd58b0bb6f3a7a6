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

// Whom the labels are for: the container's config (create) or an exec.
enum class LabelsOf { kConfig, kExec };

// In the parent, before anything is made: refuses an AppArmor profile on a
// host without AppArmor. A SELinux label on a host without SELinux is refused
// in a config, as runc's config validation refuses it ("selinux label is
// specified in config, but selinux is disabled"), and dropped with a warning
// for an exec. Errors name process.apparmorProfile / process.selinuxLabel.
Status resolve_process_labels(oci::Process& p, LabelsOf of, std::vector<std::string>& warnings);
// linux.mountLabel on a host without SELinux is refused too: runc passes it
// on as a context= mount option, which the kernel refuses (EINVAL on /dev);
// berth says why instead.
Status check_mount_label(const std::string& mount_label);

// In the container's process, before no_new_privs and seccomp: asks the
// kernel to apply the profile and label at execve (/proc/thread-self/attr).
Status apply_exec_labels(const oci::Process& p);

// Mount data with the SELinux context option added ("" label: unchanged).
std::string with_mount_label(const std::string& data, const std::string& label);

}  // namespace berth::lnx
