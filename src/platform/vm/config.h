// What a utility VM is made of, and how a container's config becomes the
// config the guest's berth runs.
//
// A VM's settings come, each overriding the one before, from berth's
// defaults, the config file (/etc/berth/vm.json, or $BERTH_VM_CONFIG), the
// sandbox's annotations for its size, and the OCI spec's "vm" section:
//   {"hypervisor": "/usr/bin/qemu-system-x86_64",
//    "kernel": "/usr/lib/berth/vm/vmlinuz", "initrd": "/usr/lib/berth/vm/initramfs.cpio",
//    "virtiofsd": "/usr/lib/qemu/virtiofsd", "memoryMiB": 512, "cpus": 1, "accel": "auto", "bootTimeoutSeconds": 120}
// The kernel and initramfs default to vm/ beside the berth binary (a build
// tree) or /usr/lib/berth/vm (a package); `make vm-image` makes them.
// The share is served by QEMU's virtiofsd (/usr/lib/qemu/virtiofsd, "virtiofsd").
// Annotations: io.berth.vm.memory-mb and io.berth.vm.cpus (or hcsshim's
// io.microsoft.virtualmachine.computetopology.memory.sizeinmb and
// ...processor.count).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "oci/spec.h"

namespace berth::vm {

inline constexpr char kMemoryAnnotation[] = "io.berth.vm.memory-mb";
inline constexpr char kCpusAnnotation[] = "io.berth.vm.cpus";
inline constexpr char kNetAnnotation[] = "io.berth.vm.network";  // "none", or "auto" (the default)
inline constexpr int kMinMemoryMiB = 128;
inline constexpr int kMaxMemoryMiB = 65536;

struct VmConfig {
  std::string hypervisor = "/usr/bin/qemu-system-x86_64";
  std::string virtiofsd = "/usr/lib/qemu/virtiofsd";  // serves the share (virtio-fs)
  std::vector<std::string> hypervisor_parameters;
  std::string kernel;
  std::vector<std::string> kernel_parameters;
  std::string initrd;
  int memory_mib = 512;
  int cpus = 1;
  std::string accel = "auto";  // "kvm", "tcg", or "auto": kvm when it boots a kernel here
  int boot_timeout_s = 120;
  std::string network = "auto";  // "auto": the interface of the sandbox's network namespace (a path); "none"
};

// The settings for a sandbox with this spec. Errors name the file, the
// annotation or the JSON path.
Result<VmConfig> load_config(const oci::Spec& spec);

// The accelerator to use ("kvm" or "tcg") and why, decided once per boot of
// the host: KVM must not only open but boot a stock kernel, which some
// nested hosts cannot (the verdict is kept in /run/berth-vm-accel).
std::string choose_accel(const VmConfig& c);

// The command lines of a sandbox's VM, whose state directory is dir:
// virtiofsd serving share_dir (virtio-fs, tag "berth": Debian's cloud
// kernel has no 9p) and QEMU; mac, when not empty, the MAC address of the
// guest's eth0, whose tap is QEMU's fd 3 (pod_network.h); net the guest's
// address ("10.0.0.2/24,10.0.0.1,1500" or "").
struct VmCommands {
  std::vector<std::string> virtiofsd, qemu;
};
VmCommands vm_commands(const VmConfig& c, const std::string& accel, const std::string& dir,
                       const std::string& share_dir, const std::string& mac, const std::string& net);

// A host path the guest needs, bind-mounted into the share as `name`.
struct ShareMount {
  std::string source;  // absolute, on the host
  std::string name;    // below the container's share directory
};

struct GuestConfig {
  std::string config_json;  // config.json as the guest's berth reads it
  std::vector<ShareMount> mounts;
};

// Rewrites a container's config for the guest: the rootfs and every bind
// mount's source become paths in the share (/share/ID/...), namespaces the
// host named by path (meaningless in the guest) are left for the guest to
// make or (in a sandbox) to take from the sandbox, the cgroup is the guest's
// /berth/ID, and the hooks stay on the host (the runtime runs them).
Result<GuestConfig> guest_config(const std::string& config_text, const oci::Spec& spec, const std::string& bundle,
                                 const std::string& id);

// An exec'd process as `berth exec --process` reads it, for the guest.
std::string process_json(const oci::Process& p);

}  // namespace berth::vm
