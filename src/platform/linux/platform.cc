#include <nlohmann/json.hpp>

#include "base/file.h"
#include "linux/caps.h"
#include "linux/lsm.h"
#include "linux/self_exe.h"
#include "linux/userns.h"
#include "platform/linux/container.h"
#include "seccomp/seccomp.h"

namespace berth::platform::linux_ {

namespace {

bool strictly_below(const std::string& path, const std::string& mount) {
  std::string clean = path_clean(path);
  return clean == path && clean.size() > mount.size() + 1 && clean.rfind(mount + "/", 0) == 0;
}

}  // namespace

Result<std::unique_ptr<cgroups::Manager>> manager_for(const std::string& id, const Record& rec) {
  if (rec.cgroups.empty()) return std::unique_ptr<cgroups::Manager>();
  auto layout = cgroups::host_layout();
  if (!layout) return std::move(layout).error();
  for (const auto& [key, path] : rec.cgroups) {
    std::string mount = layout->v2;
    if (!key.empty()) {
      mount.clear();
      for (const auto& h : layout->v1)
        if (h.key == key) mount = h.mount_point;
    }
    if (mount.empty() || !strictly_below(path, mount))
      return invalid("state of " + id + ": cgroup path " + path + " is not inside a cgroup hierarchy");
  }
  return cgroups::make_manager(*layout, rec.cgroups);
}

Result<std::unique_ptr<Container>> LinuxPlatform::open(const state::ContainerDir& dir,
                                                       const state::ContainerState& st) {
  auto rec = decode_record(st.platform_state);
  if (!rec) return std::move(rec).error();
  return std::unique_ptr<Container>(std::make_unique<LinuxContainer>(st.id, dir.fd(), std::move(*rec)));
}

void LinuxPlatform::features(nlohmann::ordered_json& out) const {
  out["linux"] = {
      {"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}},
      {"capabilities", lnx::capability_names()},
      {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}, {"rdma", true}}},
      {"seccomp",
       {{"enabled", true},
        {"actions",
         {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
          "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"}},
        {"operators",
         {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
          "SCMP_CMP_NE"}},
        {"archs",
         {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
          "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",
          "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64", "SCMP_ARCH_S390",
          "SCMP_ARCH_S390X", "SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"}},
        {"knownFlags",
         {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
          "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}},
        {"supportedFlags", seccomp::supported_flags()}}},
      {"apparmor", {{"enabled", lnx::apparmor_enabled()}}},
      {"selinux", {{"enabled", lnx::selinux_enabled()}}},
      {"intelRdt", {{"enabled", false}}},
      {"mountExtensions", {{"idmap", {{"enabled", true}}}}},
  };
}

std::vector<std::pair<std::string, std::string>> LinuxPlatform::versions() const {
  return {{"libseccomp", seccomp::library_version()}};
}

Status LinuxPlatform::protect_self(char** argv) { return lnx::reexec_from_read_only_self(argv); }

bool LinuxPlatform::in_user_namespace() const { return lnx::in_user_namespace(); }

}  // namespace berth::platform::linux_
