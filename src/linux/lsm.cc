#include "linux/lsm.h"

#include "base/file.h"

namespace berth::lnx {

bool apparmor_enabled() {
  auto v = read_file("/sys/module/apparmor/parameters/enabled");
  return v && !v->empty() && (*v)[0] == 'Y';
}

bool selinux_enabled() { return path_exists("/sys/fs/selinux/enforce"); }

Status resolve_process_labels(oci::Process& p, LabelsOf of, std::vector<std::string>& warnings) {
  const std::string base = of == LabelsOf::kConfig ? "process." : "";
  if (!p.apparmor_profile.empty() && !apparmor_enabled())
    return invalid(base + "apparmorProfile: AppArmor is not enabled on this host");
  if (!p.selinux_label.empty() && !selinux_enabled()) {
    if (of == LabelsOf::kConfig) return invalid(base + "selinuxLabel: SELinux is not enabled on this host");
    warnings.push_back(base + "selinuxLabel: SELinux is not enabled on this host, label not applied");
    p.selinux_label.clear();
  }
  return {};
}

Status check_mount_label(const std::string& mount_label) {
  if (!mount_label.empty() && !selinux_enabled())
    return invalid("linux.mountLabel: SELinux is not enabled on this host");
  return {};
}

Status apply_exec_labels(const oci::Process& p) {
  if (!p.apparmor_profile.empty()) {
    // The AppArmor-specific file where the kernel has one (5.8+), else the
    // file shared by every LSM.
    std::string value = "exec " + p.apparmor_profile;
    Status r = write_file("/proc/thread-self/attr/apparmor/exec", value);
    if (!r) r = write_file("/proc/thread-self/attr/exec", value);
    if (!r) return std::move(r).error().wrap("process.apparmorProfile: set profile " + p.apparmor_profile);
  }
  if (!p.selinux_label.empty()) {
    if (auto r = write_file("/proc/thread-self/attr/exec", p.selinux_label); !r)
      return std::move(r).error().wrap("process.selinuxLabel: set label " + p.selinux_label);
  }
  return {};
}

std::string with_mount_label(const std::string& data, const std::string& label) {
  if (label.empty()) return data;
  return (data.empty() ? "" : data + ",") + "context=\"" + label + "\"";
}

}  // namespace berth::lnx
