// The OCI runtime-spec 1.2 configuration (config.json) as C++ values.
//
// Optional scalars are std::optional so "absent" and "zero" stay distinct, as
// the spec requires (e.g. memory.swappiness 0 vs. unset). Besides Linux, the
// windows section is modelled (platform/hcs translates it); the other platform
// sections (solaris, vm, zos) are not.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::oci {

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
  std::string username;  // Windows only; kept for completeness
};

struct ConsoleSize {
  uint32_t height = 0;
  uint32_t width = 0;
};

struct Capabilities {
  std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
};

struct Rlimit {
  std::string type;   // "RLIMIT_NOFILE"
  int resource = -1;  // RLIMIT_NOFILE, resolved by the parser
  uint64_t soft = 0;
  uint64_t hard = 0;
};

struct IoPriority {
  std::string klass;  // IOPRIO_CLASS_RT | IOPRIO_CLASS_BE | IOPRIO_CLASS_IDLE
  int priority = 0;   // 0..7
};

struct Scheduler {
  std::string policy;  // SCHED_OTHER, SCHED_FIFO, ...
  int32_t nice = 0;
  int32_t priority = 0;
  std::vector<std::string> flags;
  uint64_t runtime = 0;
  uint64_t deadline = 0;
  uint64_t period = 0;
};

struct ExecCpuAffinity {
  std::string initial;  // cpu list, e.g. "0-3,7"
  std::string final;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;
  User user;
  std::vector<std::string> args;
  std::string command_line;  // Windows only; ignored on Linux
  std::vector<std::string> env;
  std::string cwd;
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::string apparmor_profile;
  std::optional<int> oom_score_adj;
  std::string selinux_label;
  std::optional<IoPriority> io_priority;
  std::optional<Scheduler> scheduler;
  std::optional<ExecCpuAffinity> exec_cpu_affinity;
};

struct Root {
  std::string path;
  bool readonly = false;
};

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct Mount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
  std::vector<IdMapping> uid_mappings, gid_mappings;
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;  // seconds, > 0
};

struct Hooks {
  std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart, poststop;
};

// A namespace kind: the spec's "type" string and the kernel's clone flag.
enum class NamespaceType { kPid, kNetwork, kMount, kIpc, kUts, kUser, kCgroup, kTime };

struct Namespace {
  NamespaceType type = NamespaceType::kPid;
  std::string path;  // empty: create a new one
};

struct Device {
  std::string type;  // c, b, u, p
  std::string path;
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
};

struct DeviceCgroup {
  bool allow = false;
  std::string type;  // a, c, b ("" = a)
  std::optional<int64_t> major;
  std::optional<int64_t> minor;
  std::string access;  // subset of "rwm"
};

struct Memory {
  std::optional<int64_t> limit, reservation, swap, kernel, kernel_tcp;
  std::optional<uint64_t> swappiness;
  std::optional<bool> disable_oom_killer, use_hierarchy, check_before_update;
};

struct Cpu {
  std::optional<uint64_t> shares;
  std::optional<int64_t> quota;
  std::optional<uint64_t> burst;
  std::optional<uint64_t> period;
  std::optional<int64_t> realtime_runtime;
  std::optional<uint64_t> realtime_period;
  std::string cpus;
  std::string mems;
  std::optional<int64_t> idle;
};

struct Pids {
  std::optional<int64_t> limit;
};

struct WeightDevice {
  int64_t major = 0, minor = 0;
  std::optional<uint16_t> weight, leaf_weight;
};

struct ThrottleDevice {
  int64_t major = 0, minor = 0;
  uint64_t rate = 0;
};

struct BlockIo {
  std::optional<uint16_t> weight, leaf_weight;
  std::vector<WeightDevice> weight_device;
  std::vector<ThrottleDevice> throttle_read_bps_device, throttle_write_bps_device, throttle_read_iops_device,
      throttle_write_iops_device;
};

struct HugepageLimit {
  std::string page_size;  // "2MB"
  uint64_t limit = 0;
};

struct NetPriority {
  std::string name;
  uint32_t priority = 0;
};

struct Network {
  std::optional<uint32_t> class_id;
  std::vector<NetPriority> priorities;
};

struct Rdma {
  std::optional<uint32_t> hca_handles, hca_objects;
};

