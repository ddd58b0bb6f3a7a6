// The config `berth spec` writes: runc 1.1's `runc spec` (and `--rootless`)
// member for member and in runc's key order, so tools and people who diff the
// two see only ociVersion and hostname differ.
#include "oci/parse.h"

#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

namespace berth::oci {

std::string default_spec_json(bool rootless, uint32_t uid, uint32_t gid) {
  using json = nlohmann::ordered_json;
  const json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};

  json process = {
      {"terminal", true},
      {"user", {{"uid", 0}, {"gid", 0}}},
      {"args", {"sh"}},
      {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
      {"cwd", "/"},
      {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}}},
      {"rlimits", json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
      {"noNewPrivileges", true},
  };

  auto mount = [](const char* destination, const char* type, const char* source,
                  std::initializer_list<const char*> options) {
    json m = {{"destination", destination}, {"type", type}, {"source", source}};
    if (options.size() > 0) m["options"] = options;
    return m;
  };
  // A rootless container cannot give devpts a gid it does not map, nor mount
  // a fresh sysfs without owning the network namespace, so runc bind-mounts it.
  json devpts_options = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"};
  if (!rootless) devpts_options.push_back("gid=5");
  json mounts = json::array({
      mount("/proc", "proc", "proc", {}),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      {{"destination", "/dev/pts"}, {"type", "devpts"}, {"source", "devpts"}, {"options", devpts_options}},
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      rootless ? mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"})
               : mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  });

  auto ns = [](const char* type) { return json{{"type", type}}; };
  json linux_section = json::object();
  if (rootless) {
    // runc drops the device cgroup rules and the network namespace for
    // rootless containers: an unprivileged user can set neither up.
    linux_section["uidMappings"] = json::array({{{"containerID", 0}, {"hostID", uid}, {"size", 1}}});
    linux_section["gidMappings"] = json::array({{{"containerID", 0}, {"hostID", gid}, {"size", 1}}});
    linux_section["namespaces"] = json::array({ns("pid"), ns("ipc"), ns("uts"), ns("mount"), ns("user")});
  } else {
    linux_section["resources"] = {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}};
    linux_section["namespaces"] = json::array({ns("pid"), ns("network"), ns("ipc"), ns("uts"), ns("mount")});
  }
  linux_section["maskedPaths"] = {"/proc/acpi",          "/proc/asound",     "/proc/kcore",       "/proc/keys",
                                  "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                                  "/sys/firmware",       "/proc/scsi"};
  linux_section["readonlyPaths"] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};

  json spec = {
      {"ociVersion", "1.2.0"}, {"process", process}, {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "berth"},   {"mounts", mounts},   {"linux", linux_section},
  };
  // Like runc: tabs, and no newline after the closing brace.
  return spec.dump(1, '\t');
}

}  // namespace berth::oci
