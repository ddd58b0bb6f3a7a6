#include "platform/vm/config.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/file.h"

namespace berth::vm {

namespace {

std::string default_vm_dir() {
  // Beside the berth binary (a build tree), else where the package puts it.
  if (const char* self = ::getenv("BERTH_BINARY"); self && *self) {
    std::string dir = std::string(self).substr(0, std::string(self).rfind('/'));
    if (path_exists(dir + "/vm/vmlinuz")) return dir + "/vm";
  }
  return "/usr/lib/berth/vm";
}

Status read_size(const std::map<std::string, std::string>& annotations, const char* key, const char* alias, int lo,
                 int hi, int& out) {
  for (const char* k : {key, alias}) {
    auto it = annotations.find(k);
    if (it == annotations.end()) continue;
    int64_t v = 0;
    if (!parse_int64(it->second, v) || v < lo || v > hi)
      return invalid(std::string("annotations[\"") + k + "\"]: want a number from " + std::to_string(lo) + " to " +
                     std::to_string(hi) + ", got \"" + it->second + "\"");
    out = static_cast<int>(v);
    return {};
  }
  return {};
}

int host_memory_mib() {
  auto text = read_file("/proc/meminfo");
  if (!text) return kMaxMemoryMiB;
  for (const auto& line : split(*text, '\n'))
    if (line.starts_with("MemTotal:")) {
      int64_t kb = 0;
      std::string v(trim(line.substr(9)));
      if (parse_int64(v.substr(0, v.find(' ')), kb)) return static_cast<int>(kb / 1024);
    }
  return kMaxMemoryMiB;
}

Status check_file(const std::string& where, const std::string& path, bool executable) {
  if (path.empty() || path[0] != '/') return invalid(where + ": must be an absolute path, got \"" + path + "\"");
  if (::access(path.c_str(), executable ? X_OK : R_OK) < 0) return sys_error(where + ": " + path);
  return {};
}

}  // namespace

Result<VmConfig> load_config(const oci::Spec& spec) {
  VmConfig c;
  std::string dir = default_vm_dir();
  c.kernel = dir + "/vmlinuz";
  c.initrd = dir + "/initramfs.cpio";
  const char* env = ::getenv("BERTH_VM_CONFIG");
  std::string file = env && *env ? env : "/etc/berth/vm.json";
  if (path_exists(file)) {
    auto text = read_input_file(file);
    if (!text) return std::move(text).error();
    try {
      auto j = nlohmann::json::parse(*text);
      if (!j.is_object()) return invalid(file + ": want a JSON object");
      c.hypervisor = j.value("hypervisor", c.hypervisor);
      c.virtiofsd = j.value("virtiofsd", c.virtiofsd);
      c.kernel = j.value("kernel", c.kernel);
      c.initrd = j.value("initrd", c.initrd);
      c.memory_mib = j.value("memoryMiB", c.memory_mib);
      c.cpus = j.value("cpus", c.cpus);
      c.accel = j.value("accel", c.accel);
      c.boot_timeout_s = j.value("bootTimeoutSeconds", c.boot_timeout_s);
      c.network = j.value("network", c.network);
    } catch (const std::exception& e) {
      return invalid(file + ": " + e.what());
    }
    if (c.accel != "auto" && c.accel != "kvm" && c.accel != "tcg")
      return invalid(file + ": accel: want auto, kvm or tcg, got \"" + c.accel + "\"");
    if (c.network != "auto" && c.network != "none")
      return invalid(file + ": network: want auto or none, got \"" + c.network + "\"");
    if (c.boot_timeout_s < 1 || c.boot_timeout_s > 3600)
      return invalid(file + ": bootTimeoutSeconds: want 1 to 3600, got " + std::to_string(c.boot_timeout_s));
  }
  int max_cpus = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  int max_mem = std::min(kMaxMemoryMiB, host_memory_mib());
  BERTH_TRY(read_size(spec.annotations, kMemoryAnnotation,
                      "io.microsoft.virtualmachine.computetopology.memory.sizeinmb", kMinMemoryMiB, max_mem,
                      c.memory_mib));
  BERTH_TRY(read_size(spec.annotations, kCpusAnnotation, "io.microsoft.virtualmachine.computetopology.processor.count",
                      1, max_cpus, c.cpus));
  if (auto it = spec.annotations.find(kNetAnnotation); it != spec.annotations.end()) {
    if (it->second != "none" && it->second != "auto")
      return invalid(std::string("annotations[\"") + kNetAnnotation + "\"]: want none or auto, got \"" + it->second +
                     "\"");
    c.network = it->second;
  }
  if (spec.vm) {
    const oci::Vm& v = *spec.vm;
    if (!v.image_path.empty())
      return make_error(ErrorKind::kNotImplemented,
                        "vm.image: not supported (berth's guest boots from its initramfs and shares the rootfs)");
    if (!v.hypervisor_path.empty()) c.hypervisor = v.hypervisor_path;
    c.hypervisor_parameters = v.hypervisor_parameters;
    c.kernel = v.kernel_path;
    c.kernel_parameters = v.kernel_parameters;
    if (!v.initrd.empty()) c.initrd = v.initrd;
    BERTH_TRY(check_file("vm.hypervisor.path", c.hypervisor, true));
    BERTH_TRY(check_file("vm.kernel.path", c.kernel, false));
    BERTH_TRY(check_file("vm.kernel.initrd", c.initrd, false));
  } else {
    BERTH_TRY(check_file(file + ": hypervisor", c.hypervisor, true));
    BERTH_TRY(check_file(file + ": kernel (make vm-image builds it)", c.kernel, false));
    BERTH_TRY(check_file(file + ": initrd (make vm-image builds it)", c.initrd, false));
  }
  BERTH_TRY(check_file(file + ": virtiofsd", c.virtiofsd, true));
  if (c.memory_mib < kMinMemoryMiB || c.memory_mib > max_mem)
    return invalid(file + ": memoryMiB: want " + std::to_string(kMinMemoryMiB) + " to " + std::to_string(max_mem) +
                   ", got " + std::to_string(c.memory_mib));
  if (c.cpus < 1 || c.cpus > max_cpus)
    return invalid(file + ": cpus: want 1 to " + std::to_string(max_cpus) + ", got " + std::to_string(c.cpus));
  return c;
}

std::string choose_accel(const VmConfig& c) {
  if (c.accel != "auto") return c.accel;
  if (auto verdict = read_file("/run/berth-vm-accel")) return std::string(trim(*verdict));
  int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) return "tcg";
  ::close(fd);
  return "kvm?";  // to be tried: the platform falls back to tcg and keeps the verdict
}