struct Resources {
  std::vector<DeviceCgroup> devices;
  std::optional<Memory> memory;
  std::optional<Cpu> cpu;
  std::optional<Pids> pids;
  std::optional<BlockIo> block_io;
  std::vector<HugepageLimit> hugepage_limits;
  std::optional<Network> network;
  std::map<std::string, Rdma> rdma;
  std::map<std::string, std::string> unified;
};

struct SeccompArg {
  uint32_t index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;  // SCMP_CMP_EQ, ...
};

struct SeccompSyscall {
  std::vector<std::string> names;
  std::string action;
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
};

struct Seccomp {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;
  std::vector<std::string> flags;
  std::string listener_path;
  std::string listener_metadata;
  std::vector<SeccompSyscall> syscalls;
};

struct IntelRdt {
  std::string clos_id;
  std::string l3_cache_schema;
  std::string mem_bw_schema;
  std::vector<std::string> schemata;
  bool enable_monitoring = false;
  bool enable_cmt = false;
  bool enable_mbm = false;
};

struct Personality {
  std::string domain;  // LINUX | LINUX32
  std::vector<std::string> flags;
};

struct TimeOffset {
  int64_t secs = 0;
  uint32_t nanosecs = 0;
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings, gid_mappings;
  std::map<std::string, TimeOffset> time_offsets;  // "monotonic", "boottime"
  std::vector<Device> devices;
  std::string cgroups_path;
  std::optional<Resources> resources;
  std::string rootfs_propagation;
  std::optional<Seccomp> seccomp;
  std::map<std::string, std::string> sysctl;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::string mount_label;
  std::optional<IntelRdt> intel_rdt;
  std::optional<Personality> personality;

  const Namespace* find_namespace(NamespaceType t) const {
    for (const auto& ns : namespaces)
      if (ns.type == t) return &ns;
    return nullptr;
  }
};

// The windows section. The parser checks shapes only; what HCS can honour
// (two layer folders at least, device id types, ...) is checked where the
// spec is translated (platform/hcs/translate.h).
struct WindowsDevice {
  std::string id;
  std::string id_type;  // "class", "vpci-class-guid", ...
};

struct WindowsResources {
  struct Memory {
    std::optional<uint64_t> limit;  // bytes
  };
  struct Cpu {
    std::optional<uint64_t> count;
    std::optional<uint16_t> shares;   // 0..10000
    std::optional<uint16_t> maximum;  // cycles per 10,000
  };
  struct Storage {
    std::optional<uint64_t> iops, bps, sandbox_size;
  };
  std::optional<Memory> memory;
  std::optional<Cpu> cpu;
  std::optional<Storage> storage;
};

struct WindowsNetwork {
  std::vector<std::string> endpoint_list;
  bool allow_unqualified_dns_query = false;
  std::vector<std::string> dns_search_list;
  std::string network_shared_container_name;
  std::string network_namespace;
};

struct HyperV {
  std::string utility_vm_path;
};

struct Windows {
  std::vector<std::string> layer_folders;  // the image layers, topmost first, then the scratch
  std::vector<WindowsDevice> devices;
  std::optional<WindowsResources> resources;
  std::optional<std::string> credential_spec;  // as docker passes it: a string
  bool servicing = false;
  bool ignore_flushes_during_boot = false;
  std::optional<HyperV> hyperv;
  std::optional<WindowsNetwork> network;
};

// The runtime-spec's "vm" section: a container run in a virtual machine.
struct Vm {
  std::string hypervisor_path;  // absolute
  std::vector<std::string> hypervisor_parameters;
  std::string kernel_path;  // absolute, required
  std::vector<std::string> kernel_parameters;
  std::string initrd;
  std::string image_path;
  std::string image_format;
};

struct Spec {
  std::string oci_version;
  std::optional<Process> process;
  Root root;
  std::string hostname;
  std::string domainname;
  std::vector<Mount> mounts;
  std::optional<Hooks> hooks;
  std::map<std::string, std::string> annotations;
  std::optional<Linux> linux_;  // "linux" is a predefined macro under GNU extensions
  std::optional<Windows> windows;
  std::optional<Vm> vm;
  // The platform sections present besides "linux" ("vm", "windows"): parsed
  // only so that create can refuse what no platform of this berth honours.
  std::vector<std::string> other_platforms;
};

}  // namespace berth::oci