VmCommands vm_commands(const VmConfig& c, const std::string& accel, const std::string& dir,
                       const std::string& share_dir, const std::string& mac, const std::string& net) {
  // The guest's TSC runs at the host's rate; telling its kernel skips a
  // calibration that can hang on a busy host.
  std::string khz;
  if (auto info = read_file("/proc/cpuinfo"))
    for (const auto& line : split(*info, '\n'))
      if (line.starts_with("cpu MHz")) {
        khz = std::to_string(static_cast<long>(std::atof(line.substr(line.find(':') + 1).c_str()) * 1000));
        break;
      }
  // tsc=reliable keeps the TSC as the clock (else 4 ms jiffies), lpj skips
  // the delay-loop calibration: both cut the boot under emulation.
  std::string append = "console=ttyS0 reboot=t panic=-1 quiet rdinit=/init tsc=reliable";
  if (!khz.empty()) append += " tsc_early_khz=" + khz + " lpj=" + std::to_string(std::atol(khz.c_str()) * 4);
  if (!net.empty()) append += " berth.net=" + net;
  for (const auto& p : c.kernel_parameters) append += " " + p;
  std::string mem = std::to_string(c.memory_mib);
  std::vector<std::string> a = {c.hypervisor,
                                // virtio-fs maps guest memory in virtiofsd: shared memory
                                "-object", "memory-backend-memfd,id=mem,share=on,size=" + mem + "M", "-M",
                                "microvm,pit=off,pic=off,x-option-roms=off,memory-backend=mem",
                                // libvhost-user (virtiofsd) serves modern virtio only
                                "-global", "virtio-mmio.force-legacy=false", "-accel", accel, "-cpu",
                                accel == "kvm" ? "host" : "max", "-smp", std::to_string(c.cpus), "-m", mem,
                                "-nodefaults", "-no-user-config", "-nographic", "-no-reboot", "-serial",
                                "file:" + dir + "/console.log", "-kernel", c.kernel, "-initrd", c.initrd, "-append",
                                append, "-chardev", "socket,id=agent,path=" + dir + "/agent.sock", "-device",
                                "virtio-serial-device", "-device", "virtserialport,chardev=agent,name=berth.agent",
                                "-chardev", "socket,id=fs,path=" + dir + "/fs.sock", "-device",
                                "vhost-user-fs-device,chardev=fs,tag=berth"};
  if (!mac.empty()) {
    // The tap was made in the pod's network namespace, not QEMU's: it
    // comes as an fd (the VM shim passes it as 3).
    a.insert(a.end(), {"-netdev", "tap,id=net0,fd=3", "-device", "virtio-net-device,netdev=net0,mac=" + mac});
  }
  a.insert(a.end(), c.hypervisor_parameters.begin(), c.hypervisor_parameters.end());
  // chroot, not namespaces: the binds the host makes into the share later
  // must reach it, and a mount namespace of its own would not see them.
  std::vector<std::string> fs = {c.virtiofsd, "--socket-path=" + dir + "/fs.sock",
                                 "-o",        "source=" + share_dir,
                                 "-o",        "sandbox=chroot",
                                 "-o",        "cache=auto"};
  return {fs, a};
}

Result<GuestConfig> guest_config(const std::string& config_text, const oci::Spec& spec, const std::string& bundle,
                                 const std::string& id) {
  GuestConfig g;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(config_text);
  } catch (const std::exception& e) {
    return invalid(std::string("config.json: ") + e.what());
  }
  std::string share = "/share/" + id;
  auto host_path = [&](const std::string& p) { return p.starts_with("/") ? path_clean(p) : path_join(bundle, p); };
  g.mounts.push_back({host_path(spec.root.path), "rootfs"});
  j["root"]["path"] = share + "/rootfs";
  if (j.contains("mounts") && j["mounts"].is_array()) {
    for (size_t i = 0; i < spec.mounts.size() && i < j["mounts"].size(); ++i) {
      const oci::Mount& m = spec.mounts[i];
      bool bind = m.type == "bind";
      for (const auto& o : m.options) bind = bind || o == "bind" || o == "rbind";
      if (!bind || m.source.empty()) continue;
      std::string name = "m" + std::to_string(i);
      g.mounts.push_back({host_path(m.source), name});
      j["mounts"][i]["source"] = share + "/" + name;
    }
  }
  j.erase("hooks");
  j.erase("vm");
  // In the guest, berth's Linux platform runs it.
  if (j.contains("annotations") && j["annotations"].is_object()) j["annotations"].erase("io.berth.platform");
  if (j.contains("linux") && j["linux"].is_object()) {
    auto& l = j["linux"];
    if (l.contains("namespaces") && l["namespaces"].is_array()) {
      auto& ns = l["namespaces"];
      nlohmann::json kept = nlohmann::json::array();
      for (auto& n : ns) {
        // A path is the host's: the guest makes its own, or takes the sandbox's.
        // network, ipc and uts go (the VM's network is the pod's; in a sandbox
        // the guest's berth joins the sandbox's); the others are made anew.
        if (n.is_object() && n.contains("path")) {
          std::string type = n.value("type", "");
          if (type == "network" || type == "ipc" || type == "uts") continue;
          n.erase("path");
        }
        kept.push_back(n);
      }
      ns = kept;
    }
    l["cgroupsPath"] = "/berth/" + id;
  }
  g.config_json = j.dump();
  return g;
}

std::string process_json(const oci::Process& p) {
  nlohmann::json j = {{"terminal", p.terminal},
                      {"args", p.args},
                      {"env", p.env},
                      {"cwd", p.cwd},
                      {"noNewPrivileges", p.no_new_privileges}};
  j["user"] = {{"uid", p.user.uid}, {"gid", p.user.gid}, {"additionalGids", p.user.additional_gids}};
  if (p.user.umask) j["user"]["umask"] = *p.user.umask;
  if (p.console_size) j["consoleSize"] = {{"height", p.console_size->height}, {"width", p.console_size->width}};
  if (p.capabilities) {
    const auto& c = *p.capabilities;
    j["capabilities"] = {{"bounding", c.bounding},
                         {"effective", c.effective},
                         {"inheritable", c.inheritable},
                         {"permitted", c.permitted},
                         {"ambient", c.ambient}};
  }
  for (const auto& r : p.rlimits) j["rlimits"].push_back({{"type", r.type}, {"soft", r.soft}, {"hard", r.hard}});
  if (!p.apparmor_profile.empty()) j["apparmorProfile"] = p.apparmor_profile;
  if (!p.selinux_label.empty()) j["selinuxLabel"] = p.selinux_label;
  if (p.oom_score_adj) j["oomScoreAdj"] = *p.oom_score_adj;
  return j.dump();
}

}  // namespace berth::vm
